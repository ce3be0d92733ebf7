package helmcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

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
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
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
	releases releaseClients
}

// StatusReport is the schema of "status -o json|yaml".
type StatusReport struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Controller struct {
		Installed bool `json:"installed"`
		// Name is the controller (traefik, envoy-gateway, ingress-nginx) and Namespace its own.
		Name           string `json:"name,omitempty"`
		Namespace      string `json:"namespace,omitempty"`
		Release        string `json:"release,omitempty"`
		Chart          string `json:"chart,omitempty"`
		Status         string `json:"status,omitempty"`
		Service        string `json:"service,omitempty"`
		Address        string `json:"address,omitempty"`
		KeepFloatingIP bool   `json:"keepFloatingIP"`
		// Others are further controllers installed by this tool (during a migration).
		Others []string `json:"others,omitempty"`
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
		Short: cmd.StatusShort,
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
	if o.releases == nil {
		o.releases = releaseClients{}
	}
	return o.g.ClientsInto(&o.clients)
}

// Validate has nothing to check.
func (o *StatusOptions) Validate() error { return nil }

// Run gathers the state; exit code 1 unless the demo has an address and an available deployment.
func (o *StatusOptions) Run(ctx context.Context) error {
	c := o.clients
	r := StatusReport{APIVersion: cmd.APIVersion, Kind: "StatusReport"}
	if err := o.controllerStatus(ctx, &r); err != nil {
		return err
	}
	var annotations map[string]string
	if ing, err := c.Kube.NetworkingV1().Ingresses(demoapp.Namespace).Get(ctx, demoapp.IngressName, metav1.GetOptions{}); err == nil {
		rt := cmd.IngressRoute(ing)
		r.Demo.Deployed, r.Demo.Route, r.Demo.Address, r.Demo.Path = true, "ingress/"+rt.Name, rt.Address, rt.Path
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
	gw, err := dyn.Resource(cmd.GatewayGV.WithResource("gateways")).Namespace(demoapp.Namespace).Get(ctx, demoapp.GatewayName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) || meta.IsNoMatchError(err) {
		return nil
	}
	if err != nil {
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "gateways.gateway.networking.k8s.io", Namespace: demoapp.Namespace, Name: demoapp.GatewayName}))
		return nil
	}
	rt := cmd.GatewayRoute(gw)
	r.Demo.Deployed, r.Demo.Route, r.Demo.Address = true, "gateway/"+rt.Name, rt.Address
	if rt.Address == "" {
		r.Demo.Condition = rt.Why
	}
	hr, err := dyn.Resource(cmd.GatewayGV.WithResource("httproutes")).Namespace(demoapp.Namespace).Get(ctx, demoapp.RouteName, metav1.GetOptions{})
	switch {
	case err == nil:
		_, r.Demo.Path = cmd.HTTPRouteMatch(hr)
	case !apierrors.IsNotFound(err):
		r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "httproutes.gateway.networking.k8s.io", Namespace: demoapp.Namespace, Name: demoapp.RouteName}))
	}
	return gw.GetAnnotations()
}

// controllerStatus fills the controller: the first installed of traefik, envoy-gateway,
// ingress-nginx (the others listed), or with none, a LoadBalancer Service with a controller's labels.
func (o *StatusOptions) controllerStatus(ctx context.Context, r *StatusReport) error {
	found, cannotTell, err := findInstalled(ctx, o.g, o.clients, o.releases, "")
	if err != nil {
		return err
	}
	r.CannotTell = append(r.CannotTell, cannotTell...)
	if len(found) == 0 {
		for _, spec := range controllers.All() {
			if o.controllerService(ctx, o.clients.Kube, spec, nil, r) {
				r.Controller.Name, r.Controller.Namespace = spec.Name, spec.Namespace
				break
			}
		}
		return nil
	}
	ic := found[0]
	rel := ic.release
	r.Controller.Installed, r.Controller.Release, r.Controller.Name, r.Controller.Namespace = true, rel.Name, ic.spec.Name, ic.spec.Namespace
	if rel.Chart != nil && rel.Chart.Metadata != nil {
		r.Controller.Chart = rel.Chart.Metadata.Name + "-" + rel.Chart.Metadata.Version
	}
	if rel.Info != nil {
		r.Controller.Status = string(rel.Info.Status)
	}
	for _, other := range found[1:] {
		r.Controller.Others = append(r.Controller.Others, other.spec.Name)
	}
	o.controllerService(ctx, o.clients.Kube, ic.spec, rel, r)
	return nil
}

// controllerService reads the controller's Service as the release's manifest names it (for
// ingress-nginx the LoadBalancer one: the chart's admission Service carries the same labels),
// or, with no release, the LoadBalancer Service of the controller's labels. It tells whether it
// found one.
func (o *StatusOptions) controllerService(ctx context.Context, cs kubernetes.Interface, spec controllers.Spec, rel *release.Release, r *StatusReport) bool {
	svcs := cs.CoreV1().Services(spec.Namespace)
	var svc *corev1.Service
	name := ""
	if rel != nil {
		name = spec.ServiceIn(rel.Manifest)
	}
	if name != "" {
		s, err := svcs.Get(ctx, name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			r.Controller.Service = name + " (missing)"
			return true
		case err != nil:
			r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "get", Resource: "services", Namespace: spec.Namespace, Name: name}))
			return true
		}
		svc = s
	} else {
		list, err := svcs.List(ctx, metav1.ListOptions{LabelSelector: spec.ServiceSelector})
		if err != nil {
			r.CannotTell = append(r.CannotTell, clierr.CannotTell(err, clierr.Action{Verb: "list", Resource: "services", Namespace: spec.Namespace}))
			return false
		}
		for i := range list.Items {
			if list.Items[i].Spec.Type == corev1.ServiceTypeLoadBalancer {
				svc = &list.Items[i]
			}
		}
	}
	if svc == nil {
		return false
	}
	r.Controller.Service, r.Controller.Address = svc.Name, kube.LoadBalancerAddress(svc)
	r.Controller.KeepFloatingIP = svc.Annotations[nginx.KeepFloatingIP] == "true"
	return true
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
		fmt.Fprintf(w, "Controller:   %s: release %s/%s (%s, %s)\n", r.Controller.Name, r.Controller.Namespace, r.Controller.Release, r.Controller.Chart, r.Controller.Status)
		if r.Controller.Name == controllers.IngressNginx {
			fmt.Fprintf(w, "              %s\n", p.Warn("ingress-nginx is retired: kubectl demoingress migrate moves it and its floating IP to Traefik"))
		}
	} else {
		fmt.Fprintf(w, "Controller:   %s\n", p.Warn("none installed by Helm (kubectl demoingress install)"))
	}
	if len(r.Controller.Others) > 0 {
		fmt.Fprintf(w, "              also installed: %s\n", strings.Join(r.Controller.Others, ", "))
	}
	if r.Controller.Service != "" {
		keep := ""
		if r.Controller.KeepFloatingIP {
			keep = " (floating IP kept on delete)"
		}
		fmt.Fprintf(w, "Address:      %s%s  [service %s/%s]\n", orDash(r.Controller.Address), keep, r.Controller.Namespace, r.Controller.Service)
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
