package helmcmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/demoapp"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// DeleteOptions removes the demo, and with --controller the ingress controller.
type DeleteOptions struct {
	g *cli.Globals
	// Controller is "" (the demo only), "all", or a controller's name.
	Controller string
	DryRun     cli.DryRun
	Wait       bool
	Timeout    time.Duration

	// clients and releases are built in Complete unless a test set them.
	clients  *kube.Clients
	releases releaseClients
}

func newDeleteCommand(g *cli.Globals) *cobra.Command {
	o := &DeleteOptions{g: g, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "delete [--controller[=NAME]]",
		Short: cmd.DeleteShort,
		Long: `Deletes the demo's Ingress (or Gateway and HTTPRoute), service, deployment and namespace demo.
--controller also uninstalls every controller this tool installed (--controller=NAME: only that
one, e.g. --controller=ingress-nginx), with what install made beside it (the IngressClass nginx,
the EnvoyProxy and GatewayClass), and deletes its namespace: the cloud load balancer goes with it
and its floating IP is released, unless it was installed with --keep-floating-ip. The Gateway API
CRDs stay (other workloads may use them). Running it again is harmless.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				if _, err := controllers.Get(args[0]); err == nil { // "--controller traefik": the value needs "="
					return clierr.Usagef("write --controller="+args[0], "unexpected argument %q: --controller takes its value after \"=\"", args[0])
				}
			}
			return cli.NoArgs(cmd, args)
		},
		RunE: cli.RunE(o),
	}
	f := cmd.Flags()
	f.StringVar(&o.Controller, "controller", "", "also uninstall the ingress controller(s) and delete their namespace; =NAME for one of: "+strings.Join(controllers.Names, ", "))
	f.Lookup("controller").NoOptDefVal = "all"
	_ = cmd.RegisterFlagCompletionFunc("controller", cobra.FixedCompletions(controllers.Names, cobra.ShellCompDirectiveNoFileComp))
	cli.AddDryRunFlag(f, &o.DryRun, "say what would be deleted, change nothing")
	f.BoolVar(&o.Wait, "wait", false, "wait until the namespaces are gone")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "how long --wait waits")
	return cmd
}

// Complete has nothing to read.
func (o *DeleteOptions) Complete([]string) error {
	if err := o.g.NoNamespace("the demo lives in namespace demo and the controller in its own"); err != nil {
		return err
	}
	if o.releases == nil {
		o.releases = releaseClients{}
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate checks --controller and --timeout.
func (o *DeleteOptions) Validate() error {
	if o.Controller != "" && o.Controller != "all" {
		if _, err := controllers.Get(o.Controller); err != nil {
			return clierr.Usagef("use --controller (all) or --controller=NAME", "%v", err)
		}
	}
	if err := o.DryRun.ClientOnly(); err != nil {
		return err
	}
	if err := cli.CheckTimeout(o.Timeout, "5m"); err != nil {
		return err
	}
	return nil
}

// Run deletes.
func (o *DeleteOptions) Run(ctx context.Context) error {
	c := o.clients
	out := o.g.Streams.Out
	// Both route flavours, whichever was deployed; the class name does not matter for deletion.
	ingressObjs, _ := demoapp.Objects(demoapp.Options{Image: demoapp.DefaultImage, Path: demoapp.DefaultPath, Replicas: 1})
	gatewayObjs, _ := demoapp.Objects(demoapp.Options{Image: demoapp.DefaultImage, Path: demoapp.DefaultPath, Replicas: 1, Gateway: true, GatewayClass: "any"})
	objs := append(ingressObjs, gatewayObjs[3:]...)
	a := apply.For(c.Dynamic, c.Kube.Discovery())
	if o.DryRun.On() {
		return o.dryRun(ctx, a, objs)
	}
	var installed []installedController
	if o.Controller != "" {
		var cannotTell []string
		var err error
		if installed, cannotTell, err = findInstalled(ctx, o.g, c, o.releases, o.only()); err != nil {
			return err
		}
		if len(cannotTell) > 0 {
			return clierr.Failf("grant list on secrets in the controllers' namespaces, or delete with helm uninstall", "cannot tell which controllers are installed: %s", strings.Join(cannotTell, "; "))
		}
	}
	reqs := a.AccessRequests(objs, demoapp.Namespace, "delete")
	for _, ic := range installed {
		reqs = append(reqs, controllerDeleteRequests(ic.spec)...)
		if objs, err := apply.Parse([]byte(ic.release.Manifest)); err == nil { // what the uninstall deletes
			reqs = append(reqs, a.AccessRequests(objs, ic.spec.Namespace, "delete")...)
		}
	}
	if err := access.Check(ctx, c.Kube, reqs...); err != nil {
		return clierr.Wrap(err, "deleting needs these permissions")
	}
	if err := a.Delete(ctx, objs); err != nil {
		return clierr.Wrap(err, "deleting the demo")
	}
	fmt.Fprintf(out, "demo resources and namespace %s deleted\n", demoapp.Namespace)
	namespaces := []string{demoapp.Namespace}
	if o.Controller != "" && len(installed) == 0 {
		fmt.Fprintln(out, "no controller release to uninstall")
	}
	for _, ic := range installed {
		if err := o.deleteController(ctx, ic); err != nil {
			return err
		}
		namespaces = append(namespaces, ic.spec.Namespace)
	}
	if !o.Wait {
		return nil
	}
	for _, ns := range namespaces {
		if err := waitNamespaceGone(ctx, c, ns, o.Timeout); err != nil {
			return err
		}
	}
	fmt.Fprintln(out, "all gone")
	return nil
}

func (o *DeleteOptions) only() string {
	if o.Controller == "all" {
		return ""
	}
	return o.Controller
}

func controllerDeleteRequests(spec controllers.Spec) []access.Request {
	reqs := []access.Request{{Verb: "delete", Resource: "secrets", Namespace: spec.Namespace}, {Verb: "delete", Resource: "namespaces"}}
	switch spec.Name {
	case controllers.Traefik:
		reqs = append(reqs, access.Request{Verb: "delete", Group: "networking.k8s.io", Resource: "ingressclasses"})
	case controllers.EnvoyGateway:
		reqs = append(reqs, access.Request{Verb: "delete", Group: controllers.GatewayAPIGroup, Resource: "gatewayclasses"})
	}
	return reqs
}

// deleteController uninstalls one controller, what install made beside it, and its namespace.
func (o *DeleteOptions) deleteController(ctx context.Context, ic installedController) error {
	c, out, spec := o.clients, o.g.Streams.Out, ic.spec
	o.warnFloatingIP(ctx, c, spec)
	// Envoy Gateway's GatewayClass goes first, while its controller runs: it holds a finalizer
	// on a class with Gateways that only the controller removes.
	if spec.Name == controllers.EnvoyGateway {
		if err := o.deleteBeside(ctx, spec); err != nil {
			return err
		}
	}
	if _, err := ic.helm.Uninstall(ctx, spec.Release, o.Timeout); err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "the release's objects", Namespace: spec.Namespace}), "uninstalling %s", spec.Release)
	}
	fmt.Fprintf(out, "release %s/%s (%s) uninstalled\n", spec.Namespace, spec.Release, spec.Name)
	if spec.Name != controllers.EnvoyGateway {
		if err := o.deleteBeside(ctx, spec); err != nil {
			return err
		}
	}
	if err := c.Kube.CoreV1().Namespaces().Delete(ctx, spec.Namespace, metav1.DeleteOptions{}); err == nil {
		fmt.Fprintf(out, "namespace %s deleted\n", spec.Namespace)
	} else if !apierrors.IsNotFound(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "namespaces", Name: spec.Namespace})
	}
	return nil
}

// deleteBeside removes the cluster-scoped objects install made beside the chart, if ours.
func (o *DeleteOptions) deleteBeside(ctx context.Context, spec controllers.Spec) error {
	var res schema.GroupVersionResource
	var name string
	switch spec.Name {
	case controllers.Traefik:
		res, name = schema.GroupVersionResource{Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses"}, "nginx"
	case controllers.EnvoyGateway:
		res, name = cmd.GatewayClass, controllers.EnvoyGatewayClass
	default:
		return nil
	}
	obj, err := o.clients.Dynamic.Resource(res).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return nil
	}
	if err != nil {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: res.Resource + "." + res.Group, Name: name})
	}
	if obj.GetLabels()[controllers.ManagedByLabel] != controllers.ManagedBy {
		return nil // not ours
	}
	if held, err := o.heldByRelease(ctx, obj.GetAnnotations()); err != nil || held {
		return err // a class a Helm release still holds (ingress-nginx's, mid-migration) stays
	}
	if err := o.clients.Dynamic.Resource(res).Delete(ctx, name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: res.Resource + "." + res.Group, Name: name})
	}
	fmt.Fprintf(o.g.Streams.Out, "%s %s deleted\n", strings.TrimSuffix(res.Resource, "es"), name)
	return nil
}

// heldByRelease tells whether the Helm release an object's annotations name still exists.
func (o *DeleteOptions) heldByRelease(ctx context.Context, ann map[string]string) (bool, error) {
	name, ns := ann["meta.helm.sh/release-name"], ann["meta.helm.sh/release-namespace"]
	if name == "" || ns == "" {
		return false, nil
	}
	hc, err := o.releases.in(o.g, o.clients, ns)
	if err != nil {
		return false, err
	}
	rel, err := hc.Get(ctx, name)
	if err != nil {
		return false, clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: ns}), "cannot tell whether release %s/%s still holds it", ns, name)
	}
	return rel != nil, nil
}

func (o *DeleteOptions) warnFloatingIP(ctx context.Context, c *kube.Clients, spec controllers.Spec) {
	svcs, err := c.Kube.CoreV1().Services(spec.Namespace).List(ctx, metav1.ListOptions{LabelSelector: spec.ServiceSelector})
	if err != nil {
		return
	}
	for _, s := range svcs.Items {
		if addr := kube.LoadBalancerAddress(&s); addr != "" && s.Annotations[nginx.KeepFloatingIP] != "true" {
			fmt.Fprintf(o.g.Streams.ErrOut, "Warning: the load balancer of %s goes, and its floating IP %s is released (install with --keep-floating-ip to keep it)\n", s.Name, addr)
		}
	}
}

func waitNamespaceGone(ctx context.Context, c *kube.Clients, ns string, timeout time.Duration) error {
	nss := c.Kube.CoreV1().Namespaces()
	return waitGone(ctx, waitfor.OnClient(c.Kube, waitfor.Named(nss, ns)), &corev1.Namespace{}, timeout,
		"kubectl get namespace "+ns+" -o yaml shows what blocks it (finalizers)", fmt.Sprintf("namespace %s is still terminating after %s", ns, timeout),
		clierr.Action{Verb: "watch", Resource: "namespaces", Name: ns})
}

// waitGone follows an object until it is deleted; timedOut and fix say what a timeout means.
func waitGone(ctx context.Context, lw cache.ListerWatcher, objType runtime.Object, timeout time.Duration, fix, timedOut string, watching clierr.Action) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	err := waitfor.Gone(ctx, lw, objType)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return clierr.ErrInterrupted
	case errors.Is(err, waitfor.ErrTimeout):
		return clierr.Failf(fix, "%s", timedOut)
	}
	return clierr.FromAPI(err, watching)
}

// dryRun lists what delete would remove: the objects that exist, and the release.
func (o *DeleteOptions) dryRun(ctx context.Context, a *apply.Applier, objs []*unstructured.Unstructured) error {
	out := o.g.Streams.Out
	n := 0
	for _, obj := range objs {
		exists, err := a.Exists(ctx, obj)
		if err != nil {
			return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: strings.ToLower(obj.GetKind()) + "s", Namespace: obj.GetNamespace(), Name: obj.GetName()})
		}
		if !exists {
			continue
		}
		n++
		if obj.GetNamespace() == "" {
			fmt.Fprintf(out, "%s %s would be deleted (dry run)\n", obj.GetKind(), obj.GetName())
		} else {
			fmt.Fprintf(out, "%s %s/%s would be deleted (dry run)\n", obj.GetKind(), obj.GetNamespace(), obj.GetName())
		}
	}
	if n == 0 {
		fmt.Fprintln(out, "no demo resources to delete (dry run)")
	}
	if o.Controller == "" {
		return nil
	}
	installed, cannotTell, err := findInstalled(ctx, o.g, o.clients, o.releases, o.only())
	if err != nil {
		return err
	}
	for _, u := range cannotTell {
		fmt.Fprintln(out, u)
	}
	if len(installed) == 0 && len(cannotTell) == 0 {
		fmt.Fprintln(out, "no controller release to uninstall (dry run)")
	}
	for _, ic := range installed {
		fmt.Fprintf(out, "release %s/%s (%s) and namespace %s would be deleted (dry run)\n", ic.spec.Namespace, ic.spec.Release, ic.spec.Name, ic.spec.Namespace)
	}
	return nil
}
