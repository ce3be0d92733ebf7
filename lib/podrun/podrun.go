// Package podrun runs a short-lived pod to completion, reads its log and deletes it on every
// path: success, failure, timeout and Ctrl-C. Host probes and smoke tests are built on it.
package podrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilrand "k8s.io/apimachinery/pkg/util/rand"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
)

// Options tune one run.
type Options struct {
	// Timeout bounds the wait for the pod to finish (creation to Succeeded/Failed).
	Timeout time.Duration
	// MaxLogBytes caps the log read back.
	MaxLogBytes int64
	// OnStatus, if set, is told about the pod's progress (for a spinner).
	OnStatus func(string)
}

// Result is what a finished pod left.
type Result struct {
	Name  string
	Phase corev1.PodPhase
	// Node is where the pod ran.
	Node string
	Log  []byte
}

// cleanupTimeout bounds deletion after the command's own context has ended.
const cleanupTimeout = 5 * time.Second

// Name returns a pod name with a random suffix. It is chosen on the client (not generateName)
// so that a pod created just as the user pressed Ctrl-C can still be found and deleted.
func Name(prefix string) string {
	const maxPrefix = 63 - 6
	if len(prefix) > maxPrefix {
		prefix = strings.TrimRight(prefix[:maxPrefix], "-.")
	}
	return prefix + "-" + utilrand.String(5)
}

// Run creates pod (its Name must be set), waits until it finishes, reads its first
// container's log and deletes it. The pod is deleted whatever happens; if deletion itself fails
// the error says so and names the pod.
func Run(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod, opts Options) (res *Result, err error) {
	r := &run{cs: cs, ns: pod.Namespace, name: pod.Name, opts: opts, res: &Result{Name: pod.Name}}
	defer func() { err = r.cleanUp(ctx, err) }()
	r.status("creating pod " + r.name)
	if _, err := cs.CoreV1().Pods(r.ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return r.res, explainCreate(err, r.ns)
	}
	waitCtx, cancel := context.WithTimeout(ctx, opts.Timeout) // the whole run, log included
	defer cancel()
	if err := r.waitFinished(ctx, waitCtx); err != nil {
		return r.res, err
	}
	return r.res, r.readLog(waitCtx)
}

// run is one pod's run: what Run's steps share.
type run struct {
	cs       kubernetes.Interface
	ns, name string
	opts     Options
	res      *Result
	final    *corev1.Pod // the pod as last seen
}

func (r *run) status(s string) {
	if r.opts.OnStatus != nil {
		r.opts.OnStatus(s)
	}
}

// cleanUp deletes the pod and folds the outcome into err: an interruption is reported as such,
// and a pod that could not be deleted is named with the command that deletes it.
func (r *run) cleanUp(ctx context.Context, err error) error {
	delErr := deletePod(ctx, r.cs, r.ns, r.name)
	interrupted := errors.Is(ctx.Err(), context.Canceled)
	switch {
	case interrupted && delErr == nil:
		return &clierr.Error{Code: clierr.CodeInterrupted, Msg: fmt.Sprintf("interrupted; pod %s/%s was deleted", r.ns, r.name)}
	case delErr != nil:
		code := clierr.CodeFailure
		if interrupted {
			code = clierr.CodeInterrupted
		}
		// The fix is in the message: a joined error shows only the first error's fix.
		return errors.Join(err, &clierr.Error{Code: code, Err: delErr,
			Msg: fmt.Sprintf("pod %s/%s is left on the server (delete it by hand: kubectl delete pod -n %s %s)", r.ns, r.name, r.ns, r.name)})
	}
	return err
}

// waitFinished follows the pod until it succeeds, fails or is stuck. Some failures show only
// as events (a sandbox the runtime cannot create): they are followed too, and one that proves
// the pod will never start ends the wait.
func (r *run) waitFinished(ctx, waitCtx context.Context) error {
	podCtx, stopPodWait := context.WithCancel(waitCtx)
	defer stopPodWait()
	eventsCtx, stopEvents := context.WithCancel(waitCtx)
	events := followEvents(eventsCtx, r.cs, r.ns, r.name, stopPodWait)
	defer events.wait() // after stopEvents has ended the event watch
	defer stopEvents()
	var stuck error
	final, err := waitfor.Pod(podCtx, r.cs, r.ns, r.name, func(p *corev1.Pod, deleted bool) (bool, error) {
		if deleted {
			return false, fmt.Errorf("pod %s/%s was deleted by someone else while it ran", r.ns, r.name)
		}
		r.status(Describe(p))
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			return true, nil
		}
		stuck = Stuck(p)
		return stuck != nil, nil
	})
	if r.final = final; final != nil {
		r.res.Phase, r.res.Node = final.Status.Phase, final.Spec.NodeName
	}
	if ctx.Err() == nil && events.Fatal() != nil {
		return events.Fatal()
	}
	if errors.Is(err, waitfor.ErrTimeout) {
		return r.timedOut(ctx, final, events)
	}
	switch {
	case errors.Is(err, context.Canceled):
		return clierr.ErrInterrupted
	case err != nil:
		return clierr.FromAPI(err, clierr.Action{Verb: "watch", Resource: "pods", Namespace: r.ns, Name: r.name})
	}
	return stuck
}

// timedOut explains a pod that did not finish in time: its node is gone, or its last state and
// events.
func (r *run) timedOut(ctx context.Context, final *corev1.Pod, events *podEvents) error {
	if r.res.Node != "" {
		if unreachable := NodeUnreachable(ctx, r.cs, r.res.Node); unreachable != "" {
			return &clierr.Error{Code: clierr.CodeFailure,
				Msg: fmt.Sprintf("node %s is unreachable: %s; pod %s/%s did not finish within %s. The pod is deleted from the API, but its container may keep running on the node until the kubelet is back (the kubelet then stops it; activeDeadlineSeconds also ends it)",
					r.res.Node, unreachable, r.ns, r.name, r.opts.Timeout),
				Fix: fmt.Sprintf("check the node: kubectl get node %s; kubectl describe node %s (on the host: systemctl status kubelet)", r.res.Node, r.res.Node)}
		}
	}
	state := "never seen"
	if final != nil {
		state = Describe(final)
	}
	if q := events.Quote(); q != "" {
		state += "; events: " + q
	}
	return &clierr.Error{Code: clierr.CodeFailure,
		Msg: fmt.Sprintf("pod %s/%s did not finish within %s (last state: %s); it was deleted", r.ns, r.name, r.opts.Timeout, state),
		Fix: "check that the node's kubelet is up and can pull the image (kubectl get node; kubectl get events -n " + r.ns + "), or raise --timeout"}
}

// readLog reads the finished pod's log (capped); a failed pod is an error after that.
func (r *run) readLog(ctx context.Context) error {
	r.status("reading the log of " + r.name)
	logs, err := r.cs.CoreV1().Pods(r.ns).GetLogs(r.name, &corev1.PodLogOptions{LimitBytes: &r.opts.MaxLogBytes}).DoRaw(ctx)
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "pods/log", Namespace: r.ns, Name: r.name})
	}
	r.res.Log = logs
	if r.res.Phase == corev1.PodFailed {
		return &clierr.Error{Code: clierr.CodeFailure, Msg: fmt.Sprintf("pod %s/%s failed: %s", r.ns, r.name, Describe(r.final))}
	}
	return nil
}

func explainCreate(err error, ns string) error {
	if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "PodSecurity") {
		return &clierr.Error{Code: clierr.CodeFailure, Err: err,
			Msg: fmt.Sprintf("Pod Security admission of namespace %q refuses the pod", ns),
			Fix: fmt.Sprintf("use a namespace that allows privileged pods (-n NAMESPACE), or label this one: kubectl label ns %s pod-security.kubernetes.io/enforce=privileged", ns)}
	}
	return clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "pods", Namespace: ns})
}

func deletePod(ctx context.Context, cs kubernetes.Interface, ns, name string) error {
	// The command's context may be cancelled already (Ctrl-C): clean up on a fresh, bounded one.
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cleanupTimeout)
	defer cancel()
	zero := int64(0)
	err := cs.CoreV1().Pods(ns).Delete(dctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// failFast are container waiting reasons that will not resolve by waiting.
var failFast = map[string]string{
	"ErrImagePull":               "the image cannot be pulled",
	"ImagePullBackOff":           "the image cannot be pulled",
	"InvalidImageName":           "the image name is invalid",
	"ErrImageNeverPull":          "the image is not on the node and imagePullPolicy is Never",
	"CreateContainerConfigError": "the container's configuration is invalid",
	"CreateContainerError":       "the container cannot be created",
	"RunContainerError":          "the container cannot be started",
}

// Stuck returns an error when the pod is in a state that waiting will not fix.
func Stuck(p *corev1.Pod) error {
	for _, cs := range append(append([]corev1.ContainerStatus{}, p.Status.InitContainerStatuses...), p.Status.ContainerStatuses...) {
		if w := cs.State.Waiting; w != nil {
			if why, ok := failFast[w.Reason]; ok {
				return &clierr.Error{Code: clierr.CodeFailure,
					Msg: fmt.Sprintf("pod %s/%s cannot run: %s (%s: %s)", p.Namespace, p.Name, why, w.Reason, w.Message),
					Fix: "point --image at an image the node can pull (a mirror in air-gapped networks)"}
			}
		}
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			return &clierr.Error{Code: clierr.CodeFailure, Msg: fmt.Sprintf("pod %s/%s cannot be scheduled: %s", p.Namespace, p.Name, c.Message)}
		}
	}
	return nil
}

// Describe summarises a pod's state in one line.
func Describe(p *corev1.Pod) string {
	parts := []string{"phase " + string(p.Status.Phase)}
	if p.Status.Phase == "" {
		parts[0] = "phase Pending (not yet picked up by a kubelet)"
	}
	for _, cs := range p.Status.ContainerStatuses {
		switch {
		case cs.State.Waiting != nil:
			parts = append(parts, fmt.Sprintf("container %s waiting: %s", cs.Name, cs.State.Waiting.Reason))
		case cs.State.Running != nil:
			parts = append(parts, fmt.Sprintf("container %s running", cs.Name))
		case cs.State.Terminated != nil:
			t := cs.State.Terminated
			parts = append(parts, fmt.Sprintf("container %s exited %d (%s)", cs.Name, t.ExitCode, t.Reason))
		}
	}
	if p.Status.Reason != "" {
		parts = append(parts, p.Status.Reason+": "+p.Status.Message)
	}
	return strings.Join(parts, ", ")
}
