// Package teecheck tests kubectl teecheck's commands against a real kube-apiserver and etcd with
// kwok nodes (the command logic's fast tests are in plugins/teecheck/cmd, on client-go fakes).
package teecheck

import (
	"context"
	"os"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	cmd "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// cp is a real control plane with kwok nodes shared by this package's tests.
var cp *harness.ControlPlane

// The mixed cluster the tests judge: one node per TEE, a node without any, and one that is
// too small and too old for CoCo.
var clusterNodes = []harness.Node{
	{Name: "snp-1", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true", tee.NFDPrefix + "cpu-security.sev.enabled": "true"}},
	{Name: "tdx-1", CPU: "8", Memory: "32Gi", Labels: map[string]string{tee.WorkerLabel: "", "intel.feature.node.kubernetes.io/tdx": "true", tee.NvidiaCCLabel: "true"}},
	{Name: "se-1", Arch: "s390x", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.se.enabled": "true"}},
	{Name: "sgx-1", Labels: map[string]string{tee.WorkerLabel: "", tee.InstanceType: "vm-dedicated-sgx-4-16-16"}},
	{Name: "plain-1", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-cpuid.AVX2": "true"}},
	{Name: "small-1", CPU: "2", Memory: "4Gi", Runtime: "containerd://1.6.20", Labels: map[string]string{tee.InstanceType: "vm-dedicated-2-4"}},
}

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error { return cp.AddNodes(ctx, clusterNodes...) }))
}

// run executes the plugin in-process against the test control plane.
func run(ctx context.Context, kubeconfig string, args ...string) harness.Result {
	return harness.Run(ctx, cmd.NewRoot, kubeconfig, args...)
}

// grant binds a user to a new ClusterRole with the rules, for RBAC tests.
func grant(t *testing.T, user string, rules ...rbacv1.PolicyRule) string {
	t.Helper()
	kc, err := cp.Grant(user, rules...)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}
