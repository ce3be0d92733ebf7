package helmcmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	release "helm.sh/helm/v4/pkg/release/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// InstallOptions installs the ingress controller.
type InstallOptions struct {
	g              *cli.Globals
	Controller     string
	Version        string
	ChartRepo      string
	Chart          string
	PlainHTTP      bool
	GatewayAPICRDs string
	LoadBalancerIP string
	KeepFloatingIP bool
	Sets           []string
	ValuesFiles    []string
	Timeout        time.Duration
	DryRun         cli.DryRun
	Force          bool

	spec controllers.Spec
	opts controllers.Options
	// quietNext leaves out the "next:" hint (migrate runs install as one of its steps).
	quietNext bool
	// publishStatusAddress: see controllers.Options (set by migrate).
	publishStatusAddress string
	// shipsCRDs: the chart has a crds/ folder, which Helm creates on install (traefik.io's).
	shipsCRDs bool
	vals      map[string]any

	// clients and releases are built in Complete unless a test set them.
	clients  *kube.Clients
	releases *helmrelease.Client
}

func newInstallCommand(g *cli.Globals) *cobra.Command {
	o := &InstallOptions{g: g, Controller: controllers.Default, GatewayAPICRDs: controllers.GatewayAPICRDs, Timeout: 10 * time.Minute}
	cmd := &cobra.Command{
		Use:   "install [--controller traefik|envoy-gateway|ingress-nginx] [--load-balancer-ip IP] [--keep-floating-ip]",
		Short: cmd.InstallShort,
		Long: `Installs an ingress controller with Helm and follows its Service until the cloud load balancer
gives it an address, and prints it.

  traefik        (default) Traefik with its ingress-nginx provider: serves the guide's Ingress of
                 class nginx unchanged (the IngressClass nginx is made when absent and kept), and
                 the Gateway API (GatewayClass traefik; the Gateway API CRDs ` + controllers.GatewayAPIVersion + ` are
                 installed when absent, from --gateway-api-crds, and completed when an earlier
                 install was cut short).
  envoy-gateway  Envoy Gateway, Gateway API only (deploy --gateway). The floating IP goes on an
                 EnvoyProxy (envoyService.loadBalancerIP) behind GatewayClass envoy-gateway; the
                 Envoy Service and its address appear with the first Gateway.
  ingress-nginx  retired in March 2026: installed only when asked for by name, with a warning.

--load-balancer-ip asks the OpenStack cloud controller for an existing floating IP (the static IP
of the guide); --keep-floating-ip keeps that IP in your project when the Service is deleted.
The cloud controller applies spec.loadBalancerIP only when it creates the load balancer
(kubernetes/cloud-provider-openstack#2443): a new --load-balancer-ip on an installed controller
does not move the floating IP (kubectl demoingress migrate moves one between controllers).
Each chart is checked before anything is applied: the values this tool sets must land where it
expects them (a chart from a mirror or of another version may differ). A second run upgrades the
release if the chart or values changed, and otherwise says so.`,
		Example: `  kubectl demoingress install
  kubectl demoingress install --load-balancer-ip 160.44.12.35 --keep-floating-ip
  kubectl demoingress install --controller envoy-gateway --load-balancer-ip 160.44.12.35`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	f := cmd.Flags()
	f.StringVar(&o.Controller, "controller", o.Controller, "ingress controller to install: "+strings.Join(controllers.Names, ", "))
	f.StringVar(&o.Version, "version", "", "chart version (default: the controller's supported one)")
	f.StringVar(&o.ChartRepo, "chart-repo", "", "Helm chart repository URL (a mirror, in closed networks; default: the controller's)")
	f.StringVar(&o.Chart, "chart", "", "chart name in the repository, or an oci:// reference (default: the controller's)")
	f.BoolVar(&o.PlainHTTP, "plain-http", false, "pull an oci:// chart over plain HTTP (a registry mirror without TLS)")
	f.StringVar(&o.GatewayAPICRDs, "gateway-api-crds", o.GatewayAPICRDs, "URL or file of the Gateway API install manifest, applied when the CRDs are absent (traefik)")
	f.StringVar(&o.LoadBalancerIP, "load-balancer-ip", "", "existing floating IP for the controller's load balancer")
	f.BoolVar(&o.KeepFloatingIP, "keep-floating-ip", false, "keep the floating IP when the Service is deleted (loadbalancer.openstack.org/keep-floatingip)")
	f.StringArrayVar(&o.Sets, "set", nil, "extra chart value KEY=VALUE (repeatable)")
	f.StringArrayVarP(&o.ValuesFiles, "values", "f", nil, "extra values file (repeatable)")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long to wait for the external address")
	cli.AddDryRunFlag(f, &o.DryRun, "print the rendered manifests, the chart's hooks and the objects made beside it; change nothing")
	f.BoolVar(&o.Force, "force", false, "take over a release another run left pending-install/-upgrade although its last update is younger than --timeout")
	_ = cmd.RegisterFlagCompletionFunc("controller", cobra.FixedCompletions(controllers.Names, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete picks the controller and builds the values.
func (o *InstallOptions) Complete([]string) error {
	if err := o.g.NoNamespace("the controller is installed in its own namespace"); err != nil {
		return err
	}
	spec, err := controllers.Get(o.Controller)
	if err != nil {
		return clierr.Usagef("use --controller "+strings.Join(controllers.Names, ", --controller "), "%v", err)
	}
	o.spec = spec
	o.ChartRepo, o.Chart, o.Version = defaultTo(o.ChartRepo, spec.Repo), defaultTo(o.Chart, spec.Chart), defaultTo(o.Version, spec.Version)
	o.opts = controllers.Options{LoadBalancerIP: o.LoadBalancerIP, KeepFloatingIP: o.KeepFloatingIP, PublishStatusAddress: o.publishStatusAddress}
	vals, err := helmrelease.Values(spec.Values(o.opts), o.ValuesFiles, o.Sets)
	if err != nil {
		return clierr.Usagef("use --set key=value and readable YAML files", "%v", err)
	}
	o.vals = vals
	return helmrelease.Connect(o.g, &o.clients, &o.releases, spec.Namespace)
}

func defaultTo(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// Validate checks the IP and timeout.
func (o *InstallOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if err := o.spec.ValidateIP(o.LoadBalancerIP); err != nil {
		return clierr.Usagef("pass the floating IP as shown in your OpenStack project, e.g. 160.44.12.35", "%v", err)
	}
	if o.KeepFloatingIP && o.LoadBalancerIP == "" {
		fmt.Fprintln(o.g.Streams.ErrOut, "Warning: --keep-floating-ip keeps whatever floating IP the load balancer gets; pass --load-balancer-ip to choose it")
	}
	return cli.CheckTimeout(o.Timeout, "10m")
}

// Run installs and waits for the address.
func (o *InstallOptions) Run(ctx context.Context) error {
	if o.spec.Warning != "" {
		fmt.Fprintln(o.g.Streams.ErrOut, o.spec.Warning)
	}
	if err := cmd.CheckNotTerminating(ctx, o.clients, o.spec.Namespace); err != nil {
		return err
	}
	o.warnGardenerAddon(ctx)
	if err := o.refuseBesideIngressNginx(ctx); err != nil {
		return err
	}
	ch, rendered, err := o.loadAndCheck(ctx)
	if err != nil {
		return err
	}
	extra, err := o.extraObjects(ctx)
	if err != nil {
		return err
	}
	if o.DryRun.On() { // the manifest, the chart's hooks and what is made beside it; nothing is applied
		_, err := fmt.Fprint(o.g.Streams.Out, helmrelease.ManifestWithHooks(rendered)+extra.manifest())
		return err
	}
	if err := o.preflight(ctx, rendered, extra); err != nil {
		return err
	}
	if err := o.applyBefore(ctx, extra); err != nil {
		return err
	}
	o.noteFloatingIPChange(ctx)
	rel, err := o.helmInstall(ctx, ch)
	if err != nil {
		return err
	}
	if err := o.applyAfter(ctx, extra); err != nil {
		return err
	}
	return o.waitReady(ctx, rel)
}

// loadAndCheck fetches the chart, renders it and holds it to the controller's contract.
func (o *InstallOptions) loadAndCheck(ctx context.Context) (*chart.Chart, *release.Release, error) {
	prog := o.g.Progress()
	where := o.Chart
	if o.ChartRepo != "" {
		where = fmt.Sprintf("%s from %s", o.Chart, o.ChartRepo)
	}
	step := prog.Start(fmt.Sprintf("fetching chart %s %s", where, o.Version))
	ch, err := helmrelease.LoadChart(ctx, helmrelease.Source{Repo: o.ChartRepo, Ref: o.Chart, Version: o.Version, PlainHTTP: o.PlainHTTP})
	if err != nil {
		step.Fail("")
		return nil, nil, err
	}
	step.Done(fmt.Sprintf("chart %s %s", ch.Metadata.Name, ch.Metadata.Version))
	if !o.spec.Supported(ch.Metadata.Version) {
		o.g.Note(fmt.Sprintf("chart %s %s is not a version this tool was checked against (%s); its contract is checked before anything is applied",
			ch.Metadata.Name, ch.Metadata.Version, o.spec.Versions[0].Chart))
	}
	rendered, err := o.renderAndCheck(ctx, ch)
	if err != nil {
		return nil, nil, err
	}
	o.shipsCRDs = len(chartCRDs(ch)) > 0
	return ch, rendered, nil
}

// renderAndCheck renders the chart with the current values for the cluster's Kubernetes version
// and holds it to the controller's contract.
func (o *InstallOptions) renderAndCheck(ctx context.Context, ch *chart.Chart) (*release.Release, error) {
	sv, err := o.clients.Kube.Discovery().ServerVersion()
	if err != nil {
		return nil, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "the server version"}), "reading the cluster's Kubernetes version (the chart's kubeVersion is checked against it)")
	}
	rendered, err := helmrelease.RenderFor(ctx, ch, o.vals, o.spec.Release, o.spec.Namespace, sv.GitVersion)
	if err != nil {
		return nil, clierr.Wrap(err, "rendering chart %s %s", ch.Metadata.Name, ch.Metadata.Version)
	}
	if err := o.spec.CheckRendered(rendered.Manifest, chartCRDs(ch), o.opts); err != nil {
		return nil, &clierr.Error{Code: clierr.CodeFailure, Msg: fmt.Sprintf("chart %s %s: %v; nothing was applied", ch.Metadata.Name, ch.Metadata.Version, err),
			Fix: fmt.Sprintf("install the chart this tool supports (%s %s: drop --chart-repo/--chart/--version), or set the values your chart needs with --set", o.spec.Chart, o.spec.Version)}
	}
	return rendered, nil
}

// chartCRDs names the CRDs a chart and its enabled subcharts ship in crds/.
func chartCRDs(ch *chart.Chart) []string {
	var names []string
	for _, c := range ch.CRDObjects() {
		objs, _ := parseObjects(c.File.Data)
		for _, obj := range objs {
			names = append(names, obj.GetName())
		}
	}
	slices.Sort(names)
	return names
}

// helmInstall installs or upgrades the release.
func (o *InstallOptions) helmInstall(ctx context.Context, ch *chart.Chart) (*release.Release, error) {
	rel, outcome, err := o.releases.Install(ctx, ch, o.vals, helmrelease.Options{Name: o.spec.Release, Timeout: o.Timeout,
		Notice: o.g.Note, TakeOverAfter: o.Timeout, Force: o.Force})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return nil, clierr.ErrInterrupted
		}
		return nil, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "the chart's objects", Namespace: o.spec.Namespace}), "installing %s", o.spec.Release)
	}
	fmt.Fprintf(o.g.Streams.Out, "release %s %s (chart %s %s, revision %d)\n", o.spec.Release, outcome, ch.Metadata.Name, ch.Metadata.Version, rel.Version)
	return rel, nil
}

// waitReady waits for the address (unless it comes only with a Gateway) and the Deployment.
func (o *InstallOptions) waitReady(ctx context.Context, rel *release.Release) error {
	out, prog := o.g.Streams.Out, o.g.Progress()
	addr := ""
	if !o.spec.AddressNeedsGateway {
		var err error
		if addr, err = waitAddress(ctx, o.clients, o.spec, o.Timeout, prog); err != nil {
			return err
		}
	}
	dep := o.spec.Deployment
	if dep == "" {
		dep = nginx.ControllerDeployment(rel.Manifest)
	}
	if dep != "" {
		if err := waitAvailable(ctx, o.clients, o.spec, dep, o.Timeout, prog); err != nil {
			return err
		}
		fmt.Fprintf(out, "controller deployment %s/%s available\n", o.spec.Namespace, dep)
	}
	return o.printNext(addr)
}

func (o *InstallOptions) printNext(addr string) error {
	out := o.g.Streams.Out
	if o.spec.AddressNeedsGateway {
		fmt.Fprintf(out, "GatewayClass %s ready for Gateways; the Envoy Service and its address appear with the first Gateway\n", o.spec.GatewayClass)
		fmt.Fprintln(out, "next: kubectl demoingress deploy --gateway && kubectl demoingress verify")
		return nil
	}
	fmt.Fprintf(out, "external address: %s\n", addr)
	if o.LoadBalancerIP != "" && addr != o.LoadBalancerIP {
		fmt.Fprintf(o.g.Streams.ErrOut, "Warning: asked for %s but the load balancer got %s: the floating IP may belong to another project or be in use, and the OpenStack cloud controller then allocates a new one\n", o.LoadBalancerIP, addr)
	}
	if o.quietNext {
		return nil
	}
	next := "next: kubectl demoingress deploy && kubectl demoingress verify"
	if o.spec.GatewayClass != "" {
		next += "   (or: deploy --gateway, GatewayClass " + o.spec.GatewayClass + ")"
	}
	_, err := fmt.Fprintln(out, next)
	return err
}

// refuseBesideIngressNginx: Traefik installed beside this tool's ingress-nginx would get a load
// balancer of its own and write the Ingress status too; migrate does that move with care.
func (o *InstallOptions) refuseBesideIngressNginx(ctx context.Context) error {
	if o.spec.Name != controllers.Traefik || o.quietNext {
		return nil
	}
	hc, err := helmrelease.ClientFor(o.g, o.clients.Config, nginx.Namespace)
	if err != nil {
		return clierr.Wrap(err, "connecting Helm to the cluster")
	}
	rel, err := hc.Get(ctx, nginx.ReleaseName)
	if err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: nginx.Namespace}), "cannot tell whether ingress-nginx is installed")
	}
	if rel != nil {
		return clierr.Failf("kubectl demoingress migrate moves it and its floating IP to Traefik; to upgrade ingress-nginx itself: kubectl demoingress install --controller ingress-nginx",
			"ingress-nginx is installed (release %s/%s): Traefik beside it would serve the same Ingresses on another address", nginx.Namespace, nginx.ReleaseName)
	}
	return nil
}

// warnGardenerAddon: Gardener's nginx addon serves class nginx too; two controllers would
// serve the same Ingresses and overwrite each other's status address.
func (o *InstallOptions) warnGardenerAddon(ctx context.Context) {
	if !o.spec.ServesIngressNginx || o.quietNext { // migrate refuses outright
		return
	}
	_, err := o.clients.Kube.AppsV1().Deployments(gardenerAddonNamespace).Get(ctx, gardenerAddonDeployment, metav1.GetOptions{})
	switch {
	case err == nil:
		fmt.Fprintf(o.g.Streams.ErrOut, "Warning: Gardener's nginx addon (deployment %s/%s) serves class nginx as well: both controllers would take the same Ingresses; switch it off in the Shoot (%s: false)\n",
			gardenerAddonNamespace, gardenerAddonDeployment, gardenerAddonField)
	case !apierrors.IsNotFound(err):
		o.g.Note("cannot tell whether Gardener's nginx addon runs: " + clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "deployments.apps", Namespace: gardenerAddonNamespace, Name: gardenerAddonDeployment}))
	}
}

// noteFloatingIPChange warns when --load-balancer-ip differs from the installed release's: the
// OpenStack cloud controller reads spec.loadBalancerIP only when it creates the load balancer.
func (o *InstallOptions) noteFloatingIPChange(ctx context.Context) {
	if o.LoadBalancerIP == "" || o.spec.Name == controllers.EnvoyGateway {
		return
	}
	rel, err := o.releases.Get(ctx, o.spec.Release)
	if err != nil || rel == nil {
		return
	}
	path := []string{"controller", "service", "loadBalancerIP"}
	if o.spec.Name == controllers.Traefik {
		path = []string{"service", "spec", "loadBalancerIP"}
	}
	was, _, _ := unstructured.NestedString(rel.Config, path...)
	if was != o.LoadBalancerIP {
		o.g.Note(fmt.Sprintf("the controller is installed (with load balancer IP %q): the OpenStack cloud controller applies spec.loadBalancerIP only when it creates the load balancer (kubernetes/cloud-provider-openstack#2443), so %s will not move the floating IP; to move it, run kubectl demoingress delete --controller, then install again (an IP installed with --keep-floating-ip stays allocated in OpenStack)",
			was, o.LoadBalancerIP))
	}
}
