package harness

import (
	"context"
	"errors"
	"syscall"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

func TestControlPlaneLifecycle(t *testing.T) {
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	v, err := cp.Admin.Discovery().ServerVersion()
	if err != nil || v.GitVersion == "" || v.GitVersion == "v0.0.0-master+$Format:%H$" {
		t.Fatalf("server version %v, %v", v, err)
	}

	if err := cp.AddNodes(ctx, Node{Name: "sim-1", Labels: map[string]string{"node.kubernetes.io/worker": ""}}, Node{Name: "sim-2", Arch: "s390x"}); err != nil {
		t.Fatal(err)
	}
	n, err := cp.Admin.CoreV1().Nodes().Get(ctx, "sim-2", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n.Status.NodeInfo.Architecture != "s390x" || n.Status.NodeInfo.KubeletVersion != "v1.33.2" {
		t.Errorf("kwok overwrote the node info: %+v", n.Status.NodeInfo)
	}

	// RBAC is on: a user without bindings is refused, admin is not.
	path, err := cp.UserKubeconfig("nobody")
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil {
		t.Fatal(err)
	}
	nobody := kubernetes.NewForConfigOrDie(cfg)
	if _, err := nobody.CoreV1().Nodes().List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("user without RBAC listed nodes: err=%v", err)
	}

	pids := cp.Pids()
	if len(pids) != 3 {
		t.Fatalf("want etcd, kube-apiserver and kwok running, got pids %v", pids)
	}
	if err := cp.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	for _, pid := range pids {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("pid %d survived Stop (kill -0: %v)", pid, err)
		}
	}
}
