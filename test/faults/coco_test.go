package faults

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func coco(ctx context.Context, kubeconfig string, args ...string) harness.Result {
	return harness.Run(ctx, helmcmd.NewRoot, kubeconfig, args...)
}

// cocoProcess runs the built kubectl-coco as a process.
func cocoProcess(ctx context.Context, kubeconfig string, args ...string) harness.Result {
	c := exec.CommandContext(ctx, filepath.Join(binDir, "kubectl-coco"), append([]string{"--kubeconfig", kubeconfig}, args...)...)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		code, errOut = -1, *bytes.NewBufferString(err.Error())
	}
	return harness.Result{Stdout: out.String(), Stderr: errOut.String(), Code: code}
}

func helmRecords(t *testing.T) map[string]string {
	t.Helper()
	list, err := cp.Admin.CoreV1().Secrets("coco-system").List(context.Background(), metav1.ListOptions{LabelSelector: "owner=helm,name=coco"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, s := range list.Items {
		out[s.Labels["version"]] = s.Labels["status"]
	}
	return out
}

// The API server goes away in the middle of coco install and of coco uninstall. Each fails
// within its --timeout saying the server stopped answering; run again once the server is back,
// each finishes: one deployed release, its runtime classes, both workers labelled, then
// nothing left.
func TestAPIServerStoppedDuringCocoInstallAndUninstall(t *testing.T) {
	// A new process through the slow link spends longer in discovery and preflight than an
	// in-process run: its --timeout leaves room for Helm to start applying.
	const installTimeout = 40 * time.Second
	install := []string{"install", "--chart", chartRef, "--version", "0.21.0", "--plain-http", "--timeout", installTimeout.String(), "-o", "json"}

	// The first run goes through a slow link (100 ms per chunk) so that the server stops while
	// Helm is still applying the chart: the release is then recorded as pending-install. The
	// kata-deploy stand-in starts only after the outage, so the run cannot finish before it.
	proxy, err := harness.StartFaultProxy(cp.HostPort())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.SetDelay(100 * time.Millisecond)
	slow, err := harness.KubeconfigVia(cp.AdminKubeconfig, proxy.Addr)
	if err != nil {
		t.Fatal(err)
	}
	var wasPending bool
	harness.Step(t, "an install cut off by an outage fails within --timeout, saying so", func(t *testing.T) {
		done := async(func(ctx context.Context) harness.Result { return cocoProcess(ctx, slow, install...) })
		var early *outcome
		eventually(t, "helm release recorded", time.Minute, func() bool {
			select {
			case r := <-done:
				early = &r
				return true
			default:
			}
			return len(helmRecords(t)) > 0
		})
		if early != nil {
			t.Fatalf("install ended before it recorded a release: exit %d\n%s\n%s", early.Code, early.Stdout, early.Stderr)
		}
		restart := outage(t)
		res := <-done
		if res.Code != 1 || !strings.Contains(res.Stderr, "API server") {
			t.Errorf("install during outage: exit %d\n%s", res.Code, res.Stderr)
		}
		if res.took > installTimeout+5*time.Second {
			t.Errorf("install took %s with --timeout %s\n%s", res.took, installTimeout, res.Stderr)
		}
		restart()
		wasPending = strings.HasPrefix(helmRecords(t)["1"], "pending")
		t.Logf("after the outage: release records %v", helmRecords(t))
	})

	ctx, stopStandIn := context.WithCancel(context.Background())
	defer stopStandIn()
	if _, err := harness.KataDeployStandIn(ctx, cp.Admin, "coco-system"); err != nil {
		t.Fatal(err)
	}
	harness.Step(t, "the rerun completes the interrupted release: one deployed record", func(t *testing.T) {
		// --force: the interrupted run is known to be over (its pending release may still be younger
		// than --timeout, the age at which it is taken over without asking).
		res := <-async(func(ctx context.Context) harness.Result {
			return coco(ctx, cp.AdminKubeconfig, append(install, "--force")...)
		})
		var out struct {
			Outcome        string
			RuntimeClasses []string
		}
		if err := json.Unmarshal([]byte(res.Stdout), &out); res.Code != 0 || err != nil {
			t.Fatalf("install after the outage: exit %d %v\n%s\n%s", res.Code, err, res.Stdout, res.Stderr)
		}
		if wasPending && !(strings.Contains(res.Stderr, "was left pending-install") && strings.Contains(res.Stderr, "taking it over")) {
			t.Errorf("the rerun did not say it completed the interrupted release:\n%s", res.Stderr)
		}
		recs := helmRecords(t)
		deployed := 0
		for _, status := range recs {
			if status == "deployed" {
				deployed++
			}
			if strings.HasPrefix(status, "pending") {
				t.Errorf("a release record is still %s: %v", status, recs)
			}
		}
		if deployed != 1 {
			t.Errorf("release records %v: want exactly one deployed", recs)
		}
		rcs, err := cp.Admin.NodeV1().RuntimeClasses().List(context.Background(), metav1.ListOptions{})
		if err != nil || len(rcs.Items) != len(out.RuntimeClasses) || len(rcs.Items) < 5 {
			t.Errorf("runtime classes after install: %d (want %v) %v", len(rcs.Items), out.RuntimeClasses, err)
		}
		dss, _ := cp.Admin.AppsV1().DaemonSets("coco-system").List(context.Background(), metav1.ListOptions{})
		if len(dss.Items) != 1 {
			t.Errorf("%d DaemonSets", len(dss.Items))
		}
	})

	uninstall := []string{"uninstall", "--timeout", "12s"}
	harness.Step(t, "an uninstall cut off once Helm deleted the DaemonSet fails within --timeout", func(t *testing.T) {
		done := async(func(ctx context.Context) harness.Result { return cocoProcess(ctx, cp.AdminKubeconfig, uninstall...) })
		eventually(t, "kata-deploy deleted", time.Minute, func() bool {
			_, err := cp.Admin.AppsV1().DaemonSets("coco-system").Get(context.Background(), "kata-as-coco-runtime", metav1.GetOptions{})
			return err != nil
		})
		restart := outage(t)
		res := <-done
		if res.Code == 0 {
			// The uninstall may have finished in the moment before the server stopped: then the rerun
			// below must say so; either way nothing may be left.
			t.Logf("uninstall finished before the outage:\n%s", res.Stdout)
		} else if res.Code != 1 || !strings.Contains(res.Stderr, "API server") {
			t.Errorf("uninstall during outage: exit %d\n%s", res.Code, res.Stderr)
		}
		if res.took > 12*time.Second+5*time.Second {
			t.Errorf("uninstall took %s with --timeout 12s", res.took)
		}
		restart()
	})
	harness.Step(t, "the rerun finishes the uninstall: nothing left", func(t *testing.T) {
		res := <-async(func(ctx context.Context) harness.Result { return coco(ctx, cp.AdminKubeconfig, uninstall...) })
		if res.Code != 0 {
			t.Fatalf("uninstall after the outage: exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
		}
		if recs := helmRecords(t); len(recs) != 0 {
			t.Errorf("release records left: %v", recs)
		}
		if rcs, _ := cp.Admin.NodeV1().RuntimeClasses().List(context.Background(), metav1.ListOptions{}); len(rcs.Items) != 0 {
			t.Errorf("%d runtime classes left", len(rcs.Items))
		}
		eventually(t, "kata labels removed", 20*time.Second, func() bool {
			nodes, err := cp.Admin.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{LabelSelector: tee.KataRuntime})
			return err == nil && len(nodes.Items) == 0
		})
	})
}
