package realnode

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func demoingress(t *testing.T, args ...string) harness.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return harness.Run(ctx, helmcmd.NewRoot, cp.AdminKubeconfig, args...)
}

// TestDemoPodsReallyRun deploys the demo with our web image on the real node: the controller
// manager makes the pod, the scheduler puts it on the real node, the kubelet runs it and its
// readiness probe really gets the page. Then an image that exits: verify names the crash.
func TestDemoPodsReallyRun(t *testing.T) {
	ctx := context.Background()
	// Keep the simulated node out of it: the demo pod must land on the real one.
	cordon(t, "sim-1", true)
	defer cordon(t, "sim-1", false)

	r := demoingress(t, "deploy", "--image", "local/demoweb:1")
	if r.Code != 0 {
		t.Fatalf("deploy: %d %s", r.Code, r.Stderr)
	}
	defer func() { demoingress(t, "delete", "--wait", "--timeout", "2m") }()
	// No ingress controller or load balancer here: the route hop fails, the deployment hop must not.
	r = demoingress(t, "verify", "--timeout", "90s")
	if r.Code != 1 || !strings.Contains(r.Stdout, "✓ deployment  deployment demo/web: 1/1 available") ||
		!strings.Contains(r.Stdout, "✓ endpoints   service web has 1 ready endpoint(s)") || !strings.Contains(r.Stdout, "✗ route") {
		t.Fatalf("verify: %d\n%s%s\n%s", r.Code, r.Stdout, r.Stderr, node.Diagnose())
	}
	pods, err := cp.Admin.CoreV1().Pods("demo").List(ctx, metav1.ListOptions{})
	if err != nil || len(pods.Items) != 1 || pods.Items[0].Spec.NodeName != harness.RealNodeName || pods.Items[0].Status.PodIP == "" {
		t.Fatalf("pod: %v %+v", err, pods.Items)
	}

	// busybox started with http-echo's flags exits at once: a crash loop. First as an update:
	// the old pod keeps serving and verify says the rollout is stuck.
	if r := demoingress(t, "deploy", "--image", "local/busybox:1"); r.Code != 0 {
		t.Fatalf("deploy crashing image: %d %s", r.Code, r.Stderr)
	}
	waitCrash(t)
	r = demoingress(t, "verify", "--timeout", "5s")
	if r.Code != 1 || !strings.Contains(r.Stdout, "✓ deployment") || !strings.Contains(r.Stdout, "the rollout of the new version is stuck") || !strings.Contains(r.Stdout, "last exit code") {
		t.Fatalf("verify stuck rollout: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
	// Then from scratch: nothing serves, the deployment hop fails and names the crash.
	if r := demoingress(t, "delete", "--wait", "--timeout", "2m"); r.Code != 0 {
		t.Fatalf("delete: %d %s", r.Code, r.Stderr)
	}
	if r := demoingress(t, "deploy", "--image", "local/busybox:1"); r.Code != 0 {
		t.Fatalf("deploy crashing image: %d %s", r.Code, r.Stderr)
	}
	waitCrash(t)
	r = demoingress(t, "verify", "--timeout", "5s")
	if r.Code != 1 || !strings.Contains(r.Stdout, "✗ deployment  deployment demo/web: 0/1 available; pod web-") || !strings.Contains(r.Stdout, "last exit code") {
		t.Fatalf("verify crash: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
	}
}

func cordon(t *testing.T, name string, on bool) {
	t.Helper()
	n, err := cp.Admin.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Spec.Unschedulable = on
	if _, err := cp.Admin.CoreV1().Nodes().Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitCrash waits until a demo pod of the crashing image has terminated once (the test's own
// precondition for the assertion, not a wait of the command under test).
func waitCrash(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		pods, err := cp.Admin.CoreV1().Pods("demo").List(context.Background(), metav1.ListOptions{})
		if err == nil {
			for _, p := range pods.Items {
				for _, cs := range p.Status.ContainerStatuses {
					if cs.Image != "" && strings.Contains(cs.Image, "busybox") && cs.LastTerminationState.Terminated != nil {
						return
					}
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	pods, _ := cp.Admin.CoreV1().Pods("demo").List(context.Background(), metav1.ListOptions{})
	t.Fatalf("no crashed pod: %+v\n%s", pods.Items, node.Diagnose())
}
