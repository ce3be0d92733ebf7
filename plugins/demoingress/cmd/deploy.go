package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/podrun"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/demoapp"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// DeployOptions applies the demo resources.
type DeployOptions struct {
	g       *cli.Globals
	out     output.Flags
	printer *output.Printer[apply.Objects]
	app     demoapp.Options
	DryRun  cli.DryRun
	// Timeout bounds the whole apply (a slow or vanishing API server).
	Timeout time.Duration

	clients *kube.Clients // built in Complete unless a test set them
}

func newDeployCommand(g *cli.Globals) *cobra.Command {
	o := &DeployOptions{g: g, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}},
		app: demoapp.Options{Image: demoapp.DefaultImage, Path: demoapp.DefaultPath, IngressClass: demoapp.DefaultIngressClass, Replicas: 1}, Timeout: 2 * time.Minute}
	cmd := &cobra.Command{
		Use:   "deploy [--image IMG] [--path /demo] [--host H] [--gateway]",
		Short: "Apply the demo app: namespace demo, deployment and service web, ingress demo-ip-ingress (or a Gateway API route)",
		Long: `Applies the guide's demo.yaml server-side: namespace demo (Pod Security "restricted"),
deployment web (an image that answers HTTP on every path; --image for a mirror), service web,
and ingress demo-ip-ingress routing the path to it. --gateway creates a Gateway and an HTTPRoute
instead, for clusters with the Gateway API. --dry-run -o yaml prints the manifests.`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.app.Image, "image", o.app.Image, "web server image; it is started with -listen=:5678 -text=TEXT (hashicorp/http-echo's flags)")
	f.StringVar(&o.app.Path, "path", o.app.Path, "URL path routed to the demo")
	f.StringVar(&o.app.Host, "host", "", "host name to route (default: any, so the IP works)")
	f.StringVar(&o.app.Text, "text", "", "text the demo answers with")
	f.Int32Var(&o.app.Replicas, "replicas", o.app.Replicas, "number of demo pods")
	f.StringVar(&o.app.IngressClass, "ingress-class", o.app.IngressClass, "IngressClass of the Ingress")
	f.BoolVar(&o.app.Gateway, "gateway", false, "use a Gateway and an HTTPRoute (Gateway API) instead of an Ingress")
	f.StringVar(&o.app.GatewayClass, "gateway-class", "", "GatewayClass of the Gateway (default: the cluster's only one)")
	f.DurationVar(&o.Timeout, "timeout", o.Timeout, "give up if the API server has not taken every object by then (run again to finish: applying is idempotent)")
	cli.AddDryRunFlag(f, &o.DryRun, `"client" prints the manifests; "server" has the API server check them without saving`)
	f.Lookup("dry-run").NoOptDefVal = "client"
	return cmd
}

// Complete reads -o.
func (o *DeployOptions) Complete([]string) error {
	if err := o.g.NoNamespace("the demo lives in namespace demo"); err != nil {
		return err
	}
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	if o.DryRun == "client" && !(o.app.Gateway && o.app.GatewayClass == "") {
		return nil // a client dry run needs the cluster only to find the GatewayClass
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate checks the options without the API.
func (o *DeployOptions) Validate() error {
	if err := o.app.Validate(); err != nil {
		return clierr.Usagef("see 'kubectl demoingress deploy --help'", "%v", err)
	}
	if err := cli.CheckTimeout(o.Timeout, "2m"); err != nil {
		return err
	}
	return nil
}

// GatewayGV is the Gateway API's group version; GatewayClass its classes' resource.
var (
	GatewayGV    = schema.GroupVersion{Group: "gateway.networking.k8s.io", Version: "v1"}
	GatewayClass = GatewayGV.WithResource("gatewayclasses")
)

// Run applies the manifests.
func (o *DeployOptions) Run(ctx context.Context) error {
	if o.DryRun == "client" {
		// The API server accepts any class name: a placeholder would make a Gateway nothing serves.
		if o.app.Gateway && o.app.GatewayClass == "" {
			if err := o.resolveGatewayClass(ctx, o.clients); err != nil {
				return clierr.Wrap(err, "a dry run with --gateway takes the cluster's only GatewayClass, or --gateway-class")
			}
		}
		objs, err := demoapp.Objects(o.app)
		if err != nil {
			return clierr.Usagef("", "%v", err)
		}
		return o.printer.Print(o.g.Streams.Out, objs)
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	err := o.apply(ctx)
	switch {
	case err == nil:
		return nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return clierr.Failf("the API server is slow or unreachable; run the same command again (it is idempotent), or raise --timeout",
			"the demo app was not fully applied within %s", o.Timeout)
	case clierr.IsConnection(err):
		return &clierr.Error{Code: clierr.CodeFailure, Err: err, Msg: "cannot reach the Kubernetes API server: the demo app was not fully applied",
			Fix: "check that the cluster is reachable (--context, VPN), then run the same command again (it is idempotent)"}
	}
	return err
}

func (o *DeployOptions) apply(ctx context.Context) error {
	c := o.clients
	if o.app.Gateway {
		if err := o.resolveGatewayClass(ctx, c); err != nil {
			return err
		}
	}
	if err := CheckNotTerminating(ctx, c, demoapp.Namespace); err != nil {
		return err
	}
	objs, err := demoapp.Objects(o.app)
	if err != nil {
		return clierr.Usagef("", "%v", err)
	}
	a := apply.For(c.Dynamic, c.Kube.Discovery())
	// Server-side apply is a patch, and a create where the object is new.
	if err := access.Check(ctx, c.Kube, a.AccessRequests(objs, demoapp.Namespace, "create", "patch")...); err != nil {
		return clierr.Wrap(err, "deploying the demo app needs these permissions")
	}
	checkedIn, err := o.serverDryRunNamespace(ctx, c, objs)
	if err != nil {
		return err
	}
	if err := a.Apply(ctx, objs, apply.Options{FieldManager: "kubectl-demoingress", DryRun: o.DryRun == "server"}); err != nil {
		return o.explainApplyError(ctx, c, err)
	}
	if checkedIn != "" {
		fmt.Fprintf(o.g.Streams.ErrOut, "note: namespace %s does not exist yet, and a dry run cannot create it for the requests after it: the server checked the objects in it in namespace %s\n",
			demoapp.Namespace, checkedIn)
		for _, obj := range objs {
			if obj.GetNamespace() == checkedIn {
				obj.SetNamespace(demoapp.Namespace)
			}
		}
	}
	return o.printer.Print(o.g.Streams.Out, objs)
}

// printHuman lists what was applied; a client dry run shows the objects as YAML, as kubectl's.
func (o *DeployOptions) printHuman(w io.Writer, objs apply.Objects) error {
	if o.DryRun == cli.DryRunClient {
		return output.Print(w, output.YAML, objs)
	}
	suffix := "serverside-applied"
	if o.DryRun == cli.DryRunServer {
		suffix += " (server dry run)"
	}
	for _, obj := range objs {
		fmt.Fprintf(w, "%s/%s %s\n", strings.ToLower(obj.GetKind()), obj.GetName(), suffix)
	}
	if !o.DryRun.On() {
		fmt.Fprintln(w, "next: kubectl demoingress verify")
	}
	return nil
}

// serverDryRunNamespace: a server dry run into a namespace that does not exist yet fails on the
// first namespaced object ("namespaces demo not found"): the Namespace is dry-run as it is, the
// objects in it are checked in namespace default. It returns that namespace, or "".
func (o *DeployOptions) serverDryRunNamespace(ctx context.Context, c *kube.Clients, objs []*unstructured.Unstructured) (string, error) {
	if o.DryRun != "server" {
		return "", nil
	}
	_, err := c.Kube.CoreV1().Namespaces().Get(ctx, demoapp.Namespace, metav1.GetOptions{})
	if err == nil {
		return "", nil
	}
	if !apierrors.IsNotFound(err) {
		return "", clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "namespaces", Name: demoapp.Namespace})
	}
	for _, obj := range objs {
		if obj.GetNamespace() == demoapp.Namespace {
			obj.SetNamespace(metav1.NamespaceDefault)
		}
	}
	return metav1.NamespaceDefault, nil
}

// explainApplyError names an admission webhook the API server could not call: ingress-nginx's
// validates every Ingress with failurePolicy Fail and is served by the controller's pods, so
// until one is ready the API server refuses the Ingress (after the objects before it were applied).
func (o *DeployOptions) explainApplyError(ctx context.Context, c *kube.Clients, err error) error {
	name, cause, ok := nginx.WebhookFailure(err)
	if !ok {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	pods := "no controller pod found"
	if list, lerr := c.Kube.CoreV1().Pods(nginx.Namespace).List(ctx, metav1.ListOptions{LabelSelector: nginx.ControllerSelector}); lerr != nil {
		pods = clierr.CannotTell(lerr, clierr.Action{Verb: "list", Resource: "pods", Namespace: nginx.Namespace})
	} else if len(list.Items) > 0 {
		var states []string
		for i := range list.Items {
			states = append(states, list.Items[i].Name+": "+podrun.Describe(&list.Items[i]))
		}
		pods = "controller pods: " + strings.Join(states, "; ")
	}
	return &clierr.Error{Code: clierr.CodeFailure, Err: err,
		Msg: fmt.Sprintf("the API server could not call admission webhook %q (it validates every Ingress; with failurePolicy Fail it refuses them while the webhook does not answer): %s; %s. Namespace, Deployment and Service may already be applied",
			name, cause, pods),
		Fix: "wait until the ingress controller is ready (kubectl demoingress install waits for it; kubectl -n " + nginx.Namespace + " get pods), then run deploy again: it is idempotent"}
}

// resolveGatewayClass checks that the cluster serves the Gateway API and picks the class.
func (o *DeployOptions) resolveGatewayClass(ctx context.Context, c *kube.Clients) error {
	res, err := c.Kube.Discovery().ServerResourcesForGroupVersion(GatewayGV.String())
	has := map[string]bool{}
	if err == nil {
		for _, r := range res.APIResources {
			has[r.Name] = true
		}
	}
	if !has["gateways"] || !has["httproutes"] {
		return clierr.Failf("install the Gateway API CRDs and a Gateway controller (Envoy Gateway, Cilium, Istio, ...), or deploy without --gateway to use an Ingress",
			"the cluster does not serve the Gateway API (%s gateways and httproutes)", GatewayGV)
	}
	if o.app.GatewayClass != "" {
		return o.setListenerPort(ctx, c)
	}
	dyn := c.Dynamic
	list, err := dyn.Resource(GatewayClass).List(ctx, metav1.ListOptions{})
	if err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "gatewayclasses.gateway.networking.k8s.io"}), "finding the GatewayClass (or pass --gateway-class)")
	}
	var names []string
	for _, gc := range list.Items {
		names = append(names, gc.GetName())
	}
	switch len(names) {
	case 1:
		o.app.GatewayClass = names[0]
		return o.setListenerPort(ctx, c)
	case 0:
		return clierr.Failf("install a Gateway controller: it creates a GatewayClass", "the cluster has no GatewayClass")
	}
	return clierr.Usagef("pass --gateway-class with one of: "+strings.Join(names, ", "), "the cluster has %d GatewayClasses", len(names))
}

// setListenerPort picks the listener port the class's controller serves plain HTTP on: Traefik
// binds listeners to its entry points (8000, exposed as 80), others to the port itself.
func (o *DeployOptions) setListenerPort(ctx context.Context, c *kube.Clients) error {
	gc, err := c.Dynamic.Resource(GatewayClass).Get(ctx, o.app.GatewayClass, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return clierr.Failf("pass --gateway-class with a class the cluster has (kubectl get gatewayclasses), or install a Gateway controller (kubectl demoingress install)", "the cluster has no GatewayClass %q", o.app.GatewayClass)
	}
	if err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "gatewayclasses.gateway.networking.k8s.io", Name: o.app.GatewayClass}), "reading the GatewayClass's controller")
	}
	controller, _, _ := unstructured.NestedString(gc.Object, "spec", "controllerName")
	o.app.ListenerPort = controllers.ListenerPort(controller)
	return nil
}
