package probe

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/podrun"
	"github.com/osc-coco/kubectl-plugins/lib/tee/hostprobe"
)

// Options for one probe run.
type Options struct {
	PodOptions
	// Timeout bounds the wait for the probe to finish.
	Timeout  time.Duration
	OnStatus func(string)
	// Notice, if set, is told about probe pods an earlier run left on the node.
	Notice func(string)
}

// Result is a finished probe.
type Result struct {
	Pod    string
	Report hostprobe.Report
}

// deadlineSlack lets the kubelet's activeDeadlineSeconds fire only after our own timeout.
const deadlineSlack = 30 * time.Second

// Preflight checks, without creating anything, that the user may run the probe in the
// namespace and that admission (Pod Security, webhooks) accepts the pod: a server-side dry run.
func Preflight(ctx context.Context, cs kubernetes.Interface, o Options) error {
	ns := o.Namespace
	err := access.Check(ctx, cs,
		access.Request{Verb: "create", Resource: "pods", Namespace: ns},
		access.Request{Verb: "watch", Resource: "pods", Namespace: ns},
		access.Request{Verb: "get", Resource: "pods", Subresource: "log", Namespace: ns},
		access.Request{Verb: "delete", Resource: "pods", Namespace: ns})
	if err != nil {
		return clierr.Wrap(err, "the host probe needs to run a pod in namespace %q", ns)
	}
	pod := Pod(o.withDeadline())
	_, err = cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
	switch {
	case err == nil:
		return nil
	case apierrors.IsForbidden(err) && strings.Contains(err.Error(), "PodSecurity"):
		return &clierr.Error{Code: clierr.CodeFailure, Err: err,
			Msg: fmt.Sprintf("Pod Security admission of namespace %q forbids the probe pod (its read-only hostPath mounts need the privileged level)", ns),
			Fix: fmt.Sprintf("run it in a namespace that allows privileged pods (-n NAMESPACE), or label this one: kubectl label ns %s pod-security.kubernetes.io/enforce=privileged", ns)}
	case apierrors.IsNotFound(err):
		return &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: fmt.Sprintf("namespace %q does not exist", ns),
			Fix: "choose an existing namespace with -n"}
	}
	return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "pods", Namespace: ns}), "admission refused the probe pod (dry run)")
}

func (o Options) withDeadline() PodOptions {
	p := o.PodOptions
	p.Deadline = o.Timeout + deadlineSlack
	return p
}

// Run runs the probe on one node and judges its evidence. The pod is gone when Run returns.
func Run(ctx context.Context, cs kubernetes.Interface, o Options) (*Result, error) {
	cleanLeftovers(ctx, cs, o)
	pod := Pod(o.withDeadline())
	res, err := podrun.Run(ctx, cs, pod, podrun.Options{Timeout: o.Timeout, MaxLogBytes: hostprobe.MaxDumpBytes, OnStatus: o.OnStatus})
	if err != nil {
		return nil, clierr.Wrap(err, "host probe on node %q", o.Node)
	}
	ev, err := hostprobe.Parse(bytes.NewReader(res.Log))
	if err != nil {
		return nil, &clierr.Error{Code: clierr.CodeFailure, Err: err,
			Msg: fmt.Sprintf("the probe pod on node %q printed no usable evidence", o.Node),
			Fix: "check that --image has a POSIX shell with awk, head and dmesg (busybox does)"}
	}
	return &Result{Pod: res.Name, Report: hostprobe.Evaluate(ev, "host-probe")}, nil
}

// cleanLeftovers deletes the probe pods of this node that an earlier run could not delete (the
// API server was gone when it tried): those that finished, and those past their deadline. One
// that still runs may belong to someone else's run: it is named, not touched.
func cleanLeftovers(ctx context.Context, cs kubernetes.Interface, o Options) {
	pods, err := cs.CoreV1().Pods(o.Namespace).List(ctx, metav1.ListOptions{LabelSelector: LabelName + "=" + AppName})
	if err != nil {
		return // the run itself reports API trouble
	}
	for _, p := range pods.Items {
		if p.Annotations[AnnotationNode] != o.Node || p.DeletionTimestamp != nil {
			continue
		}
		expired := p.Spec.ActiveDeadlineSeconds != nil &&
			time.Since(p.CreationTimestamp.Time) > time.Duration(*p.Spec.ActiveDeadlineSeconds)*time.Second+deadlineSlack
		finished := p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
		switch {
		case finished || expired:
			zero := int64(0)
			err := cs.CoreV1().Pods(o.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
			if err == nil && o.Notice != nil {
				o.Notice(fmt.Sprintf("deleted probe pod %s/%s that an earlier run left on node %s", o.Namespace, p.Name, o.Node))
			}
		case o.Notice != nil:
			o.Notice(fmt.Sprintf("probe pod %s/%s of another run is still on node %s; left alone (kubectl delete pod -n %s %s if it is stale)",
				o.Namespace, p.Name, o.Node, o.Namespace, p.Name))
		}
	}
}
