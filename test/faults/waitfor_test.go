package faults

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// The waits under every command: a server that goes away and stays away turns "timed out" into
// "the API server stopped answering" with the time it stopped; one that comes back in time
// lets the wait finish (re-list and re-watch).
func TestWaitThroughOutage(t *testing.T) {
	proxy, err := harness.StartFaultProxy(cp.HostPort())
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	kc, err := harness.KubeconfigVia(cp.AdminKubeconfig, proxy.Addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := clientcmd.BuildConfigFromFlags("", kc)
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	nodes := cs.CoreV1().Nodes()
	lw := waitfor.Named(nodes, "w2")
	labelled := func(v string) waitfor.Condition {
		return func(ev watch.Event) (bool, error) {
			n, ok := ev.Object.(*corev1.Node)
			return ok && n.Labels["faults.osc-coco.io/step"] == v, nil
		}
	}

	// Down and not back within the timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	go func() { time.Sleep(500 * time.Millisecond); proxy.SetDown(true) }()
	_, err = waitfor.Until(ctx, lw, &corev1.Node{}, labelled("never"))
	var e *clierr.Error
	if !asErr(err, &e) || !strings.Contains(e.Msg, "the API server stopped answering at") {
		t.Errorf("wait through an outage: %v", err)
	}
	proxy.SetDown(false)

	// Watches cut every 200 ms, the label set after a second: the wait still sees it.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel2()
	stop := make(chan struct{})
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(200 * time.Millisecond):
			}
			proxy.DropAll()
			if i == 5 {
				patch := []byte(`{"metadata":{"labels":{"faults.osc-coco.io/step":"one"}}}`)
				if _, err := cp.Admin.CoreV1().Nodes().Patch(context.Background(), "w2", "application/merge-patch+json", patch, metav1.PatchOptions{}); err != nil {
					t.Error(err)
				}
			}
		}
	}()
	before := proxy.Accepted.Load()
	_, err = waitfor.Until(ctx2, lw, &corev1.Node{}, labelled("one"))
	close(stop)
	if err != nil {
		t.Errorf("wait with dropping watches: %v", err)
	}
	if n := proxy.Accepted.Load() - before; n < 2 {
		t.Errorf("%d connections: the wait did not re-watch after the drops", n)
	}
}

func asErr(err error, target **clierr.Error) bool {
	for err != nil {
		if e, ok := err.(*clierr.Error); ok {
			*target = e
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}
