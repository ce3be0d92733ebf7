package controllers

import (
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestTraefikValues(t *testing.T) {
	tr, _ := Get(Traefik)
	v := tr.Values(Options{LoadBalancerIP: "160.44.12.35", KeepFloatingIP: true})
	for path, want := range map[string]any{
		"providers.kubernetesIngressNGINX.enabled":                true,
		"providers.kubernetesIngressNGINX.publishService.enabled": true,
		"providers.kubernetesGateway.enabled":                     true,
		"service.spec.loadBalancerIP":                             "160.44.12.35",
		"gateway.enabled":                                         false,
		"ingressClass.isDefaultClass":                             false,
	} {
		got, _, _ := unstructured.NestedFieldNoCopy(v, strings.Split(path, ".")...)
		if got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	ann, _, _ := unstructured.NestedStringMap(v, "service", "annotations")
	if ann["loadbalancer.openstack.org/keep-floatingip"] != "true" {
		t.Errorf("annotations %v", ann)
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(tr.Values(Options{}), "service"); found {
		t.Error("no IP and no keep: the chart's service defaults stay untouched")
	}
	fixed := tr.Values(Options{PublishStatusAddress: "160.44.12.35"})
	if a, _, _ := unstructured.NestedString(fixed, "providers", "kubernetesIngressNGINX", "publishStatusAddress"); a != "160.44.12.35" {
		t.Errorf("publishStatusAddress %v", fixed)
	}
	if on, _, _ := unstructured.NestedBool(fixed, "providers", "kubernetesIngressNGINX", "publishService", "enabled"); on {
		t.Error("a fixed status address turns publishService off")
	}
	if _, found, _ := unstructured.NestedFieldNoCopy(v, "service", "loadBalancerIP"); found {
		t.Error("service.loadBalancerIP is ignored by the chart: the IP goes under service.spec")
	}
}

func TestGetAndIP(t *testing.T) {
	if _, err := Get("nginx"); err == nil || !strings.Contains(err.Error(), "traefik, envoy-gateway, ingress-nginx") {
		t.Fatal(err)
	}
	eg, _ := Get(EnvoyGateway)
	if err := eg.ValidateIP("2001:db8::1"); err == nil || !strings.Contains(err.Error(), "IPv4") {
		t.Errorf("envoy IPv6: %v", err)
	}
	tr, _ := Get(Traefik)
	for ip, ok := range map[string]bool{"": true, "160.44.12.35": true, "2001:db8::1": true, "1.2.3": false} {
		if err := tr.ValidateIP(ip); (err == nil) != ok {
			t.Errorf("%q: %v", ip, err)
		}
	}
	if !tr.Supported("41.3.0") || tr.Supported("40.0.0") {
		t.Error("supported versions")
	}
	if n := All(); n[0].Name != Default || len(n) != 3 {
		t.Errorf("All %v", n)
	}
}

func TestListenerPort(t *testing.T) {
	if ListenerPort(TraefikGatewayController) != 8000 || ListenerPort(EnvoyGatewayController) != 80 || ListenerPort("example.com/other") != 80 {
		t.Fatal("listener ports")
	}
}

// traefikManifest is shaped as traefik-helm-chart 41.3.0 renders release traefik in namespace
// traefik with our values (test/charts/traefik models the chart itself).
const traefikManifest = `---
apiVersion: v1
kind: Service
metadata:
  name: traefik
  labels: {app.kubernetes.io/name: traefik, app.kubernetes.io/instance: traefik-traefik}
  annotations: {loadbalancer.openstack.org/keep-floatingip: "true"}
spec: {type: LoadBalancer, loadBalancerIP: 160.44.12.35}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: traefik}
spec:
  template:
    spec:
      containers:
      - name: traefik
        args: ["--providers.kubernetesingressnginx", "--providers.kubernetesingressnginx.publishservice=traefik/traefik", "--providers.kubernetesgateway"]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: traefik}
spec: {controllerName: traefik.io/gateway-controller}
`

func TestCheckRendered(t *testing.T) {
	tr, _ := Get(Traefik)
	ok := Options{LoadBalancerIP: "160.44.12.35", KeepFloatingIP: true}
	tests := []struct {
		name, manifest string
		o              Options
		want           string
	}{
		{"as the chart renders it", traefikManifest, ok, ""},
		{"the IP did not land", strings.Replace(traefikManifest, "loadBalancerIP: 160.44.12.35", "clusterIP: None", 1), ok, `loadBalancerIP "", not "160.44.12.35"`},
		{"no keep annotation", strings.Replace(traefikManifest, "loadbalancer.openstack.org/keep-floatingip", "x", 1), ok, "without the annotation"},
		{"renamed labels", strings.Replace(traefikManifest, "traefik-traefik", "traefik", 1), ok, "renders 0 LoadBalancer Services"},
		{"nginx provider off", strings.Replace(traefikManifest, `"--providers.kubernetesingressnginx", `, "", 1), ok, "lacks --providers.kubernetesingressnginx"},
		{"no publishService", strings.Replace(traefikManifest, "publishservice=traefik/traefik", "x", 1), ok, "publishservice=traefik/traefik"},
		{"no GatewayClass", strings.Replace(traefikManifest, "traefik.io/gateway-controller", "other", 1), ok, "no GatewayClass traefik"},
		{"an IP set by --set, none asked for", traefikManifest, Options{KeepFloatingIP: true}, ""},
		{"a fixed status address", strings.Replace(traefikManifest, "publishservice=traefik/traefik", "publishStatusAddress=160.44.12.35", 1), Options{LoadBalancerIP: "160.44.12.35", KeepFloatingIP: true, PublishStatusAddress: "160.44.12.35"}, ""},
		{"a fixed status address not rendered", traefikManifest, Options{LoadBalancerIP: "160.44.12.35", KeepFloatingIP: true, PublishStatusAddress: "160.44.12.35"}, "lacks --providers.kubernetesingressnginx.publishStatusAddress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tr.CheckRendered(tt.manifest, nil, tt.o)
			if (tt.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Fatalf("got %v, want %q", err, tt.want)
			}
		})
	}
	if got := tr.ServiceIn(traefikManifest); got != "traefik" {
		t.Errorf("ServiceIn %q", got)
	}
}

const envoyManifest = `---
apiVersion: apps/v1
kind: Deployment
metadata: {name: envoy-gateway}
spec: {template: {spec: {containers: [{name: envoy-gateway, args: [server]}]}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: envoy-gateway-config}
data: {envoy-gateway.yaml: "gateway:\n  controllerName: gateway.envoyproxy.io/gatewayclass-controller\n"}
`

func TestCheckRenderedEnvoy(t *testing.T) {
	eg, _ := Get(EnvoyGateway)
	crds := []string{"envoyproxies.gateway.envoyproxy.io"}
	if err := eg.CheckRendered(envoyManifest, crds, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := eg.CheckRendered(envoyManifest, nil, Options{}); err == nil || !strings.Contains(err.Error(), "crds.enabled") {
		t.Errorf("no EnvoyProxy CRD: %v", err)
	}
	if err := eg.CheckRendered(strings.Replace(envoyManifest, "gatewayclass-controller", "x", 1), crds, Options{}); err == nil {
		t.Error("another controller name must be refused")
	}
	objs := EnvoyObjects(Options{LoadBalancerIP: "160.44.12.35", KeepFloatingIP: true})
	ip, _, _ := unstructured.NestedString(objs[0].Object, "spec", "provider", "kubernetes", "envoyService", "loadBalancerIP")
	ref, _, _ := unstructured.NestedStringMap(objs[1].Object, "spec", "parametersRef")
	if ip != "160.44.12.35" || ref["name"] != EnvoyProxyName || ref["namespace"] != "envoy-gateway-system" || objs[1].GetName() != EnvoyGatewayClass {
		t.Fatalf("%v %v", objs[0].Object, objs[1].Object)
	}
}

func crd(name, group, bundle string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": name, "annotations": map[string]any{BundleVersionAnnotation: bundle}}, "spec": map[string]any{"group": group}}}
	return u
}

func TestCheckCRDManifest(t *testing.T) {
	good := func() []*unstructured.Unstructured {
		var objs []*unstructured.Unstructured
		for _, n := range GatewayAPIBundle {
			objs = append(objs, crd(n, GatewayAPIGroup, GatewayAPIVersion))
		}
		for _, kind := range []string{"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"} {
			o := &unstructured.Unstructured{}
			o.SetKind(kind)
			o.SetName("safe-upgrades.gateway.networking.k8s.io")
			objs = append(objs, o)
		}
		return objs
	}
	if err := CheckCRDManifest(good()); err != nil {
		t.Fatal(err)
	}
	without := func(name, kind string) func([]*unstructured.Unstructured) []*unstructured.Unstructured {
		return func(o []*unstructured.Unstructured) []*unstructured.Unstructured {
			return slices.DeleteFunc(o, func(u *unstructured.Unstructured) bool { return u.GetName() == name && u.GetKind() == kind })
		}
	}
	tests := map[string]func([]*unstructured.Unstructured) []*unstructured.Unstructured{
		"another bundle": func(o []*unstructured.Unstructured) []*unstructured.Unstructured {
			o[2] = crd("gateways.gateway.networking.k8s.io", GatewayAPIGroup, "v1.2.0")
			return o
		},
		"a Deployment": func(o []*unstructured.Unstructured) []*unstructured.Unstructured {
			d := &unstructured.Unstructured{}
			d.SetKind("Deployment")
			return append(o, d)
		},
		"another group": func(o []*unstructured.Unstructured) []*unstructured.Unstructured {
			return append(o, crd("x.example.com", "example.com", GatewayAPIVersion))
		},
		"httproutes gone":      without("httproutes.gateway.networking.k8s.io", "CustomResourceDefinition"),
		"referencegrants gone": without("referencegrants.gateway.networking.k8s.io", "CustomResourceDefinition"),
		"no policy binding":    without("safe-upgrades.gateway.networking.k8s.io", "ValidatingAdmissionPolicyBinding"),
	}
	for name, mutate := range tests {
		if err := CheckCRDManifest(mutate(good())); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCheckInstalledBundle(t *testing.T) {
	for bundle, want := range map[string]string{"v1.6.1": "", "v1.5.1": "", "v1.2.0": "error", "": "warn", "main": "warn"} {
		warn, err := CheckInstalledBundle("gateways.gateway.networking.k8s.io", bundle)
		got := ""
		switch {
		case err != nil:
			got = "error"
		case warn != "":
			got = "warn"
		}
		if got != want {
			t.Errorf("%q: %q %v", bundle, warn, err)
		}
	}
}

func TestCheckNginxClass(t *testing.T) {
	class := func(controller string, labels, ann map[string]string) *networkingv1.IngressClass {
		return &networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: "nginx", Labels: labels, Annotations: ann}, Spec: networkingv1.IngressClassSpec{Controller: controller}}
	}
	if owner, err := CheckNginxClass(NginxClass()); err != nil || owner != ManagedBy {
		t.Errorf("ours: %q %v", owner, err)
	}
	if owner, err := CheckNginxClass(class(NginxController, nil, map[string]string{"meta.helm.sh/release-name": "ingress-nginx", "meta.helm.sh/release-namespace": "ingress-nginx"})); err != nil || owner != "Helm release ingress-nginx/ingress-nginx" {
		t.Errorf("helm: %q %v", owner, err)
	}
	if _, err := CheckNginxClass(class("example.com/other", nil, nil)); err == nil {
		t.Error("a class of another controller cannot be served")
	}
}

func TestPartialGatewayAPI(t *testing.T) {
	gwc, gw := GatewayAPINeeded[0], GatewayAPINeeded[1]
	ours := Written{Managers: []string{"kubectl-demoingress"}, Bundle: GatewayAPIVersion, Channel: "standard"}
	for _, tc := range []struct {
		name  string
		found map[string]Written
		want  string // "" completes; else a part of the error
	}{
		{"ours, cut short", map[string]Written{gwc: ours}, ""},
		{"ours, two of three, touched by another manager too", map[string]Written{gwc: {Managers: []string{"kubectl-demoingress", "kube-apiserver"}, Bundle: GatewayAPIVersion, Channel: "standard"}, gw: ours}, ""},
		{"someone else's", map[string]Written{gwc: {Managers: []string{"kubectl"}, Bundle: GatewayAPIVersion}},
			"gatewayclasses.gateway.networking.k8s.io (written by kubectl, bundle \"v1.6.1\")"},
		{"ours and someone else's", map[string]Written{gwc: ours, gw: {Managers: []string{"helm"}, Bundle: GatewayAPIVersion}},
			"httproutes.gateway.networking.k8s.io missing; present: gatewayclasses.gateway.networking.k8s.io (written by kubectl-demoingress, bundle \"v1.6.1\"); gateways.gateway.networking.k8s.io (written by helm"},
		{"ours, but another bundle", map[string]Written{gwc: {Managers: []string{"kubectl-demoingress"}, Bundle: "v1.5.1"}}, `bundle "v1.5.1"`},
		{"ours, moved to the experimental channel", map[string]Written{gwc: {Managers: []string{"kubectl-demoingress", "kubectl"}, Bundle: GatewayAPIVersion, Channel: "experimental"}},
			"written by kubectl-demoingress, kubectl"},
		{"no managedFields", map[string]Written{gwc: {Bundle: GatewayAPIVersion}}, "written by no recorded field manager"},
	} {
		err := PartialGatewayAPI(tc.found, "kubectl-demoingress")
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want it completed", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if OursAt(map[string]Written{}, "kubectl-demoingress") {
		t.Error("nothing found is no install of ours")
	}
}
