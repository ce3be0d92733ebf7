package cmd

import (
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
)

// These run the command logic on client-go fakes, in milliseconds; test/teecheck runs the
// commands against a real API server.

func fakeNode(name, cpu, mem, runtimeVersion string, labels map[string]string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	n.Status.Capacity = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
	n.Status.Allocatable = n.Status.Capacity
	n.Status.NodeInfo = corev1.NodeSystemInfo{KubeletVersion: "v1.33.2", ContainerRuntimeVersion: runtimeVersion, OperatingSystem: "linux", Architecture: "amd64",
		OSImage: "Garden Linux 1877.1", KernelVersion: "6.6.63"}
	n.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}
	return n
}

func runNodes(t *testing.T, cs *fake.Clientset, args ...string) (string, string, int) {
	t.Helper()
	var s clitest.Streams
	o := &NodesOptions{g: clitest.Globals(PluginName, &s), clients: &kube.Clients{Kube: cs}}
	for i := 0; i+1 < len(args); i += 2 {
		switch args[i] {
		case "-o":
			o.out.Output = args[i+1]
		case "-l":
			o.Selector = args[i+1]
		case "--require":
			o.Require = args[i+1]
		}
	}
	code := clitest.Run(o, &s)
	return s.Out.String(), s.ErrOut.String(), code
}

func TestNodesVerdicts(t *testing.T) {
	cs := fake.NewClientset(
		fakeNode("snp-1", "16", "64Gi", "containerd://1.7.22", map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}),
		fakeNode("small-1", "2", "4Gi", "containerd://1.6.20", map[string]string{tee.WorkerLabel: ""}),
	)
	out, _, code := runNodes(t, cs)
	if code != 1 || !strings.Contains(out, "snp-1") || !strings.Contains(out, "2 node(s): 1 ready for CoCo, 1 not ready") ||
		!strings.Contains(out, "containerd 1.6.20 < 1.7") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	out, _, code = runNodes(t, cs, "-o", "jsonpath={.summary.ready}/{.summary.nodes}", "--require", "snp")
	if code != 1 || out != "1/2" {
		t.Fatalf("jsonpath: %d %q", code, out)
	}
	out, _, code = runNodes(t, cs, "-l", "no-such=label")
	if code != 1 || out != "" {
		t.Fatalf("no node matches: %d %q", code, out)
	}
}

// A LIST that is forbidden or cannot reach the server is an error that says so, never a verdict.
func TestNodesReadErrors(t *testing.T) {
	for name, fail := range map[string]error{
		"forbidden":   apierrors.NewForbidden(schema.GroupResource{Resource: "nodes"}, "", errors.New("no")),
		"unreachable": errors.New("dial tcp 127.0.0.1:6443: connect: connection refused"),
	} {
		cs := fake.NewClientset(fakeNode("snp-1", "16", "64Gi", "containerd://1.7.22", nil))
		cs.PrependReactor("list", "nodes", func(k8stesting.Action) (bool, runtime.Object, error) { return true, nil, fail })
		out, errOut, code := runNodes(t, cs)
		if code != 1 || out != "" || strings.Contains(errOut, "ready") {
			t.Errorf("%s: exit %d %q %s", name, code, out, errOut)
		}
		want := map[string]string{"forbidden": "not allowed to list nodes", "unreachable": "connection refused"}[name]
		if !strings.Contains(errOut, want) {
			t.Errorf("%s: %s", name, errOut)
		}
	}
}

// #27 class 2: a ready node without a TEE runs only coco-dev: it is said so and counted apart,
// never "ready for CoCo"; a node whose TEE is unknown is not called confidential either.
func TestReadyWithoutTEEIsNotConfidential(t *testing.T) {
	f := onNodes(
		fakeNode("snp-1", "16", "64Gi", "containerd://1.7.22", map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}),
		fakeNode("plain-1", "16", "64Gi", "containerd://1.7.22", map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-model.vendor_id": "AMD"}),
	)
	r := run(f, "nodes")
	if r.Code != 0 || !strings.Contains(r.Out, "2 node(s): 1 ready for CoCo, 1 ready without a TEE (coco-dev only: not confidential), 0 not ready") ||
		!strings.Contains(r.Out, "ready, no TEE") {
		t.Fatalf("exit %d\n%s", r.Code, r.Out)
	}
	r = run(f, "nodes", "-o", "jsonpath={.summary.ready} {.summary.readyNoTEE} {.items[0].confidential} {.items[1].confidential}")
	if r.Code != 0 || r.Out != "1 1 false true" {
		t.Fatalf("json: exit %d %q", r.Code, r.Out)
	}
	if r = run(f, "node", "plain-1"); r.Code != 0 || !strings.Contains(r.Out, "Verdict: ready, no TEE (coco-dev only: not confidential)") {
		t.Fatalf("node: exit %d\n%s", r.Code, r.Out)
	}
	if r = run(f, "node", "snp-1"); !strings.Contains(r.Out, "Verdict: ready for CoCo") {
		t.Fatalf("snp node: exit %d\n%s", r.Code, r.Out)
	}
}
