//go:build !cgo

// Command sandbox runs the local sandbox behind "make demo": the real kube-apiserver, etcd,
// controller manager and scheduler with kwok nodes shaped like OSC machines (SEV-SNP, TDX,
// s390x Secure Execution, plain), the real kubelet node when this machine can run it, and the
// real Gardener API server with project eco, shoots eco-sbx and eco-dev and the guide's machine
// types. It writes a kubeconfig for each and runs until "sandbox down" (or a signal), then stops
// every process it started.
//
//	sandbox up DIR     # foreground; DIR/ready appears when everything runs
//	sandbox down DIR   # stops a running sandbox and waits until it is gone
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/test/gardenharness"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func main() {
	if len(os.Args) != 3 || (os.Args[1] != "up" && os.Args[1] != "down") {
		fmt.Fprintln(os.Stderr, "usage: sandbox up|down DIR")
		os.Exit(2)
	}
	dir, err := filepath.Abs(os.Args[2])
	if err == nil {
		if os.Args[1] == "up" {
			err = up(dir)
		} else {
			err = down(dir)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
		os.Exit(1)
	}
}

// The simulated OSC workers: what NFD and the kubelet would report on such machines.
var nodes = []harness.Node{
	{Name: "osc-snp-1", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", "node.kubernetes.io/instance-type": "vm-dedicated-16-64",
		tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true", tee.NFDPrefix + "cpu-security.sev.enabled": "true"}},
	{Name: "osc-tdx-1", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", "node.kubernetes.io/instance-type": "vm-dedicated-16-64",
		tee.NFDPrefix + "cpu-security.tdx.enabled": "true"}},
	{Name: "osc-s390x-1", Arch: "s390x", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", "node.kubernetes.io/instance-type": "s390x-16-64",
		tee.NFDPrefix + "cpu-security.se.enabled": "true"}},
	{Name: "osc-plain-1", CPU: "4", Memory: "16Gi", Labels: map[string]string{tee.WorkerLabel: "", "node.kubernetes.io/instance-type": "vm-dedicated-4-16"}},
}

func up(dir string) (err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if pid, alive := running(dir); alive {
		return fmt.Errorf("a sandbox (pid %d) already runs in %s: stop it with make sandbox-down", pid, dir)
	}
	for _, f := range []string{"ready", "cluster", "garden"} {
		_ = os.RemoveAll(filepath.Join(dir, f))
	}
	if err := os.WriteFile(filepath.Join(dir, "sandbox.pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return err
	}
	defer os.Remove(filepath.Join(dir, "sandbox.pid"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	step("starting kube-apiserver, etcd, controller manager and scheduler")
	cp, err := harness.Start(harness.Options{Dir: filepath.Join(dir, "cluster")})
	if err != nil {
		return err
	}
	defer func() { step("stopping the cluster"); report(cp.Stop()) }()
	if err := cp.StartControllers(); err != nil {
		return err
	}
	step("adding kwok nodes shaped like OSC machines: SEV-SNP, TDX, s390x Secure Execution, plain")
	if err := cp.AddNodes(ctx, nodes...); err != nil {
		return err
	}
	realNode := "no"
	if os.Getenv("SANDBOX_NO_REAL_NODE") != "" {
		step("real node skipped (SANDBOX_NO_REAL_NODE)")
	} else if os.Geteuid() != 0 {
		step("real node skipped: it needs root (containerd, kubelet)")
	} else if _, err := exec.LookPath("containerd"); err != nil {
		step("real node skipped: containerd is not installed (hack/node-deps.sh installs it)")
	} else if _, err := cp.StartNode(ctx); err != nil {
		step("real node not started: " + firstLine(err.Error()))
	} else {
		realNode = harness.RealNodeName
		step("real kubelet + containerd node " + realNode + " is Ready")
	}

	step("starting the Gardener API server with project eco")
	garden, err := gardenharness.Start()
	if err != nil {
		return err
	}
	defer func() { step("stopping the garden"); report(garden.Stop()) }()
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	seeded, err := garden.SeedEco(ctx, filepath.Join(root, "test", "fixtures", "garden"))
	if err != nil {
		return err
	}
	if err := writeFiles(dir, root, cp, seeded, realNode); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "ready"), []byte(realNode+"\n"), 0o600); err != nil {
		return err
	}
	step("ready: source " + filepath.Join(dir, "env.sh"))
	<-ctx.Done()
	_ = os.Remove(filepath.Join(dir, "ready"))
	return nil
}

func writeFiles(dir, root string, cp *harness.ControlPlane, seeded *gardenharness.Seeded, realNode string) error {
	kc, err := os.ReadFile(cp.AdminKubeconfig)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "kubeconfig"), kc, 0o600); err != nil {
		return err
	}
	gardenHome := filepath.Join(dir, "garden")
	if err := os.MkdirAll(gardenHome, 0o700); err != nil {
		return err
	}
	gk, err := os.ReadFile(seeded.UserKubeconfig)
	if err != nil {
		return err
	}
	gardenKC := filepath.Join(gardenHome, "kubeconfig-garden-eco.yaml")
	if err := os.WriteFile(gardenKC, gk, 0o600); err != nil {
		return err
	}
	cfg := fmt.Sprintf("gardens:\n- identity: osc-sandbox\n  kubeconfig: %s\n", gardenKC)
	if err := os.WriteFile(filepath.Join(gardenHome, "gardenctl-v2.yaml"), []byte(cfg), 0o600); err != nil {
		return err
	}
	bin, err := harness.Binaries("kubectl")
	if err != nil {
		return err
	}
	env := fmt.Sprintf(`# kubectl-plugins sandbox: source this file
export KUBECONFIG=%q
export GCTL_HOME=%q
export PATH=%q:%q:"$PATH"
export SANDBOX_REAL_NODE=%q
`, filepath.Join(dir, "kubeconfig"), gardenHome, filepath.Join(root, "bin"), bin, realNode)
	return os.WriteFile(filepath.Join(dir, "env.sh"), []byte(env), 0o600)
}

func down(dir string) error {
	pid, alive := running(dir)
	if !alive {
		fmt.Println("no sandbox runs in", dir)
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		return err
	}
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			fmt.Println("sandbox stopped; no process left")
			return nil
		}
		time.Sleep(100 * time.Millisecond) // waiting for another process to exit
	}
	return fmt.Errorf("sandbox (pid %d) did not stop within 2 minutes", pid)
}

func running(dir string) (int, bool) {
	data, err := os.ReadFile(filepath.Join(dir, "sandbox.pid"))
	if err != nil {
		return 0, false
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 {
		return 0, false
	}
	return pid, syscall.Kill(pid, 0) == nil
}

func step(msg string) { fmt.Printf("sandbox: %s\n", msg) }

func report(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "sandbox:", err)
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
