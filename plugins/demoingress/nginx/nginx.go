// Package nginx knows the ingress-nginx Helm chart: where it comes from, the values this tool
// sets, and how its controller Service is found.
package nginx

import (
	"fmt"
	"net"
)

// Chart coordinates (the project's repository; its last release is 4.15.1).
const (
	Controller     = "ingress-nginx"
	DefaultRepo    = "https://kubernetes.github.io/ingress-nginx"
	ChartName      = "ingress-nginx"
	DefaultVersion = "4.15.1"
	ReleaseName    = "ingress-nginx"
	Namespace      = "ingress-nginx"
	// KeepFloatingIP makes the OpenStack cloud controller keep the floating IP when the Service goes.
	KeepFloatingIP = "loadbalancer.openstack.org/keep-floatingip"
	// ControllerSelector finds the chart's controller Service(s).
	ControllerSelector = "app.kubernetes.io/instance=" + ReleaseName + ",app.kubernetes.io/component=controller"
)

// Controllers this tool installs.
var Controllers = []string{Controller}

// Retired is shown on every install.
const Retired = `Note: ingress-nginx is retired (best-effort maintenance ended in March 2026; chart 4.15.1 is the last
release). It still works for this demo, but for new clusters use the Gateway API: install a Gateway
controller (e.g. Envoy Gateway, Cilium, Istio) and run "kubectl demoingress deploy --gateway".`

// Options are what the user chose.
type Options struct {
	LoadBalancerIP string
	KeepFloatingIP bool
}

// ValidateIP checks --load-balancer-ip.
func ValidateIP(ip string) error {
	if ip == "" {
		return nil
	}
	p := net.ParseIP(ip)
	if p == nil {
		return fmt.Errorf("--load-balancer-ip %q is not an IP address", ip)
	}
	if p.IsUnspecified() || p.IsMulticast() {
		return fmt.Errorf("--load-balancer-ip %s cannot be a load balancer address", ip)
	}
	return nil
}

// Values are the chart values for these options: the guide's publishService, and the OpenStack
// way of asking for a given floating IP.
func Values(o Options) map[string]any {
	svc := map[string]any{}
	if o.LoadBalancerIP != "" {
		// Deprecated in core since 1.24, still how the OpenStack cloud controller takes an existing floating IP.
		svc["loadBalancerIP"] = o.LoadBalancerIP
	}
	if o.KeepFloatingIP {
		svc["annotations"] = map[string]any{KeepFloatingIP: "true"}
	}
	controller := map[string]any{"publishService": map[string]any{"enabled": true}}
	if len(svc) > 0 {
		controller["service"] = svc
	}
	return map[string]any{"controller": controller}
}
