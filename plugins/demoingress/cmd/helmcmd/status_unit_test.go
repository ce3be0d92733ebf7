package helmcmd

import (
	"errors"
	"strings"
	"testing"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/helmrelease/helmtest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/demoapp"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/nginx"
)

// controllerManifest is what status reads of an ingress-nginx release: the controller's
// LoadBalancer Service, labelled as ingress-nginx 4.15.1's controller-service.yaml labels it
// (test/charts/ingress-nginx models the whole chart).
const controllerManifest = `---
apiVersion: v1
kind: Service
metadata:
  name: ingress-nginx-controller
  namespace: ingress-nginx
  labels: {app.kubernetes.io/component: controller, app.kubernetes.io/instance: ingress-nginx}
spec: {type: LoadBalancer}
`

func demoCluster() *fake.Clientset {
	one := int32(1)
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "ingress-nginx-controller", Namespace: nginx.Namespace,
		Labels:      map[string]string{"app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": nginx.ReleaseName},
		Annotations: map[string]string{nginx.KeepFloatingIP: "true"}}, Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer}}
	svc.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{{IP: "160.44.12.35"}}
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: demoapp.IngressName, Namespace: demoapp.Namespace}}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: "160.44.12.35"}}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: demoapp.App, Namespace: demoapp.Namespace},
		Spec: appsv1.DeploymentSpec{Replicas: &one}, Status: appsv1.DeploymentStatus{AvailableReplicas: 1}}
	return fake.NewClientset(svc, ing, dep)
}

func TestDemoStatusOnFakes(t *testing.T) {
	rel := func() *release.Release {
		return &release.Release{Name: nginx.ReleaseName, Version: 1, Manifest: controllerManifest,
			Chart: &chart.Chart{Metadata: &chart.Metadata{Name: "ingress-nginx", Version: "4.15.1"}},
			Info:  &release.Info{Status: rcommon.StatusDeployed}}
	}
	forbidDeployments := func(cs *fake.Clientset) *fake.Clientset {
		cs.PrependReactor("get", "deployments", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, demoapp.App, errors.New("no"))
		})
		return cs
	}
	jp := "jsonpath={.ready} {.controller.chart} {.controller.address} {.controller.keepFloatingIP} {.demo.route} {.demo.address} {.demo.available.ready}/{.demo.available.desired} {.cannotTell}"
	tests := []struct {
		name string
		cs   *fake.Clientset
		rels []*release.Release
		code int
		out  string
	}{
		{"ready", demoCluster(), []*release.Release{rel()}, 0, "true ingress-nginx-4.15.1 160.44.12.35 true ingress/demo-ip-ingress 160.44.12.35 1/1 "},
		{"no controller release", demoCluster(), nil, 0, "true  160.44.12.35 true ingress/demo-ip-ingress 160.44.12.35 1/1 "},
		{"the demo's Deployment may not be read", forbidDeployments(demoCluster()), []*release.Release{rel()}, 1,
			`false ingress-nginx-4.15.1 160.44.12.35 true ingress/demo-ip-ingress 160.44.12.35 / ["cannot tell: get deployment.apps \"web\" in namespace \"demo\" forbidden"]`},
		{"nothing deployed", fake.NewClientset(), nil, 1, "false   false   / "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := memReleases(t, tt.rels...)
			var s clitest.Streams
			dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{cmd.GatewayGV.WithResource("gateways"): "GatewayList"})
			o := &StatusOptions{g: clitest.Globals(cmd.PluginName, &s), clients: &kube.Clients{Kube: tt.cs, Dynamic: dyn}, releases: hc, out: output.Flags{Output: jp}}
			if code := clitest.Run(o, &s); code != tt.code || !strings.HasPrefix(s.Out.String(), tt.out) {
				t.Fatalf("exit %d (want %d)\n%q\n%s", code, tt.code, s.Out.String(), s.ErrOut.String())
			}
		})
	}
}

// #27 class 4: status's report keeps the collection's schema (docs/report-schema.md): the
// demo's pods as numbers, not "1/1".
func TestStatusReportSchema(t *testing.T) {
	hc := memReleases(t)
	var s clitest.Streams
	dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), map[schema.GroupVersionResource]string{cmd.GatewayGV.WithResource("gateways"): "GatewayList"})
	o := &StatusOptions{g: clitest.Globals(cmd.PluginName, &s), clients: &kube.Clients{Kube: demoCluster(), Dynamic: dyn}, releases: hc, out: output.Flags{Output: "json"}}
	if code := clitest.Run(o, &s); code != 0 {
		t.Fatalf("exit %d %s", code, s.ErrOut.String())
	}
	clitest.CheckReport(t, "status", s.Out.Bytes())
	if r := run(&clitest.Factory{}, "version", "-o", "json"); r.Code != 0 {
		t.Fatalf("version: %d %s", r.Code, r.Err)
	} else {
		clitest.CheckReport(t, "version", []byte(r.Out))
	}
}

// memReleases are in-memory Helm releases for every controller's namespace: rels are
// ingress-nginx's, the others hold none.
func memReleases(t *testing.T, rels ...*release.Release) releaseClients {
	t.Helper()
	rc := releaseClients{}
	for _, spec := range controllers.All() {
		var in []*release.Release
		if spec.Namespace == nginx.Namespace {
			in = rels
		}
		hc, err := helmtest.MemoryClient(spec.Namespace, in...)
		if err != nil {
			t.Fatal(err)
		}
		rc[spec.Namespace] = hc
	}
	return rc
}
