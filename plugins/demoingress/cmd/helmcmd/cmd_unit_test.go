package helmcmd

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/demoapp"
)

// run runs a kubectl demoingress command line on the fakes of f.
func run(f *clitest.Factory, args ...string) clitest.Result {
	return clitest.Exec(NewRootWithGlobals, f, args...)
}

// onCluster serves cs (whose access reviews the test answers: clitest.AllowAll, Deny).
func onCluster(cs *fake.Clientset) *clitest.Factory {
	return &clitest.Factory{Kube: cs,
		ListKinds: map[schema.GroupVersionResource]string{cmd.GatewayGV.WithResource("gateways"): "GatewayList", cmd.GatewayGV.WithResource("gatewayclasses"): "GatewayClassList"}}
}

// Every refusal is a usage error (exit 2) before the cluster is read.
func TestDemoUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"install", "--controller", "haproxy"},
		{"install", "--load-balancer-ip", "not-an-ip"},
		{"install", "--timeout", "0s"},
		{"install", "--dry-run=server"},
		{"install", "--set", "novalue"},
		{"deploy", "--dry-run=maybe"},
		{"deploy", "--path", "no-slash", "--dry-run"},
		{"delete", "--timeout", "0s"},
		{"delete", "--dry-run=server"},
		{"verify", "--port", "0"},
		{"install", "-n", "web"}, {"deploy", "-n", "web"}, {"status", "-n", "web"}, {"verify", "-n", "web"}, {"delete", "-n", "web"}, // #27 class 1: -n is never ignored
		{"verify", "--timeout", "0s"},
		{"status", "-o", "toml"},
		{"version", "-o", "wide"},
		{"install", "--controller", "envoy-gateway", "--load-balancer-ip", "2001:db8::1"},
		{"delete", "--controller=haproxy"}, {"delete", "--controller", "traefik"},
		{"migrate", "--second-ip", "160.44.12"}, {"migrate", "--port", "0"}, {"migrate", "--timeout", "0s"}, {"migrate", "--dry-run=server"}, {"migrate", "-n", "web"},
		{"audit", "-n", "web"}, {"audit", "-o", "toml"},
	} {
		f := onCluster(clitest.AllowAll(fake.NewClientset()))
		r := run(f, args...)
		if r.Code != 2 || !strings.HasPrefix(r.Err, "error: ") || r.Out != "" {
			t.Errorf("%v: exit %d, out %q, err %q", args, r.Code, r.Out, r.Err)
		}
		for _, a := range f.Kube.Actions() {
			if a.GetVerb() != "create" || a.GetResource().Resource != "selfsubjectaccessreviews" {
				t.Errorf("%v: the cluster was read before the refusal: %v", args, a)
			}
		}
	}
}

// A client dry run prints the objects as kubectl would apply them and needs no cluster.
func TestDeployClientDryRun(t *testing.T) {
	f := onCluster(clitest.AllowAll(fake.NewClientset()))
	r := run(f, "deploy", "--dry-run", "-o", "jsonpath={.kind} {range .items[*]}{.kind}/{.metadata.name} {end}")
	if r.Code != 0 || r.Out != "List Namespace/demo Deployment/web Service/web Ingress/demo-ip-ingress " {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "deploy", "--dry-run"); r.Code != 0 || !strings.HasPrefix(r.Out, "---\napiVersion: v1\nkind: Namespace\n") {
		t.Fatalf("yaml: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if len(f.Kube.Actions()) != 0 {
		t.Fatalf("a client dry run read the cluster: %v", f.Kube.Actions())
	}
}

// deploy and delete check their permissions before they change anything.
func TestDeployAndDeleteRefusedWithoutPermissions(t *testing.T) {
	f := onCluster(clitest.Deny(fake.NewClientset(), "create deployments"))
	if r := run(f, "deploy"); r.Code != 1 || !strings.Contains(r.Err, "create deployments") {
		t.Fatalf("deploy: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	f = onCluster(clitest.Deny(fake.NewClientset(), "delete services"))
	if r := run(f, "delete"); r.Code != 1 || !strings.Contains(r.Err, "delete services") {
		t.Fatalf("delete: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	for _, a := range f.Kube.Actions() {
		if a.GetVerb() == "delete" {
			t.Fatalf("deleted without the permission: %v", a)
		}
	}
}

// verify walks route, deployment, endpoints and an HTTP GET: here the route's address is a
// loopback server that answers as the demo does.
func TestVerifyOnFakes(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("hello from the demo app on " + r.URL.Path))
	}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))
	one := int32(1)
	ing := &networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Name: demoapp.IngressName, Namespace: demoapp.Namespace},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
			Paths: []networkingv1.HTTPIngressPath{{Path: "/demo"}}}}}}}}
	ing.Status.LoadBalancer.Ingress = []networkingv1.IngressLoadBalancerIngress{{IP: host}}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: demoapp.App, Namespace: demoapp.Namespace},
		Spec: appsv1.DeploymentSpec{Replicas: &one}, Status: appsv1.DeploymentStatus{AvailableReplicas: 1, ReadyReplicas: 1, Replicas: 1}}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: demoapp.Namespace, Labels: demoapp.Selector()},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}}
	ready := true
	slice := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "web-x", Namespace: demoapp.Namespace, Labels: map[string]string{discoveryv1.LabelServiceName: demoapp.App}},
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"10.0.0.5"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}}}
	f := onCluster(clitest.AllowAll(fake.NewClientset(ing, dep, pod, slice)))
	r := run(f, "verify", "--port", port, "--timeout", "20s", "-o", "jsonpath={.ok} {.url} {.http.status}")
	if r.Code != 0 || r.Out != "true http://"+net.JoinHostPort(host, port)+"/demo 200" {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
	// No demo pod available: the request is not made, and the hop says why.
	dep.Status.AvailableReplicas, dep.Status.ReadyReplicas = 0, 0
	if _, err := f.Kube.AppsV1().Deployments(demoapp.Namespace).UpdateStatus(context.Background(), dep, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r = run(f, "verify", "--port", port, "--timeout", "1s", "-o", "jsonpath={.ok} {.url}")
	if r.Code != 1 || r.Out != "false " {
		t.Fatalf("unavailable: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}

func TestDemoVersion(t *testing.T) {
	if r := run(onCluster(clitest.AllowAll(fake.NewClientset())), "version", "-o", "jsonpath={.plugin}"); r.Code != 0 || r.Out != "demoingress" {
		t.Fatalf("exit %d %q %s", r.Code, r.Out, r.Err)
	}
}
