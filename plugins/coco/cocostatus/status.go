// Package cocostatus reads what CoCo install is in a cluster (the Helm chart's release or the
// legacy operator's CcRuntime), on which nodes, and what is wrong with it: the report behind
// kubectl coco status, on one cluster or on each shoot of a project.
package cocostatus

import (
	"context"
	"fmt"
	"slices"
	"strings"

	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/operator"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// NodeState is one target node's install state.
type NodeState struct {
	Node        string `json:"node"`
	KataRuntime string `json:"kataRuntime"`
}

// Report is the schema of "kubectl coco status -o json|yaml", one per shoot with --shoots.
type Report struct {
	APIVersion     string      `json:"apiVersion"`
	Kind           string      `json:"kind"`
	Installed      bool        `json:"installed"`
	Method         string      `json:"method,omitempty"`
	Release        string      `json:"release,omitempty"`
	Namespace      string      `json:"namespace"`
	Chart          string      `json:"chart,omitempty"`
	Version        string      `json:"version,omitempty"`
	ReleaseStatus  string      `json:"releaseStatus,omitempty"`
	Revision       int         `json:"revision,omitempty"`
	Nodes          []NodeState `json:"nodes"`
	RuntimeClasses struct {
		Expected []string `json:"expected"`
		Present  []string `json:"present"`
		Missing  []string `json:"missing"`
	} `json:"runtimeClasses"`
	// DaemonSet is kata-deploy's, as the release's manifest names it.
	DaemonSet string   `json:"daemonSet,omitempty"`
	Problems  []string `json:"problems"`
	// CannotTell lists what could not be read (forbidden, unreachable): no healthy verdict then.
	CannotTell []string `json:"cannotTell"`
	Healthy    bool     `json:"healthy"`
}

// Gather reads the release in namespace ns (or the operator's CcRuntime), its nodes and
// runtime classes, and concludes. Only the release read can fail it: what else cannot be read
// is in CannotTell.
func Gather(ctx context.Context, c *kube.Clients, releases *helmrelease.Client, ns string) (Report, error) {
	r := Report{APIVersion: preflight.APIVersion, Kind: "StatusReport", Namespace: ns, Nodes: []NodeState{}, Problems: []string{}, CannotTell: []string{}}
	rel, err := releases.Get(ctx, chartvalues.ReleaseName)
	if err != nil {
		return r, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: ns}), "reading the Helm release")
	}
	if rel != nil {
		chartStatus(ctx, c.Kube, rel, &r)
	}
	if rel == nil {
		if err := operatorStatus(ctx, c, &r); err != nil {
			return r, err
		}
	}
	rcs, err := c.Kube.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{})
	if err != nil {
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "runtimeclasses.node.k8s.io"}))
	} else {
		for _, rc := range rcs.Items {
			r.RuntimeClasses.Present = append(r.RuntimeClasses.Present, rc.Name)
		}
	}
	r.conclude(err == nil)
	return r, nil
}

// chartStatus fills the report for the Helm release: its state, the target nodes, and
// kata-deploy's DaemonSet as the release's own manifest names it.
func chartStatus(ctx context.Context, cs kubernetes.Interface, rel *release.Release, r *Report) {
	r.Installed, r.Method, r.Release, r.Revision = true, "chart", rel.Name, rel.Version
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		r.Chart, r.Version = rel.Chart.Metadata.Name, rel.Chart.Metadata.Version
	}
	if rel.Info != nil {
		r.ReleaseStatus = string(rel.Info.Status)
		if r.ReleaseStatus != "deployed" {
			r.Problems = append(r.Problems, "release status is "+r.ReleaseStatus+": "+rel.Info.Description)
		}
	}
	if r.RuntimeClasses.Expected = chartvalues.RuntimeClassesIn(rel.Manifest); len(r.RuntimeClasses.Expected) == 0 {
		r.RuntimeClasses.Expected = chartvalues.RuntimeClasses(rel.Config)
	}
	sel := labels.SelectorFromSet(chartvalues.NodeSelector(rel.Config)).String()
	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "nodes"}))
	} else {
		var waiting []string
		for _, n := range nodes.Items {
			r.Nodes = append(r.Nodes, NodeState{Node: n.Name, KataRuntime: n.Labels[tee.KataRuntime]})
			if n.Labels[tee.KataRuntime] != "true" {
				waiting = append(waiting, n.Name)
			}
		}
		if len(waiting) > 0 {
			r.Problems = append(r.Problems, fmt.Sprintf("nodes without %s=true: %s", tee.KataRuntime, strings.Join(waiting, ", ")))
		}
	}
	ds, err := chartvalues.KataDeployDaemonSet(rel.Manifest)
	switch {
	case err != nil:
		r.CannotTell = append(r.CannotTell, "cannot tell: the release's manifest does not parse: "+err.Error())
	case ds == nil:
		r.Problems = append(r.Problems, "the release has no kata-deploy DaemonSet (deploymentMode job?)")
	default:
		r.DaemonSet = ds.Name
		problems, unknown := DaemonSetState(ctx, cs, r.Namespace, ds.Name)
		r.Problems, r.CannotTell = append(r.Problems, problems...), append(r.CannotTell, unknown...)
	}
}

// operatorStatus fills the report for an install made with --method operator.
func operatorStatus(ctx context.Context, c *kube.Clients, r *Report) error {
	ccrs, _, err := operator.ListCcRuntimes(ctx, c.Dynamic)
	if err != nil || len(ccrs) == 0 {
		return err
	}
	ccr := ccrs[0]
	st := operator.ReadStatus(&ccr)
	r.Installed, r.Method, r.Release, r.Namespace, r.Chart = true, "operator", "ccruntime/"+ccr.GetName(), operator.Namespace, "operator"
	r.RuntimeClasses.Expected = st.RuntimeClasses
	dep, err := c.Kube.AppsV1().Deployments(operator.Namespace).Get(ctx, operator.Deployment, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		r.Problems = append(r.Problems, "the operator deployment "+operator.Namespace+"/"+operator.Deployment+" is missing")
	case err != nil:
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "deployments.apps", Namespace: operator.Namespace, Name: operator.Deployment}))
	default:
		for _, ct := range dep.Spec.Template.Spec.Containers {
			if ct.Name == operator.ManagerContainer {
				r.Version = operator.ImageVersion(ct.Image)
			}
		}
		if dep.Status.AvailableReplicas == 0 && !DeploymentAvailable(dep) {
			r.Problems = append(r.Problems, "the operator deployment is not available")
		}
	}
	for _, n := range st.CompletedNodes {
		label := ""
		if node, err := c.Kube.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{}); err == nil {
			label = node.Labels[tee.KataRuntime]
		} else {
			r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "nodes", Name: n}))
		}
		r.Nodes = append(r.Nodes, NodeState{Node: n, KataRuntime: label})
	}
	if !st.Done() {
		r.Problems = append(r.Problems, fmt.Sprintf("CcRuntime %s: %d of %d node(s) installed", ccr.GetName(), st.Completed, st.Total))
	}
	r.Problems = append(r.Problems, st.Failed...)
	return nil
}

// DeploymentAvailable says whether the Deployment's Available condition is True.
func DeploymentAvailable(d *appsv1.Deployment) bool {
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentAvailable && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// conclude judges what was read: the expected runtime classes that are not present are a
// problem (when they could be listed: classesRead); healthy means installed, no problem, and
// nothing that could not be read.
func (r *Report) conclude(classesRead bool) {
	r.RuntimeClasses.Missing = []string{} // the JSON schema has lists, never null
	if r.RuntimeClasses.Expected == nil {
		r.RuntimeClasses.Expected = []string{}
	}
	if r.RuntimeClasses.Present == nil {
		r.RuntimeClasses.Present = []string{}
	}
	for _, e := range r.RuntimeClasses.Expected {
		if !classesRead {
			break
		}
		if !slices.Contains(r.RuntimeClasses.Present, e) {
			r.RuntimeClasses.Missing = append(r.RuntimeClasses.Missing, e)
		}
	}
	if len(r.RuntimeClasses.Missing) > 0 {
		r.Problems = append(r.Problems, "runtime classes missing: "+strings.Join(r.RuntimeClasses.Missing, ", "))
	}
	r.Healthy = r.Installed && len(r.Problems) == 0 && len(r.CannotTell) == 0
}
