package charts

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	kubefake "helm.sh/helm/v4/pkg/kube/fake"
	release "helm.sh/helm/v4/pkg/release/v1"
	"helm.sh/helm/v4/pkg/storage"
	"helm.sh/helm/v4/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
)

// renderFixture renders as helmrelease.Render does ("helm template": a client-side dry run, the
// values checked against the chart's values.schema.json), but for Kubernetes v1.33 and with the
// CRDs in the manifest (--include-crds). A test binary's Helm assumes Kubernetes v1.20
// (common.DefaultCapabilities under testing.Testing()), below the Traefik chart's kubeVersion.
func renderFixture(t *testing.T, ch *chart.Chart, vals map[string]any, name, namespace string) (*release.Release, error) {
	t.Helper()
	cfg := action.NewConfiguration(action.ConfigurationSetLogger(slog.DiscardHandler))
	mem := driver.NewMemory()
	mem.SetNamespace(namespace)
	cfg.Releases = storage.Init(mem)
	cfg.KubeClient = &kubefake.PrintingKubeClient{Out: io.Discard}
	kv, err := common.ParseKubeVersion("v1.33.0")
	if err != nil {
		t.Fatal(err)
	}
	in := action.NewInstall(cfg)
	in.ReleaseName, in.Namespace, in.DryRunStrategy, in.Replace = name, namespace, action.DryRunClient, true
	in.KubeVersion, in.IncludeCRDs = kv, true
	r, err := in.RunWithContext(context.Background(), ch, vals)
	if err != nil {
		return nil, err
	}
	rel, _ := r.(*release.Release)
	return rel, nil
}

func loadFixture(t *testing.T, name string) *chart.Chart {
	t.Helper()
	ch, err := loader.LoadDir(Dir(name))
	if err != nil {
		t.Fatalf("loading test/charts/%s: %v", name, err)
	}
	return ch
}

func valuesOf(t *testing.T, doc string) map[string]any {
	t.Helper()
	vals := map[string]any{}
	if err := yaml.Unmarshal([]byte(doc), &vals); err != nil {
		t.Fatal(err)
	}
	return vals
}

type objects []*unstructured.Unstructured

func objectsOf(t *testing.T, rel *release.Release) objects {
	t.Helper()
	objs, err := apply.Parse([]byte(rel.Manifest))
	if err != nil {
		t.Fatalf("parsing the manifest: %v\n%s", err, rel.Manifest)
	}
	return objs
}

func (o objects) get(kind, name string) *unstructured.Unstructured {
	for _, obj := range o {
		if obj.GetKind() == kind && obj.GetName() == name {
			return obj
		}
	}
	return nil
}

func (o objects) mustGet(t *testing.T, kind, name string) *unstructured.Unstructured {
	t.Helper()
	obj := o.get(kind, name)
	if obj == nil {
		var have []string
		for _, obj := range o {
			have = append(have, obj.GetKind()+" "+obj.GetName())
		}
		t.Fatalf("no %s %s rendered; have %v", kind, name, have)
	}
	return obj
}

func containerArgs(t *testing.T, deploy *unstructured.Unstructured) (name, image string, args []string) {
	t.Helper()
	cs, _, _ := unstructured.NestedSlice(deploy.Object, "spec", "template", "spec", "containers")
	if len(cs) != 1 {
		t.Fatalf("Deployment %s has %d containers", deploy.GetName(), len(cs))
	}
	c := cs[0].(map[string]any)
	for _, a := range c["args"].([]any) {
		args = append(args, a.(string))
	}
	return c["name"].(string), c["image"].(string), args
}

func str(obj *unstructured.Unstructured, path ...string) string {
	s, _, _ := unstructured.NestedString(obj.Object, path...)
	return s
}

// What kubectl demoingress install --controller traefik sets (its traefikValues), with a floating IP.
const traefikDemoValues = `
providers:
  kubernetesIngressNGINX:
    enabled: true
    publishService:
      enabled: true
  kubernetesGateway:
    enabled: true
gateway:
  enabled: false
service:
  spec:
    loadBalancerIP: 160.44.12.35
  annotations:
    loadbalancer.openstack.org/keep-floatingip: "true"
ingressClass:
  isDefaultClass: false
`

func TestTraefikFixture(t *testing.T) {
	ch := loadFixture(t, "traefik")
	if ch.Metadata.Version != "41.3.0" || ch.Metadata.AppVersion != "v3.7.11" || ch.Metadata.KubeVersion != ">=1.25.0-0" {
		t.Errorf("Chart.yaml: version %s appVersion %s kubeVersion %s", ch.Metadata.Version, ch.Metadata.AppVersion, ch.Metadata.KubeVersion)
	}
	if len(ch.CRDObjects()) != 0 {
		t.Errorf("the Traefik fixture ships CRDs: %v", ch.CRDObjects())
	}
	rel, err := renderFixture(t, ch, valuesOf(t, traefikDemoValues), "traefik", "traefik")
	if err != nil {
		t.Fatal(err)
	}
	objs := objectsOf(t, rel)

	svc := objs.mustGet(t, "Service", "traefik")
	if got := str(svc, "spec", "loadBalancerIP"); got != "160.44.12.35" {
		t.Errorf("Service loadBalancerIP %q", got)
	}
	if got := str(svc, "spec", "type"); got != "LoadBalancer" {
		t.Errorf("Service type %q", got)
	}
	if got := svc.GetAnnotations()["loadbalancer.openstack.org/keep-floatingip"]; got != "true" {
		t.Errorf("Service annotations %v", svc.GetAnnotations())
	}
	l := svc.GetLabels()
	if l["app.kubernetes.io/name"] != "traefik" || l["app.kubernetes.io/instance"] != "traefik-traefik" {
		t.Errorf("Service labels %v", l)
	}
	sel, _, _ := unstructured.NestedStringMap(svc.Object, "spec", "selector")
	if len(sel) != 2 || sel["app.kubernetes.io/name"] != "traefik" || sel["app.kubernetes.io/instance"] != "traefik-traefik" {
		t.Errorf("Service selector %v", sel)
	}
	ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
	var ps []string
	for _, p := range ports {
		m := p.(map[string]any)
		ps = append(ps, strings.Join([]string{m["name"].(string), yamlString(m["port"]), m["targetPort"].(string)}, ":"))
	}
	if !slices.Equal(ps, []string{"web:80:web", "websecure:443:websecure"}) {
		t.Errorf("Service ports %v", ps)
	}

	deploy := objs.mustGet(t, "Deployment", "traefik")
	name, image, args := containerArgs(t, deploy)
	if name != "traefik" || image != "docker.io/traefik:v3.7.11" {
		t.Errorf("container %s image %s", name, image)
	}
	for _, want := range []string{
		"--entryPoints.web.address=:8000/tcp",
		"--entryPoints.websecure.address=:8443/tcp",
		"--providers.kubernetesingress",
		"--providers.kubernetesingress.ingressendpoint.publishedservice=traefik/traefik",
		"--providers.kubernetesingressnginx",
		"--providers.kubernetesingressnginx.publishservice=traefik/traefik",
		"--providers.kubernetesingressnginx.controllerClass=k8s.io/ingress-nginx",
		"--providers.kubernetesingressnginx.ingressClass=nginx",
		"--providers.kubernetesingressnginx.ingressClassByName=false",
		"--providers.kubernetesingressnginx.watchIngressWithoutClass=false",
		"--providers.kubernetesgateway",
		"--providers.kubernetesgateway.statusaddress.service.name=traefik",
		"--providers.kubernetesgateway.statusaddress.service.namespace=traefik",
	} {
		if !slices.Contains(args, want) {
			t.Errorf("Deployment args lack %s: %v", want, args)
		}
	}
	for _, a := range args {
		if strings.HasPrefix(a, "--providers.kubernetesingressnginx.") && strings.HasSuffix(a, "=") {
			t.Errorf("empty option rendered: %s", a)
		}
	}
	ml, _, _ := unstructured.NestedStringMap(deploy.Object, "spec", "selector", "matchLabels")
	if len(ml) != 2 || ml["app.kubernetes.io/instance"] != "traefik-traefik" {
		t.Errorf("Deployment selector %v", ml)
	}

	gc := objs.mustGet(t, "GatewayClass", "traefik")
	if got := str(gc, "spec", "controllerName"); got != "traefik.io/gateway-controller" {
		t.Errorf("GatewayClass controllerName %q", got)
	}
	if objs.get("IngressClass", "nginx") != nil {
		t.Error("the chart renders an IngressClass nginx; upstream makes none")
	}
	ic := objs.mustGet(t, "IngressClass", "traefik")
	if ic.GetAnnotations()["ingressclass.kubernetes.io/is-default-class"] != "false" || str(ic, "spec", "controller") != "traefik.io/ingress-controller" {
		t.Errorf("IngressClass traefik: %v", ic.Object)
	}
	for _, o := range objs {
		if o.GetKind() == "Gateway" {
			t.Errorf("gateway.enabled false renders Gateway %s", o.GetName())
		}
	}
	cr := objs.mustGet(t, "ClusterRole", "traefik-traefik")
	rules, _, _ := unstructured.NestedSlice(cr.Object, "rules")
	var resources []string
	for _, r := range rules {
		for _, res := range r.(map[string]any)["resources"].([]any) {
			resources = append(resources, res.(string))
		}
	}
	for _, want := range []string{"ingressclasses", "ingresses", "ingresses/status", "namespaces", "gatewayclasses", "gateways", "httproutes", "gateways/status"} {
		if !slices.Contains(resources, want) {
			t.Errorf("ClusterRole lacks %s: %v", want, resources)
		}
	}
	objs.mustGet(t, "ClusterRoleBinding", "traefik-traefik")
	objs.mustGet(t, "ServiceAccount", "traefik")
}

func TestTraefikFixtureNames(t *testing.T) {
	rel, err := renderFixture(t, loadFixture(t, "traefik"), valuesOf(t, traefikDemoValues), "edge", "traefik")
	if err != nil {
		t.Fatal(err)
	}
	objs := objectsOf(t, rel)
	svc := objs.mustGet(t, "Service", "edge-traefik")
	if got := svc.GetLabels()["app.kubernetes.io/instance"]; got != "edge-traefik" {
		t.Errorf("instance label %q", got)
	}
	name, _, args := containerArgs(t, objs.mustGet(t, "Deployment", "edge-traefik"))
	if name != "edge-traefik" || !slices.Contains(args, "--providers.kubernetesingressnginx.publishservice=traefik/edge-traefik") {
		t.Errorf("container %s args %v", name, args)
	}
	objs.mustGet(t, "IngressClass", "edge-traefik")
	objs.mustGet(t, "GatewayClass", "traefik")
	objs.mustGet(t, "ClusterRole", "edge-traefik-traefik")

	// The chart's own Gateway (gateway.enabled is true by default) listens on the web entry point.
	rel, err = renderFixture(t, loadFixture(t, "traefik"), valuesOf(t, "providers: {kubernetesGateway: {enabled: true}}"), "traefik", "traefik")
	if err != nil {
		t.Fatal(err)
	}
	gw := objectsOf(t, rel).mustGet(t, "Gateway", "traefik-gateway")
	ls, _, _ := unstructured.NestedSlice(gw.Object, "spec", "listeners")
	if str(gw, "spec", "gatewayClassName") != "traefik" || len(ls) != 1 || yamlString(ls[0].(map[string]any)["port"]) != "8000" {
		t.Errorf("Gateway: %v", gw.Object)
	}
}

// The fixture refuses what upstream's chart refuses, with upstream's messages.
func TestTraefikFixtureRefusals(t *testing.T) {
	for _, tc := range []struct{ name, values, want string }{
		{"wrong caps", "providers: {kubernetesIngressNginx: {enabled: true}}",
			"at '/providers': additional properties 'kubernetesIngressNginx' not allowed"},
		{"unknown top-level key", "foo: 1", "additional properties 'foo' not allowed"},
		{"unknown ingressClass key", "ingressClass: {controller: k8s.io/ingress-nginx}",
			"at '/ingressClass': additional properties 'controller' not allowed"},
		{"port type", "ports: {web: {port: \"8000\"}}", "at '/ports/web/port': got string, want integer"},
		{"listener on the exposed port", "providers: {kubernetesGateway: {enabled: true}}\ngateway: {listeners: {web: {port: 80}}}",
			"ERROR: port 80 is not declared in ports"},
		{"nginx provider before v3.6.2", "image: {tag: v3.6.1}\nproviders: {kubernetesIngressNGINX: {enabled: true}}",
			"ERROR: Kubernetes Ingress NGINX provider is only available for traefik >= v3.6.2."},
		{"latest", "image: {tag: latest}", `ERROR: version "latest" is not supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := renderFixture(t, loadFixture(t, "traefik"), valuesOf(t, tc.values), "traefik", "traefik")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error with %q", err, tc.want)
			}
		})
	}
	// Keys upstream leaves open are accepted: service.spec is copied verbatim, service.loadBalancerIP
	// (the wrong level) is silently ignored.
	rel, err := renderFixture(t, loadFixture(t, "traefik"), valuesOf(t, "service: {loadBalancerIP: 1.2.3.4, spec: {externalTrafficPolicy: Local}}"), "traefik", "traefik")
	if err != nil {
		t.Fatal(err)
	}
	svc := objectsOf(t, rel).mustGet(t, "Service", "traefik")
	if str(svc, "spec", "loadBalancerIP") != "" || str(svc, "spec", "externalTrafficPolicy") != "Local" {
		t.Errorf("Service spec %v", svc.Object["spec"])
	}
}

func TestGatewayHelmFixture(t *testing.T) {
	ch := loadFixture(t, "gateway-helm")
	if ch.Metadata.Name != "gateway-helm" || ch.Metadata.Version != "v1.9.0" || ch.Metadata.AppVersion != "v1.9.0" {
		t.Errorf("Chart.yaml: %s %s %s", ch.Metadata.Name, ch.Metadata.Version, ch.Metadata.AppVersion)
	}
	if len(ch.Metadata.Dependencies) != 1 || ch.Metadata.Dependencies[0].Name != "crds" || ch.Metadata.Dependencies[0].Condition != "crds.enabled" {
		t.Errorf("dependencies %v", ch.Metadata.Dependencies)
	}
	if len(ch.Dependencies()) != 1 || ch.Dependencies()[0].Name() != "crds" || ch.Dependencies()[0].Metadata.Version != "0.0.0" {
		t.Fatalf("the loader found sub-charts %v", ch.Dependencies())
	}
	var crdFiles []string
	for _, c := range ch.CRDObjects() {
		crdFiles = append(crdFiles, c.Filename)
	}
	if !slices.Contains(crdFiles, "gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_envoyproxies.yaml") {
		t.Errorf("CRD files %v", crdFiles)
	}

	rel, err := renderFixture(t, ch, map[string]any{}, "eg", "envoy-gateway-system")
	if err != nil {
		t.Fatal(err)
	}
	objs := objectsOf(t, rel)
	deploy := objs.mustGet(t, "Deployment", "envoy-gateway")
	l := deploy.GetLabels()
	if l["control-plane"] != "envoy-gateway" || l["app.kubernetes.io/name"] != "gateway-helm" || l["app.kubernetes.io/instance"] != "eg" ||
		l["app.kubernetes.io/version"] != "v1.9.0" || l["helm.sh/chart"] != "gateway-helm-v1.9.0" {
		t.Errorf("Deployment labels %v", l)
	}
	name, image, args := containerArgs(t, deploy)
	if name != "envoy-gateway" || image != "docker.io/envoyproxy/gateway:v1.9.0" || !slices.Equal(args, []string{"server", "--config-path=/config/envoy-gateway.yaml"}) {
		t.Errorf("container %s image %s args %v", name, image, args)
	}
	if deploy.GetNamespace() != "envoy-gateway-system" {
		t.Errorf("Deployment namespace %q", deploy.GetNamespace())
	}
	objs.mustGet(t, "ServiceAccount", "envoy-gateway")
	if svc := objs.mustGet(t, "Service", "envoy-gateway"); str(svc, "spec", "type") != "ClusterIP" {
		t.Errorf("control plane Service type %q", str(svc, "spec", "type"))
	}
	cm := objs.mustGet(t, "ConfigMap", "envoy-gateway-config")
	conf := map[string]any{}
	if err := yaml.Unmarshal([]byte(str(cm, "data", "envoy-gateway.yaml")), &conf); err != nil {
		t.Fatal(err)
	}
	if conf["kind"] != "EnvoyGateway" || conf["gateway"].(map[string]any)["controllerName"] != "gateway.envoyproxy.io/gatewayclass-controller" {
		t.Errorf("EnvoyGateway configuration %v", conf)
	}
	objs.mustGet(t, "ClusterRole", "eg-gateway-helm-envoy-gateway-role")
	objs.mustGet(t, "ClusterRoleBinding", "eg-gateway-helm-envoy-gateway-rolebinding")
	if objs.get("Namespace", "envoy-gateway-system") != nil {
		t.Error("createNamespace is false, yet a Namespace is rendered")
	}

	crd := objs.mustGet(t, "CustomResourceDefinition", "envoyproxies.gateway.envoyproxy.io")
	versions, _, _ := unstructured.NestedSlice(crd.Object, "spec", "versions")
	es, _, _ := unstructured.NestedMap(versions[0].(map[string]any), "schema", "openAPIV3Schema", "properties", "spec", "properties",
		"provider", "properties", "kubernetes", "properties", "envoyService")
	if def, _, _ := unstructured.NestedString(es, "properties", "type", "default"); def != "LoadBalancer" {
		t.Errorf("envoyService.type default %q", def)
	}
	rules := func(m map[string]any, path ...string) []string {
		rs, _, _ := unstructured.NestedSlice(m, append(path, "x-kubernetes-validations")...)
		var out []string
		for _, r := range rs {
			out = append(out, r.(map[string]any)["message"].(string)+": "+r.(map[string]any)["rule"].(string))
		}
		return out
	}
	if !slices.Contains(rules(es), "loadBalancerIP can only be set for LoadBalancer type: !has(self.loadBalancerIP) || self.type == 'LoadBalancer'") {
		t.Errorf("envoyService rules %v", rules(es))
	}
	if r := rules(es, "properties", "loadBalancerIP"); len(r) != 1 || !strings.HasPrefix(r[0], "loadBalancerIP must be a valid IPv4 address: self.matches(") {
		t.Errorf("loadBalancerIP rules %v", r)
	}
	for _, n := range []string{"gatewayclasses", "gateways", "httproutes"} {
		c := objs.mustGet(t, "CustomResourceDefinition", n+".gateway.networking.k8s.io")
		if a := c.GetAnnotations(); a["gateway.networking.k8s.io/bundle-version"] != "v1.6.1" || a["gateway.networking.k8s.io/channel"] != "experimental" {
			t.Errorf("%s annotations %v", c.GetName(), a)
		}
	}

	// crds.enabled false drops the sub-chart, and with it every CRD: from the manifest and, as
	// rendering prunes the loaded chart's disabled sub-charts, from its CRDObjects.
	off := loadFixture(t, "gateway-helm")
	rel, err = renderFixture(t, off, map[string]any{"crds": map[string]any{"enabled": false}}, "eg", "envoy-gateway-system")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objectsOf(t, rel) {
		if o.GetKind() == "CustomResourceDefinition" {
			t.Errorf("crds.enabled false still renders %s", o.GetName())
		}
	}
	if len(off.CRDObjects()) != 0 {
		t.Errorf("after rendering with crds.enabled false the chart still has CRDs %d", len(off.CRDObjects()))
	}
}

func yamlString(v any) string {
	b, _ := yaml.Marshal(v)
	return strings.TrimSpace(string(b))
}
