// Package demoapp builds the guide's demo resources (namespace demo, deployment and service web,
// ingress demo-ip-ingress on /demo), or a Gateway and HTTPRoute instead of the Ingress.
package demoapp

import (
	"fmt"
	"net"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/ptr"
)

// Names from the guide.
const (
	Namespace   = "demo"
	App         = "web"
	IngressName = "demo-ip-ingress"
	GatewayName = "demo-gateway"
	RouteName   = "demo-route"
	ServicePort = 80
	// DefaultImage answers every path with a fixed text (flags -listen and -text).
	DefaultImage        = "hashicorp/http-echo:1.0"
	DefaultPath         = "/demo"
	DefaultIngressClass = "nginx"
	ContainerPort       = 5678
	ManagedBy           = "kubectl-demoingress"
	// LastVerification is the annotation where verify records its last result on the route.
	LastVerification = "demoingress.osc-coco.io/last-verification"
)

// Options shape the demo.
type Options struct {
	Image        string
	Path         string
	Host         string
	Text         string
	Gateway      bool
	GatewayClass string
	// ListenerPort is the Gateway listener's port (0: 80); Traefik needs its entry point's, 8000.
	ListenerPort int64
	IngressClass string
	Replicas     int32
}

// Validate checks what the API would reject, with messages that name the flag.
func (o Options) Validate() error {
	if !strings.HasPrefix(o.Path, "/") || strings.ContainsAny(o.Path, " ?#") {
		return fmt.Errorf("--path %q must start with / and have no spaces, ? or #", o.Path)
	}
	if o.Host != "" {
		if net.ParseIP(o.Host) != nil {
			return fmt.Errorf("--host %q is an IP address: Ingress hosts are DNS names (leave --host out to answer on the IP)", o.Host)
		}
		if errs := validation.IsDNS1123Subdomain(strings.TrimPrefix(o.Host, "*.")); len(errs) > 0 {
			return fmt.Errorf("--host %q is not a DNS name: %s", o.Host, strings.Join(errs, "; "))
		}
	}
	if o.Image == "" || strings.ContainsAny(o.Image, " \t\n") {
		return fmt.Errorf("--image %q is not an image reference", o.Image)
	}
	if o.Replicas < 1 {
		return fmt.Errorf("--replicas must be at least 1")
	}
	return nil
}

func labels() map[string]string {
	return map[string]string{"app.kubernetes.io/name": App, "app.kubernetes.io/part-of": "demoingress", "app.kubernetes.io/managed-by": ManagedBy}
}

// Selector selects the demo pods.
func Selector() map[string]string { return map[string]string{"app.kubernetes.io/name": App} }

// Objects returns the demo resources in apply order.
func Objects(o Options) ([]*unstructured.Unstructured, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	text := o.Text
	if text == "" {
		text = "hello from the demo app on " + o.Path
	}
	ns := &corev1.Namespace{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
		ObjectMeta: metav1.ObjectMeta{Name: Namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": ManagedBy,
			"pod-security.kubernetes.io/enforce": "restricted"}}}
	dep := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{Name: App, Namespace: Namespace, Labels: labels()},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(o.Replicas),
			Selector: &metav1.LabelSelector{MatchLabels: Selector()},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels()},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr.To(false),
					SecurityContext: &corev1.PodSecurityContext{RunAsNonRoot: ptr.To(true), RunAsUser: ptr.To[int64](65532),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault}},
					Containers: []corev1.Container{{
						Name:  App,
						Image: o.Image,
						Args:  []string{fmt.Sprintf("-listen=:%d", ContainerPort), "-text=" + text},
						Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: ContainerPort}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: o.Path, Port: intstr.FromString("http")}},
							PeriodSeconds: 5},
						Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{}},
						SecurityContext: &corev1.SecurityContext{AllowPrivilegeEscalation: ptr.To(false), ReadOnlyRootFilesystem: ptr.To(true),
							Capabilities: &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}}},
					}},
				},
			},
		},
	}
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{Name: App, Namespace: Namespace, Labels: labels()},
		Spec:       corev1.ServiceSpec{Selector: Selector(), Ports: []corev1.ServicePort{{Name: "http", Port: ServicePort, TargetPort: intstr.FromString("http")}}},
	}
	objs := []runtime.Object{ns, dep, svc}
	if o.Gateway {
		objs = append(objs, gateway(o), route(o))
	} else {
		objs = append(objs, ingress(o))
	}
	out := make([]*unstructured.Unstructured, 0, len(objs))
	for _, obj := range objs {
		if u, ok := obj.(*unstructured.Unstructured); ok {
			out = append(out, u)
			continue
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			return nil, err
		}
		u := &unstructured.Unstructured{Object: m}
		unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
		unstructured.RemoveNestedField(u.Object, "spec", "template", "metadata", "creationTimestamp")
		unstructured.RemoveNestedField(u.Object, "status")
		out = append(out, u)
	}
	return out, nil
}

func ingress(o Options) *networkingv1.Ingress {
	rule := networkingv1.IngressRule{Host: o.Host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
		Paths: []networkingv1.HTTPIngressPath{{Path: o.Path, PathType: ptr.To(networkingv1.PathTypePrefix),
			Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: App, Port: networkingv1.ServiceBackendPort{Number: ServicePort}}}}},
	}}}
	class := o.IngressClass
	if class == "" {
		class = DefaultIngressClass
	}
	return &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: metav1.ObjectMeta{Name: IngressName, Namespace: Namespace, Labels: labels()},
		Spec:       networkingv1.IngressSpec{IngressClassName: ptr.To(class), Rules: []networkingv1.IngressRule{rule}},
	}
}

// GatewayAPIVersion is the Gateway API version the demo uses.
const GatewayAPIVersion = "gateway.networking.k8s.io/v1"

func gateway(o Options) *unstructured.Unstructured {
	port := o.ListenerPort
	if port == 0 {
		port = 80
	}
	listener := map[string]any{"name": "http", "protocol": "HTTP", "port": port}
	if o.Host != "" {
		listener["hostname"] = o.Host
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": GatewayAPIVersion, "kind": "Gateway",
		"metadata": map[string]any{"name": GatewayName, "namespace": Namespace, "labels": toAny(labels())},
		"spec":     map[string]any{"gatewayClassName": o.GatewayClass, "listeners": []any{listener}},
	}}
}

func route(o Options) *unstructured.Unstructured {
	spec := map[string]any{
		"parentRefs": []any{map[string]any{"name": GatewayName}},
		"rules": []any{map[string]any{
			"matches":     []any{map[string]any{"path": map[string]any{"type": "PathPrefix", "value": o.Path}}},
			"backendRefs": []any{map[string]any{"name": App, "port": int64(ServicePort)}},
		}},
	}
	if o.Host != "" {
		spec["hostnames"] = []any{o.Host}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": GatewayAPIVersion, "kind": "HTTPRoute",
		"metadata": map[string]any{"name": RouteName, "namespace": Namespace, "labels": toAny(labels())},
		"spec":     spec,
	}}
}

func toAny(m map[string]string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
