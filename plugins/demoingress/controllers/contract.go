package controllers

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// CheckRendered holds a rendered chart to what this tool depends on, before anything is applied:
// a chart from a mirror or of another version may have moved a value (Traefik's chart ignores
// an unknown key under service silently) or renamed its objects. crds are the names of the
// CRDs the chart ships.
func (s Spec) CheckRendered(manifest string, crds []string, o Options) error {
	objs, err := apply.Parse([]byte(manifest))
	if err != nil {
		return fmt.Errorf("reading the rendered chart: %w", err)
	}
	switch s.Name {
	case EnvoyGateway:
		return s.checkEnvoy(objs, crds)
	case Traefik:
		svc, err := s.checkService(objs, o)
		if err != nil {
			return err
		}
		return s.checkTraefik(objs, svc, o)
	}
	_, err = s.checkService(objs, o)
	return err
}

// ServiceIn is the name of the controller's load balancer Service in a rendered manifest.
func (s Spec) ServiceIn(manifest string) string {
	objs, _ := apply.Parse([]byte(manifest))
	if svcs := s.services(objs); len(svcs) > 0 {
		return svcs[0].GetName()
	}
	return ""
}

func (s Spec) services(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	sel, _ := labels.Parse(s.ServiceSelector)
	var out []*unstructured.Unstructured
	for _, obj := range objs {
		if obj.GetKind() != "Service" || !sel.Matches(labels.Set(obj.GetLabels())) {
			continue
		}
		if s.Name == IngressNginx && strings.HasSuffix(obj.GetName(), "-admission") {
			continue // controller-service-webhook.yaml: the admission Service has the same labels
		}
		out = append(out, obj)
	}
	return out
}

func (s Spec) checkService(objs []*unstructured.Unstructured, o Options) (*unstructured.Unstructured, error) {
	svcs := s.services(objs)
	if len(svcs) != 1 {
		return nil, fmt.Errorf("the chart renders %d LoadBalancer Services labelled %s, this tool expects one", len(svcs), s.ServiceSelector)
	}
	svc := svcs[0]
	want := "LoadBalancer"
	if t, _, _ := unstructured.NestedString(svc.Object, "spec", "type"); t != want {
		return nil, fmt.Errorf("the chart renders Service %s of type %q, not %s", svc.GetName(), t, want)
	}
	// An IP set with --set instead of --load-balancer-ip is the user's to choose.
	if ip, _, _ := unstructured.NestedString(svc.Object, "spec", "loadBalancerIP"); o.LoadBalancerIP != "" && ip != o.LoadBalancerIP {
		return nil, fmt.Errorf("the chart renders Service %s with loadBalancerIP %q, not %q: it does not take the floating IP where this tool puts it", svc.GetName(), ip, o.LoadBalancerIP)
	}
	if o.KeepFloatingIP && svc.GetAnnotations()[nginx.KeepFloatingIP] != "true" {
		return nil, fmt.Errorf("the chart renders Service %s without the annotation %s", svc.GetName(), nginx.KeepFloatingIP)
	}
	return svc, nil
}

// checkTraefik: the ingress-nginx provider is on and publishes the Service's address to the
// Ingress status (traefik-helm-chart v41.3.0 _podtemplate.tpl), and the GatewayClass is made.
func (s Spec) checkTraefik(objs []*unstructured.Unstructured, svc *unstructured.Unstructured, o Options) error {
	args := containerArgs(objs, s.Deployment)
	if args == nil {
		return fmt.Errorf("the chart renders no Deployment %s", s.Deployment)
	}
	publish := fmt.Sprintf("--providers.kubernetesingressnginx.publishservice=%s/%s", s.Namespace, svc.GetName())
	if o.PublishStatusAddress != "" {
		publish = "--providers.kubernetesingressnginx.publishStatusAddress=" + o.PublishStatusAddress
	}
	for _, want := range []string{"--providers.kubernetesingressnginx", publish, "--providers.kubernetesgateway"} {
		if !slices.Contains(args, want) {
			return fmt.Errorf("the chart's Deployment %s lacks %s: the values this tool sets do not turn on what it needs", s.Deployment, want)
		}
	}
	for _, obj := range objs {
		if obj.GetKind() == "GatewayClass" && obj.GetName() == s.GatewayClass {
			if c, _, _ := unstructured.NestedString(obj.Object, "spec", "controllerName"); c == TraefikGatewayController {
				return nil
			}
		}
	}
	return fmt.Errorf("the chart renders no GatewayClass %s with controller %s", s.GatewayClass, TraefikGatewayController)
}

// checkEnvoy: the controller Deployment, its controller name in the config, the EnvoyProxy CRD.
func (s Spec) checkEnvoy(objs []*unstructured.Unstructured, crds []string) error {
	if containerArgs(objs, s.Deployment) == nil {
		return fmt.Errorf("the chart renders no Deployment %s", s.Deployment)
	}
	found := false
	for _, obj := range objs {
		if obj.GetKind() == "ConfigMap" {
			data, _, _ := unstructured.NestedStringMap(obj.Object, "data")
			for _, v := range data {
				found = found || strings.Contains(v, EnvoyGatewayController)
			}
		}
	}
	if !found {
		return fmt.Errorf("the chart's configuration does not name the controller %s", EnvoyGatewayController)
	}
	if !slices.Contains(crds, "envoyproxies.gateway.envoyproxy.io") {
		return fmt.Errorf("the chart ships no EnvoyProxy CRD (envoyproxies.gateway.envoyproxy.io): is crds.enabled false?")
	}
	return nil
}

func containerArgs(objs []*unstructured.Unstructured, deployment string) []string {
	for _, obj := range objs {
		if obj.GetKind() != "Deployment" || obj.GetName() != deployment {
			continue
		}
		cs, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
		args := []string{}
		for _, c := range cs {
			m, _ := c.(map[string]any)
			as, _ := m["args"].([]any)
			for _, a := range as {
				if s, ok := a.(string); ok {
					args = append(args, s)
				}
			}
		}
		return args
	}
	return nil
}
