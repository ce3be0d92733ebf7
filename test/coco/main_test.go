// Package coco tests kubectl coco's read and labelling commands against a real kube-apiserver
// and etcd with kwok nodes (the command logic's fast tests are in plugins/coco/cmd, on fakes).
package coco

import (
	"context"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var cp *harness.ControlPlane

// A mixed cluster: two TEE workers with the CoCo runtime installed, a worker whose TEE labels
// do not tell, and an unlabelled small node.
var clusterNodes = []harness.Node{
	{Name: "snp-w", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.KataRuntime: "true", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}},
	{Name: "tdx-w", CPU: "8", Memory: "32Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.KataRuntime: "true", "intel.feature.node.kubernetes.io/tdx": "true"}},
	{Name: "nolabel-w", Labels: map[string]string{tee.WorkerLabel: "", tee.KataRuntime: "true"}},
	{Name: "plain-cp", CPU: "2", Memory: "4Gi"},
	{Name: "spare-1"},
	{Name: "spare-2"},
}

func TestMain(m *testing.M) {
	if os.Getenv(harness.GenpolicyStandInEnv) != "" { // this binary plays genpolicy for deploy --policy genpolicy
		os.Exit(harness.GenpolicyStandIn(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(harness.Main(m, &cp, setup))
}

func setup(ctx context.Context, cp *harness.ControlPlane) error {
	if err := cp.AddNodes(ctx, clusterNodes...); err != nil {
		return err
	}
	// The runtime classes the CoCo chart would create (the real ones come from kata-deploy).
	for _, rc := range []string{"kata-qemu-coco-dev", "kata-qemu-snp", "kata-qemu-tdx", "kata-qemu-se"} {
		obj := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: rc}, Handler: rc,
			Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{tee.KataRuntime: "true"}}}
		if _, err := cp.Admin.NodeV1().RuntimeClasses().Create(ctx, obj, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// run executes the plugin in-process against the test control plane.
func run(ctx context.Context, kubeconfig string, args ...string) harness.Result {
	return harness.Run(ctx, helmcmd.NewRoot, kubeconfig, args...)
}

func grant(t *testing.T, user string, rules ...rbacv1.PolicyRule) string {
	t.Helper()
	kc, err := cp.Grant(user, rules...)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

func nodeLabels(t *testing.T, node string) map[string]string {
	t.Helper()
	n, err := cp.Admin.CoreV1().Nodes().Get(context.Background(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return n.Labels
}

func newNamespace(t *testing.T, name string) string {
	t.Helper()
	if _, err := cp.Admin.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}
