package helmcmd

import (
	"context"
	"fmt"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/operator"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// operatorChart is InstallResult.Chart of an operator install.
const operatorChart = "operator"

// operatorManifests fetches the operator's source and builds the release manifests and the
// CcRuntime sample for the platform.
func (o *InstallOptions) operatorManifests(ctx context.Context, platform string) (release, ccr []*unstructured.Unstructured, err error) {
	source := o.Source
	if source == "" {
		source = operator.DefaultSource(o.Version)
	}
	dir, cleanup, err := operator.Fetch(ctx, source)
	if err != nil {
		return nil, nil, err
	}
	defer cleanup()
	data, err := operator.Build(dir, operator.ReleasePath)
	if err != nil {
		return nil, nil, err
	}
	if release, err = apply.Parse(data); err != nil {
		return nil, nil, clierr.Wrap(err, "reading the operator's manifests")
	}
	sample, ok := operator.Samples[platform]
	if !ok {
		return nil, nil, clierr.Usagef("use --platform x86_64, s390x, peer-pods or sgx", "the operator has no CcRuntime for platform %s", platform)
	}
	if data, err = operator.Build(dir, sample); err != nil {
		return nil, nil, clierr.Wrap(err, "operator %s has no CcRuntime sample for platform %s", o.Version, platform)
	}
	if ccr, err = apply.Parse(data); err != nil {
		return nil, nil, err
	}
	ccr = slices.DeleteFunc(ccr, func(u *unstructured.Unstructured) bool { return u.GetKind() != operator.Kind })
	if len(ccr) != 1 {
		return nil, nil, clierr.Failf("check --source", "the %s sample holds %d CcRuntime objects, want 1", sample, len(ccr))
	}
	return release, ccr, nil
}

// runOperator is the guide's path: apply the operator, wait until it is available, create the
// CcRuntime and wait until every targeted node completed the installation.
func (o *InstallOptions) runOperator(ctx context.Context, c *kube.Clients, platform string, prog *progress.Progress) error {
	step := prog.Start("building the operator " + o.Version + " manifests (kustomize)")
	release, ccrs, err := o.operatorManifests(ctx, platform)
	if err != nil {
		step.End(err, "")
		return err
	}
	step.Done(fmt.Sprintf("%d objects and CcRuntime %s", len(release), ccrs[0].GetName()))
	if o.DryRun.On() { // the objects as install --dry-run prints a chart's: YAML, or JSON with -o json
		data, err := apply.YAML(append(release, ccrs...))
		if err != nil {
			return err
		}
		return o.planPrinter.Print(o.g.Streams.Out, InstallPlan{Manifest: string(data), Values: map[string]any{}, Chart: operatorChart + " " + o.Version})
	}
	ap := apply.For(c.Dynamic, c.Kube.Discovery())
	dyn := c.Dynamic
	// Without the CcRuntime CRD (in the manifests or on the server) the install would stop half
	// way, after the operator is applied: refuse before applying anything.
	if !slices.ContainsFunc(release, func(u *unstructured.Unstructured) bool { return u.GetName() == operator.CRDName }) {
		crds := dyn.Resource(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
		crd, err := crds.Get(ctx, operator.CRDName, metav1.GetOptions{})
		if err == nil && crd.GetDeletionTimestamp() != nil {
			err = fmt.Errorf("the CRD is being deleted")
		}
		if err != nil {
			return &clierr.Error{Code: clierr.CodeFailure, Err: err,
				Msg: "the operator's manifests do not define the CRD " + operator.CRDName + " and the cluster does not have it",
				Fix: "check --source and --version: config/crd must be part of config/release"}
		}
	}
	ccr := ccrs[0]
	outcome := "installed"
	if cur, err := dyn.Resource(operator.GVR).Get(ctx, ccr.GetName(), metav1.GetOptions{}); err == nil && operator.ReadStatus(cur).Done() {
		outcome = "unchanged"
	}
	step = prog.Start(fmt.Sprintf("applying the operator (%d objects, server-side)", len(release)))
	if err := ap.Apply(ctx, release, apply.Options{FieldManager: cmdutil.ManagedBy}); err != nil {
		step.End(err, "")
		return clierr.Wrap(err, "applying the operator")
	}
	step.Done("")
	wctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := waitDeploymentAvailable(wctx, c, operator.Namespace, operator.Deployment, prog); err != nil {
		return err
	}
	step = prog.Start("creating CcRuntime " + ccr.GetName())
	if err := ap.Apply(ctx, ccrs, apply.Options{FieldManager: cmdutil.ManagedBy}); err != nil {
		step.End(err, "")
		return clierr.Wrap(err, "creating the CcRuntime")
	}
	step.Done("")
	st, err := waitCcRuntime(wctx, dyn, ccr.GetName(), prog)
	if err != nil {
		return err
	}
	if err := waitRuntimeClasses(wctx, c, operator.Namespace, st.RuntimeClasses, prog); err != nil {
		return err
	}
	res := InstallResult{APIVersion: preflight.APIVersion, Kind: "InstallResult", Release: "ccruntime/" + ccr.GetName(), Namespace: operator.Namespace,
		Chart: operatorChart, Version: o.Version, Outcome: outcome, Nodes: st.CompletedNodes, RuntimeClasses: st.RuntimeClasses}
	return o.report(ctx, c, res)
}

// waitDeploymentAvailable follows a Deployment until its Available condition is True.
func waitDeploymentAvailable(ctx context.Context, c *kube.Clients, ns, name string, prog *progress.Progress) error {
	step := prog.Start("waiting for deployment " + ns + "/" + name + " to be available")
	deps := c.Kube.AppsV1().Deployments(ns)
	lw := waitfor.OnClient(c.Kube, waitfor.Named(deps, name))
	err := waitfor.UntilAll(ctx, lw, &appsv1.Deployment{}, func(objs []any) (bool, error) {
		for _, obj := range objs {
			for _, cond := range obj.(*appsv1.Deployment).Status.Conditions {
				if cond.Type == appsv1.DeploymentAvailable && cond.Status == corev1.ConditionTrue {
					return true, nil
				}
			}
		}
		return false, nil
	})
	if err != nil {
		step.Fail("")
		return cmdutil.WaitError(err, "deployment "+ns+"/"+name+" is not available", "check its pods: kubectl get pods -n "+ns)
	}
	step.Done("")
	return nil
}

// waitCcRuntime follows the CcRuntime until completedNodesCount == totalNodesCount > 0; nodes
// that report a failure end the wait at once.
func waitCcRuntime(ctx context.Context, dyn dynamic.Interface, name string, prog *progress.Progress) (operator.Status, error) {
	step := prog.Start("waiting for CcRuntime " + name + " to install on its nodes")
	ri := dyn.Resource(operator.GVR)
	lw := waitfor.OnClient(dyn, waitfor.Named(ri, name))
	var st operator.Status
	err := waitfor.UntilAll(ctx, lw, &unstructured.Unstructured{}, func(objs []any) (bool, error) {
		if len(objs) == 0 {
			return false, nil
		}
		st = operator.ReadStatus(objs[0].(*unstructured.Unstructured))
		step.Update(fmt.Sprintf("CcRuntime %s: %d of %d node(s) done", name, st.Completed, st.Total))
		if len(st.Failed) > 0 {
			return false, &clierr.Error{Code: clierr.CodeFailure, Msg: "CcRuntime " + name + " failed on: " + strings.Join(st.Failed, "; "),
				Fix: "check the operator's install pods: kubectl get pods -n " + operator.Namespace}
		}
		return st.Done(), nil
	})
	if err != nil {
		step.Fail("")
		var e *clierr.Error
		if errorsAs(err, &e) && e.Code == clierr.CodeFailure && strings.HasPrefix(e.Msg, "CcRuntime") {
			return st, e
		}
		return st, cmdutil.WaitError(err, fmt.Sprintf("CcRuntime %s: %d of %d node(s) done", name, st.Completed, st.Total),
			"check the operator's install pods: kubectl get pods -n "+operator.Namespace)
	}
	step.Done(fmt.Sprintf("%d node(s)", st.Completed))
	return st, nil
}

// removeOperator deletes the CcRuntimes (the operator cleans the nodes and drops its finalizer),
// waits until they are gone and no node is labelled, then deletes the operator itself.
func removeOperator(ctx context.Context, c *kube.Clients, ccrs []unstructured.Unstructured, prog *progress.Progress) error {
	dyn := c.Dynamic
	ri := dyn.Resource(operator.GVR)
	for _, ccr := range ccrs {
		if err := ri.Delete(ctx, ccr.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "ccruntimes." + operator.Group, Name: ccr.GetName()})
		}
	}
	if len(ccrs) > 0 {
		step := prog.Start("waiting for the operator to uninstall the runtime from the nodes")
		lw := waitfor.OnClient(dyn, waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return ri.List(ctx, o) },
			func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return ri.Watch(ctx, o) }, "", ""))
		if err := waitfor.Gone(ctx, lw, &unstructured.Unstructured{}); err != nil {
			step.Fail("")
			return cmdutil.WaitError(err, "CcRuntime still present (finalizer "+operator.Finalizer+")", "check the operator's uninstall pods: kubectl get pods -n "+operator.Namespace)
		}
		step.Done("")
	}
	nodes := c.Kube.CoreV1().Nodes()
	nlw := waitfor.OnClient(c.Kube, waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return nodes.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return nodes.Watch(ctx, o) }, "", tee.KataRuntime))
	if err := waitfor.Gone(ctx, nlw, &corev1.Node{}); err != nil {
		return cmdutil.WaitError(err, "nodes still labelled "+tee.KataRuntime, "check the nodes, then remove the label by hand")
	}
	step := prog.Start("removing the operator")
	// The operator's objects: its namespace, its CRD, and its cluster-wide RBAC (name prefix cc-operator-).
	var objs []*unstructured.Unstructured
	for _, r := range []struct{ apiVersion, kind, name string }{{"v1", "Namespace", operator.Namespace}, {"apiextensions.k8s.io/v1", "CustomResourceDefinition", operator.CRDName}} {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(r.apiVersion)
		u.SetKind(r.kind)
		u.SetName(r.name)
		objs = append(objs, u)
	}
	crs, err := c.Kube.RbacV1().ClusterRoles().List(ctx, metav1.ListOptions{})
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "clusterroles.rbac.authorization.k8s.io"})
	}
	for _, cr := range crs.Items {
		if strings.HasPrefix(cr.Name, operator.NamePrefix) {
			objs = append(objs, rbacObject("ClusterRole", cr.Name))
		}
	}
	crbs, err := c.Kube.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "clusterrolebindings.rbac.authorization.k8s.io"})
	}
	for _, b := range crbs.Items {
		if strings.HasPrefix(b.Name, operator.NamePrefix) {
			objs = append(objs, rbacObject("ClusterRoleBinding", b.Name))
		}
	}
	ap := apply.For(c.Dynamic, c.Kube.Discovery())
	if err := ap.Delete(ctx, objs); err != nil {
		step.Fail("")
		return err
	}
	step.Done("")
	return nil
}

func rbacObject(kind, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("rbac.authorization.k8s.io/v1")
	u.SetKind(kind)
	u.SetName(name)
	return u
}
