package podrun

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
)

// maxQuoted bounds how many warning events a report quotes.
const maxQuoted = 5

// A sandbox failure that retrying will not fix: the node's runtime has no handler for the
// pod's RuntimeClass (containerd: `no runtime for "x" is configured`; CRI-O: `no runtime
// handler "x"`), or the RuntimeClass is missing.
var permanentSandboxFailure = regexp.MustCompile(`no runtime for "[^"]*" is configured|no runtime handler|runtime handler "[^"]*" (not found|not supported)|RuntimeClass "[^"]*" not found`)

// repeatedFailures is how often another sandbox failure must repeat before it counts as stuck.
const repeatedFailures = 3

// podEvents follows the Warning events of one pod while it runs.
type podEvents struct {
	mu       sync.Mutex
	warnings []corev1.Event
	fatal    error
	done     chan struct{}
}

// followEvents watches the pod's events until ctx ends; onFatal is called once when an event
// shows the pod can never start. A user who may not watch events just gets no event insight.
func followEvents(ctx context.Context, cs kubernetes.Interface, ns, name string, onFatal func()) *podEvents {
	pe := &podEvents{done: make(chan struct{})}
	events := cs.CoreV1().Events(ns)
	sel := fields.Set{"involvedObject.name": name, "involvedObject.namespace": ns}.AsSelector().String()
	lw := waitfor.OnClient(cs, waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return events.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return events.Watch(ctx, o) }, sel, ""))
	go func() {
		defer close(pe.done)
		_, _ = waitfor.Until(ctx, lw, &corev1.Event{}, func(ev watch.Event) (bool, error) {
			e, ok := ev.Object.(*corev1.Event)
			if !ok || ev.Type == watch.Deleted || e.Type != corev1.EventTypeWarning {
				return false, nil
			}
			if pe.record(e) {
				onFatal()
				return true, nil
			}
			return false, nil
		})
	}()
	return pe
}

// record keeps a warning and reports whether it makes the pod hopeless.
func (pe *podEvents) record(e *corev1.Event) bool {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	for i := range pe.warnings { // the kubelet updates one event's count when it repeats
		if pe.warnings[i].Name == e.Name {
			pe.warnings = append(pe.warnings[:i], pe.warnings[i+1:]...)
			break
		}
	}
	pe.warnings = append(pe.warnings, *e)
	if pe.fatal != nil || e.Reason != "FailedCreatePodSandBox" {
		return false
	}
	if permanentSandboxFailure.MatchString(e.Message) || e.Count >= repeatedFailures {
		pe.fatal = &clierr.Error{Code: clierr.CodeFailure,
			Msg: fmt.Sprintf("pod %s/%s cannot start: the kubelet reports %s: %s", e.InvolvedObject.Namespace, e.InvolvedObject.Name, e.Reason, e.Message),
			Fix: "the node's container runtime has no working handler for the pod's RuntimeClass: install the runtime on that node (kubectl coco install) or choose another runtime class"}
		return true
	}
	return false
}

// wait returns once the watch goroutine has ended.
func (pe *podEvents) wait() { <-pe.done }

// Fatal is the event that made the pod hopeless, if any.
func (pe *podEvents) Fatal() error {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	return pe.fatal
}

// Quote lists the most recent warning events for a report ("" when there were none).
func (pe *podEvents) Quote() string {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	ws := pe.warnings
	if len(ws) > maxQuoted {
		ws = ws[len(ws)-maxQuoted:]
	}
	var parts []string
	for _, e := range ws {
		s := e.Reason + ": " + e.Message
		if e.Count > 1 {
			s += fmt.Sprintf(" (x%d)", e.Count)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}
