package cmd

import (
	"context"
	"errors"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
)

// These run the command logic on client-go fakes, in milliseconds; test/coco runs the commands
// against a real API server.

func TestRuntimeClassesJudgedOnFakes(t *testing.T) {
	cs := fake.NewClientset(
		cmdtest.Node("snp-w", map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true", "kubernetes.io/arch": "amd64"}),
		&nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-qemu-snp"}, Handler: "kata-qemu-snp"},
		&nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-qemu-se"}, Handler: "kata-qemu-se"},
	)
	var s clitest.Streams
	o := &RuntimeClassesOptions{g: clitest.Globals(PluginName, &s), clients: &kube.Clients{Kube: cs}, out: output.Flags{Output: "jsonpath={range .items[*]}{.name}={.nodes}{\"\\n\"}{end}"}}
	if code := clitest.Run(o, &s); code != 0 || s.Out.String() != "kata-qemu-se=[]\nkata-qemu-snp=[\"snp-w\"]\n" {
		t.Fatalf("exit %d %q %s", code, s.Out.String(), s.ErrOut.String())
	}
	cs.PrependReactor("list", "runtimeclasses", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "node.k8s.io", Resource: "runtimeclasses"}, "", errors.New("no"))
	})
	s = clitest.Streams{}
	o = &RuntimeClassesOptions{g: clitest.Globals(PluginName, &s), clients: &kube.Clients{Kube: cs}}
	if code := clitest.Run(o, &s); code != 1 || s.Out.Len() != 0 || !strings.Contains(s.ErrOut.String(), "not allowed to list runtimeclasses.node.k8s.io") {
		t.Fatalf("forbidden: exit %d %q %s", code, s.Out.String(), s.ErrOut.String())
	}
}

func TestLabelWorkersOnFakes(t *testing.T) {
	cs := fake.NewClientset(cmdtest.Node("w1", nil), cmdtest.Node("w2", map[string]string{tee.WorkerLabel: ""}))
	allowed := true
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		r.Status.Allowed = allowed
		return true, r, nil
	})
	label := func(args ...string) (string, string, int) {
		var s clitest.Streams
		o := &LabelWorkersOptions{g: clitest.Globals(PluginName, &s), clients: &kube.Clients{Kube: cs}, DryRun: cli.DryRunNone}
		code := clitest.Run(o, &s, args...)
		return s.Out.String(), s.ErrOut.String(), code
	}
	if out, errOut, code := label("w1", "w2"); code != 0 || out != "node/w1 labelled\nnode/w2 unchanged (already a worker)\n" {
		t.Fatalf("exit %d %q %s", code, out, errOut)
	}
	if n, _ := cs.CoreV1().Nodes().Get(context.Background(), "w1", metav1.GetOptions{}); !hasLabel(n, tee.WorkerLabel) {
		t.Fatalf("w1 not labelled: %v", n.Labels)
	}
	if _, errOut, code := label("w9"); code != 1 || !strings.Contains(errOut, "w9") {
		t.Fatalf("a typo: exit %d %s", code, errOut)
	}
	allowed = false
	cs2 := fake.NewClientset(cmdtest.Node("w3", nil))
	cs2.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		return true, r, nil
	})
	cs = cs2
	if _, errOut, code := label("w3"); code != 1 || !strings.Contains(errOut, "patch nodes") {
		t.Fatalf("not allowed: exit %d %s", code, errOut)
	}
	if n, _ := cs2.CoreV1().Nodes().Get(context.Background(), "w3", metav1.GetOptions{}); hasLabel(n, tee.WorkerLabel) {
		t.Fatalf("labelled although not allowed: %v", n.Labels)
	}
}

func hasLabel(n *corev1.Node, key string) bool {
	_, ok := n.Labels[key]
	return ok
}
