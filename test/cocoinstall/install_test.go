// Package cocoinstall installs CoCo's Helm chart for real: the Helm SDK pulls our test chart
// from an OCI registry on loopback and applies it to a real kube-apiserver with kwok nodes. A
// test helper plays kata-deploy (it labels the nodes the DaemonSet selects).
package cocoinstall

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cocostatus"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var (
	cp       *harness.ControlPlane
	chartRef string
	standIn  *harness.StandIn
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	reg := harness.StartChartRegistry()
	defer reg.Close()
	var err error
	if chartRef, err = reg.PushCocoCharts(); err != nil {
		fmt.Fprintln(os.Stderr, "push charts:", err)
		return 1
	}
	return harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error {
		if err := cp.AddNodes(ctx,
			harness.Node{Name: "w1", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}},
			harness.Node{Name: "w2", CPU: "8", Memory: "32Gi", Labels: map[string]string{tee.WorkerLabel: ""}},
			harness.Node{Name: "cp1", CPU: "2", Memory: "4Gi"}); err != nil {
			return err
		}
		var err error
		standIn, err = harness.KataDeployStandIn(ctx, cp.Admin, "coco-system")
		return err
	})
}

func coco(kubeconfig string, args ...string) harness.Result {
	return harness.Run(context.Background(), helmcmd.NewRoot, kubeconfig, args...)
}

func namespaceExists(t *testing.T) bool {
	t.Helper()
	_, err := cp.Admin.CoreV1().Namespaces().Get(context.Background(), "coco-system", metav1.GetOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

// One story, in order: refusals change nothing, then install, re-install, dry run, upgrade.
func TestInstallFromOCIRegistry(t *testing.T) {
	chart := []string{"--chart", chartRef, "--version", "0.21.0", "--plain-http", "--timeout", "1m"}

	harness.Step(t, "refusals change nothing", func(t *testing.T) {
		// A version the registry does not have: a clear error, nothing created.
		res := coco(cp.AdminKubeconfig, "install", "--chart", chartRef, "--version", "9.9.9", "--plain-http")
		if res.Code != 1 || !strings.Contains(res.Stderr, "cannot pull chart") {
			t.Fatalf("bad version: exit %d %q", res.Code, res.Stderr)
		}
		// A user who may not create namespaces: refused before anything is created.
		kc := grant(t, "viewer", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list", "watch"}})
		res = coco(kc, append([]string{"install"}, chart...)...)
		if res.Code != 1 || !strings.Contains(res.Stderr, "create namespaces at cluster scope") {
			t.Fatalf("forbidden: exit %d %q", res.Code, res.Stderr)
		}
		if namespaceExists(t) {
			t.Fatal("a refused install created coco-system")
		}
	})
	harness.Step(t, "dry run applies nothing", func(t *testing.T) {
		res := coco(cp.AdminKubeconfig, append([]string{"install", "--dry-run", "-o", "yaml"}, chart...)...)
		if res.Code != 0 || !strings.Contains(res.Stdout, "kind: DaemonSet") || !strings.Contains(res.Stdout, "name: kata-qemu-snp") {
			t.Fatalf("dry run: exit %d %q\n%s", res.Code, res.Stderr, res.Stdout)
		}
		if namespaceExists(t) {
			t.Fatal("a dry run created coco-system")
		}
	})
	harness.Step(t, "install, reinstall, upgrade", func(t *testing.T) {
		res := coco(cp.AdminKubeconfig, append([]string{"install", "-o", "json"}, chart...)...)
		if res.Code != 0 {
			t.Fatalf("install: exit %d\n%s", res.Code, res.Stderr)
		}
		var r helmcmd.InstallResult
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil {
			t.Fatal(err)
		}
		if r.Outcome != "installed" || strings.Join(r.Nodes, ",") != "w1,w2" || len(r.RuntimeClasses) != 6 || r.Namespace != "coco-system" {
			t.Errorf("result %+v", r)
		}
		rcs, _ := cp.Admin.NodeV1().RuntimeClasses().List(context.Background(), metav1.ListOptions{})
		if len(rcs.Items) != 6 {
			t.Errorf("%d runtime classes on the server", len(rcs.Items))
		}
		n, _ := cp.Admin.CoreV1().Nodes().Get(context.Background(), "cp1", metav1.GetOptions{})
		if n.Labels[tee.KataRuntime] != "" {
			t.Error("the non-worker got the runtime")
		}
		res = coco(cp.AdminKubeconfig, append([]string{"install"}, chart...)...)
		if res.Code != 0 || !strings.Contains(res.Stdout, "already installed with these values: nothing changed") || !strings.Contains(res.Stdout, "kata-qemu-snp") {
			t.Errorf("re-install: exit %d %q\n%s", res.Code, res.Stderr, res.Stdout)
		}
		res = coco(cp.AdminKubeconfig, append([]string{"install", "--set", "kata-as-coco-runtime.k8sDistribution=k3s", "-o", "json"}, chart...)...)
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || r.Outcome != "upgraded" {
			t.Errorf("upgrade: exit %d %v %+v %s", res.Code, err, r, res.Stderr)
		}
	})
	harness.Step(t, "status: healthy, then a stuck pod and a deleted class", func(t *testing.T) {
		res := coco(cp.AdminKubeconfig, "status", "-o", "json")
		var st cocostatus.Report
		if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil || res.Code != 0 {
			t.Fatalf("status: exit %d %v %s", res.Code, err, res.Stderr)
		}
		if !st.Installed || !st.Healthy || st.Version != "0.21.0" || st.Revision != 2 || len(st.Nodes) != 2 || len(st.RuntimeClasses.Missing) != 0 {
			t.Errorf("status %+v", st)
		}
		// A kata-deploy pod that does not come up is a problem status names, with its last warning
		// event (the test plays the DaemonSet controller and the kubelet, which this cluster lacks).
		stuckPod(t)
		res = coco(cp.AdminKubeconfig, "status", "-o", "json")
		if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil || res.Code != 1 || st.Healthy {
			t.Fatalf("status with a stuck pod: exit %d %v %+v", res.Code, err, st)
		}
		if p := strings.Join(st.Problems, "\n"); !strings.Contains(p, "1 of 2 pods ready") ||
			!strings.Contains(p, "pod kata-deploy-stuck on w3-gone") || !strings.Contains(p, "last event FailedCreatePodSandBox: no runtime for") {
			t.Errorf("problems:\n%s", p)
		}
		if err := cp.Admin.CoreV1().Pods("coco-system").Delete(context.Background(), "kata-deploy-stuck", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
			t.Fatal(err)
		}
		// A runtime class deleted behind the release's back is a problem status names.
		if err := cp.Admin.NodeV1().RuntimeClasses().Delete(context.Background(), "kata-qemu-tdx", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		res = coco(cp.AdminKubeconfig, "status")
		if res.Code != 1 || !strings.Contains(res.Stdout, "runtime classes missing: kata-qemu-tdx") {
			t.Errorf("degraded status: exit %d\n%s", res.Code, res.Stdout)
		}
	})
	harness.Step(t, "uninstall, twice", func(t *testing.T) {
		res := coco(cp.AdminKubeconfig, "uninstall", "--dry-run")
		if res.Code != 0 || !strings.Contains(res.Stdout, "would uninstall release coco") {
			t.Errorf("uninstall dry run: exit %d %q", res.Code, res.Stdout)
		}
		if rcs, _ := cp.Admin.NodeV1().RuntimeClasses().List(context.Background(), metav1.ListOptions{}); len(rcs.Items) != 5 {
			t.Errorf("dry run removed runtime classes: %d left", len(rcs.Items))
		}
		res = coco(cp.AdminKubeconfig, "uninstall", "--timeout", "1m")
		if res.Code != 0 || !strings.Contains(res.Stdout, "CoCo uninstalled") {
			t.Fatalf("uninstall: exit %d %q %q", res.Code, res.Stdout, res.Stderr)
		}
		if rcs, _ := cp.Admin.NodeV1().RuntimeClasses().List(context.Background(), metav1.ListOptions{}); len(rcs.Items) != 0 {
			t.Errorf("%d runtime classes left", len(rcs.Items))
		}
		for _, name := range []string{"w1", "w2"} {
			if n, _ := cp.Admin.CoreV1().Nodes().Get(context.Background(), name, metav1.GetOptions{}); n.Labels[tee.KataRuntime] != "" {
				t.Errorf("%s still labelled", name)
			}
		}
		res = coco(cp.AdminKubeconfig, "status")
		if res.Code != 1 || !strings.Contains(res.Stdout, "not installed") {
			t.Errorf("status after uninstall: exit %d %q", res.Code, res.Stdout)
		}
		res = coco(cp.AdminKubeconfig, "uninstall")
		if res.Code != 0 || !strings.Contains(res.Stdout, "nothing to do") {
			t.Errorf("second uninstall: exit %d %q", res.Code, res.Stdout)
		}
	})
	harness.Step(t, "reinstall waits for the old namespace", func(t *testing.T) {
		// Here a test helper plays the namespace controller, which this control plane does not run.
		go finalizeNamespaceSoon(t, "coco-system")
		res := coco(cp.AdminKubeconfig, append([]string{"install", "-o", "json"}, chart...)...)
		var r helmcmd.InstallResult
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || res.Code != 0 || r.Outcome != "installed" {
			t.Errorf("re-install: exit %d %v %+v %s", res.Code, err, r, res.Stderr)
		}
	})
}

// finalizeNamespaceSoon is a test helper that plays the namespace controller for one
// terminating namespace: it clears the namespace's finalizers so the API server removes it.
func finalizeNamespaceSoon(t *testing.T, name string) {
	time.Sleep(500 * time.Millisecond) // let the installer start waiting first
	ns, err := cp.Admin.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return
	}
	ns.Spec.Finalizers = nil
	if _, err := cp.Admin.CoreV1().Namespaces().Finalize(context.Background(), ns, metav1.UpdateOptions{}); err != nil {
		t.Errorf("finalize %s: %v", name, err)
	}
}

func TestInstallUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"install", "--platform", "riscv"}, {"install", "--method", "operator", "--version", "v0.99.0"}, {"install", "--k8s-distribution", "openshift"},
		{"install", "--node-selector", "a=b=c"}, {"install", "--timeout", "0s"}, {"install", "--set", "a"}, {"install", "-o", "wide"},
	} {
		res := coco(cp.AdminKubeconfig, args...)
		if res.Code != 2 {
			t.Errorf("%v: exit %d %q", args, res.Code, res.Stderr)
		}
	}
}

func grant(t *testing.T, user string, rules ...rbacv1.PolicyRule) string {
	t.Helper()
	kc, err := cp.Grant(user, rules...)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// stuckPod makes the kata-deploy DaemonSet report one of two pods ready and adds a pending pod
// (bound to a node without a kubelet, so it stays pending) with a warning event, as a
// controller-manager and a kubelet would on a real cluster.
func stuckPod(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	ds, err := cp.Admin.AppsV1().DaemonSets("coco-system").Get(ctx, "kata-as-coco-runtime", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ds.Status.DesiredNumberScheduled, ds.Status.NumberReady = 2, 1
	if _, err := cp.Admin.AppsV1().DaemonSets("coco-system").UpdateStatus(ctx, ds, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "kata-deploy-stuck", Namespace: "coco-system", Labels: map[string]string{"name": "kata-as-coco-runtime"}},
		Spec: corev1.PodSpec{NodeName: "w3-gone", Containers: []corev1.Container{{Name: "c", Image: "registry.invalid/x"}}}}
	if _, err := cp.Admin.CoreV1().Pods("coco-system").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "kata-deploy-stuck.1", Namespace: "coco-system"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "kata-deploy-stuck", Namespace: "coco-system"},
		Type:           corev1.EventTypeWarning, Reason: "FailedCreatePodSandBox", Message: `no runtime for "kata" is configured`}
	if _, err := cp.Admin.CoreV1().Events("coco-system").Create(ctx, ev, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
