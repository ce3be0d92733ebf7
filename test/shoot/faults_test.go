package shoot

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	cmd "github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd/gardencmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// viaProxy puts a FaultProxy in front of the garden and returns it with a garden config file
// (for --garden-config) whose kubeconfig goes through it.
func viaProxy(t *testing.T) (*harness.FaultProxy, string) {
	t.Helper()
	data, err := os.ReadFile(userKC)
	if err != nil {
		t.Fatal(err)
	}
	var server string
	for _, l := range strings.Split(string(data), "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(l), "server: "); ok {
			server = s
		}
	}
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		t.Fatalf("garden server %q: %v", server, err)
	}
	proxy, err := harness.StartFaultProxy(u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	kc, err := harness.KubeconfigVia(userKC, proxy.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "gardenctl-v2.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("gardens:\n- identity: fg1\n  kubeconfig: %q\n", kc)), 0o600); err != nil {
		t.Fatal(err)
	}
	return proxy, cfg
}

func runAsync(args ...string) <-chan harness.Result {
	done := make(chan harness.Result, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		done <- harness.Run(ctx, cmd.NewRoot, "", args...)
	}()
	return done
}

// The garden becomes unreachable while create --wait follows the new shoot: the command fails
// within --timeout saying so; run again, it finds the shoot it created (not a second one) and
// follows it to the end.
func TestGardenUnreachableDuringCreateWait(t *testing.T) {
	proxy, cfg := viaProxy(t)
	// The outage must begin well before --timeout ends, however slow the machine is at setting
	// it up (a 6 s timeout once ran out first on a loaded CI machine): 20 s, from the outage on.
	const timeout = 20 * time.Second
	start := time.Now()
	done := runAsync("--garden-config", cfg, "create", "eco-outage", "--machine-type", "vm-dedicated-2-4", "--wait", "--timeout", timeout.String())
	waitForShoot(t, "eco-outage")
	progress(t, "eco-outage", "Create", "Processing", 10)
	proxy.SetDown(true)
	down := time.Since(start)
	r := <-done
	took := time.Since(start)
	if r.Code != 1 || !strings.Contains(r.Stderr, "API server stopped answering") || !strings.Contains(r.Stderr, "run the same command again") {
		t.Errorf("create --wait during the outage (from %s on): exit %d\n%s", down.Round(time.Millisecond), r.Code, r.Stderr)
	}
	if took > timeout+2*time.Second {
		t.Errorf("create --wait --timeout %s took %s", timeout, took)
	}
	proxy.SetDown(false)

	done = runAsync("--garden-config", cfg, "create", "eco-outage", "--machine-type", "vm-dedicated-2-4", "--wait", "--timeout", "1m")
	time.Sleep(300 * time.Millisecond)
	progress(t, "eco-outage", "Create", "Succeeded", 100)
	r = <-done
	if r.Code != 0 || !strings.Contains(r.Stdout, "shoot eco-outage is ready") {
		t.Fatalf("create --wait after the outage: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	s := getShoot(t, "eco-outage")
	if len(s.Spec.Provider.Workers) != 1 {
		t.Errorf("workers after the rerun: %+v", s.Spec.Provider.Workers)
	}
}

// A watch that keeps dropping: the wait re-lists and re-watches and still sees the shoot become
// ready; the proxy counts the reconnections.
func TestWaitSurvivesDroppedWatches(t *testing.T) {
	create(t, "eco-drops")
	proxy, cfg := viaProxy(t)
	done := runAsync("--garden-config", cfg, "wait", "eco-drops", "--timeout", "1m")
	for range 6 {
		time.Sleep(300 * time.Millisecond)
		proxy.DropAll()
	}
	progress(t, "eco-drops", "Create", "Succeeded", 100)
	r := <-done
	if r.Code != 0 {
		t.Fatalf("wait with dropped watches: exit %d\n%s", r.Code, r.Stderr)
	}
	// The first connection was cut: the wait saw the change through a new one.
	if n := proxy.Accepted.Load(); n < 2 {
		t.Errorf("only %d connection(s) through the proxy: the drops were not followed by re-watches", n)
	}
}

// Ctrl-C while kubeconfig waits on a slow garden: exit 130, the kubeconfig that was there is
// untouched and no temporary file is left next to it. (The binaries' signal handling is tested
// in test/e2e; here the command's context is cancelled as the signal handler does.)
func TestKubeconfigInterruptedLeavesNoHalfFile(t *testing.T) {
	proxy, cfg := viaProxy(t)
	proxy.SetDelay(2 * time.Second)
	dir := t.TempDir()
	path := filepath.Join(dir, "eco-sbx kubeconfig.yaml")
	if err := os.WriteFile(path, []byte("previous: content\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"kubeconfig", "eco-sbx", "-o", path},
		{"kubeconfig", "eco-sbx", "--admin", "-o", path},
		{"create", "eco-interrupted", "--machine-type", "vm-dedicated-2-4", "--wait"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(700 * time.Millisecond); cancel() }()
		r := harness.Run(ctx, cmd.NewRoot, "", append([]string{"--garden-config", cfg}, args...)...)
		cancel()
		if r.Code != 130 || !strings.Contains(r.Stderr, "interrupted") {
			t.Errorf("%v: exit %d, want 130\n%s", args, r.Code, r.Stderr)
		}
		data, err := os.ReadFile(path)
		if err != nil || string(data) != "previous: content\n" {
			t.Errorf("%v: the kubeconfig changed: %q %v", args, data, err)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("%v: files next to the kubeconfig: %v", args, names)
		}
	}
}

// Ctrl-C while shoot wait and delete --wait follow a shoot: exit 130, and the message says that
// Gardener carries on and how to follow it again.
func TestWaitsInterrupted(t *testing.T) {
	create(t, "eco-sigdel")
	create(t, "eco-sigrec")
	// gardenlet keeps a shoot with its finalizer until the cluster is gone: the wait goes on.
	patch := []byte(`{"metadata":{"finalizers":["gardener"]}}`)
	if _, err := core.CoreV1beta1().Shoots(ns).Patch(context.Background(), "eco-sigdel", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_, _ = core.CoreV1beta1().Shoots(ns).Patch(context.Background(), "eco-sigdel", types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{})
	}()
	for _, args := range [][]string{
		{"wait", "eco-sbx", "--for", "deleted"},
		{"reconcile", "eco-sigrec", "--wait"}, // no gardenlet here to observe it
		{"delete", "eco-sigdel", "--yes", "--wait"},
	} {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(1500 * time.Millisecond); cancel() }()
		r := harness.Run(ctx, cmd.NewRoot, "", args...)
		cancel()
		if r.Code != 130 || !strings.Contains(r.Stderr, "interrupted") || !strings.Contains(r.Stderr, "kubectl shoot wait") {
			t.Errorf("%v: exit %d, want 130 with how to follow it\n%s", args, r.Code, r.Stderr)
		}
	}
	if s := getShoot(t, "eco-sbx"); s.DeletionTimestamp != nil {
		t.Error("waiting for a deletion deleted the shoot")
	}
}
