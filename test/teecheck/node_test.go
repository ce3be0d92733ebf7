package teecheck

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/tee/probe"
	cmd "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd"
)

func newNamespace(t *testing.T, name string, labels map[string]string) string {
	t.Helper()
	if _, err := cp.Admin.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

// podWatcher records every pod created in a namespace while a command runs.
type podWatcher struct {
	w       watch.Interface
	created chan *corev1.Pod
	all     []*corev1.Pod
}

func watchPods(t *testing.T, ns string) *podWatcher {
	t.Helper()
	w, err := cp.Admin.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pw := &podWatcher{w: w, created: make(chan *corev1.Pod, 16)}
	go func() {
		for ev := range w.ResultChan() {
			if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type == watch.Added {
				pw.all = append(pw.all, p)
				pw.created <- p
			}
		}
		close(pw.created)
	}()
	t.Cleanup(w.Stop)
	return pw
}

func assertNoPods(t *testing.T, ns string) {
	t.Helper()
	pods, err := cp.Admin.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pods.Items) != 0 {
		t.Errorf("%d pod(s) left in %s: %s", len(pods.Items), ns, pods.Items[0].Name)
	}
}

func TestNodeDetail(t *testing.T) {
	res := run(context.Background(), cp.AdminKubeconfig, "node", "snp-1")
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	for _, want := range []string{"Node: snp-1", "TEE: sev-snp,sev (from labels)", "kubernetes-version", "✓ pass", "Runtime classes that fit: kata-qemu-coco-dev, kata-qemu-coco-dev-runtime-rs, kata-qemu-snp", "Verdict: ready for CoCo"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.Stdout)
		}
	}
	res = run(context.Background(), cp.AdminKubeconfig, "node", "missing-node")
	if res.Code != 1 || !strings.Contains(res.Stderr, `node "missing-node" does not exist`) || !strings.Contains(res.Stderr, "fix: nodes: plain-1, se-1") {
		t.Errorf("missing node: exit %d stderr %q", res.Code, res.Stderr)
	}
}

// Under kwok the probe pod "runs" forever and never logs: the timeout path must delete it and
// say why. The pod's spec is checked on the way.
func TestDeepProbeTimesOutAndCleansUp(t *testing.T) {
	ns := newNamespace(t, "probe-timeout", nil)
	pw := watchPods(t, ns)
	res := run(context.Background(), cp.AdminKubeconfig, "node", "snp-1", "--deep", "-n", ns, "--timeout", "3s", "--image", "registry.example/mirror/busybox:1.37")
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1\n%s", res.Code, res.Stderr)
	}
	t.Log(res.Stderr)
	for _, want := range []string{"did not finish within 3s", "it was deleted", "container probe running", "fix:"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, res.Stderr)
		}
	}
	assertNoPods(t, ns)
	var pod *corev1.Pod
	select {
	case pod = <-pw.created:
	case <-time.After(5 * time.Second):
		t.Fatal("no probe pod was created")
	}
	checkProbePodSpec(t, pod, "snp-1", "registry.example/mirror/busybox:1.37")
}

func checkProbePodSpec(t *testing.T, pod *corev1.Pod, node, image string) {
	t.Helper()
	s := pod.Spec
	if s.NodeName != node || s.RestartPolicy != corev1.RestartPolicyNever || s.ActiveDeadlineSeconds == nil || *s.ActiveDeadlineSeconds < 30 {
		t.Errorf("pinning/deadline: node=%q restart=%q deadline=%v", s.NodeName, s.RestartPolicy, s.ActiveDeadlineSeconds)
	}
	if s.AutomountServiceAccountToken == nil || *s.AutomountServiceAccountToken || s.HostNetwork || s.HostPID {
		t.Error("probe pod has a token, host network or host PID")
	}
	if len(s.Tolerations) != 1 || s.Tolerations[0].Operator != corev1.TolerationOpExists {
		t.Errorf("tolerations %+v", s.Tolerations)
	}
	c := s.Containers[0]
	sc := c.SecurityContext
	if c.Image != image || sc == nil || sc.Privileged == nil || *sc.Privileged || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
		t.Errorf("container: image %q security %+v", c.Image, sc)
	}
	// Least privilege: every capability dropped but CAP_SYSLOG (dmesg), the runtime's seccomp profile.
	if sc == nil || sc.Capabilities == nil || fmt.Sprint(sc.Capabilities.Drop) != "[ALL]" || fmt.Sprint(sc.Capabilities.Add) != "[SYSLOG]" ||
		sc.SeccompProfile == nil || sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault || s.HostIPC {
		t.Errorf("capabilities/seccomp: %+v", sc)
	}
	mounts := map[string]bool{}
	for _, m := range c.VolumeMounts {
		if !m.ReadOnly {
			t.Errorf("mount %s is writable", m.MountPath)
		}
		mounts[m.MountPath] = true
	}
	for _, want := range []string{"/host/proc", "/host/sys", "/host/dev"} {
		if !mounts[want] {
			t.Errorf("no read-only mount %s", want)
		}
	}
	if pod.Labels[probe.LabelName] != probe.AppName || pod.Annotations[probe.AnnotationNode] != node {
		t.Errorf("labels %v annotations %v", pod.Labels, pod.Annotations)
	}
}

func TestDeepProbeAllNodesReportsEachFailure(t *testing.T) {
	ns := newNamespace(t, "probe-all", nil)
	res := run(context.Background(), cp.AdminKubeconfig, "node", "--all-nodes", "-l", "kubernetes.io/arch=amd64,"+"node.kubernetes.io/worker", "--deep",
		"-n", ns, "--timeout", "2s", "--parallel", "2", "-o", "json")
	if res.Code != 1 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	var l cmd.NodeReportList
	if err := json.Unmarshal([]byte(res.Stdout), &l); err != nil {
		t.Fatal(err)
	}
	if len(l.Items) != 4 {
		t.Fatalf("%d items, want the 4 amd64 workers", len(l.Items))
	}
	for _, r := range l.Items {
		found := false
		for _, c := range r.Checks {
			if c.ID == "host-probe" && c.Status == "fail" && strings.Contains(c.Message, "did not finish") {
				found = true
			}
		}
		if !found || r.Ready {
			t.Errorf("%s: no failed host-probe check (ready=%v)", r.Name, r.Ready)
		}
	}
	assertNoPods(t, ns)
}

func TestDeepProbeRefusedByRBACCreatesNothing(t *testing.T) {
	ns := newNamespace(t, "probe-rbac", nil)
	pw := watchPods(t, ns)
	kc := grant(t, "node-viewer", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}})
	res := run(context.Background(), kc, "node", "tdx-1", "--deep", "-n", ns)
	if res.Code != 1 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	for _, want := range []string{`create pods in namespace "probe-rbac"`, "get pods/log", "delete pods", "fix:"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, res.Stderr)
		}
	}
	time.Sleep(200 * time.Millisecond) // let the watch deliver anything that was created
	if len(pw.all) != 0 {
		t.Errorf("a pod was created despite the refusal")
	}
}

func TestDeepProbeRefusedByPodSecurityCreatesNothing(t *testing.T) {
	ns := newNamespace(t, "probe-restricted", map[string]string{"pod-security.kubernetes.io/enforce": "baseline"})
	pw := watchPods(t, ns)
	res := run(context.Background(), cp.AdminKubeconfig, "node", "tdx-1", "--deep", "-n", ns)
	if res.Code != 1 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	for _, want := range []string{"Pod Security admission", "probe-restricted", "pod-security.kubernetes.io/enforce=privileged"} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, res.Stderr)
		}
	}
	time.Sleep(200 * time.Millisecond)
	if len(pw.all) != 0 {
		t.Errorf("a pod was created despite Pod Security")
	}
	res = run(context.Background(), cp.AdminKubeconfig, "node", "tdx-1", "--deep", "-n", "no-such-namespace")
	if res.Code != 1 || !strings.Contains(res.Stderr, `namespace "no-such-namespace" does not exist`) {
		t.Errorf("missing namespace: exit %d %q", res.Code, res.Stderr)
	}
}

func TestDeepProbeInterruptedDeletesPod(t *testing.T) {
	ns := newNamespace(t, "probe-interrupt", nil)
	pw := watchPods(t, ns)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-pw.created // the pod exists: now the user presses Ctrl-C
		cancel()
	}()
	res := run(ctx, cp.AdminKubeconfig, "node", "se-1", "--deep", "-n", ns, "--timeout", "1m")
	t.Log(res.Stderr)
	if res.Code != 130 {
		t.Fatalf("exit %d, want 130\n%s", res.Code, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "interrupted") || !strings.Contains(res.Stderr, "deleted") {
		t.Errorf("stderr %q", res.Stderr)
	}
	assertNoPods(t, ns)
}
