// Package bench measures the plugins against a real control plane with many kwok nodes. It
// does nothing unless benchmarks are asked for: go test -run '^$' -bench . ./test/bench
// (hack/bench.sh runs it and formats the figures for BENCHMARKS.md).
package bench

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// NodeCount is the size of the simulated cluster.
const NodeCount = 1000

var (
	cp     *harness.ControlPlane
	binDir string
)

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.bench"); f == nil || f.Value.String() == "" {
		os.Exit(m.Run()) // no benchmarks asked for: start nothing
	}
	os.Exit(setupAndRun(m))
}

func setupAndRun(m *testing.M) int {
	var err error
	if binDir, err = os.MkdirTemp("", "kubectl-coco-bench-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	if err := harness.BuildPlugins(binDir, "v0.0.0-bench", "teecheck"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if cp, err = harness.Start(harness.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cp.Cleanup()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	nodes := make([]harness.Node, NodeCount)
	teeLabels := []string{"cpu-security.sev.snp.enabled", "cpu-security.tdx.enabled", "cpu-security.se.enabled", "cpu-cpuid.AVX2"}
	for i := range nodes {
		nodes[i] = harness.Node{Name: fmt.Sprintf("osc-node-%04d", i), CPU: "16", Memory: "64Gi",
			Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + teeLabels[i%len(teeLabels)]: "true", tee.InstanceType: "vm-dedicated-16-64"}}
	}
	start := time.Now()
	if err := cp.AddNodes(ctx, nodes...); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "bench: %d kwok nodes Ready in %s\n", NodeCount, time.Since(start).Round(time.Millisecond))
	return m.Run()
}

// countingTransport counts the API requests a command makes.
type countingTransport struct {
	next http.RoundTripper
	n    *atomic.Int64
}

func (c countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.next.RoundTrip(r)
}

// BenchmarkNodes1000InProcess runs "kubectl teecheck nodes" over 1,000 nodes and reports the
// API requests it made per run.
func BenchmarkNodes1000InProcess(b *testing.B) {
	var requests atomic.Int64
	for b.Loop() {
		var out bytes.Buffer
		streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &bytes.Buffer{}}
		root, g := cmd.NewRootWithGlobals(streams)
		g.WrapConfig = func(c *rest.Config) {
			c.Wrap(func(rt http.RoundTripper) http.RoundTripper { return countingTransport{next: rt, n: &requests} })
		}
		root.SetArgs([]string{"--kubeconfig", cp.AdminKubeconfig, "nodes", "-o", "json"})
		if code := cli.ExecuteContext(context.Background(), root, streams); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
	b.ReportMetric(float64(requests.Load())/float64(b.N), "requests/op")
}

// BenchmarkNodes1000Binary execs the built binary as a user would (process start included) and
// reports its peak memory.
func BenchmarkNodes1000Binary(b *testing.B) {
	var peak int64
	for b.Loop() {
		peak = max(peak, runMeasured(b, filepath.Join(binDir, "kubectl-teecheck"), "--kubeconfig", cp.AdminKubeconfig, "nodes"))
	}
	b.ReportMetric(float64(peak)/1024, "peak-MiB")
}

// runMeasured runs argv under GNU time and returns the child's peak RSS in KiB. The rusage Go
// gets from its own children counts the test binary's memory (they start as a vfork of it), so
// a small forking parent does the measuring.
func runMeasured(b *testing.B, argv ...string) int64 {
	c := exec.Command("/usr/bin/time", append([]string{"-f", "%M"}, argv...)...)
	var stderr bytes.Buffer
	c.Stderr = &stderr
	if err := c.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() > 1 { // exit 1 is a "not ready" verdict
			b.Fatalf("%v: %v\n%s", argv, err, stderr.String())
		}
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	kib, err := strconv.ParseInt(lines[len(lines)-1], 10, 64)
	if err != nil {
		b.Fatalf("GNU time output %q: %v", stderr.String(), err)
	}
	return kib
}

// BenchmarkStartup compares "kubectl-teecheck version" with "kubectl version --client" in the
// same run.
func BenchmarkStartup(b *testing.B) {
	kubectl := os.Getenv("KUBECTL")
	if kubectl == "" {
		b.Fatal("set KUBECTL to a kubectl binary (hack/bench.sh builds one)")
	}
	for _, tc := range []struct {
		name string
		argv []string
	}{
		{"kubectl-teecheck_version", []string{filepath.Join(binDir, "kubectl-teecheck"), "version"}},
		{"kubectl_version_--client", []string{kubectl, "version", "--client"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var peak int64
			for b.Loop() {
				peak = max(peak, runMeasured(b, tc.argv...))
			}
			b.ReportMetric(float64(peak)/1024, "peak-MiB")
		})
	}
}
