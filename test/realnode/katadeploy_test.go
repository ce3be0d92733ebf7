package realnode

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/kube"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cocostatus"
	"github.com/osc-coco/kubectl-plugins/test/charts"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// A release installed with Helm directly, with the values the previous kubectl coco wrote (CoCo
// shims, no default shim): on the real node the kata-deploy stand-in image fails kata-deploy's
// start-up check as kata-deploy does, its pod crash-loops, and coco status names the pod and
// quotes the reason from its log.
func TestStatusQuotesKataDeployCrashLoop(t *testing.T) {
	ctx := context.Background()
	ch, err := charts.CocoChart("0.22.0")
	if err != nil {
		t.Fatal(err)
	}
	kc := cp.AdminKubeconfig
	flags := &genericclioptions.ConfigFlags{KubeConfig: &kc}
	hc, err := helmrelease.NewClient(flags, "coco-system", false)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{"kata-as-coco-runtime": map[string]any{
		"enabled": true, "imagePullPolicy": "Never", "image": map[string]any{"reference": "local/kata-deploy-standin", "tag": "1"},
		"nodeSelector":   map[string]any{"kubernetes.io/hostname": harness.RealNodeName},
		"runtimeClasses": map[string]any{"enabled": false}, // other tests here make some of the same names
		"shims":          map[string]any{"disableAll": true, "qemu-coco-dev": map[string]any{"enabled": true}, "qemu-snp": map[string]any{"enabled": true}},
	}}
	if _, _, err := hc.Install(ctx, ch, vals, helmrelease.Options{Name: "coco", Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	defer uninstallWithoutHooks(t, flags)

	// The DaemonSet controller can take a while to make the pod after the earlier tests here.
	deadline := time.Now().Add(5 * time.Minute)
	for !crashLooping(t) {
		if time.Now().After(deadline) {
			t.Fatalf("kata-deploy's pod did not crash-loop\n%s", node.Diagnose())
		}
		time.Sleep(500 * time.Millisecond)
	}
	stdout, stderr, code := coco(t, "status", "-o", "json")
	var st cocostatus.Report
	if err := json.Unmarshal([]byte(stdout), &st); err != nil || code != 1 || st.Healthy {
		t.Fatalf("status: exit %d %v\n%s\n%s", code, err, stdout, stderr)
	}
	problems := strings.Join(st.Problems, "\n")
	if pods, err := cp.Admin.CoreV1().Pods("coco-system").List(context.Background(), metav1.ListOptions{}); err == nil {
		for _, p := range pods.Items {
			t.Logf("pod %s labels %v phase %s conditions %+v statuses %+v", p.Name, p.Labels, p.Status.Phase, p.Status.Conditions, p.Status.ContainerStatuses)
		}
	}
	for _, want := range []string{"pod kata-as-coco-runtime-", "on " + harness.RealNodeName, "container kube-kata restarted", "(last exit code 1)",
		`container kube-kata last said: "Error: DEFAULT_SHIM 'qemu-runtime-rs' must be one of the configured SHIMS for this architecture: [qemu-coco-dev, qemu-snp]"`} {
		if !strings.Contains(problems, want) {
			t.Errorf("problems lack %q:\n%s", want, problems)
		}
	}
}

// crashLooping: kata-deploy's pod has failed and been restarted at least once.
func crashLooping(t *testing.T) bool {
	pods, err := cp.Admin.CoreV1().Pods("coco-system").List(context.Background(), metav1.ListOptions{LabelSelector: "name=kata-as-coco-runtime"})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pods.Items {
		for _, s := range p.Status.ContainerStatuses {
			if t := s.LastTerminationState.Terminated; s.RestartCount > 0 && t != nil && t.ExitCode != 0 {
				return true
			}
		}
	}
	return false
}

// uninstallWithoutHooks removes the release without its post-delete hook (its kubectl image
// is not on the node), then what the chart keeps, and the namespace.
func uninstallWithoutHooks(t *testing.T, flags *genericclioptions.ConfigFlags) {
	cfg := action.NewConfiguration()
	if err := cfg.Init(flags, "coco-system", "secret"); err != nil {
		t.Fatal(err)
	}
	u := action.NewUninstall(cfg)
	u.DisableHooks, u.WaitStrategy = true, kube.HookOnlyStrategy
	if _, err := u.Run("coco"); err != nil {
		t.Errorf("helm uninstall: %v", err)
	}
	ctx := context.Background()
	_ = cp.Admin.RbacV1().ClusterRoleBindings().Delete(ctx, "kata-as-coco-runtime-rb", metav1.DeleteOptions{})
	_ = cp.Admin.RbacV1().ClusterRoles().Delete(ctx, "kata-as-coco-runtime-role", metav1.DeleteOptions{})
	if err := cp.Admin.CoreV1().Namespaces().Delete(ctx, "coco-system", metav1.DeleteOptions{}); err != nil {
		t.Errorf("delete namespace: %v", err)
	}
}
