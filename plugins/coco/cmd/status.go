package cmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/podrun"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/operator"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// StatusOptions shows what is installed and whether it works.
type StatusOptions struct {
	g   *cli.Globals
	out output.Flags

	printer      *output.Printer[StatusReport]
	fleetPrinter *output.Printer[FleetStatus] // --shoots
	// clients and releases are built in Complete unless a test set them.
	clients  *kube.Clients
	releases *helmrelease.Client
	// Shoots, Project and Parallel: the fleet view (the kubeconfig flags name the garden).
	Shoots   string
	Project  string
	Parallel int
}

// NodeState is one target node's install state.
type NodeState struct {
	Node        string `json:"node"`
	KataRuntime string `json:"kataRuntime"`
}

// StatusReport is the schema of "status -o json|yaml".
type StatusReport struct {
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

func newStatusCommand(g *cli.Globals) *cobra.Command {
	o := &StatusOptions{g: g, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "What CoCo release is installed, on which nodes, and what is wrong",
		Args:  cli.NoArgs,
		RunE:  cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	cmd.Flags().StringVar(&o.Shoots, "shoots", "", `"all" or a,b: the shoots of a Gardener project, with --kubeconfig/--context naming the garden (each through a short-lived kubeconfig from shoots/adminkubeconfig, kept in memory)`)
	cmd.Flags().StringVarP(&o.Project, "project", "p", "", "the Gardener project of --shoots (default: the garden context's namespace)")
	cmd.Flags().IntVar(&o.Parallel, "parallel", 4, "how many shoots --shoots reads at once")
	return cmd
}

// Complete reads -o and connects to the cluster and its Helm releases.
func (o *StatusOptions) Complete([]string) error {
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.fleetPrinter, err = output.ToPrinter(&o.out, o.printFleet); err != nil {
		return err
	}
	return connect(o.g, &o.clients, &o.releases)
}

// connect builds the API clients and the Helm client of the release's namespace, unless a
// test set them.
func connect(g *cli.Globals, c **kube.Clients, releases **helmrelease.Client) error {
	if err := g.ClientsInto(c); err != nil {
		return err
	}
	return helmrelease.Into(g, releases, releaseNamespace(g))
}

// Validate checks the fleet flags.
func (o *StatusOptions) Validate() error {
	if o.Shoots != "" && o.Parallel < 1 {
		return clierr.Usagef("e.g. --parallel 4", "--parallel must be at least 1")
	}
	if o.Project != "" && o.Shoots == "" {
		return clierr.Usagef("add --shoots all", "-p names the project of --shoots")
	}
	return nil
}

// Run gathers the status; exit code 1 when CoCo is not installed or not healthy.
func (o *StatusOptions) Run(ctx context.Context) error {
	if o.Shoots != "" {
		return o.runFleet(ctx)
	}
	r, err := o.gather(ctx, releaseNamespace(o.g))
	if err != nil {
		return err
	}
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.Healthy)
}

// gather reads the release (or the operator's CcRuntime), its nodes and runtime classes, and
// concludes.
func (o *StatusOptions) gather(ctx context.Context, ns string) (StatusReport, error) {
	c := o.clients
	r := StatusReport{APIVersion: preflight.APIVersion, Kind: "StatusReport", Namespace: ns, Nodes: []NodeState{}, Problems: []string{}, CannotTell: []string{}}
	rel, err := o.releases.Get(ctx, chartvalues.ReleaseName)
	if err != nil {
		return r, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: ns}), "reading the Helm release")
	}
	if rel != nil {
		o.chartStatus(ctx, c.Kube, rel, &r)
	}
	if rel == nil {
		if err := o.operatorStatus(ctx, c, &r); err != nil {
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
func (o *StatusOptions) chartStatus(ctx context.Context, cs kubernetes.Interface, rel *release.Release, r *StatusReport) {
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
		problems, unknown := daemonSetState(ctx, cs, r.Namespace, ds.Name)
		r.Problems, r.CannotTell = append(r.Problems, problems...), append(r.CannotTell, unknown...)
	}
}

// daemonSetPods names kata-deploy pods that are not ready, with their last warning event and,
// when they crash-loop, their last log line: that is where kata-deploy says why it refuses to
// start. What cannot be read is left out.
func daemonSetPods(ctx context.Context, cs kubernetes.Interface, ns, name string) []string {
	problems, _ := daemonSetState(ctx, cs, ns, name)
	return problems
}

// daemonSetState reads the DaemonSet and its pods: problems found, and what could not be read.
func daemonSetState(ctx context.Context, cs kubernetes.Interface, ns, name string) (problems, unknown []string) {
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
		if p := &pods.Items[i]; !podReady(p) || recentlyCrashed(p, time.Now()) {
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

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func (o *StatusOptions) printHuman(w io.Writer, r StatusReport) error {
	p := o.g.Palette(w)
	if !r.Installed {
		fmt.Fprintf(w, "CoCo is %s (no Helm release %q in namespace %s)\n", p.Bad("not installed"), chartvalues.ReleaseName, r.Namespace)
		if len(r.RuntimeClasses.Present) > 0 {
			fmt.Fprintf(w, "Runtime classes present anyway: %s\n", strings.Join(r.RuntimeClasses.Present, ", "))
		}
		fmt.Fprintln(w, "Install it with: kubectl coco install")
		return nil
	}
	if r.Method == "operator" {
		fmt.Fprintf(w, "Installed by the CoCo operator %s: %s in %s\n", r.Version, r.Release, r.Namespace)
	} else {
		fmt.Fprintf(w, "Release:  %s (chart %s %s, revision %d, %s) in %s\n", r.Release, r.Chart, r.Version, r.Revision, r.ReleaseStatus, r.Namespace)
	}
	t := output.Table{Headers: []string{"node", "kata-runtime"}, NoHeaders: o.out.NoHeaders}
	for _, n := range r.Nodes {
		cell := output.Cell{Text: n.KataRuntime, Paint: p.Good}
		if n.KataRuntime != "true" {
			cell = output.Cell{Text: dashIfEmpty(n.KataRuntime, "not yet"), Paint: p.Warn}
		}
		t.Add(output.C(n.Node), cell)
	}
	fmt.Fprintln(w)
	if err := t.Render(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nRuntime classes: %d of %d expected present", len(r.RuntimeClasses.Expected)-len(r.RuntimeClasses.Missing), len(r.RuntimeClasses.Expected))
	if len(r.RuntimeClasses.Missing) > 0 {
		fmt.Fprintf(w, " (missing: %s)", strings.Join(r.RuntimeClasses.Missing, ", "))
	}
	fmt.Fprintln(w)
	if r.Healthy {
		fmt.Fprintf(w, "Status: %s\n", p.Good("healthy"))
		return nil
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "Status: %s\n", p.Bad("problems found"))
	} else {
		fmt.Fprintf(w, "Status: %s\n", p.Warn("cannot tell"))
	}
	for _, pr := range r.Problems {
		fmt.Fprintf(w, "  %s %s\n", p.Bad("✗"), pr)
	}
	for _, u := range r.CannotTell {
		fmt.Fprintf(w, "  %s %s\n", p.Warn("?"), u)
	}
	return nil
}

func dashIfEmpty(s, alt string) string {
	if s == "" {
		return alt
	}
	return s
}

// operatorStatus fills the report for an install made with --method operator.
func (o *StatusOptions) operatorStatus(ctx context.Context, c *kube.Clients, r *StatusReport) error {
	ccrs, _, err := listCcRuntimes(ctx, c)
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
		if dep.Status.AvailableReplicas == 0 && !deploymentAvailable(dep) {
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

func deploymentAvailable(d *appsv1.Deployment) bool {
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
func (r *StatusReport) conclude(classesRead bool) {
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
