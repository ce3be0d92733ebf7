// Package e2e runs the built plugin binaries as a user would: exec them, read their output and
// exit codes, against a real control plane and this real host.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// TestVersion is the version the binaries under test are linked with.
const TestVersion = "v0.0.0-e2e"

var (
	binDir string
	cp     *harness.ControlPlane
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kubectl-coco-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binDir = dir
	if err := harness.BuildPlugins(dir, TestVersion, "teecheck", "coco", "shoot", "demoingress"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error {
		if err := cp.AddNodes(ctx, e2eNodes...); err != nil {
			return err
		}
		// No kata-deploy runs here (nodes stay unlabelled), but the chart's post-delete hook Job
		// must finish for an uninstall to: a test helper plays it.
		return harness.CleanupJobStandIn(ctx, cp.Admin, "coco-system")
	})
}

type result struct {
	stdout, stderr string
	code           int
}

// plugin runs bin/kubectl-<name> with args and extra environment.
func plugin(t *testing.T, name string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "kubectl-"+name), args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			t.Fatalf("kubectl-%s %v killed by %v\n%s", name, args, ws.Signal(), errOut.String())
		}
	} else if err != nil {
		t.Fatalf("kubectl-%s %v: %v", name, args, err)
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code}
}
