package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	release "helm.sh/helm/v4/pkg/release/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/demoapp"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// StatusOptions shows the controller, the demo and the last verification.
type StatusOptions struct {
	g       *cli.Globals
	out     output.Flags
	printer *output.Printer[StatusReport]
	// clients and releases are built in Complete unless a test set them.
	clients  *kube.Clients
	releases *helmrelease.Client
}

// StatusReport is the schema of "status -o json|yaml".
type StatusReport struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Controller struct {
		Installed      bool   `json:"installed"`
		Release        string `json:"release,omitempty"`
		Chart          string `json:"chart,omitempty"`
		Status         string `json:"status,omitempty"`
		Service        string `json:"service,omitempty"`
		Address        string `json:"address,omitempty"`
		KeepFloatingIP bool   `json:"keepFloatingIP"`
	} `json:"controller"`
	Demo struct {
		Deployed bool   `json:"deployed"`
		Route    string `json:"route,omitempty"`
		Address  string `json:"address,omitempty"`
		Path     string `json:"path,omitempty"`
		// Available counts the demo's available pods of those it wants.
		Available *report.Replicas `json:"available,omitempty"`
		// Condition says why a Gateway has no address (its Accepted condition).
		Condition string `json:"condition,omitempty"`
	} `json:"demo"`
	LastVerification *struct {
		Time   string `json:"time"`
		OK     bool   `json:"ok"`
		URL    string `json:"url,omitempty"`
		Detail string `json:"detail,omitempty"`
	} `json:"lastVerification,omitempty"`
	// CannotTell lists what could not be read (forbidden, unreachable).
	CannotTell []string `json:"cannotTell,omitempty"`
	Ready      bool     `json:"ready"`
}

func newStatusCommand(g *cli.Globals) *cobra.Command {
	o := &StatusOptions{g: g, out: output.Flags{Allowed: []output.Format{output.Human, output.JSON, output.YAML}}}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the ingress controller, its address, the demo resources and the last verification",
		Args:  cli.NoArgs,
		RunE:  cli.RunE(o),
	}
	o.out.AddFlags(cmd)
	return cmd
}

// Complete reads -o and connects to the cluster and its Helm releases.
func (o *StatusOptions) Complete([]string) error {
	if err := o.g.NoNamespace("the demo lives in namespace demo and the controller in its own"); err != nil {
		return err
	}
	var err error
	if o.printer, err = output.ToPrinter(&o.out, o.printHuman); err != nil {
		return err
	}
	return helmrelease.Connect(o.g, &o.clients, &o.releases, nginx.Namespace)
}

// Validate has nothing to check.
func (o *StatusOptions) Validate() error { return nil }

// Run gathers the state; exit code 1 unless the demo has an address and an available deployment.
func (o *StatusOptions) Run(ctx context.Context) error {
	c := o.clients
	r := StatusReport{APIVersion: APIVersion, Kind: "StatusReport"}
	rel, err := o.releases.Get(ctx, nginx.ReleaseName)
	if err != nil {
		return clierr.Wrap(clierr.FromAPI(err, clierr.Action{Verb: "list", Resource: "secrets", Namespace: nginx.Namespace}), "reading the Helm release")
	}
	if rel != nil {
		r.Controller.Installed, r.Controller.Release = true, rel.Name
		if rel.Chart != nil && rel.Chart.Metadata != nil {
			r.Controller.Chart = rel.Chart.Metadata.Name + "-" + rel.Chart.Metadata.Version
		}
		if rel.Info != nil {
			r.Controller.Status = string(rel.Info.Status)
		}
	}
	o.controllerService(ctx, c.Kube, rel, &r)
	var annotations map[string]string
	if ing, err := c.Kube.NetworkingV1().Ingresses(demoapp.Namespace).Get(ctx, demoapp.IngressName, metav1.GetOptions{}); err == nil {
		rt := ingressRoute(ing)
		r.Demo.Deployed, r.Demo.Route, r.Demo.Address, r.Demo.Path = true, "ingress/"+rt.name, rt.addr, rt.path
		annotations = ing.Annotations
	} else if !apierrors.IsNotFound(err) {
		return clierr.FromAPI(err, clierr.Action{Verb: "get", Resource: "ingresses.networking.k8s.io", Namespace: demoapp.Namespace, Name: demoapp.IngressName})
	} else {
		annotations = o.gatewayStatus(ctx, c.Dynamic, &r)
	}
	if d, err := c.Kube.AppsV1().Deployments(demoapp.Namespace).Get(ctx, demoapp.App, metav1.GetOptions{}); err != nil && !apierrors.IsNotFound(err) {
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "deployments.apps", Namespace: demoapp.Namespace, Name: demoapp.App}))
	} else if err == nil {
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		r.Demo.Available = &report.Replicas{Ready: d.Status.AvailableReplicas, Desired: want}
		r.Ready = r.Demo.Address != "" && d.Status.AvailableReplicas > 0
	}
	if v := annotations[demoapp.LastVerification]; v != "" {
		lv := &struct {
			Time   string `json:"time"`
			OK     bool   `json:"ok"`
			URL    string `json:"url,omitempty"`
			Detail string `json:"detail,omitempty"`
		}{}
		if json.Unmarshal([]byte(v), lv) == nil {
			r.LastVerification = lv
		}
	}
	r.Ready = r.Ready && len(r.CannotTell) == 0
	return cli.PrintVerdict(o.printer, o.g.Streams.Out, r, r.Ready)
}

// gatewayStatus fills the demo from the Gateway and its HTTPRoute, and returns the Gateway's
// annotations (the last verification).
func (o *StatusOptions) gatewayStatus(ctx context.Context, dyn dynamic.Interface, r *StatusReport) map[string]string {
	gw, err := dyn.Resource(gatewayGV.WithResource("gateways")).Namespace(demoapp.Namespace).Get(ctx, demoapp.GatewayName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return nil
	}
	if err != nil {
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "gateways.gateway.networking.k8s.io", Namespace: demoapp.Namespace, Name: demoapp.GatewayName}))
		return nil
	}
	rt := gatewayRoute(gw)
	r.Demo.Deployed, r.Demo.Route, r.Demo.Address = true, "gateway/"+rt.name, rt.addr
	if rt.addr == "" {
		r.Demo.Condition = rt.why
	}
	hr, err := dyn.Resource(gatewayGV.WithResource("httproutes")).Namespace(demoapp.Namespace).Get(ctx, demoapp.RouteName, metav1.GetOptions{})
	switch {
	case err == nil:
		_, r.Demo.Path = httpRouteMatch(hr)
	case !apierrors.IsNotFound(err):
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "httproutes.gateway.networking.k8s.io", Namespace: demoapp.Namespace, Name: demoapp.RouteName}))
	}
	return gw.GetAnnotations()
}

// controllerService reads the controller's Service as the release's manifest names it (the
// LoadBalancer one: the chart's admission Service carries the same component label), or, with
// no release, the LoadBalancer Service of the controller's labels.
func (o *StatusOptions) controllerService(ctx context.Context, cs kubernetes.Interface, rel *release.Release, r *StatusReport) {
	svcs := cs.CoreV1().Services(nginx.Namespace)
	var svc *corev1.Service
	if rel != nil {
		name := nginx.ControllerService(rel.Manifest)
		if name == "" {
			return
		}
		s, err := svcs.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			r.Controller.Service = name + " (missing)"
			return
		case err != nil:
			r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "services", Namespace: nginx.Namespace, Name: name}))
			return
		}
		svc = s
	} else {
		list, err := svcs.List(ctx, metav1.ListOptions{LabelSelector: nginx.ControllerSelector})
		if err != nil {
			r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "services", Namespace: nginx.Namespace}))
			return
		}
		for i := range list.Items {
			if list.Items[i].Spec.Type == corev1.ServiceTypeLoadBalancer {
				svc = &list.Items[i]
			}
		}
	}
	if svc != nil {
		r.Controller.Service, r.Controller.Address = svc.Name, serviceAddress(svc)
		r.Controller.KeepFloatingIP = svc.Annotations[nginx.KeepFloatingIP] == "true"
	}
}

func (o *StatusOptions) printHuman(w io.Writer, r StatusReport) error {
	p := o.g.Palette(w)
	orDash := func(s string) string {
		if s == "" {
			return p.Warn("-")
		}
		return s
	}
	if r.Controller.Installed {
		fmt.Fprintf(w, "Controller:   %s (%s, %s)\n", r.Controller.Release, r.Controller.Chart, r.Controller.Status)
	} else {
		fmt.Fprintf(w, "Controller:   %s\n", p.Warn("ingress-nginx not installed by Helm (kubectl demoingress install)"))
	}
	if r.Controller.Service != "" {
		keep := ""
		if r.Controller.KeepFloatingIP {
			keep = " (floating IP kept on delete)"
		}
		fmt.Fprintf(w, "Address:      %s%s  [service %s/%s]\n", orDash(r.Controller.Address), keep, nginx.Namespace, r.Controller.Service)
	}
	if r.Demo.Deployed {
		fmt.Fprintf(w, "Demo:         %s, address %s, path %s, pods available %s\n", r.Demo.Route, orDash(r.Demo.Address), orDash(r.Demo.Path), orDash(replicasText(r.Demo.Available)))
		if r.Demo.Condition != "" {
			fmt.Fprintf(w, "              %s\n", p.Warn(r.Demo.Condition))
		}
	} else {
		fmt.Fprintf(w, "Demo:         %s\n", p.Warn("not deployed (kubectl demoingress deploy)"))
	}
	for _, u := range r.CannotTell {
		fmt.Fprintf(w, "%s %s\n", p.Warn("?"), u)
	}
	if lv := r.LastVerification; lv != nil {
		verdict := p.Good("answered")
		if !lv.OK {
			verdict = p.Bad("failed")
		}
		fmt.Fprintf(w, "Last verify:  %s %s: %s\n", lv.Time, verdict, lv.Detail)
	} else {
		fmt.Fprintln(w, "Last verify:  never (kubectl demoingress verify)")
	}
	return nil
}

func replicasText(r *report.Replicas) string {
	if r == nil {
		return ""
	}
	return r.String()
}
