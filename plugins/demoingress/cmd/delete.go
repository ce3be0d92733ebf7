package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/lib/access"
	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/waitfor"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/demoapp"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// DeleteOptions removes the demo, and with --controller the ingress controller.
type DeleteOptions struct {
	g          *cli.Globals
	Controller bool
	DryRun     cli.DryRun
	Wait       bool
	Timeout    time.Duration

	// clients and releases are built in Complete unless a test set them.
	clients  *kube.Clients
	releases *helmrelease.Client
}

func newDeleteCommand(g *cli.Globals) *cobra.Command {
	o := &DeleteOptions{g: g, Timeout: 5 * time.Minute}
	cmd := &cobra.Command{
		Use:   "delete [--controller]",
		Short: "Remove the demo resources (and with --controller the ingress-nginx release and namespace)",
		Long: `Deletes the demo's Ingress (or Gateway and HTTPRoute), service, deployment and namespace demo.
--controller also uninstalls the ingress-nginx release and deletes its namespace: the cloud load
balancer goes with it and its floating IP is released, unless it was installed with
--keep-floating-ip. Running it again is harmless.`,
		Args: cli.NoArgs,
		RunE: cli.RunE(o),
	}
	f := cmd.Flags()
	f.BoolVar(&o.Controller, "controller", false, "also uninstall ingress-nginx and delete its namespace")
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
	return helmrelease.Connect(o.g, &o.clients, &o.releases, nginx.Namespace)
}

// Validate checks --timeout.
func (o *DeleteOptions) Validate() error {
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
	reqs := a.AccessRequests(objs, demoapp.Namespace, "delete")
	if o.Controller {
		reqs = append(reqs, access.Request{Verb: "delete", Resource: "secrets", Namespace: nginx.Namespace},
			access.Request{Verb: "delete", Resource: "namespaces"})
	}
	if err := access.Check(ctx, c.Kube, reqs...); err != nil {
		return clierr.Wrap(err, "deleting the demo needs these permissions")
	}
	if err := a.Delete(ctx, objs); err != nil {
		return clierr.Wrap(err, "deleting the demo")
	}
	fmt.Fprintf(out, "demo resources and namespace %s deleted\n", demoapp.Namespace)
	namespaces := []string{demoapp.Namespace}
	if o.Controller {
		o.warnFloatingIP(ctx, c)
		removed, err := o.releases.Uninstall(ctx, nginx.ReleaseName, o.Timeout)
		if err != nil {
			return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "delete", Resource: "the release's objects", Namespace: nginx.Namespace}), "uninstalling %s", nginx.ReleaseName)
		}
		if removed {
			fmt.Fprintf(out, "release %s uninstalled\n", nginx.ReleaseName)
		} else {
			fmt.Fprintf(out, "release %s was not installed\n", nginx.ReleaseName)
		}
		if err := c.Kube.CoreV1().Namespaces().Delete(ctx, nginx.Namespace, metav1.DeleteOptions{}); err == nil {
			fmt.Fprintf(out, "namespace %s deleted\n", nginx.Namespace)
		}
		namespaces = append(namespaces, nginx.Namespace)
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

func (o *DeleteOptions) warnFloatingIP(ctx context.Context, c *kube.Clients) {
	svcs, err := c.Kube.CoreV1().Services(nginx.Namespace).List(ctx, metav1.ListOptions{LabelSelector: nginx.ControllerSelector})
	if err != nil {
		return
	}
	for _, s := range svcs.Items {
		if addr := serviceAddress(&s); addr != "" && s.Annotations[nginx.KeepFloatingIP] != "true" {
			fmt.Fprintf(o.g.Streams.ErrOut, "Warning: the load balancer of %s goes, and its floating IP %s is released (install with --keep-floating-ip to keep it)\n", s.Name, addr)
		}
	}
}

func waitNamespaceGone(ctx context.Context, c *kube.Clients, ns string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nss := c.Kube.CoreV1().Namespaces()
	lw := waitfor.OnClient(c.Kube, waitfor.Named(nss, ns))
	err := waitfor.Gone(ctx, lw, &corev1.Namespace{})
	switch {
	case err == nil:
		return nil
	case errors.Is(err, context.Canceled):
		return clierr.ErrInterrupted
	case errors.Is(err, waitfor.ErrTimeout):
		return clierr.Failf("kubectl get namespace "+ns+" -o yaml shows what blocks it (finalizers)", "namespace %s is still terminating after %s", ns, timeout)
	}
	return clierr.FromAPI(err, clierr.Action{Verb: "watch", Resource: "namespaces", Name: ns})
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
	if !o.Controller {
		return nil
	}
	rel, err := o.releases.Get(ctx, nginx.ReleaseName)
	if err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: nginx.Namespace}), "reading the Helm release")
	}
	if rel == nil {
		fmt.Fprintf(out, "no release %s to uninstall (dry run)\n", nginx.ReleaseName)
		return nil
	}
	fmt.Fprintf(out, "release %s and namespace %s would be deleted (dry run)\n", nginx.ReleaseName, nginx.Namespace)
	return nil
}
