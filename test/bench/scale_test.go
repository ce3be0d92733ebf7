package bench

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// FanoutLabel marks the first 100 nodes, which the --deep fan-out benchmark probes.
const FanoutLabel = "bench.osc-coco.io/fanout"

var nodeCount int

// ensureNodes grows the simulated cluster to n kwok nodes shaped like OSC workers (one in four
// each with SEV-SNP, TDX, Secure Execution or no TEE label).
func ensureNodes(b *testing.B, n int) {
	if nodeCount >= n {
		return
	}
	teeLabels := []string{"cpu-security.sev.snp.enabled", "cpu-security.tdx.enabled", "cpu-security.se.enabled", "cpu-cpuid.AVX2"}
	var nodes []harness.Node
	for i := nodeCount; i < n; i++ {
		labels := map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + teeLabels[i%len(teeLabels)]: "true", tee.InstanceType: "vm-dedicated-16-64"}
		if i < 100 {
			labels[FanoutLabel] = "true"
		}
		nodes = append(nodes, harness.Node{Name: fmt.Sprintf("osc-node-%05d", i), CPU: "16", Memory: "64Gi", Labels: labels})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	start := time.Now()
	if err := cp.AddNodes(ctx, nodes...); err != nil {
		b.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "bench: %d kwok nodes Ready (%d added in %s)\n", n, n-nodeCount, time.Since(start).Round(time.Millisecond))
	nodeCount = n
}

// teecheck runs "kubectl teecheck ARGS" in-process and returns its exit code; requests counts
// its API calls.
func teecheck(requests *atomic.Int64, args ...string) int {
	var out bytes.Buffer
	streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &bytes.Buffer{}}
	root, g := cmd.NewRootWithGlobals(streams)
	g.WrapConfig = func(c *rest.Config) {
		c.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{next: rt, n: requests} })
	}
	root.SetArgs(append([]string{"--kubeconfig", cp.AdminKubeconfig}, args...))
	return cli.ExecuteContext(context.Background(), root, streams)
}

// BenchmarkNodes runs "kubectl teecheck nodes -o json" on 100, 1,000 and 5,000 nodes: in-process
// (time, allocations, API requests) and as the built binary (start-up included, peak memory).
func BenchmarkNodes(b *testing.B) {
	for _, n := range []int{100, 1000, 5000} {
		ensureNodes(b, n)
		b.Run(fmt.Sprintf("nodes=%d/in-process", n), func(b *testing.B) {
			b.ReportAllocs()
			var requests atomic.Int64
			for b.Loop() {
				if code := teecheck(&requests, "nodes", "-o", "json"); code > 1 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
		})
		b.Run(fmt.Sprintf("nodes=%d/binary", n), func(b *testing.B) {
			var peak int64
			for b.Loop() {
				peak = max(peak, runMeasured(b, filepath.Join(binDir, "kubectl-teecheck"), "--kubeconfig", cp.AdminKubeconfig, "nodes", "-o", "json"))
			}
			b.ReportMetric(float64(peak)/1024, "peak-MiB")
		})
	}
}

// BenchmarkDeepFanout runs "kubectl teecheck node --all-nodes --deep" on 100 nodes with
// --parallel 4 (the default) and 20. kwok nodes never finish a pod, so every probe waits for
// its --timeout (1s) and is deleted: the figures are the fan-out, not probe speed. A watch
// counts the pods created and deleted, the most alive at once, and the longest a pod lived.
func BenchmarkDeepFanout(b *testing.B) {
	ensureNodes(b, 100)
	for _, parallel := range []int{4, 20} {
		b.Run(fmt.Sprintf("nodes=100/parallel=%d", parallel), func(b *testing.B) {
			var requests atomic.Int64
			var created, deleted, most atomic.Int64
			var longest time.Duration
			for b.Loop() {
				c, d, m, l := watchPods(b, func() {
					teecheck(&requests, "node", "--all-nodes", "-l", FanoutLabel, "--deep", "--timeout", "1s",
						"--parallel", fmt.Sprint(parallel), "-n", "default", "-o", "json")
				})
				created.Add(c)
				deleted.Add(d)
				most.Store(max(most.Load(), m))
				longest = max(longest, l)
			}
			b.ReportMetric(float64(created.Load())/float64(b.N), "pods-created/op")
			b.ReportMetric(float64(deleted.Load())/float64(b.N), "pods-deleted/op")
			b.ReportMetric(float64(most.Load()), "max-concurrent-pods")
			b.ReportMetric(longest.Seconds(), "longest-pod-s")
			b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
		})
	}
}

// watchPods follows the pods of namespace default while run runs.
func watchPods(b *testing.B, run func()) (created, deleted, most int64, longest time.Duration) {
	w, err := cp.Admin.CoreV1().Pods("default").Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	var mu sync.Mutex
	born := map[string]time.Time{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			mu.Lock()
			switch ev.Type {
			case watch.Added:
				created++
				born[p.Name] = time.Now()
				most = max(most, int64(len(born)))
			case watch.Deleted:
				deleted++
				longest = max(longest, time.Since(born[p.Name]))
				delete(born, p.Name)
			}
			mu.Unlock()
		}
	}()
	run()
	// The last deletions arrive on the watch just after the command returns.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		settled := created > 0 && created == deleted
		mu.Unlock()
		if settled || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	w.Stop()
	<-done
	return created, deleted, most, longest
}
