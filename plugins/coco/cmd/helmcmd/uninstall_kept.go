package helmcmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/podrun"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
)

// uninstallFailed explains a helm uninstall that did not finish: the chart's post-delete hook
// Job Helm waits for (kata-deploy's rb-cleanup), or an API server that went away.
func (o *UninstallOptions) uninstallFailed(ctx context.Context, c *kube.Clients, hooks, kept []helmrelease.Object, err error) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return &clierr.Error{Code: clierr.CodeInterrupted, Err: err, Msg: "interrupted during helm uninstall",
			Fix: "run kubectl coco uninstall again: it completes the uninstall"}
	}
	probe, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if down := c.Unreachable(probe); clierr.IsConnection(err) || down != nil {
		return &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: "the API server stopped answering during helm uninstall",
			Fix: "check that the cluster is reachable, then run the same command again: it completes the uninstall"}
	}
	for _, h := range hooks {
		state := hookState(probe, c, h)
		if state == "" {
			continue
		}
		msg := fmt.Sprintf("helm uninstall waited for the chart's post-delete hook %s, which did not finish within --timeout %s: %s; the release is uninstalled, the hook's work is not done",
			h, o.Timeout, state)
		fix := "see kubectl -n " + h.Namespace + " describe job " + h.Name
		if len(kept) > 0 {
			msg += " (it removes " + objectList(kept) + ")"
			fix += "; kubectl coco uninstall --remove-kept removes what it would have, and the namespace"
		}
		return &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: msg, Fix: fix}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return clierr.Failf("run the same command again (it picks up where it stopped), or raise --timeout", "helm uninstall did not finish within %s", o.Timeout)
	}
	return clierr.Wrap(err, "helm uninstall")
}

// hookState describes a hook Job: its pods' state, or "" when it no longer exists.
func hookState(ctx context.Context, c *kube.Clients, h helmrelease.Object) string {
	job, err := c.Kube.BatchV1().Jobs(h.Namespace).Get(ctx, h.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ""
	}
	if err != nil {
		return clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "jobs.batch", Namespace: h.Namespace, Name: h.Name})
	}
	state := fmt.Sprintf("%d active, %d succeeded, %d failed", job.Status.Active, job.Status.Succeeded, job.Status.Failed)
	pods, err := c.Kube.CoreV1().Pods(h.Namespace).List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + h.Name})
	switch {
	case err != nil:
		state += "; " + clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "pods", Namespace: h.Namespace})
	case len(pods.Items) == 0:
		state += "; it has no pod (no Job controller running, or the pod cannot be created: kubectl get events -n " + h.Namespace + ")"
	default:
		for i := range pods.Items {
			state += fmt.Sprintf("; pod %s: %s", pods.Items[i].Name, podrun.Describe(&pods.Items[i]))
		}
	}
	return state
}

// removeKept deletes, with --remove-kept, the kept objects that still exist; without it, it
// returns them, for the report.
func (o *UninstallOptions) removeKept(ctx context.Context, c *kube.Clients, kept []helmrelease.Object) ([]helmrelease.Object, error) {
	var left []helmrelease.Object
	for _, k := range kept {
		exists, err := keptObject(ctx, c, k, o.RemoveKept)
		if err != nil {
			return nil, err
		}
		if exists && !o.RemoveKept {
			left = append(left, k)
		}
	}
	return left, nil
}

// keptObject tells whether a kept object exists, and deletes it when del is set. Only the
// kinds kata-deploy keeps are known; others are reported as existing.
func keptObject(ctx context.Context, c *kube.Clients, k helmrelease.Object, del bool) (bool, error) {
	rbac, core := c.Kube.RbacV1(), c.Kube.CoreV1()
	var get func() error
	var remove func() error
	switch k.Kind {
	case "ClusterRole":
		get = func() error { _, err := rbac.ClusterRoles().Get(ctx, k.Name, metav1.GetOptions{}); return err }
		remove = func() error { return rbac.ClusterRoles().Delete(ctx, k.Name, metav1.DeleteOptions{}) }
	case "ClusterRoleBinding":
		get = func() error { _, err := rbac.ClusterRoleBindings().Get(ctx, k.Name, metav1.GetOptions{}); return err }
		remove = func() error { return rbac.ClusterRoleBindings().Delete(ctx, k.Name, metav1.DeleteOptions{}) }
	case "ServiceAccount":
		get = func() error {
			_, err := core.ServiceAccounts(k.Namespace).Get(ctx, k.Name, metav1.GetOptions{})
			return err
		}
		remove = func() error { return core.ServiceAccounts(k.Namespace).Delete(ctx, k.Name, metav1.DeleteOptions{}) }
	default:
		return true, nil
	}
	a := clierr.Action{Verb: "get", Resource: strings.ToLower(k.Kind) + "s", Namespace: k.Namespace, Name: k.Name}
	if err := get(); apierrors.IsNotFound(err) {
		return false, nil
	} else if err != nil {
		return false, clierr.FromAPI(err, a)
	}
	if !del {
		return true, nil
	}
	if err := remove(); err != nil && !apierrors.IsNotFound(err) {
		a.Verb = "delete"
		return false, clierr.FromAPI(err, a)
	}
	return true, nil
}

// leftovers handles a cluster whose release is gone but whose kept objects stay (its
// post-delete hook could not run): it names them, or removes them and the namespace with
// --remove-kept. It reports whether there were any.
func (o *UninstallOptions) leftovers(ctx context.Context, c *kube.Clients, ns string) (bool, error) {
	kept, err := ownedKept(ctx, c, ns)
	if apierrors.IsForbidden(err) { // a user who may not list cluster roles can still see that nothing else is installed
		o.g.Note("cannot tell whether CoCo's chart left cluster roles behind: " + err.Error())
		return false, nil
	}
	if err != nil || len(kept) == 0 {
		return false, err
	}
	out := o.g.Streams.Out
	if o.DryRun.On() || !o.RemoveKept {
		verb := "Remove them with: kubectl coco uninstall --remove-kept"
		if o.DryRun.On() && o.RemoveKept {
			verb = "would delete them and namespace " + ns
		}
		fmt.Fprintf(out, "CoCo's release %q is uninstalled, but the chart's resource policy left: %s\n%s\n", chartvalues.ReleaseName, objectList(kept), verb)
		return true, nil
	}
	if _, err := o.removeKept(ctx, c, kept); err != nil {
		return true, err
	}
	if err := c.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return true, clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "namespaces", Name: ns})
	}
	fmt.Fprintf(out, "Removed what CoCo's chart kept: %s, and namespace %s\n", objectList(kept), ns)
	return true, nil
}

// ownedKept finds the cluster roles and bindings that Helm marked as the release's (its
// meta.helm.sh/release-name and -namespace annotations) after the release record is gone.
func ownedKept(ctx context.Context, c *kube.Clients, ns string) ([]helmrelease.Object, error) {
	owned := func(a map[string]string) bool {
		return a["meta.helm.sh/release-name"] == chartvalues.ReleaseName && a["meta.helm.sh/release-namespace"] == ns &&
			a["helm.sh/resource-policy"] == "keep"
	}
	sel := metav1.ListOptions{LabelSelector: "app.kubernetes.io/managed-by=Helm"}
	var out []helmrelease.Object
	roles, err := c.Kube.RbacV1().ClusterRoles().List(ctx, sel)
	if err != nil {
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "clusterroles.rbac.authorization.k8s.io"})
	}
	for _, r := range roles.Items {
		if owned(r.Annotations) {
			out = append(out, helmrelease.Object{Kind: "ClusterRole", Name: r.Name})
		}
	}
	bindings, err := c.Kube.RbacV1().ClusterRoleBindings().List(ctx, sel)
	if err != nil {
		return nil, clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "clusterrolebindings.rbac.authorization.k8s.io"})
	}
	for _, b := range bindings.Items {
		if owned(b.Annotations) {
			out = append(out, helmrelease.Object{Kind: "ClusterRoleBinding", Name: b.Name})
		}
	}
	return out, nil
}

func objectList(objs []helmrelease.Object) string {
	var s []string
	for _, o := range objs {
		s = append(s, o.String())
	}
	return strings.Join(s, ", ")
}
