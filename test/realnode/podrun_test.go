package realnode

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/lib/podrun"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func runtimeClass(t *testing.T, name, handler string) {
	t.Helper()
	rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Handler: handler}
	if _, err := cp.Admin.NodeV1().RuntimeClasses().Create(context.Background(), rc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func unamePod(ns, runtimeClassName string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: podrun.Name("uname"), Namespace: ns},
		Spec: corev1.PodSpec{
			NodeName: harness.RealNodeName, RestartPolicy: corev1.RestartPolicyNever, RuntimeClassName: ptr.To(runtimeClassName),
			AutomountServiceAccountToken: ptr.To(false),
			Containers:                   []corev1.Container{{Name: "c", Image: harness.BusyboxImage, ImagePullPolicy: corev1.PullNever, Command: []string{"uname", "-r"}}},
		},
	}
}

// A RuntimeClass whose handler containerd lacks: the kubelet's real event (the sandbox cannot be
// created) ends the wait at once, is quoted, and the pod is deleted.
func TestPodRunReportsMissingRuntimeHandler(t *testing.T) {
	ns := namespace(t, "handler-missing")
	runtimeClass(t, "kata-qemu-coco-dev", "kata-qemu-coco-dev")
	start := time.Now()
	_, err := podrun.Run(context.Background(), cp.Admin, unamePod(ns, "kata-qemu-coco-dev"), podrun.Options{Timeout: 2 * time.Minute, MaxLogBytes: 4096})
	if err == nil {
		t.Fatal("the pod ran without its runtime handler")
	}
	for _, want := range []string{"FailedCreatePodSandBox", `no runtime for "kata-qemu-coco-dev" is configured`, "kubectl coco install"} {
		if !strings.Contains(err.Error()+" "+fixOf(err), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	t.Logf("after %s: %v", time.Since(start).Round(time.Millisecond), err)
	if time.Since(start) > time.Minute {
		t.Errorf("waited %s: the event should end the wait, not the timeout", time.Since(start))
	}
	if pods := podsIn(t, ns); len(pods) != 0 {
		t.Errorf("pod left behind: %s", pods[0].Name)
	}
}

// A RuntimeClass mapped to the node's plain runc handler runs, and the pod's kernel is the
// node's: no VM, which a smoke test must say honestly.
func TestPodRunWithRuncRuntimeClass(t *testing.T) {
	ns := namespace(t, "handler-runc")
	runtimeClass(t, "plain-runc", "runc")
	res, err := podrun.Run(context.Background(), cp.Admin, unamePod(ns, "plain-runc"), podrun.Options{Timeout: 2 * time.Minute, MaxLogBytes: 4096})
	if err != nil {
		t.Fatalf("%v\n%s", err, node.Diagnose())
	}
	n, err := cp.Admin.CoreV1().Nodes().Get(context.Background(), harness.RealNodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.TrimSpace(string(res.Log)); got != n.Status.NodeInfo.KernelVersion {
		t.Errorf("pod kernel %q, node kernel %q", got, n.Status.NodeInfo.KernelVersion)
	}
	if res.Phase != corev1.PodSucceeded {
		t.Errorf("phase %s", res.Phase)
	}
	if pods := podsIn(t, ns); len(pods) != 0 {
		t.Errorf("pod left behind: %s", pods[0].Name)
	}
}
