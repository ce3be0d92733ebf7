package helmcmd

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	release "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/catalog"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cocostatus"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/operator"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

// InstallOptions installs CoCo through its Helm chart and waits until it works.
type InstallOptions struct {
	g               *cli.Globals
	out             output.Flags
	Method          string
	Source          string
	Chart           string
	Version         string
	PlainHTTP       bool
	Platform        string
	K8sDistribution string
	NodeSelector    string
	Sets            []string
	ValuesFiles     []string
	SkipPreflight   bool
	DryRun          cli.DryRun
	Force           bool
	Timeout         time.Duration

	printer     *output.Printer[InstallResult]
	planPrinter *output.Printer[InstallPlan] // --dry-run
	selector    map[string]string
	user        map[string]any
	// clients and releases are built in Complete unless a test set them.
	clients   *kube.Clients
	releases  *helmrelease.Client
	daemonSet string
}

// InstallResult is the schema of "install -o json|yaml".
type InstallResult struct {
	APIVersion     string   `json:"apiVersion"`
	Kind           string   `json:"kind"`
	Release        string   `json:"release"`
	Namespace      string   `json:"namespace"`
	Chart          string   `json:"chart"`
	Version        string   `json:"version"`
	KataDeploy     string   `json:"kataDeploy,omitempty"`
	Outcome        string   `json:"outcome"`
	Nodes          []string `json:"nodes"`
	RuntimeClasses []string `json:"runtimeClasses"`

	table   catalog.RuntimeClassList // the runtime classes' table the human output ends with
	noTable bool                     // they could not be read
}

// InstallPlan is what "install --dry-run" prints: the rendered manifest and hooks (-o yaml
// prints the manifest itself, as helm template does), and with -o json the values and the chart.
type InstallPlan struct {
	Manifest string         `json:"manifest"`
	Values   map[string]any `json:"values"`
	Chart    string         `json:"chart"`
}

// YAMLDocument makes -o yaml the manifest.
func (p InstallPlan) YAMLDocument() ([]byte, error) { return []byte(p.Manifest), nil }

func printInstallPlan(w io.Writer, p InstallPlan) error {
	_, err := io.WriteString(w, p.Manifest)
	return err
}

func newInstallCommand(g *cli.Globals) *cobra.Command {
	o := &InstallOptions{g: g, Method: "chart", Chart: chartvalues.DefaultChart, Platform: "auto",
		K8sDistribution: "k8s", NodeSelector: tee.WorkerLabel + "=", Timeout: 15 * time.Minute,
		out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "install",
		Short: cmd.InstallShort,
		Long: `Checks the cluster (preflight), installs the Confidential Containers chart through the Helm SDK
(release "coco" in namespace coco-system), and waits with watches until every target node carries
katacontainers.io/kata-runtime=true and the expected runtime classes exist. Re-running on an
installed cluster changes nothing; different values or versions upgrade the release.`,
		Example: `  kubectl coco install
  kubectl coco install --platform s390x
  kubectl coco install --chart oci://registry.internal/mirror/confidential-containers --version 0.21.0
  kubectl coco install --dry-run -o yaml`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.Method, "method", o.Method, "chart (CoCo >= v0.18), or operator (the guide's path, CoCo <= v0.17.0)")
	f.StringVar(&o.Source, "source", "", "with --method operator: the operator's source, an http(s) URL of its .tar.gz or a local folder (default: its GitHub tag archive)")
	f.StringVar(&o.Chart, "chart", o.Chart, "chart: oci://..., an http(s) URL of a .tgz, or a local path (use a mirror in air-gapped networks)")
	f.StringVar(&o.Version, "version", "", "chart version (default "+chartvalues.DefaultVersion+"), or operator release tag (default "+operator.DefaultVersion+")")
	f.BoolVar(&o.PlainHTTP, "plain-http", false, "use HTTP, not HTTPS, for the OCI registry (a mirror inside a closed network)")
	f.StringVar(&o.Platform, "platform", o.Platform, "x86_64, s390x, aarch64, peer-pods, sgx (operator only), or auto (from the worker nodes' architecture)")
	f.StringVar(&o.K8sDistribution, "k8s-distribution", o.K8sDistribution, "k8s, k3s, rke2, k0s or microk8s")
	f.StringVar(&o.NodeSelector, "node-selector", o.NodeSelector, "nodes that get the CoCo runtime, as key=value[,key=value] (\"\" for all nodes)")
	f.StringArrayVar(&o.Sets, "set", nil, "chart value key=value (repeatable, as helm --set)")
	f.StringArrayVarP(&o.ValuesFiles, "values", "f", nil, "chart values file (repeatable, as helm -f)")
	f.BoolVar(&o.SkipPreflight, "skip-preflight", false, "install even when the preflight checks fail")
	cli.AddDryRunFlag(f, &o.DryRun, "print what would be applied (-o yaml: the rendered manifests) and apply nothing")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long the whole install may take, waiting for the nodes and runtime classes included")
	f.BoolVar(&o.Force, "force", false, "take over a release another run left pending-install/-upgrade although its last update is younger than --timeout")
	_ = cmd.RegisterFlagCompletionFunc("platform", cobra.FixedCompletions([]string{"auto", "x86_64", "s390x", "aarch64", "peer-pods"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete reads -o and the node selector, and picks the default version of the method.
func (o *InstallOptions) Complete([]string) error {
	if o.Version == "" {
		o.Version = chartvalues.DefaultVersion
		if o.Method == "operator" {
			o.Version = operator.DefaultVersion
		}
	}
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.planPrinter, err = output.ToPrinter(&o.out, printInstallPlan); err != nil {
		return err
	}
	if o.selector, err = labels.ConvertSelectorToLabelsMap(o.NodeSelector); err != nil {
		return clierr.Usagef("use key=value[,key=value]", "invalid --node-selector %q: %v", o.NodeSelector, err)
	}
	// The user's own values, read before anything goes to the network.
	if o.user, err = helmrelease.Values(nil, o.ValuesFiles, o.Sets); err != nil {
		return err
	}
	return helmrelease.Connect(o.g, &o.clients, &o.releases, releaseNamespace(o.g))
}

// Validate checks the flags without I/O.
func (o *InstallOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	switch o.Method {
	case "chart":
		if o.Platform != "auto" {
			if _, err := chartvalues.ParsePlatform(o.Platform); err != nil {
				return clierr.Usagef("use --platform x86_64, s390x, aarch64, peer-pods or auto", "%v", err)
			}
		}
	case "operator":
		if err := operator.CheckVersion(o.Version); err != nil {
			return clierr.Usagef("e.g. --method operator --version v0.10.0, or --method chart for newer CoCo", "%v", err)
		}
		if o.Platform != "auto" && operator.Samples[o.operatorPlatform()] == "" {
			return clierr.Usagef("use --platform x86_64, s390x, peer-pods or sgx", "the operator has no CcRuntime for platform %q", o.Platform)
		}
		if len(o.Sets) > 0 || len(o.ValuesFiles) > 0 {
			return clierr.Usagef("drop --set/-f: they are chart values", "--set and -f apply to --method chart only")
		}
	default:
		return clierr.Usagef("use --method chart or --method operator", "unknown --method %q", o.Method)
	}
	if !slices.Contains(chartvalues.Distributions, o.K8sDistribution) {
		return clierr.Usagef("use one of "+strings.Join(chartvalues.Distributions, ", "), "unknown --k8s-distribution %q", o.K8sDistribution)
	}
	if err := cli.CheckTimeout(o.Timeout, "15m"); err != nil {
		return err
	}
	if o.Chart == "" || o.Version == "" && strings.HasPrefix(o.Chart, "oci://") {
		return clierr.Usagef("e.g. --chart "+chartvalues.DefaultChart+" --version "+chartvalues.DefaultVersion, "--chart and --version must not be empty")
	}
	return nil
}

// operatorPlatform maps --platform to the operator's sample names.
func (o *InstallOptions) operatorPlatform() string {
	if o.Platform == "sgx" {
		return "sgx"
	}
	p, err := chartvalues.ParsePlatform(o.Platform)
	if err != nil {
		return o.Platform
	}
	return string(p)
}

// Run checks, installs, waits and reports.
func (o *InstallOptions) Run(ctx context.Context) error {
	// --timeout bounds the whole command, also when the API server hangs or goes away.
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c := o.clients
	ns := releaseNamespace(o.g)
	prog := o.g.ProgressFor(o.printer.Format())
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "nodes"})
	}
	if !o.SkipPreflight {
		step := prog.Start("preflight")
		if err := o.preflight(c, nodes.Items); err != nil {
			step.Fail("not ready")
			return err
		}
		step.Done("cluster ready")
	}
	if o.Method == "operator" {
		if o.Platform == "auto" {
			o.Platform = string(o.platform(nodes.Items))
		}
		if !o.DryRun.On() {
			if err := access.Check(ctx, c.Kube,
				access.Request{Verb: "create", Resource: "namespaces"},
				access.Request{Verb: "create", Group: "apiextensions.k8s.io", Resource: "customresourcedefinitions"},
				access.Request{Verb: "create", Group: "apps", Resource: "deployments", Namespace: "confidential-containers-system"},
				access.Request{Verb: "create", Group: "rbac.authorization.k8s.io", Resource: "clusterroles"}); err != nil {
				return clierr.Wrap(err, "installing the CoCo operator needs these permissions")
			}
		}
		return o.runOperator(ctx, c, o.operatorPlatform(), prog)
	}
	plan, err := o.chartPlan(ctx, nodes.Items, prog)
	if err != nil {
		return err
	}
	if o.DryRun.On() {
		return o.printDryRun(plan)
	}
	return o.install(ctx, c, ns, plan, prog)
}

// chartPlan is what the chart install will apply, checked against the chart's contract.
type chartPlan struct {
	chart    *chart.Chart
	info     chartvalues.ChartInfo
	platform chartvalues.Platform
	vals     map[string]any
	rendered *release.Release
	targets  []string
	classes  []string
}

// chartPlan loads the chart, builds the values from what it offers for the platform, renders it
// and holds the result to kata-deploy's contract, all before anything is applied.
func (o *InstallOptions) chartPlan(ctx context.Context, nodes []corev1.Node, prog *progress.Progress) (*chartPlan, error) {
	step := prog.Start("loading chart " + o.Chart + " " + o.Version)
	ch, err := helmrelease.LoadChart(ctx, helmrelease.Source{Ref: o.Chart, Version: o.Version, PlainHTTP: o.PlainHTTP})
	if err != nil {
		step.End(err, "")
		return nil, err
	}
	p := &chartPlan{chart: ch, platform: o.platform(nodes)}
	if p.info, err = chartvalues.Inspect(ch); err == nil {
		err = p.info.CheckDialect()
	}
	if err != nil {
		step.Fail(ch.Metadata.Name + " " + ch.Metadata.Version)
		return nil, chartRefused(err, p.info)
	}
	step.Done(p.info.Describe()[len("chart "):])
	if chartvalues.Newer(p.info.KataDeploy) {
		o.g.Note(fmt.Sprintf("kata-deploy %s is newer than %s, the newest this kubectl coco was checked against; its values and DaemonSet passed the contract check",
			p.info.KataDeploy, chartvalues.NewestKataDeploy))
	}
	targets, arches := matchingNodes(nodes, o.selector)
	if len(targets) == 0 && !o.DryRun.On() {
		return nil, clierr.Failf("label workers (kubectl coco label-workers NODE) or change --node-selector; nothing was applied",
			"no node matches the node selector %q: kata-deploy would run nowhere", labels.SelectorFromSet(o.selector).String())
	}
	if len(arches) == 0 && chartvalues.NodeArch(p.platform) != "" {
		arches = []string{chartvalues.NodeArch(p.platform)}
	}
	plan, err := chartvalues.ForPlatform(p.platform, p.info, o.K8sDistribution, o.selector)
	if err != nil {
		return nil, chartRefused(err, p.info)
	}
	if err := chartvalues.CheckKeys(plan.Values, o.user, p.info); err != nil {
		return nil, chartRefused(err, p.info)
	}
	if p.vals, err = helmrelease.Values(plan.Values, o.ValuesFiles, o.Sets); err != nil {
		return nil, err
	}
	if p.rendered, err = helmrelease.Render(ctx, ch, p.vals, chartvalues.ReleaseName, releaseNamespace(o.g)); err != nil {
		return nil, clierr.Wrap(err, "rendering %s", p.info.Describe())
	}
	if err := checkDaemonSet(p.rendered.Manifest, arches, plan.Shims, p.info); err != nil {
		return nil, err
	}
	p.targets = targets
	if p.classes = chartvalues.RuntimeClassesIn(p.rendered.Manifest); len(p.classes) == 0 {
		p.classes = chartvalues.RuntimeClasses(p.vals)
	}
	return p, nil
}

// chartRefused is a contract mismatch: exit 1, nothing applied.
func chartRefused(err error, info chartvalues.ChartInfo) error {
	return &clierr.Error{Code: clierr.CodeFailure, Msg: err.Error() + "; nothing was applied", // err's text is in Msg: no Err, or it prints twice
		Fix: refusedChartFix(info)}
}

// refusedChartFix points away from the refused chart: to the default version, unless that is
// the version refused (then the chart is not upstream's: a mirror's or a local copy).
func refusedChartFix(info chartvalues.ChartInfo) string {
	if info.Version != "" && chartvalues.KnownRelease(info.Version) {
		return fmt.Sprintf("chart version %s is one kubectl coco supports, so this chart differs from upstream's: install upstream's (drop --chart, or --chart %s --version %s), or set the values your chart needs with --set",
			info.Version, chartvalues.DefaultChart, info.Version)
	}
	return "use a supported chart version (--version " + chartvalues.DefaultVersion + "), or set the values your chart needs with --set"
}

// checkDaemonSet holds the rendered kata-deploy DaemonSet to kata-deploy's start-up check for
// the architectures of the nodes it will run on.
func checkDaemonSet(manifest string, arches, shims []string, info chartvalues.ChartInfo) error {
	ds, err := chartvalues.KataDeployDaemonSet(manifest)
	if err != nil {
		return err
	}
	if ds == nil {
		return chartRefused(fmt.Errorf("%s renders no kata-deploy DaemonSet with these values (deploymentMode job is not followed by kubectl coco)", info.Describe()), info)
	}
	if err := chartvalues.CheckEnv(chartvalues.Env(ds), arches, shims); err != nil {
		return &clierr.Error{Code: clierr.CodeFailure, Msg: fmt.Sprintf("%s: %v; nothing was applied", info.Describe(), err),
			Fix: "choose --platform for the nodes' architecture or narrow --node-selector to nodes of one architecture; if you set shims with --set, set kata-as-coco-runtime.defaultShim.<arch> to one of them"}
	}
	return nil
}

// matchingNodes are the nodes the selector picks and their architectures.
func matchingNodes(nodes []corev1.Node, selector map[string]string) (names, arches []string) {
	sel := labels.SelectorFromSet(selector)
	for _, n := range nodes {
		if !sel.Matches(labels.Set(n.Labels)) {
			continue
		}
		names = append(names, n.Name)
		a := n.Labels[corev1.LabelArchStable]
		if a == "" {
			a = n.Status.NodeInfo.Architecture
		}
		if a != "" && !slices.Contains(arches, a) {
			arches = append(arches, a)
		}
	}
	sort.Strings(arches)
	return names, arches
}

// printDryRun prints the rendered manifest and hooks (YAML) or them and the values (JSON).
func (o *InstallOptions) printDryRun(p *chartPlan) error {
	return o.planPrinter.Print(o.g.Streams.Out, InstallPlan{Manifest: helmrelease.ManifestWithHooks(p.rendered), Values: p.vals, Chart: p.info.Describe()})
}

// install applies the plan and waits until the nodes run it.
func (o *InstallOptions) install(ctx context.Context, c *kube.Clients, ns string, p *chartPlan, prog *progress.Progress) error {
	hc := o.releases
	if err := hc.PreflightRendered(ctx, c.Config, c.Kube, p.rendered); err != nil {
		return err
	}
	if err := waitNamespaceGone(ctx, c, ns, o.Timeout, prog); err != nil {
		return err
	}
	step := prog.Start(fmt.Sprintf("installing release %s in namespace %s (%s)", chartvalues.ReleaseName, ns, p.platform))
	rel, outcome, err := hc.Install(ctx, p.chart, p.vals, helmrelease.Options{Name: chartvalues.ReleaseName, Timeout: o.Timeout,
		Notice: o.g.Note, TakeOverAfter: o.Timeout, Force: o.Force})
	if err != nil {
		step.End(err, "")
		if down := c.Unreachable(ctx); down != nil {
			return &clierr.Error{Code: clierr.CodeFailure, Err: down, Msg: "the API server stopped answering during helm install",
				Fix: "check that the cluster is reachable, then run the same command again: it completes the release"}
		}
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "install", Resource: "helm release " + chartvalues.ReleaseName, Namespace: ns}), "helm install")
	}
	step.Done(string(outcome))
	if ds, _ := chartvalues.KataDeployDaemonSet(rel.Manifest); ds != nil {
		o.daemonSet = ds.Name
	}
	targets, err := waitInstalled(ctx, c, ns, o.selector, p.classes, o.Timeout, prog)
	if err != nil {
		return o.explainWait(c, ns, err)
	}
	res := InstallResult{APIVersion: preflight.APIVersion, Kind: "InstallResult", Release: chartvalues.ReleaseName, Namespace: ns,
		Chart: o.Chart, Version: p.chart.Metadata.Version, KataDeploy: p.info.KataDeploy, Outcome: string(outcome), Nodes: targets, RuntimeClasses: p.classes}
	return o.report(ctx, c, res)
}

// report prints the result; people also get the runtime classes' table.
func (o *InstallOptions) report(ctx context.Context, c *kube.Clients, res InstallResult) error {
	if !o.printer.Structured() {
		var err error
		if res.table, err = catalog.Gather(ctx, c.Kube); err != nil { // the install succeeded: say so anyway
			o.g.Warn("cannot show the runtime classes: " + err.Error())
			res.noTable = true
		}
	}
	return o.printer.Print(o.g.Streams.Out, res)
}

func (o *InstallOptions) printHuman(w io.Writer, r InstallResult) error {
	if r.Chart == operatorChart {
		what := map[string]string{"installed": "installed", "unchanged": "already installed: nothing changed"}[r.Outcome]
		fmt.Fprintf(w, "CoCo operator %s %s (CcRuntime %s) on %d node(s): %s\n\n", r.Version, what, strings.TrimPrefix(r.Release, "ccruntime/"),
			len(r.Nodes), strings.Join(r.Nodes, ", "))
	} else {
		msg := map[string]string{string(helmrelease.Installed): "installed", string(helmrelease.Upgraded): "upgraded",
			string(helmrelease.Unchanged): "already installed with these values: nothing changed"}[r.Outcome]
		fmt.Fprintf(w, "CoCo %s %s (release %s in %s, kata-deploy %s) on %d node(s): %s\n\n", r.Version, msg, r.Release, r.Namespace,
			r.KataDeploy, len(r.Nodes), strings.Join(r.Nodes, ", "))
	}
	if r.noTable {
		return nil
	}
	return cmd.PrintRuntimeClassTable(o.g, w, r.table, false, o.out.NoHeaders)
}

// explainWait adds what kata-deploy's pods say to a wait that did not finish: their crash loop
// is where kata-deploy prints why it refuses to start.
func (o *InstallOptions) explainWait(c *kube.Clients, ns string, err error) error {
	var ce *clierr.Error
	if o.daemonSet == "" || !errorsAs(err, &ce) || ce.Code == clierr.CodeInterrupted {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if problems := cocostatus.DaemonSetPods(ctx, c.Kube, ns, o.daemonSet); len(problems) > 0 {
		ce.Msg += "; kata-deploy: " + strings.Join(problems, "; ")
	}
	return err
}

func (o *InstallOptions) preflight(c *kube.Clients, nodes []corev1.Node) error {
	v, err := c.Kube.Discovery().ServerVersion()
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "/version"})
	}
	reports := make([]nodecheck.Report, len(nodes))
	for i := range nodes {
		reports[i] = nodecheck.Evaluate(&nodes[i], nodecheck.Options{})
	}
	r := preflight.Evaluate(v.GitVersion, reports)
	if r.Ready {
		return nil
	}
	var why []string
	fix := ""
	for _, ch := range r.Checks {
		if ch.Status == tee.Fail {
			why = append(why, ch.ID+": "+ch.Message)
			if fix == "" {
				fix = ch.Fix
			}
		}
	}
	return &clierr.Error{Code: clierr.CodeFailure, Msg: "the cluster is not ready for CoCo: " + strings.Join(why, "; "),
		Fix: fix + " (details: kubectl coco preflight; override: --skip-preflight)"}
}

// platform is --platform, or the architecture of the first worker.
func (o *InstallOptions) platform(nodes []corev1.Node) chartvalues.Platform {
	if o.Platform != "auto" {
		p, _ := chartvalues.ParsePlatform(o.Platform)
		return p
	}
	for _, n := range nodes {
		if _, ok := n.Labels[tee.WorkerLabel]; ok {
			return chartvalues.PlatformForArch(n.Status.NodeInfo.Architecture)
		}
	}
	return chartvalues.X86
}
