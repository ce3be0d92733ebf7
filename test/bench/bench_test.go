// Package bench measures the plugins against a real control plane with many kwok nodes. It
// does nothing unless benchmarks are asked for: go test -run '^$' -bench . ./test/bench
// (hack/bench.sh runs it and formats the figures for BENCHMARKS.md).
package bench

import (
	"bytes"
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

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

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
	if err := harness.BuildPlugins(binDir, "v0.0.0-bench", "teecheck", "coco", "shoot", "demoingress"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if cp, err = harness.Start(harness.Options{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer cp.Cleanup()
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

// BenchmarkStartup compares each plugin's "version" with "kubectl version --client" in the same
// run: wall time per start and peak memory.
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
		{"kubectl-coco_version", []string{filepath.Join(binDir, "kubectl-coco"), "version"}},
		{"kubectl-shoot_version", []string{filepath.Join(binDir, "kubectl-shoot"), "version"}},
		{"kubectl-demoingress_version", []string{filepath.Join(binDir, "kubectl-demoingress"), "version"}},
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
