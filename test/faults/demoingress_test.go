package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func demoingress(ctx context.Context, kubeconfig string, args ...string) harness.Result {
	return harness.Run(ctx, helmcmd.NewRoot, kubeconfig, args...)
}

// demoObjects counts the demo's objects: each must exist exactly once after a rerun.
func demoObjects(t *testing.T) (deployments, services, ingresses int) {
	t.Helper()
	ctx := context.Background()
	d, err := cp.Admin.AppsV1().Deployments("demo").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s, _ := cp.Admin.CoreV1().Services("demo").List(ctx, metav1.ListOptions{})
	i, _ := cp.Admin.NetworkingV1().Ingresses("demo").List(ctx, metav1.ListOptions{})
	return len(d.Items), len(s.Items), len(i.Items)
}

// demoingress deploy through a slow link: the API server stops after the namespace is created;
// the command fails at once, naming the server; the rerun applies everything, once.
func TestAPIServerStoppedDuringDemoingressDeploy(t *testing.T) {
	proxy, err := harness.StartFaultProxy(cp.HostPort())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.SetDelay(150 * time.Millisecond)
	slow, err := harness.KubeconfigVia(cp.AdminKubeconfig, proxy.Addr)
	if err != nil {
		t.Fatal(err)
	}
	done := async(func(ctx context.Context) harness.Result { return demoingress(ctx, slow, "deploy", "--timeout", "30s") })
	eventually(t, "namespace demo created", time.Minute, func() bool {
		_, err := cp.Admin.CoreV1().Namespaces().Get(context.Background(), "demo", metav1.GetOptions{})
		return err == nil
	})
	restart := outage(t)
	res := <-done
	if res.Code != 1 || !strings.Contains(res.Stderr, "cannot reach the Kubernetes API server") || !strings.Contains(res.Stderr, "run the same command again") {
		t.Errorf("deploy during outage: exit %d\n%s", res.Code, res.Stderr)
	}
	if res.took > 30*time.Second {
		t.Errorf("deploy took %s with --timeout 30s", res.took)
	}
	restart()
	if d, s, i := demoObjects(t); d+s+i == 3 {
		t.Log("the interrupted deploy had applied everything before the server stopped")
	}
	if res := demoingress(context.Background(), cp.AdminKubeconfig, "deploy"); res.Code != 0 {
		t.Fatalf("deploy after the outage: exit %d\n%s", res.Code, res.Stderr)
	}
	if d, s, i := demoObjects(t); d != 1 || s != 1 || i != 1 {
		t.Errorf("after the rerun: %d deployments, %d services, %d ingresses; want one each", d, s, i)
	}
}

// A server that answers too slowly: --timeout is honoured to the second, and nothing of what
// did not get through is half-applied in a way a rerun cannot fix.
func TestSlowAPIServerTimeoutHonoured(t *testing.T) {
	proxy, err := harness.StartFaultProxy(cp.HostPort())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.SetDelay(10 * time.Second)
	slow, err := harness.KubeconfigVia(cp.AdminKubeconfig, proxy.Addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		run     func(context.Context) harness.Result
		timeout time.Duration
		want    string
	}{
		{"demoingress deploy", func(ctx context.Context) harness.Result {
			return demoingress(ctx, slow, "deploy", "--timeout", "3s")
		}, 3 * time.Second, "not fully applied within 3s"},
		{"coco uninstall", func(ctx context.Context) harness.Result {
			return coco(ctx, slow, "uninstall", "--timeout", "2s")
		}, 2 * time.Second, ""},
	} {
		res := <-async(tc.run)
		if res.Code != 1 || !strings.Contains(res.Stderr, tc.want) {
			t.Errorf("%s: exit %d\n%s", tc.name, res.Code, res.Stderr)
		}
		// To the second: not before the timeout, and less than a second after it.
		if res.took < tc.timeout || res.took > tc.timeout+time.Second {
			t.Errorf("%s with --timeout %s returned after %s", tc.name, tc.timeout, res.took)
		}
	}
}
