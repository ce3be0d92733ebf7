package harness

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The real node runs a pod for real, and after Stop no kubelet, containerd, shim or container
// process is left.
func TestRealNodeLifecycle(t *testing.T) {
	cp, err := Start(Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = cp.Stop()
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	before := links(t)
	node, err := cp.StartNode(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Not hostNetwork: the pod gets its own network namespace and a link to the host.
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "hello", Namespace: "default"},
		Spec: corev1.PodSpec{
			NodeName: RealNodeName, RestartPolicy: corev1.RestartPolicyNever,
			AutomountServiceAccountToken: ptr.To(false),
			Containers: []corev1.Container{{Name: "c", Image: BusyboxImage, ImagePullPolicy: corev1.PullNever,
				Command: []string{"sh", "-c", "echo hello from $(uname -n); sleep 3600"}}},
		},
	}
	if _, err := cp.Admin.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var logs string
	for ctx.Err() == nil { // poll the log: this is the harness's own check, not product code
		data, err := cp.Admin.CoreV1().Pods("default").GetLogs("hello", &corev1.PodLogOptions{}).DoRaw(ctx)
		if err == nil && strings.Contains(string(data), "hello from") {
			logs = string(data)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if logs == "" {
		p, _ := cp.Admin.CoreV1().Pods("default").Get(context.Background(), "hello", metav1.GetOptions{})
		t.Fatalf("no log from the pod: %v\npod status: %+v\n%s", ctx.Err(), p.Status, node.Diagnose())
	}
	var podLinks []string
	for name := range links(t) {
		if !before[name] {
			podLinks = append(podLinks, name)
		}
	}
	if len(podLinks) == 0 {
		t.Fatal("the pod got no link to the host")
	}
	tasks, err := node.Tasks()
	if err != nil || len(tasks) < 2 { // the sandbox and the container
		t.Fatalf("tasks %v, %v", tasks, err)
	}
	pids := cp.Pids()
	pids = append(pids, node.kubelet.cmd.Process.Pid, node.containerd.cmd.Process.Pid)
	for _, pid := range tasks {
		pids = append(pids, pid)
	}
	shims := node.shimPids()
	if len(shims) == 0 {
		t.Fatal("no shim found while a pod runs")
	}
	pids = append(pids, shims...)
	if err := cp.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) && !isZombie(pid) {
			t.Errorf("pid %d survived Stop", pid)
		}
	}
	after := links(t)
	for _, l := range podLinks {
		if after[l] {
			t.Errorf("the pod's link %s survived Stop", l)
		}
	}
	for name := range listNetns() {
		if !node.netnsSeen[name] {
			t.Errorf("pod network namespace %s survived Stop", name)
		}
	}
}

func links(t *testing.T) map[string]bool {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, i := range ifs {
		out[i.Name] = true
	}
	return out
}
