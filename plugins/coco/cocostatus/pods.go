package cocostatus

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/podrun"
)

// DaemonSetPods names kata-deploy pods that are not ready, with their last warning event and,
// when they crash-loop, their last log line: that is where kata-deploy says why it refuses to
// start. What cannot be read is left out.
func DaemonSetPods(ctx context.Context, cs kubernetes.Interface, ns, name string) []string {
	problems, _ := DaemonSetState(ctx, cs, ns, name)
	return problems
}

// DaemonSetState reads the DaemonSet and its pods: problems found, and what could not be read.
func DaemonSetState(ctx context.Context, cs kubernetes.Interface, ns, name string) (problems, unknown []string) {
	ds, err := cs.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return []string{"DaemonSet " + ns + "/" + name + " (in the release's manifest) is missing"}, nil
	}
	if err != nil {
		return nil, []string{clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "daemonsets.apps", Namespace: ns, Name: name})}
	}
	if ds.Status.DesiredNumberScheduled > 0 && ds.Status.NumberReady < ds.Status.DesiredNumberScheduled {
		problems = append(problems, fmt.Sprintf("DaemonSet %s/%s: %d of %d pods ready", ns, name, ds.Status.NumberReady, ds.Status.DesiredNumberScheduled))
	}
	sel, err := metav1.LabelSelectorAsSelector(ds.Spec.Selector)
	if err != nil {
		return problems, []string{"cannot tell: DaemonSet " + name + " has an invalid selector: " + err.Error()}
	}
	pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return problems, []string{clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "pods", Namespace: ns})}
	}
	for i := range pods.Items {
		if p := &pods.Items[i]; !PodReady(p) || recentlyCrashed(p, time.Now()) {
			problems = append(problems, podProblem(ctx, cs, p))
		}
	}
	return problems, nil
}

// recentlyCrashed: a container of the pod exited with an error in the last five minutes. A
// crash-looping pod is Ready for a moment after each restart; kata-deploy, once installed, runs
// on and is not restarted.
func recentlyCrashed(p *corev1.Pod, now time.Time) bool {
	for _, st := range p.Status.ContainerStatuses {
		if t := st.LastTerminationState.Terminated; t != nil && t.ExitCode != 0 && now.Sub(t.FinishedAt.Time) < 5*time.Minute {
			return true
		}
	}
	return false
}

func podProblem(ctx context.Context, cs kubernetes.Interface, p *corev1.Pod) string {
	msg := fmt.Sprintf("pod %s on %s: %s", p.Name, dashIfEmpty(p.Spec.NodeName, "no node"), podrun.Describe(p))
	for _, st := range p.Status.ContainerStatuses {
		if st.RestartCount == 0 && st.State.Terminated == nil {
			continue
		}
		if t := st.LastTerminationState.Terminated; st.RestartCount > 0 && t != nil {
			msg += fmt.Sprintf("; container %s restarted %d times (last exit code %d)", st.Name, st.RestartCount, t.ExitCode)
		}
		if line, err := lastLogLine(ctx, cs, p, st.Name, st.RestartCount > 0 && st.State.Terminated == nil); err != nil {
			msg += "; its log: " + clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "pods/log", Namespace: p.Namespace, Name: p.Name})
		} else if line != "" {
			msg += fmt.Sprintf("; container %s last said: %q", st.Name, line)
		}
	}
	evs, err := cs.CoreV1().Events(p.Namespace).List(ctx, metav1.ListOptions{FieldSelector: fields.Set{"involvedObject.name": p.Name, "type": corev1.EventTypeWarning}.String()})
	if err == nil && len(evs.Items) > 0 {
		e := evs.Items[len(evs.Items)-1]
		msg += "; last event " + e.Reason + ": " + e.Message
	}
	return msg
}

// lastLogLine is the last non-empty line a container wrote (of its previous run when it is
// restarting), read with a bounded tail.
func lastLogLine(ctx context.Context, cs kubernetes.Interface, p *corev1.Pod, container string, previous bool) (string, error) {
	tail, limit := int64(20), int64(16<<10)
	data, err := cs.CoreV1().Pods(p.Namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: container, Previous: previous, TailLines: &tail, LimitBytes: &limit}).DoRaw(ctx)
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if len(last) > 300 {
		last = last[:300] + "…"
	}
	return last, nil
}

// PodReady says whether the pod's Ready condition is True.
func PodReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func dashIfEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}
