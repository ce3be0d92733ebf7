package bench

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/operator"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// operatorManifests builds the operator release manifests of our fixture source, as
// "kubectl coco install --method operator" does.
func operatorManifests(b *testing.B) []byte {
	root, _ := harness.RepoRoot()
	data, err := operator.Build(filepath.Join(root, "test", "fixtures", "operator-src"), operator.ReleasePath)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkOperatorApply compares the plugin's server-side apply of the operator's manifests
// with "kubectl apply --server-side" of the same manifests, in the same run, and counts the
// plugin's API requests per apply (the first apply creates, the others find nothing to change).
func BenchmarkOperatorApply(b *testing.B) {
	data := operatorManifests(b)
	objs, err := apply.Parse(data)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("kubectl-coco", func(b *testing.B) {
		var requests atomic.Int64
		cfg := rest.CopyConfig(cp.AdminConfig)
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{next: rt, n: &requests} })
		for b.Loop() {
			ap, err := apply.New(cfg) // a fresh process would start with an empty discovery cache too
			if err != nil {
				b.Fatal(err)
			}
			if err := ap.Apply(context.Background(), objs, apply.Options{FieldManager: "kubectl-coco"}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
	})
	kubectl := os.Getenv("KUBECTL")
	if kubectl == "" {
		b.Fatal("set KUBECTL to a kubectl binary (hack/bench.sh builds one)")
	}
	file := filepath.Join(b.TempDir(), "operator.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		b.Fatal(err)
	}
	b.Run("kubectl_apply_--server-side", func(b *testing.B) {
		for b.Loop() {
			c := exec.Command(kubectl, "--kubeconfig", cp.AdminKubeconfig, "apply", "--server-side", "--force-conflicts", "-f", file)
			if out, err := c.CombinedOutput(); err != nil {
				b.Fatalf("%v\n%s", err, out)
			}
		}
	})
}
