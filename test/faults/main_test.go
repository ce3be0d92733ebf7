// Package faults runs the plugins against a real kube-apiserver that misbehaves: stopped in the
// middle of a command and started again, slowed down, or with its connections cut (a
// FaultProxy on loopback in front of it). Each test asserts what the command said, that it
// kept to its --timeout, what was left on the server, and that running it again finishes the job
// with nothing lost or duplicated.
package faults

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var (
	cp       *harness.ControlPlane
	chartRef string
	// binDir holds the built kubectl-coco: a run cut off by an outage is a process that ends,
	// as a user's is (in-process, Helm's own goroutines would outlive the command and finish its
	// work once the server is back).
	binDir string
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	var err error
	if binDir, err = os.MkdirTemp("", "kubectl-coco-faults-bin-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(binDir)
	if err := harness.BuildPlugins(binDir, "v0.0.0-faults", "coco"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	reg := harness.StartChartRegistry()
	defer reg.Close()
	if chartRef, err = reg.PushCocoCharts(); err != nil {
		fmt.Fprintln(os.Stderr, "push charts:", err)
		return 1
	}
	return harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error {
		return cp.AddNodes(ctx,
			harness.Node{Name: "w1", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}},
			harness.Node{Name: "w2", CPU: "8", Memory: "32Gi", Labels: map[string]string{tee.WorkerLabel: ""}})
	})
}

// async runs a plugin command in the background; the channel gets its result and how long it took.
type outcome struct {
	harness.Result
	took time.Duration
}

func async(run func(context.Context) harness.Result) <-chan outcome {
	ch := make(chan outcome, 1)
	go func() {
		start := time.Now()
		r := run(context.Background())
		ch <- outcome{r, time.Since(start)}
	}()
	return ch
}

// eventually polls cond (a test helper watching the server from outside) until it holds.
func eventually(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, limit)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// outage stops kube-apiserver and returns a function that starts it again.
func outage(t *testing.T) (restart func()) {
	t.Helper()
	if err := cp.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = cp.StartAPIServer()
		}
	})
	return func() {
		t.Helper()
		restarted = true
		if err := cp.StartAPIServer(); err != nil {
			t.Fatal(err)
		}
	}
}
