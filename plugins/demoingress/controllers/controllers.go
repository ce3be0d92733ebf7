// Package controllers knows the ingress controllers kubectl demoingress installs: where each
// chart comes from, the values this tool sets, which Service carries the floating IP, and what
// each serves (the guide's Ingress of class nginx, the Gateway API). It decides; it does not
// talk to a cluster.
package controllers

import (
	"fmt"
	"slices"
	"strings"

	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// Names of the controllers.
const (
	Traefik      = "traefik"
	EnvoyGateway = "envoy-gateway"
	IngressNginx = nginx.Controller
	// Default is the maintained controller that serves the guide's Ingress unchanged.
	Default = Traefik
)

// Names lists what --controller accepts, the default first.
var Names = []string{Traefik, EnvoyGateway, IngressNginx}

// ManagedBy labels the objects this tool makes beside a chart (IngressClass, EnvoyProxy,
// GatewayClass), so delete removes only its own.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedBy      = "kubectl-demoingress"
)

// Options are what the user chose.
type Options struct {
	LoadBalancerIP string
	KeepFloatingIP bool
	// PublishStatusAddress, for Traefik, is the address its ingress-nginx provider writes into
	// the Ingress status instead of its own Service's: while migrate runs it beside ingress-nginx,
	// the Ingresses keep showing the address that stays (external-dns follows that status).
	PublishStatusAddress string
}

// Spec is one controller.
type Spec struct {
	Name string
	// Repo and Chart locate the chart (Repo "" when Chart is an oci:// reference); --chart-repo,
	// --chart and --version override them.
	Repo, Chart, Version string
	Release, Namespace   string
	// ServiceSelector finds the LoadBalancer Service that carries the floating IP.
	ServiceSelector string
	// Deployment is the controller Deployment install waits for ("" when the manifest names it).
	Deployment string
	// ServesIngressNginx: serves Ingresses of class nginx (the guide's demo-ip-ingress).
	ServesIngressNginx bool
	// GatewayClass is the class whose Gateways it serves ("" for none).
	GatewayClass string
	// AddressNeedsGateway: the LoadBalancer Service appears only with a Gateway (Envoy Gateway
	// makes one Envoy Service per Gateway).
	AddressNeedsGateway bool
	// Versions are the chart versions whose contract was read for this tool.
	Versions []Version
	// Warning is printed on every install ("" for none).
	Warning string
}

// Version is one supported chart version and what it ships.
type Version struct{ Chart, App, Note string }

// Retired is the warning for ingress-nginx, installed only when asked for by name.
const Retired = `Warning: ingress-nginx is retired (maintenance ended in March 2026; chart 4.15.1 / controller 1.15.1
is the last release and gets no security fixes). It is installed only because --controller
ingress-nginx asked for it; the default, --controller traefik, serves the same Ingress of class
nginx with a maintained controller, and "kubectl demoingress migrate" moves a running
ingress-nginx and its floating IP there.`

var specs = map[string]Spec{
	Traefik: {
		Name: Traefik, Repo: "https://traefik.github.io/charts", Chart: "traefik", Version: "41.3.0",
		Release: "traefik", Namespace: "traefik",
		// traefik-helm-chart v41.3.0 _helpers.tpl: name=traefik, instance=<release>-<namespace>.
		ServiceSelector:    "app.kubernetes.io/name=traefik,app.kubernetes.io/instance=traefik-traefik",
		Deployment:         "traefik",
		ServesIngressNginx: true, GatewayClass: "traefik",
		Versions: []Version{{Chart: "41.3.0", App: "Traefik v3.7.11", Note: "ingress-nginx provider (>= v3.6.2), Gateway API v1.5 standard"}},
	},
	EnvoyGateway: {
		Name: EnvoyGateway, Chart: "oci://docker.io/envoyproxy/gateway-helm", Version: "v1.9.0",
		Release: "eg", Namespace: "envoy-gateway-system",
		// envoyproxy/gateway v1.9.0 internal/infrastructure/kubernetes/proxy/resource.go EnvoyAppLabel.
		ServiceSelector: "app.kubernetes.io/name=envoy,app.kubernetes.io/component=proxy,app.kubernetes.io/managed-by=envoy-gateway",
		Deployment:      "envoy-gateway",
		GatewayClass:    EnvoyGatewayClass, AddressNeedsGateway: true,
		Versions: []Version{{Chart: "v1.9.0", App: "Envoy Gateway v1.9.0", Note: "ships Gateway API v1.6.1 (experimental channel) CRDs"}},
	},
	IngressNginx: {
		Name: IngressNginx, Repo: nginx.DefaultRepo, Chart: nginx.ChartName, Version: nginx.DefaultVersion,
		Release: nginx.ReleaseName, Namespace: nginx.Namespace, ServiceSelector: nginx.ControllerSelector,
		ServesIngressNginx: true, Warning: Retired,
		Versions: []Version{{Chart: "4.15.1", App: "ingress-nginx 1.15.1", Note: "retired: the last release"}},
	},
}

// Get returns the controller of that name.
func Get(name string) (Spec, error) {
	s, ok := specs[name]
	if !ok {
		return Spec{}, fmt.Errorf("unknown controller %q (this tool installs: %s)", name, strings.Join(Names, ", "))
	}
	return s, nil
}

// All returns every controller, the default first.
func All() []Spec {
	out := make([]Spec, 0, len(Names))
	for _, n := range Names {
		out = append(out, specs[n])
	}
	return out
}

// Supported tells whether a chart version is one whose contract was read for this tool.
func (s Spec) Supported(version string) bool {
	return slices.ContainsFunc(s.Versions, func(v Version) bool { return v.Chart == version })
}

// Values are the chart values for these options.
func (s Spec) Values(o Options) map[string]any {
	switch s.Name {
	case Traefik:
		return traefikValues(o)
	case EnvoyGateway:
		return map[string]any{} // the IP goes on the EnvoyProxy (EnvoyObjects), not on the chart
	}
	return nginx.Values(nginx.Options{LoadBalancerIP: o.LoadBalancerIP, KeepFloatingIP: o.KeepFloatingIP})
}

// traefikValues follow traefik-helm-chart v41.3.0 values.yaml: the ingress-nginx provider
// (key spelled kubernetesIngressNGINX: the schema refuses other spellings) with publishService so
// the Ingress status shows the address; the Gateway API provider (the chart's own Gateway off:
// deploy --gateway makes one in the demo namespace); the IP under service.spec, which the chart
// copies verbatim (service.loadBalancerIP would be silently ignored); the chart's traefik
// IngressClass not made the cluster default, which a production cluster may already have.
func traefikValues(o Options) map[string]any {
	spec := map[string]any{}
	if o.LoadBalancerIP != "" {
		spec["loadBalancerIP"] = o.LoadBalancerIP
	}
	svc := map[string]any{}
	if len(spec) > 0 {
		svc["spec"] = spec
	}
	if o.KeepFloatingIP {
		svc["annotations"] = map[string]any{nginx.KeepFloatingIP: "true"}
	}
	provider := map[string]any{"enabled": true, "publishService": map[string]any{"enabled": true}}
	if o.PublishStatusAddress != "" {
		provider = map[string]any{"enabled": true, "publishService": map[string]any{"enabled": false}, "publishStatusAddress": o.PublishStatusAddress}
	}
	v := map[string]any{
		"providers": map[string]any{
			"kubernetesIngressNGINX": provider,
			"kubernetesGateway":      map[string]any{"enabled": true},
		},
		"gateway":      map[string]any{"enabled": false},
		"ingressClass": map[string]any{"isDefaultClass": false},
	}
	if len(svc) > 0 {
		v["service"] = svc
	}
	return v
}

// ListenerPort is the port a Gateway listener of this GatewayClass controller must use for
// plain HTTP: Traefik binds listeners to its entry points (traefik-helm-chart v41.3.0
// templates/gateway.yaml refuses a port not in ports.*.port; web is 8000, exposed as 80), Envoy
// Gateway maps the listener port to the Service port (internal/gatewayapi
// servicePortToContainerPort).
func ListenerPort(controllerName string) int64 {
	if controllerName == TraefikGatewayController {
		return 8000
	}
	return 80
}

// GatewayClass controller names.
const (
	TraefikGatewayController = "traefik.io/gateway-controller"
	EnvoyGatewayController   = "gateway.envoyproxy.io/gatewayclass-controller"
)
