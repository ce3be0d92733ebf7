package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/progress"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// InstallOptions installs the ingress controller.
type InstallOptions struct {
	g              *cli.Globals
	Controller     string
	Version        string
	ChartRepo      string
	Chart          string
	LoadBalancerIP string
	KeepFloatingIP bool
	Sets           []string
	ValuesFiles    []string
	Timeout        time.Duration
	DryRun         cli.DryRun
	Force          bool
	vals           map[string]any

	// clients and releases are built in Complete unless a test set them.
	clients  *kube.Clients
	releases *helmrelease.Client
}

func newInstallCommand(g *cli.Globals) *cobra.Command {
	o := &InstallOptions{g: g, Controller: nginx.Controller, Version: nginx.DefaultVersion, ChartRepo: nginx.DefaultRepo, Chart: nginx.ChartName, Timeout: 10 * time.Minute}
	cmd := &cobra.Command{
		Use:   "install [--load-balancer-ip IP] [--keep-floating-ip]",
		Short: "Install ingress-nginx with Helm and wait until its Service has an external address",
		Long: `Installs the ingress-nginx chart into namespace ingress-nginx with
controller.publishService.enabled=true (the guide's command), then follows the controller
Service until the cloud load balancer gives it an address, and prints it.

--load-balancer-ip asks the OpenStack cloud controller for an existing floating IP (the static IP
of the guide); --keep-floating-ip keeps that IP in your project when the Service is deleted.
The cloud controller applies spec.loadBalancerIP only when it creates the load balancer
(kubernetes/cloud-provider-openstack#2443): a new --load-balancer-ip on an installed controller
does not move the floating IP; delete the controller without --keep-floating-ip, then install
again. Install waits for the address and for the controller Deployment to be available (its pods
serve the chart's admission webhook). A second run upgrades the release if the chart or values
changed, and otherwise says so.`,
		Example: `  kubectl demoingress install
  kubectl demoingress install --load-balancer-ip 160.44.12.35 --keep-floating-ip`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	f := cmd.Flags()
	f.StringVar(&o.Controller, "controller", o.Controller, "ingress controller to install (ingress-nginx)")
	f.StringVar(&o.Version, "version", o.Version, "chart version")
	f.StringVar(&o.ChartRepo, "chart-repo", o.ChartRepo, "Helm chart repository URL (a mirror, in closed networks)")
	f.StringVar(&o.Chart, "chart", o.Chart, "chart name in the repository")
	f.StringVar(&o.LoadBalancerIP, "load-balancer-ip", "", "existing floating IP for the controller's load balancer")
	f.BoolVar(&o.KeepFloatingIP, "keep-floating-ip", false, "keep the floating IP when the Service is deleted (loadbalancer.openstack.org/keep-floatingip)")
	f.StringArrayVar(&o.Sets, "set", nil, "extra chart value KEY=VALUE (repeatable)")
	f.StringArrayVarP(&o.ValuesFiles, "values", "f", nil, "extra values file (repeatable)")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long to wait for the external address")
	cli.AddDryRunFlag(f, &o.DryRun, "print the rendered manifests and the chart's hooks, change nothing")
	f.BoolVar(&o.Force, "force", false, "take over a release another run left pending-install/-upgrade although its last update is younger than --timeout")
	_ = cmd.RegisterFlagCompletionFunc("controller", cobra.FixedCompletions(nginx.Controllers, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// Complete builds the values.
func (o *InstallOptions) Complete([]string) error {
	if err := o.g.NoNamespace("the controller is installed in its own namespace"); err != nil {
		return err
	}
	vals, err := helmrelease.Values(nginx.Values(nginx.Options{LoadBalancerIP: o.LoadBalancerIP, KeepFloatingIP: o.KeepFloatingIP}), o.ValuesFiles, o.Sets)
	if err != nil {
		return clierr.Usagef("use --set key=value and readable YAML files", "%v", err)
	}
	o.vals = vals
	return helmrelease.Connect(o.g, &o.clients, &o.releases, nginx.Namespace)
}

// Validate checks the controller, IP and timeout.
func (o *InstallOptions) Validate() error {
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if !slices.Contains(nginx.Controllers, o.Controller) {
		return clierr.Usagef("use --controller ingress-nginx; for the Gateway API install a Gateway controller yourself and run: kubectl demoingress deploy --gateway",
			"unknown controller %q (this tool installs: %s)", o.Controller, strings.Join(nginx.Controllers, ", "))
	}
	if err := nginx.ValidateIP(o.LoadBalancerIP); err != nil {
		return clierr.Usagef("pass the floating IP as shown in your OpenStack project, e.g. 160.44.12.35", "%v", err)
	}
	if o.KeepFloatingIP && o.LoadBalancerIP == "" {
		fmt.Fprintln(o.g.Streams.ErrOut, "Warning: --keep-floating-ip keeps whatever floating IP the load balancer gets; pass --load-balancer-ip to choose it")
	}
	if err := cli.CheckTimeout(o.Timeout, "10m"); err != nil {
		return err
	}
	return nil
}

// Run installs and waits for the address.
func (o *InstallOptions) Run(ctx context.Context) error {
	fmt.Fprintln(o.g.Streams.ErrOut, nginx.Retired)
	c := o.clients
	if err := checkNotTerminating(ctx, c, nginx.Namespace); err != nil {
		return err
	}
	prog := o.g.Progress()
	step := prog.Start(fmt.Sprintf("fetching chart %s %s from %s", o.Chart, o.Version, o.ChartRepo))
	ch, err := helmrelease.LoadChart(ctx, helmrelease.Source{Repo: o.ChartRepo, Ref: o.Chart, Version: o.Version})
	if err != nil {
		step.Fail("")
		return err
	}
	step.Done(fmt.Sprintf("chart %s %s", ch.Metadata.Name, ch.Metadata.Version))
	if o.DryRun.On() { // the manifest and the chart's hooks, marked as such; nothing is applied
		rel, err := helmrelease.Render(ctx, ch, o.vals, nginx.ReleaseName, nginx.Namespace)
		if err != nil {
			return clierr.Wrap(err, "rendering chart %s", ch.Metadata.Name)
		}
		_, err = fmt.Fprint(o.g.Streams.Out, helmrelease.ManifestWithHooks(rel))
		return err
	}
	hc := o.releases
	if err := hc.Preflight(ctx, c.Config, c.Kube, ch, o.vals, nginx.ReleaseName); err != nil {
		return err
	}
	o.noteFloatingIPChange(ctx, hc)
	rel, outcome, err := hc.Install(ctx, ch, o.vals, helmrelease.Options{Name: nginx.ReleaseName, Timeout: o.Timeout,
		Notice: o.g.Note, TakeOverAfter: o.Timeout, Force: o.Force})
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return clierr.ErrInterrupted
		}
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "create", Resource: "the chart's objects", Namespace: nginx.Namespace}), "installing %s", nginx.ReleaseName)
	}
	out := o.g.Streams.Out
	fmt.Fprintf(out, "release %s %s (chart %s, revision %d)\n", nginx.ReleaseName, outcome, ch.Metadata.Version, rel.Version)
	addr, err := waitAddress(ctx, c, o.Timeout, prog)
	if err != nil {
		return err
	}
	// Its pods serve the chart's admission webhook (failurePolicy Fail): until one is ready, the
	// API server refuses every Ingress, and a deploy right after install would fail.
	if dep := nginx.ControllerDeployment(rel.Manifest); dep != "" {
		if err := waitAvailable(ctx, c, nginx.Namespace, dep, o.Timeout, prog); err != nil {
			return err
		}
		fmt.Fprintf(out, "controller deployment %s/%s available (its pods serve the admission webhook)\n", nginx.Namespace, dep)
	}
	fmt.Fprintf(out, "external address: %s\n", addr)
	if o.LoadBalancerIP != "" && addr != o.LoadBalancerIP {
		fmt.Fprintf(o.g.Streams.ErrOut, "Warning: asked for %s but the load balancer got %s: the floating IP may belong to another project or be in use\n", o.LoadBalancerIP, addr)
	}
	fmt.Fprintln(out, "next: kubectl demoingress deploy && kubectl demoingress verify")
	return nil
}

// noteFloatingIPChange warns when --load-balancer-ip differs from the installed release's: the
// OpenStack cloud controller reads spec.loadBalancerIP only when it creates the load balancer.
func (o *InstallOptions) noteFloatingIPChange(ctx context.Context, hc *helmrelease.Client) {
	if o.LoadBalancerIP == "" {
		return
	}
	rel, err := hc.Get(ctx, nginx.ReleaseName)
	if err != nil || rel == nil {
		return
	}
	was, _, _ := unstructured.NestedString(rel.Config, "controller", "service", "loadBalancerIP")
	if was != o.LoadBalancerIP {
		o.g.Note(fmt.Sprintf("the controller is installed (with load balancer IP %q): the OpenStack cloud controller applies spec.loadBalancerIP only when it creates the load balancer (kubernetes/cloud-provider-openstack#2443), so %s will not move the floating IP; to move it, run kubectl demoingress delete --controller, then install again (an IP installed with --keep-floating-ip stays allocated in OpenStack)",
			was, o.LoadBalancerIP))
	}
}

// waitAvailable follows a Deployment until it is Available.
func waitAvailable(ctx context.Context, c *kube.Clients, ns, name string, timeout time.Duration, prog *progress.Progress) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deps := c.Kube.AppsV1().Deployments(ns)
	lw := waitfor.OnClient(c.Kube, waitfor.Named(deps, name))
	step := prog.Start("waiting for the controller Deployment " + name + " to be available (its pods serve the admission webhook)")
	err := waitfor.UntilAll(ctx, lw, &appsv1.Deployment{}, func(objs []any) (bool, error) {
		for _, obj := range objs {
			if d, ok := obj.(*appsv1.Deployment); ok {
				for _, cond := range d.Status.Conditions {
					if cond.Type == appsv1.DeploymentAvailable && cond.Status == corev1.ConditionTrue {
						return true, nil
					}
				}
			}
		}
		return false, nil
	})
	switch {
	case err == nil:
		step.Done("")
		return nil
	case errors.Is(err, context.Canceled):
		step.Interrupted()
		return &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted while waiting for the controller Deployment", Fix: "the release stays installed; run install again to keep waiting"}
	case errors.Is(err, waitfor.ErrTimeout):
		step.Fail("timed out")
		return clierr.Failf(fmt.Sprintf("kubectl -n %s get pods -l %s shows why; until a controller pod is ready the API server refuses Ingresses (admission webhook, failurePolicy Fail)", ns, nginx.ControllerSelector),
			"the controller Deployment %s/%s is not available after %s", ns, name, timeout)
	}
	step.Fail(err.Error())
	return clierr.FromAPI(err, clierr.Action{Verb: "watch", Resource: "deployments.apps", Namespace: ns})
}

// waitAddress follows the controller Service(s) until one has an external address.
func waitAddress(ctx context.Context, c *kube.Clients, timeout time.Duration, prog *progress.Progress) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	svcs := c.Kube.CoreV1().Services(nginx.Namespace)
	lw := waitfor.OnClient(c.Kube, waitfor.Selected(func(ctx context.Context, o metav1.ListOptions) (runtime.Object, error) { return svcs.List(ctx, o) },
		func(ctx context.Context, o metav1.ListOptions) (watch.Interface, error) { return svcs.Watch(ctx, o) }, "", nginx.ControllerSelector))
	step := prog.Start("waiting for the load balancer to give the controller an external address")
	var addr, svcName string
	err := waitfor.UntilAll(ctx, lw, &corev1.Service{}, func(objs []any) (bool, error) {
		for _, obj := range objs {
			s, ok := obj.(*corev1.Service)
			if !ok || s.Spec.Type != corev1.ServiceTypeLoadBalancer {
				continue
			}
			svcName = s.Name
			if a := serviceAddress(s); a != "" {
				addr = a
				return true, nil
			}
		}
		return false, nil
	})
	switch {
	case err == nil:
		step.Done(addr)
		return addr, nil
	case errors.Is(err, context.Canceled):
		step.Interrupted()
		return "", &clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted while waiting for the external address", Fix: "the release stays installed; run install again to keep waiting"}
	case errors.Is(err, waitfor.ErrTimeout):
		step.Fail("timed out")
		if svcName == "" {
			return "", clierr.Failf("kubectl -n "+nginx.Namespace+" get services shows what the chart created", "no LoadBalancer Service of the controller (%s) appeared within %s", nginx.ControllerSelector, timeout)
		}
		why := lastWarning(context.Background(), c, nginx.Namespace, "Service", svcName)
		if why != "" {
			why = "; the cloud controller says: " + why
		}
		return "", clierr.Failf(fmt.Sprintf("kubectl -n %s describe service %s shows the load balancer's events; on OpenStack check the floating IP quota and that --load-balancer-ip belongs to your project", nginx.Namespace, svcName),
			"service %s has no external address after %s%s", svcName, timeout, why)
	}
	step.Fail(err.Error())
	return "", clierr.FromAPI(err, clierr.Action{Verb: "watch", Resource: "services", Namespace: nginx.Namespace})
}

func serviceAddress(s *corev1.Service) string {
	for _, in := range s.Status.LoadBalancer.Ingress {
		if in.IP != "" {
			return in.IP
		}
		if in.Hostname != "" {
			return in.Hostname
		}
	}
	return ""
}

// lastWarning returns the newest Warning event's message for an object.
func lastWarning(ctx context.Context, c *kube.Clients, ns, kind, name string) string {
	sel := fields.Set{"involvedObject.kind": kind, "involvedObject.name": name, "type": corev1.EventTypeWarning}.AsSelector().String()
	list, err := c.Kube.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: sel})
	if err != nil || len(list.Items) == 0 {
		return ""
	}
	last := list.Items[0]
	for _, e := range list.Items[1:] {
		if eventTime(e).After(eventTime(last)) {
			last = e
		}
	}
	return fmt.Sprintf("%s: %s", last.Reason, last.Message)
}

func eventTime(e corev1.Event) time.Time {
	if !e.LastTimestamp.IsZero() {
		return e.LastTimestamp.Time
	}
	return e.EventTime.Time
}
