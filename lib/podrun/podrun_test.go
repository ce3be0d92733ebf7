package podrun

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

func TestName(t *testing.T) {
	n := Name("teecheck-probe-" + strings.Repeat("very-long-node-name.", 5))
	if len(n) > 63 || !strings.HasPrefix(n, "teecheck-probe-very") || strings.Contains(n, ".-") {
		t.Fatalf("name %q (%d chars)", n, len(n))
	}
	if first, second := Name("a"), Name("a"); first == second {
		t.Errorf("two names are equal: %s", first)
	}
}

func TestStuckAndDescribe(t *testing.T) {
	waiting := func(reason string) *corev1.Pod {
		return &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodPending, ContainerStatuses: []corev1.ContainerStatus{
			{Name: "probe", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: "pull access denied"}}}}}}
	}
	if err := Stuck(waiting("ImagePullBackOff")); err == nil || !strings.Contains(err.Error(), "cannot be pulled") {
		t.Errorf("ImagePullBackOff: %v", err)
	}
	if err := Stuck(waiting("ContainerCreating")); err != nil {
		t.Errorf("ContainerCreating is not stuck: %v", err)
	}
	unsched := &corev1.Pod{Status: corev1.PodStatus{Conditions: []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable, Message: "0/3 nodes"}}}}
	if err := Stuck(unsched); err == nil || !strings.Contains(err.Error(), "0/3 nodes") {
		t.Errorf("unschedulable: %v", err)
	}
	if d := Describe(waiting("ContainerCreating")); d != "phase Pending, container probe waiting: ContainerCreating" {
		t.Errorf("Describe = %q", d)
	}
}
