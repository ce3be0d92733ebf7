package helmcmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	release "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdutil"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/operator"
)

// UninstallOptions removes the CoCo release and its namespace.
type UninstallOptions struct {
	g          *cli.Globals
	DryRun     cli.DryRun
	RemoveKept bool
	Timeout    time.Duration

	// clients and releases are built in Complete unless a test set them.
	clients  *kube.Clients
	releases *helmrelease.Client
}

func newUninstallCommand(g *cli.Globals) *cobra.Command {
	o := &UninstallOptions{g: g, Timeout: 10 * time.Minute}
	cmd := &cobra.Command{
		Use:   "uninstall",
		Short: cmd.UninstallShort,
		Long: `Uninstalls the "coco" Helm release, waits with watches until its runtime classes are gone and
kata-deploy has cleaned the nodes (the katacontainers.io/kata-runtime label goes), then deletes
the namespace. Running it when CoCo is not installed changes nothing.`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	cli.AddDryRunFlag(cmd.Flags(), &o.DryRun, "print what would be removed, remove nothing")
	cmd.Flags().DurationVar(&o.Timeout, "timeout", o.Timeout, "how long the whole uninstall may take, the chart's hooks and the nodes' clean-up included")
	cmd.Flags().BoolVar(&o.RemoveKept, "remove-kept", false, "also delete what the chart keeps on uninstall (helm.sh/resource-policy: keep) when its post-delete hook could not")
	return cmd
}

// Complete has nothing to read.
func (o *UninstallOptions) Complete([]string) error {
	return helmrelease.Connect(o.g, &o.clients, &o.releases, releaseNamespace(o.g))
}

// Validate checks the timeout.
func (o *UninstallOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if err := cli.CheckTimeout(o.Timeout, "10m"); err != nil {
		return err
	}
	return nil
}

// Run removes what the release made.
func (o *UninstallOptions) Run(ctx context.Context) error {
	// --timeout bounds the whole command, also when the API server hangs.
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c, ns := o.clients, releaseNamespace(o.g)
	rel, err := o.releases.Get(ctx, chartvalues.ReleaseName)
	if err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: ns}), "reading the Helm release")
	}
	if rel == nil {
		if handled, err := o.leftovers(ctx, c, ns); handled || err != nil {
			return err
		}
		return o.runOperator(ctx, c, ns)
	}
	return o.uninstallChart(ctx, rel)
}

// uninstallChart removes the chart's release, waits for its runtime classes to go and the
// nodes to be cleaned, removes what the chart keeps (--remove-kept), then the namespace.
func (o *UninstallOptions) uninstallChart(ctx context.Context, rel *release.Release) error {
	c, ns, out := o.clients, releaseNamespace(o.g), o.g.Streams.Out
	classes := chartvalues.RuntimeClassesIn(rel.Manifest)
	if len(classes) == 0 {
		classes = chartvalues.RuntimeClasses(rel.Config)
	}
	hooks, kept := helmrelease.HookJobs(rel, "post-delete"), helmrelease.Kept(rel)
	if o.DryRun.On() {
		o.printPlan(rel, classes, hooks, kept)
		return nil
	}
	if err := access.Check(ctx, c.Kube,
		access.Request{Verb: "delete", Resource: "secrets", Namespace: ns},
		access.Request{Verb: "delete", Group: "apps", Resource: "daemonsets", Namespace: ns},
		access.Request{Verb: "delete", Group: "node.k8s.io", Resource: "runtimeclasses"},
		access.Request{Verb: "create", Group: "batch", Resource: "jobs", Namespace: ns},
		access.Request{Verb: "delete", Resource: "namespaces"}); err != nil {
		return clierr.Wrap(err, "uninstalling CoCo needs these permissions")
	}
	prog := o.g.Progress()
	what := "uninstalling release " + rel.Name
	if len(hooks) > 0 {
		what += " (then the chart's post-delete hook " + hooks[0].String() + ")"
	}
	step := prog.Start(what)
	if _, err := o.releases.Uninstall(ctx, chartvalues.ReleaseName, helmTimeout(ctx)); err != nil {
		step.End(err, "")
		return o.uninstallFailed(ctx, c, hooks, kept, err)
	}
	step.Done("")
	if err := o.waitClean(ctx, c.Kube, classes, prog); err != nil {
		return err
	}
	left, err := o.removeKept(ctx, c, kept)
	if err != nil {
		return err
	}
	err = c.Kube.CoreV1().Namespaces().Delete(ctx, ns, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "namespaces", Name: ns})
	}
	fmt.Fprintf(out, "CoCo uninstalled: release %s removed, runtime classes gone, nodes cleaned, namespace %s deleted\n", rel.Name, ns)
	if len(left) > 0 {
		fmt.Fprintf(out, "Left by the chart's resource policy (its post-delete hook did not remove them): %s\nRemove them with: kubectl coco uninstall --remove-kept\n", objectList(left))
	}
	return nil
}

// printPlan says what uninstall would do, for --dry-run.
func (o *UninstallOptions) printPlan(rel *release.Release, classes []string, hooks, kept []helmrelease.Object) {
	out, ns := o.g.Streams.Out, releaseNamespace(o.g)
	fmt.Fprintf(out, "would uninstall release %s (chart %s) from %s, removing runtime classes %s, then delete namespace %s\n",
		rel.Name, rel.Chart.Metadata.Version, ns, strings.Join(classes, ", "), ns)
	for _, h := range hooks {
		fmt.Fprintf(out, "  the chart's post-delete hook %s runs after the release's objects are deleted\n", h)
	}
	if len(kept) > 0 {
		fmt.Fprintf(out, "  kept by the chart's resource policy (its post-delete hook removes them; --remove-kept if it cannot): %s\n", objectList(kept))
	}
}

// helmTimeout leaves Helm's own waits (deleted objects, hook Jobs) two seconds less than the
// command, so that a hook that does not finish is reported by Helm, naming it, before the
// command's deadline.
func helmTimeout(ctx context.Context) time.Duration {
	d, ok := ctx.Deadline()
	if !ok {
		return 10 * time.Minute
	}
	return max(time.Until(d)-2*time.Second, time.Second)
}

// waitClean follows runtime classes and nodes with watches until the release's classes are gone
// and no node carries the kata-runtime label (kata-deploy's clean-up).
func (o *UninstallOptions) waitClean(ctx context.Context, c kubernetes.Interface, classes []string, prog *progress.Progress) error {
	step := prog.Start("waiting for the runtime classes to go")
	rcs := c.NodeV1().RuntimeClasses()
	lw := waitfor.OnClient(c, waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return rcs.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return rcs.Watch(ctx, o) }, "", ""))
	var left []string
	err := waitfor.UntilAll(ctx, lw, &nodev1.RuntimeClass{}, func(objs []any) (bool, error) {
		left = left[:0]
		for _, obj := range objs {
			if rc, ok := obj.(*nodev1.RuntimeClass); ok && slices.Contains(classes, rc.Name) {
				left = append(left, rc.Name)
			}
		}
		return len(left) == 0, nil
	})
	if err != nil {
		step.Fail("")
		return cmdutil.WaitError(err, "runtime classes still present: "+strings.Join(left, ", "), "check with kubectl get runtimeclass")
	}
	step.Done("")
	step = prog.Start("waiting for kata-deploy to clean the nodes")
	nodes := c.CoreV1().Nodes()
	nlw := waitfor.OnClient(c, waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return nodes.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return nodes.Watch(ctx, o) }, "", tee.KataRuntime))
	var still []string
	err = waitfor.UntilAll(ctx, nlw, &corev1.Node{}, func(objs []any) (bool, error) {
		still = still[:0]
		for _, obj := range objs {
			if n, ok := obj.(*corev1.Node); ok {
				still = append(still, n.Name)
			}
		}
		return len(still) == 0, nil
	})
	if err != nil {
		step.Fail("")
		if errors.Is(err, context.Canceled) {
			return &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted while waiting for kata-deploy's clean-up: the release is uninstalled, nodes still labelled " + tee.KataRuntime + ": " + strings.Join(still, ", "),
				Fix: "run kubectl coco uninstall again to keep waiting, or remove the label by hand (kubectl label node NODE " + tee.KataRuntime + "-)"}
		}
		return cmdutil.WaitError(err, "nodes still labelled "+tee.KataRuntime+": "+strings.Join(still, ", "),
			"kata-deploy's clean-up did not finish: check the nodes, then remove the label by hand (kubectl label node NODE "+tee.KataRuntime+"-)")
	}
	step.Done("")
	return nil
}

// runOperator removes an install made with --method operator, if there is one.
func (o *UninstallOptions) runOperator(ctx context.Context, c *kube.Clients, chartNS string) error {
	out := o.g.Streams.Out
	ccrs, _, err := operator.ListCcRuntimes(ctx, c.Dynamic)
	if err != nil {
		return err
	}
	// Installed means a CcRuntime exists or the operator's namespace is live; a CRD still
	// being deleted after an uninstall does not count.
	ns, nsErr := c.Kube.CoreV1().Namespaces().Get(ctx, operator.Namespace, metav1.GetOptions{})
	live := nsErr == nil && ns.DeletionTimestamp == nil
	if len(ccrs) == 0 && !live {
		fmt.Fprintf(out, "CoCo is not installed (no Helm release %q in namespace %s, no CoCo operator): nothing to do\n", chartvalues.ReleaseName, chartNS)
		return nil
	}
	var names []string
	for _, ccr := range ccrs {
		names = append(names, ccr.GetName())
	}
	ccrText := "CcRuntime(s) " + strings.Join(names, ", ")
	if len(names) == 0 {
		ccrText = "no CcRuntime (none is left)"
	}
	if o.DryRun.On() {
		fmt.Fprintf(out, "would delete %s, wait for the nodes to be cleaned, then remove the operator (namespace %s, CRD %s, cluster roles %s*)\n",
			ccrText, operator.Namespace, operator.CRDName, operator.NamePrefix)
		return nil
	}
	if err := access.Check(ctx, c.Kube,
		access.Request{Verb: "delete", Group: operator.Group, Resource: operator.Resource},
		access.Request{Verb: "delete", Resource: "namespaces"},
		access.Request{Verb: "delete", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"}); err != nil {
		return clierr.Wrap(err, "uninstalling the CoCo operator needs these permissions")
	}
	if err := removeOperator(ctx, c, ccrs, o.g.Progress()); err != nil {
		return err
	}
	if len(names) == 0 {
		fmt.Fprintln(out, "CoCo operator uninstalled: no CcRuntime was left, operator deleted")
		return nil
	}
	fmt.Fprintf(out, "CoCo operator uninstalled: %s removed, nodes cleaned, operator deleted\n", ccrText)
	return nil
}
