// Package cmdtest holds the fake clusters kubectl coco's command tests share (kubectl's
// cmdtesting does the same for kubectl's).
package cmdtest

import (
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"k8s.io/apimachinery/pkg/version"
	fakediscovery "k8s.io/client-go/discovery/fake"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/operator"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/trusteechart"
)

// Node is a Ready amd64 node of 8 CPUs and 32 GiB with labels, as its kubelet reports it.
func Node(name string, labels map[string]string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n.Status.NodeInfo.Architecture = "amd64"
	n.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("8"), corev1.ResourceMemory: resource.MustParse("32Gi")}
	n.Status.Allocatable = n.Status.Capacity
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}

// Namespace is a namespace (a real cluster has "default"; client-go's fake has none).
func Namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// SmokeCluster is a fake whose reactors play the API server's authorizer (allow) and the
// kubelet (a pod is bound to w1 and succeeds). client-go's fake serves every pod log as "fake
// logs": that is the pod's "kernel" here; test/realnode runs the real pod.
func SmokeCluster(nodeKernel string, allow bool) *fake.Clientset {
	return SmokeClusterEnding(nodeKernel, allow, corev1.PodSucceeded)
}

// SmokeClusterEnding is SmokeCluster whose pods end in phase.
func SmokeClusterEnding(nodeKernel string, allow bool, phase corev1.PodPhase) *fake.Clientset {
	w1 := Node("w1", nil)
	w1.Status.NodeInfo.KernelVersion = nodeKernel
	cs := fake.NewClientset(w1, Namespace("default"), &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-qemu-coco-dev"}, Handler: "kata-qemu-coco-dev"})
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		r.Status.Allowed = allow
		return true, r, nil
	})
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		p.Spec.NodeName, p.Status.Phase = "w1", phase
		return false, nil, nil
	})
	return cs
}

// OnCluster is a factory on cs (whose access reviews the test answers: clitest.AllowAll, Deny)
// whose dynamic client serves the legacy operators' CcRuntimes and KbsConfigs.
func OnCluster(cs *fake.Clientset) *clitest.Factory {
	return &clitest.Factory{Kube: cs, ListKinds: map[schema.GroupVersionResource]string{operator.GVR: operator.Kind + "List", trusteechart.KBSConfigGVR: "KbsConfigList"}}
}

// SNPCluster is a cluster with one SEV-SNP worker (as NFD labels it) and the SNP runtime class.
func SNPCluster(objs ...runtime.Object) *fake.Clientset {
	w := Node("snp-w", map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true", "kubernetes.io/arch": "amd64"})
	w.Status.NodeInfo.ContainerRuntimeVersion, w.Status.NodeInfo.KubeletVersion = "containerd://1.7.22", "v1.33.2"
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-qemu-snp"}, Handler: "kata-qemu-snp"}
	cs := clitest.AllowAll(fake.NewClientset(append([]runtime.Object{w, rc, Namespace("default")}, objs...)...))
	cs.Discovery().(*fakediscovery.FakeDiscovery).FakedServerVersion = &version.Info{GitVersion: "v1.33.2", Major: "1", Minor: "33"}
	return cs
}
