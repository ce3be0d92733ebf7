package cmd

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
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
	DryRun          bool
	Timeout         time.Duration

	format   output.Format
	selector map[string]string
}

// InstallResult is the schema of "install -o json|yaml".
type InstallResult struct {
	APIVersion     string   `json:"apiVersion"`
	Kind           string   `json:"kind"`
	Release        string   `json:"release"`
	Namespace      string   `json:"namespace"`
	Chart          string   `json:"chart"`
	Version        string   `json:"version"`
	Outcome        string   `json:"outcome"`
	Nodes          []string `json:"nodes"`
	RuntimeClasses []string `json:"runtimeClasses"`
}

func newInstallCommand(g *cli.Globals) *cobra.Command {
	o := &InstallOptions{g: g, Method: "chart", Chart: chartvalues.DefaultChart, Platform: "auto",
		K8sDistribution: "k8s", NodeSelector: tee.WorkerLabel + "=", Timeout: 15 * time.Minute,
		out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "install",
		Short: "Install Confidential Containers (Helm chart) and wait until the nodes run it",
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
	f.BoolVar(&o.DryRun, "dry-run", false, "print what would be applied (-o yaml: the rendered manifests) and apply nothing")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long the whole install may take, waiting for the nodes and runtime classes included")
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
	if o.format, err = o.out.Format(); err != nil {
		return clierr.Usagef("use -o json or -o yaml", "%v", err)
	}
	if o.selector, err = labels.ConvertSelectorToLabelsMap(o.NodeSelector); err != nil {
		return clierr.Usagef("use key=value[,key=value]", "invalid --node-selector %q: %v", o.NodeSelector, err)
	}
	return nil
}

// Validate checks the flags without I/O.
func (o *InstallOptions) Validate() error {
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
	if o.Timeout <= 0 {
		return clierr.Usagef("e.g. --timeout 15m", "--timeout must be positive, not %s", o.Timeout)
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

// releaseNamespace is coco-system unless -n was given on the command line.
func releaseNamespace(g *cli.Globals) string {
	if ns := g.ConfigFlags.Namespace; ns != nil && *ns != "" {
		return *ns
	}
	return chartvalues.Namespace
}

// Run checks, installs, waits and reports.
func (o *InstallOptions) Run(ctx context.Context) error {
	// --timeout bounds the whole command, also when the API server hangs or goes away.
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	c, err := o.g.Clients()
	if err != nil {
		return err
	}
	ns := releaseNamespace(o.g)
	prog := o.g.Progress()
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
		if !o.DryRun {
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
	platform := o.platform(nodes.Items)
	vals, err := helmrelease.Values(chartvalues.ForPlatform(platform, o.K8sDistribution, o.selector), o.ValuesFiles, o.Sets)
	if err != nil {
		return err
	}
	step := prog.Start("loading chart " + o.Chart + " " + o.Version)
	ch, err := helmrelease.LoadChart(ctx, helmrelease.Source{Ref: o.Chart, Version: o.Version, PlainHTTP: o.PlainHTTP})
	if err != nil {
		step.Fail("failed")
		return err
	}
	step.Done(ch.Metadata.Name + " " + ch.Metadata.Version)
	hc, err := helmrelease.NewClient(o.g.ConfigFlags, ns, false)
	if err != nil {
		return clierr.Wrap(err, "connecting Helm to the cluster")
	}
	if !o.DryRun {
		if err := hc.Preflight(ctx, c.Config, c.Kube, ch, vals, chartvalues.ReleaseName); err != nil {
			return err
		}
		if err := waitNamespaceGone(ctx, c, ns, o.Timeout, prog); err != nil {
			return err
		}
	}
	step = prog.Start(fmt.Sprintf("installing release %s in namespace %s (%s)", chartvalues.ReleaseName, ns, platform))
	rel, outcome, err := hc.Install(ctx, ch, vals, helmrelease.Options{Name: chartvalues.ReleaseName, Timeout: o.Timeout, DryRun: o.DryRun,
		Notice: o.g.Note})
	if err != nil {
		step.Fail("failed")
		if down := c.Unreachable(ctx); down != nil {
			return &clierr.Error{Code: clierr.CodeFailure, Err: down, Msg: "the API server stopped answering during helm install",
				Fix: "check that the cluster is reachable, then run the same command again: it completes the release"}
		}
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "install", Resource: "helm release " + chartvalues.ReleaseName, Namespace: ns}), "helm install")
	}
	step.Done(string(outcome))
	if o.DryRun {
		if o.format == output.YAML || o.format == output.Human {
			_, err := fmt.Fprint(o.g.Streams.Out, rel.Manifest)
			return err
		}
		return output.Print(o.g.Streams.Out, o.format, map[string]any{"manifest": rel.Manifest, "values": vals})
	}
	expected := chartvalues.RuntimeClasses(vals)
	targets, err := waitInstalled(ctx, c, ns, o.selector, expected, o.Timeout, prog)
	if err != nil {
		return err
	}
	res := InstallResult{APIVersion: preflight.APIVersion, Kind: "InstallResult", Release: chartvalues.ReleaseName, Namespace: ns,
		Chart: o.Chart, Version: ch.Metadata.Version, Outcome: string(outcome), Nodes: targets, RuntimeClasses: expected}
	if o.format.Structured() {
		return output.Print(o.g.Streams.Out, o.format, res)
	}
	msg := map[helmrelease.Outcome]string{helmrelease.Installed: "installed", helmrelease.Upgraded: "upgraded",
		helmrelease.Unchanged: "already installed with these values: nothing changed"}[outcome]
	fmt.Fprintf(o.g.Streams.Out, "CoCo %s %s (release %s in %s) on %d node(s): %s\n\n", ch.Metadata.Version, msg, chartvalues.ReleaseName, ns,
		len(targets), strings.Join(targets, ", "))
	rc := &RuntimeClassesOptions{g: o.g, format: output.Human}
	return rc.Run(ctx)
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
