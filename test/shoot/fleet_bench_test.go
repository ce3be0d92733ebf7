package shoot

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/spf13/cobra"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
	teecheck "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd/fleetcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

type counting struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c counting) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// counted runs a plugin root in-process with every request it makes, to the garden and to the
// shoots, counted.
func counted(b *testing.B, newRoot func(genericiooptions.IOStreams) (*cobra.Command, *cli.Globals), n *atomic.Int64, args ...string) {
	b.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut}
	root, g := newRoot(streams)
	g.WrapConfig = func(cfg *rest.Config) {
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return counting{next: rt, n: n} })
	}
	root.SetArgs(args)
	if code := cli.ExecuteContext(context.Background(), root, streams); code != 0 {
		b.Fatalf("%v: exit %d\n%s\n%s", args, code, out.String(), errOut.String())
	}
}

// BenchmarkFleet20Shoots: teecheck nodes --shoots over 20 shoots (on two harness API servers
// with 5 kwok nodes each) against what a user does without it, 20 times kubectl shoot
// kubeconfig --admin then kubectl teecheck nodes, in the same run.
//
//	KUBECTL_COCO_TESTBIN=$(hack/testbin.sh path) go test -run '^$' -bench Fleet20 -benchtime 5x ./test/shoot
func BenchmarkFleet20Shoots(b *testing.B) {
	var clusters [2]*harness.ControlPlane
	for i := range clusters {
		nodes := make([]harness.Node, 5)
		for j := range nodes {
			nodes[j] = harness.Node{Name: fmt.Sprintf("c%d-n%d", i, j), CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}}
		}
		clusters[i] = shootCluster(b, nodes...)
	}
	var names []string
	for i := 1; i <= 20; i++ {
		name := fmt.Sprintf("eco-b%02d", i)
		names = append(names, name)
		if r := harness.Run(context.Background(), shootcmd.NewRoot, "", "create", name, "--machine-type", "vm-dedicated-2-4"); r.Code != 0 {
			b.Fatalf("create %s: %d %s", name, r.Code, r.Stderr)
		}
		cp := clusters[i%2]
		if err := garden.PublishShoot(context.Background(), core, name, servingCA(b, cp), clusterCA, clientCAKey, cp.Server); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("fleet --no-cache", func(b *testing.B) {
		var n atomic.Int64
		for i := 0; i < b.N; i++ {
			counted(b, teecheck.NewRootWithGlobals, &n, "--kubeconfig", userKC, "nodes", "--shoots", strings.Join(names, ","), "-p", "eco", "-o", "json", "--no-cache")
		}
		b.ReportMetric(float64(n.Load())/float64(b.N), "requests/op")
	})
	b.Run("20 sequential runs", func(b *testing.B) {
		var n atomic.Int64
		dir := b.TempDir()
		for i := 0; i < b.N; i++ {
			for _, name := range names {
				kc := filepath.Join(dir, name+".yaml")
				counted(b, shootcmd.NewRootWithGlobals, &n, "kubeconfig", name, "--admin", "--expiration", "10m", "-o", kc)
				counted(b, teecheck.NewRootWithGlobals, &n, "--kubeconfig", kc, "nodes", "-o", "json")
			}
		}
		b.ReportMetric(float64(n.Load())/float64(b.N), "requests/op")
	})
}
