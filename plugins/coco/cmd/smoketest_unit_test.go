package cmd

import (
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
)

// smokeCluster is a fake whose reactors play the API server's authorizer (allow) and the
// kubelet (the pod is bound to w1 and succeeds). client-go's fake serves every pod log as
// "fake logs": that is the pod's "kernel" here; test/realnode runs the real pod.
func smokeCluster(nodeKernel string, allow bool) *fake.Clientset {
	w1 := node("w1", nil)
	w1.Status.NodeInfo.KernelVersion = nodeKernel
	cs := fake.NewClientset(w1, &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-qemu-coco-dev"}, Handler: "kata-qemu-coco-dev"})
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		r.Status.Allowed = allow
		return true, r, nil
	})
	cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
		p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
		p.Spec.NodeName, p.Status.Phase = "w1", corev1.PodSucceeded
		return false, nil, nil
	})
	return cs
}

func TestSmokeTestOnFakes(t *testing.T) {
	tests := []struct {
		name, nodeKernel string
		allow            bool
		args             []string
		code             int
		want             string
	}{
		{"a guest kernel", "6.8.0-51-generic", true, nil, 0, `true kata-qemu-coco-dev w1 the pod ran in a guest VM: its kernel (fake logs) is not the node's (6.8.0-51-generic)`},
		{"the node's own kernel", "fake logs", true, nil, 1, "false kata-qemu-coco-dev w1 the pod ran on the node's own kernel (fake logs): it was NOT isolated"},
		{"no right to create pods", "6.8.0", false, nil, 1, ""},
		{"a class that does not exist", "6.8.0", true, []string{"kata-qemu-snp"}, 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := smokeCluster(tt.nodeKernel, tt.allow)
			var s clitest.Streams
			o := &SmokeTestOptions{g: clitest.Globals(PluginName, &s), clients: &kube.Clients{Kube: cs, Namespace: "default"},
				Image: "busybox", PullPolicy: "IfNotPresent", Timeout: time.Minute,
				out: output.Flags{Output: "jsonpath={.guestVM} {.runtimeClass} {.node} {.verdict}"}}
			if len(tt.args) > 0 {
				o.RuntimeClass = tt.args[0]
			}
			code := clitest.Run(o, &s)
			if code != tt.code || !strings.HasPrefix(s.Out.String(), tt.want) {
				t.Fatalf("exit %d (want %d) %q\n%s", code, tt.code, s.Out.String(), s.ErrOut.String())
			}
			if pods, _ := cs.CoreV1().Pods("default").List(t.Context(), metav1.ListOptions{}); len(pods.Items) != 0 {
				t.Errorf("the smoke-test pod was left: %v", pods.Items[0].Name)
			}
			if tt.code != 0 && tt.want == "" && !strings.Contains(s.ErrOut.String(), map[bool]string{false: "not allowed", true: `"kata-qemu-snp" does not exist`}[tt.allow]) {
				t.Errorf("the error does not say why: %s", s.ErrOut.String())
			}
		})
	}
}
