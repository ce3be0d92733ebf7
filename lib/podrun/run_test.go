package podrun

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

// Run's steps on a client-go fake: the reactor plays the kubelet by giving the created pod the
// state under test; test/realnode runs real pods.
func TestRunOnFakes(t *testing.T) {
	waiting := corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{{Name: "c",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "not found"}}}}}
	tests := []struct {
		name      string
		status    corev1.PodStatus
		createErr error
		deleteErr error
		timeout   time.Duration
		wantErr   string // "" for success
		wantCode  int
	}{
		{name: "succeeded", status: corev1.PodStatus{Phase: corev1.PodSucceeded}},
		{name: "failed", status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "Error"}, wantErr: "pod ns/p failed", wantCode: clierr.CodeFailure},
		{name: "stuck pulling", status: waiting, wantErr: "cannot be pulled", wantCode: clierr.CodeFailure},
		{name: "never finishes", status: corev1.PodStatus{Phase: corev1.PodRunning}, timeout: 50 * time.Millisecond,
			wantErr: "did not finish within 50ms (last state: phase Running", wantCode: clierr.CodeFailure},
		{name: "create forbidden", createErr: apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "p", errors.New("no")),
			wantErr: "forbidden", wantCode: clierr.CodeFailure},
		{name: "left behind", status: corev1.PodStatus{Phase: corev1.PodSucceeded},
			deleteErr: apierrors.NewForbidden(schema.GroupResource{Resource: "pods"}, "p", errors.New("no")),
			wantErr:   "kubectl delete pod -n ns p", wantCode: clierr.CodeFailure},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cs := fake.NewClientset(&corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "w1"}, Status: corev1.NodeStatus{Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}}}})
			cs.PrependReactor("create", "pods", func(a k8stesting.Action) (bool, runtime.Object, error) {
				if tt.createErr != nil {
					return true, nil, tt.createErr
				}
				p := a.(k8stesting.CreateAction).GetObject().(*corev1.Pod)
				p.Spec.NodeName, p.Status = "w1", tt.status
				return false, nil, nil // the tracker stores the pod as changed
			})
			deleted := false
			cs.PrependReactor("delete", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
				deleted = true
				return tt.deleteErr != nil, nil, tt.deleteErr
			})
			timeout := tt.timeout
			if timeout == 0 {
				timeout = time.Minute
			}
			var seen []string
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}
			res, err := Run(context.Background(), cs, pod, Options{Timeout: timeout, MaxLogBytes: 100, OnStatus: func(s string) { seen = append(seen, s) }})
			if !deleted {
				t.Error("the pod was not deleted")
			}
			if tt.wantErr == "" {
				if err != nil || string(res.Log) != "fake logs" || res.Node != "w1" || res.Phase != corev1.PodSucceeded {
					t.Fatalf("%v %+v", err, res)
				}
				if seen[0] != "creating pod p" || seen[len(seen)-1] != "reading the log of p" {
					t.Errorf("status updates %q", seen)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || clierr.ExitCode(err) != tt.wantCode {
				t.Fatalf("error %v (exit %d), want %q", err, clierr.ExitCode(err), tt.wantErr)
			}
			if _, getErr := cs.CoreV1().Pods("ns").Get(context.Background(), "p", metav1.GetOptions{}); tt.deleteErr == nil && tt.createErr == nil && !apierrors.IsNotFound(getErr) {
				t.Errorf("pod left: %v", getErr)
			}
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	cs := fake.NewClientset()
	ctx, cancel := context.WithCancel(context.Background())
	cs.PrependReactor("create", "pods", func(k8stesting.Action) (bool, runtime.Object, error) {
		cancel() // Ctrl-C just after the pod was created
		return false, nil, nil
	})
	_, err := Run(ctx, cs, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p"}}, Options{Timeout: time.Minute})
	if clierr.ExitCode(err) != clierr.CodeInterrupted || !strings.Contains(err.Error(), "interrupted; pod ns/p was deleted") {
		t.Fatalf("%v (exit %d)", err, clierr.ExitCode(err))
	}
	if l, _ := cs.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{}); len(l.Items) != 0 {
		t.Fatalf("pods left: %v", l.Items)
	}
}
