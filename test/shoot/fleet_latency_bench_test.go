package shoot

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	shootcmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// oneWay is the benchmark's distance to the garden and to every shoot (issue #29 item 3).
const oneWay = 50 * time.Millisecond

// farAway starts a latency proxy in front of server (https://host:port) and returns its URL.
func farAway(b *testing.B, server string) string {
	b.Helper()
	u, err := url.Parse(server)
	if err != nil {
		b.Fatal(err)
	}
	p, err := harness.StartFaultProxy(u.Host)
	if err != nil {
		b.Fatal(err)
	}
	p.SetLatency(oneWay)
	b.Cleanup(p.Close)
	return "https://" + p.Addr
}

// farGarden is eco-user's garden kubeconfig with the garden behind a latency proxy.
func farGarden(b *testing.B) string {
	b.Helper()
	cfg, err := clientcmd.LoadFromFile(userKC)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = farAway(b, c.Server)
	}
	path := filepath.Join(b.TempDir(), "far-garden.yaml")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// timedRun runs a built plugin as a process (each run a fresh process: no connection or TLS
// session outlives it) and returns its wall time; it must succeed.
func timedRun(b *testing.B, env []string, argv ...string) time.Duration {
	d, _ := timedOutput(b, env, argv...)
	return d
}

func timedOutput(b *testing.B, env []string, argv ...string) (time.Duration, []byte) {
	b.Helper()
	c := exec.Command(argv[0], argv[1:]...)
	c.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	start := time.Now()
	out, err := c.Output()
	d := time.Since(start)
	if err != nil {
		b.Fatalf("%v: %v\n%s", argv, err, stderr.String())
	}
	return d, out
}

// fleetRead times a fleet read and refuses one that did not read every shoot: a fast failure
// is not a figure.
func fleetRead(b *testing.B, env []string, argv []string, shoots int) time.Duration {
	b.Helper()
	d, out := timedOutput(b, env, argv...)
	var rep struct {
		Items []struct {
			Status string `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal(out, &rep); err != nil || len(rep.Items) != shoots {
		b.Fatalf("%v: %d shoots read (%v), want %d", argv, len(rep.Items), err, shoots)
	}
	for _, it := range rep.Items {
		if it.Status != "pass" {
			b.Fatalf("%v: a shoot read %q", argv, it.Status)
		}
	}
	return d
}

// cacheState is the credential cache's files and contents: equal before and after a warm
// read when it issued nothing.
func cacheState(b *testing.B, dir string) string {
	b.Helper()
	var sum strings.Builder
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			data, _ := os.ReadFile(p)
			fmt.Fprintf(&sum, "%s %x\n", p, sha256.Sum256(data))
		}
		return nil
	})
	return sum.String()
}

// BenchmarkFleetLatency: teecheck nodes --shoots with the garden and every shoot 50 ms away
// (each way, through the harness's latency proxy): over one shoot, 20 and 100 shoots, each with
// an empty credential cache (every kubeconfig issued) and a warm one (none issued), and 20
// sequential kubectl shoot kubeconfig --admin + kubectl teecheck nodes, in the same run. The
// shoots are two real API servers with 5 kwok nodes each, behind their own proxies.
//
//	KUBECTL_COCO_TESTBIN=$(hack/testbin.sh path) go test -run '^$' -bench FleetLatency -benchtime 3x ./test/shoot
//
// FLEET_PARALLEL=4 compares another --parallel.
func BenchmarkFleetLatency(b *testing.B) {
	bin := b.TempDir()
	if err := harness.BuildPlugins(bin, "v0.0.0-bench", "shoot", "teecheck"); err != nil {
		b.Fatal(err)
	}
	var servers [2]string
	for i := range servers {
		nodes := make([]harness.Node, 5)
		for j := range nodes {
			nodes[j] = harness.Node{Name: fmt.Sprintf("l%d-n%d", i, j), CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}}
		}
		cp := shootCluster(b, nodes...)
		servers[i] = farAway(b, cp.Server)
		cas[i] = servingCA(b, cp)
	}
	var names []string
	for i := 1; i <= 100; i++ {
		name := fmt.Sprintf("eco-l%03d", i)
		names = append(names, name)
		if r := harness.Run(context.Background(), shootcmd.NewRoot, "", "create", name, "--machine-type", "vm-dedicated-2-4"); r.Code != 0 {
			b.Fatalf("create %s: %d %s", name, r.Code, r.Stderr)
		}
		if err := garden.PublishShoot(context.Background(), core, name, cas[i%2], clusterCA, clientCAKey, servers[i%2]); err != nil {
			b.Fatal(err)
		}
	}
	gardenKC := farGarden(b)
	teecheck, shoot := filepath.Join(bin, "kubectl-teecheck"), filepath.Join(bin, "kubectl-shoot")
	cache := b.TempDir()
	env := []string{"XDG_CACHE_HOME=" + cache}
	fleet := func(shoots []string, args ...string) []string {
		argv := []string{teecheck, "--kubeconfig", gardenKC, "nodes", "--shoots", strings.Join(shoots, ","), "-p", "eco", "-o", "json"}
		if p := os.Getenv("FLEET_PARALLEL"); p != "" { // compare --parallel values
			argv = append(argv, "--parallel", p)
		}
		return append(argv, args...)
	}
	for _, n := range []int{20, 100} {
		b.Run(fmt.Sprintf("shoots=%d", n), func(b *testing.B) {
			var one, oneWarm, cold, warm, seq []time.Duration
			for b.Loop() {
				os.RemoveAll(cache)
				one = append(one, fleetRead(b, env, fleet(names[:1]), 1))
				oneWarm = append(oneWarm, fleetRead(b, env, fleet(names[:1]), 1))
				os.RemoveAll(cache)
				cold = append(cold, fleetRead(b, env, fleet(names[:n]), n))
				before := cacheState(b, cache)
				warm = append(warm, fleetRead(b, env, fleet(names[:n]), n))
				if after := cacheState(b, cache); after != before || strings.Count(after, "\n") != n {
					b.Fatalf("the warm read changed the cache, or it does not hold %d credentials:\n%s", n, after)
				}
				if n == 20 {
					seq = append(seq, sequential(b, env, shoot, teecheck, gardenKC, names[:n]))
				}
			}
			report(b, "one-cold", one)
			report(b, "one-warm", oneWarm)
			report(b, "fleet-cold", cold)
			report(b, "fleet-warm", warm)
			b.ReportMetric(float64(median(cold))/float64(median(one)), "x-one-cold")
			b.ReportMetric(float64(median(warm))/float64(median(oneWarm)), "x-one-warm")
			if n == 20 {
				report(b, "sequential", seq)
			}
		})
	}
}

var cas [2][]byte

// sequential is what a user does without the fleet view: for each shoot, an admin kubeconfig
// to a file, then teecheck nodes on it.
func sequential(b *testing.B, env []string, shoot, teecheck, gardenKC string, names []string) time.Duration {
	dir := b.TempDir()
	var total time.Duration
	for _, name := range names {
		kc := filepath.Join(dir, name+".yaml")
		total += timedRun(b, env, shoot, "--kubeconfig", gardenKC, "kubeconfig", name, "-p", "eco", "--admin", "--expiration", "10m", "-o", kc)
		total += timedRun(b, env, teecheck, "--kubeconfig", kc, "nodes", "-o", "json")
	}
	return total
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func report(b *testing.B, name string, d []time.Duration) {
	b.ReportMetric(float64(median(d).Milliseconds()), name+"-ms")
}
