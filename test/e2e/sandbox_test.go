package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// TestSandboxUpAndDown starts the sandbox of "make demo" (without the real node, which other
// packages use), runs the plugins against it as the tour does, and stops it: no process of it
// may survive.
func TestSandboxUpAndDown(t *testing.T) {
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	sandbox := filepath.Join(binDir, "sandbox")
	build := exec.Command("go", "build", "-o", sandbox, "./hack/sandbox")
	build.Dir, build.Env = root, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build sandbox: %v\n%s", err, out)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	up := exec.CommandContext(ctx, sandbox, "up", dir)
	var log bytes.Buffer
	up.Stdout, up.Stderr = &log, &log
	up.Env = append(os.Environ(), "SANDBOX_NO_REAL_NODE=1")
	if err := up.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- up.Wait() }()
	deadline := time.Now().Add(4 * time.Minute)
	for {
		if _, err := os.Stat(filepath.Join(dir, "ready")); err == nil {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("sandbox exited: %v\n%s", err, log.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("sandbox not ready:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond) // waiting for another process's ready file
	}
	env := []string{"KUBECONFIG=" + filepath.Join(dir, "kubeconfig"), "GCTL_HOME=" + filepath.Join(dir, "garden")}
	if r := plugin(t, "teecheck", env, "nodes"); r.code != 0 || !strings.Contains(r.stdout, "osc-snp-1") || !strings.Contains(r.stdout, "sev-snp") ||
		!strings.Contains(r.stdout, "osc-tdx-1") || !strings.Contains(r.stdout, "s390x") {
		t.Errorf("teecheck nodes: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := plugin(t, "shoot", env, "list"); r.code != 0 || !strings.Contains(r.stdout, "eco-sbx") || !strings.Contains(r.stdout, "eco-dev") {
		t.Errorf("shoot list: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := plugin(t, "shoot", env, "machine-types"); r.code != 0 || strings.Count(r.stdout, "vm-dedicated-") != 26 {
		t.Errorf("machine-types: %d\n%s", r.code, r.stdout)
	}
	pid := up.Process.Pid
	children := descendants(pid)
	if len(children) < 5 { // etcd, kube-apiserver, controller manager, scheduler, kwok, the garden's etcd and kube-apiserver
		t.Fatalf("sandbox runs only %d processes", len(children))
	}
	down := exec.Command(sandbox, "down", dir)
	if out, err := down.CombinedOutput(); err != nil || !strings.Contains(string(out), "no process left") {
		t.Fatalf("down: %v %s", err, out)
	}
	if err := <-done; err != nil {
		t.Fatalf("sandbox exit: %v\n%s", err, log.String())
	}
	if err := syscall.Kill(pid, 0); err == nil {
		t.Fatal("sandbox still running")
	}
	for _, c := range children {
		if err := syscall.Kill(c, 0); err == nil && !zombie(c) {
			t.Errorf("process %d of the sandbox survived", c)
		}
	}
}

// descendants lists the processes below pid (children, grandchildren, ...).
func descendants(pid int) []int {
	parent := map[int]int{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		if len(f) > 1 {
			parent[p], _ = strconv.Atoi(f[1])
		}
	}
	var out []int
	for p := range parent {
		for q := parent[p]; q > 1; q = parent[q] {
			if q == pid {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func zombie(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
	return len(f) > 0 && f[0] == "Z"
}
