package controllers

import (
	"fmt"
	"net"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// Objects this tool makes beside the Envoy Gateway chart, which makes no GatewayClass or
// EnvoyProxy (envoyproxy/gateway v1.9.0 charts/gateway-helm).
const (
	EnvoyGatewayClass = "envoy-gateway"
	EnvoyProxyName    = "demoingress"
)

// NginxClass is the IngressClass the guide's Ingress names. Traefik's chart does not make it
// (traefik-helm-chart v41.3.0 templates/ingressclass.yaml makes only its own class), and its
// ingress-nginx provider serves only classes whose controller is k8s.io/ingress-nginx
// (traefik v3.7 pkg/provider/kubernetes/ingress-nginx: defaultControllerName).
func NginxClass() *networkingv1.IngressClass {
	return &networkingv1.IngressClass{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "IngressClass"},
		ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: map[string]string{ManagedByLabel: ManagedBy}},
		Spec:       networkingv1.IngressClassSpec{Controller: NginxController},
	}
}

// NginxController is the IngressClass controller of ingress-nginx, which Traefik's provider also serves.
const NginxController = "k8s.io/ingress-nginx"

// HelmKeep is the annotation that makes Helm leave an object behind on uninstall
// (helm.sh/helm pkg/kube ResourcePolicyAnno): migrate puts it on ingress-nginx's IngressClass.
const HelmKeep = "helm.sh/resource-policy"

// CheckNginxClass says whether an existing IngressClass nginx lets Traefik serve the guide's
// Ingress, and whose it is.
func CheckNginxClass(c *networkingv1.IngressClass) (owner string, err error) {
	if c.Spec.Controller != NginxController {
		return "", fmt.Errorf("IngressClass nginx has controller %q: Traefik's ingress-nginx provider serves only classes with controller %s", c.Spec.Controller, NginxController)
	}
	switch {
	case c.Labels[ManagedByLabel] == ManagedBy:
		return ManagedBy, nil
	case c.Annotations["meta.helm.sh/release-name"] != "":
		return "Helm release " + c.Annotations["meta.helm.sh/release-namespace"] + "/" + c.Annotations["meta.helm.sh/release-name"], nil
	}
	return "someone else", nil
}

// EnvoyObjects are the EnvoyProxy carrying the fixed IP and the GatewayClass pointing at it.
// The IP goes on the Envoy Service through spec.provider.kubernetes.envoyService.loadBalancerIP
// (api/v1alpha1 shared_types.go KubernetesServiceSpec; IPv4 only, by its CEL rule); a Gateway's
// spec.addresses would become externalIPs and attach no floating IP.
func EnvoyObjects(o Options) []*unstructured.Unstructured {
	svc := map[string]any{"type": "LoadBalancer"}
	if o.LoadBalancerIP != "" {
		svc["loadBalancerIP"] = o.LoadBalancerIP
	}
	if o.KeepFloatingIP {
		svc["annotations"] = map[string]any{nginx.KeepFloatingIP: "true"}
	}
	labels := map[string]any{ManagedByLabel: ManagedBy}
	proxy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy",
		"metadata": map[string]any{"name": EnvoyProxyName, "namespace": specs[EnvoyGateway].Namespace, "labels": labels},
		"spec":     map[string]any{"provider": map[string]any{"type": "Kubernetes", "kubernetes": map[string]any{"envoyService": svc}}},
	}}
	class := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "GatewayClass",
		"metadata": map[string]any{"name": EnvoyGatewayClass, "labels": labels},
		"spec": map[string]any{"controllerName": EnvoyGatewayController, "parametersRef": map[string]any{
			"group": "gateway.envoyproxy.io", "kind": "EnvoyProxy", "name": EnvoyProxyName, "namespace": specs[EnvoyGateway].Namespace}},
	}}
	return []*unstructured.Unstructured{proxy, class}
}

// ValidateIP checks --load-balancer-ip for this controller.
func (s Spec) ValidateIP(ip string) error {
	if err := nginx.ValidateIP(ip); err != nil {
		return err
	}
	if ip != "" && s.Name == EnvoyGateway && net.ParseIP(ip).To4() == nil {
		return fmt.Errorf("--load-balancer-ip %s: Envoy Gateway takes an IPv4 address only (EnvoyProxy envoyService.loadBalancerIP)", ip)
	}
	return nil
}
