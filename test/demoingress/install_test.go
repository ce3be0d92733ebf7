package demoingress

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func TestInstallIdempotentAndUpgrade(t *testing.T) {
	r := run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--timeout", "1m")
	if r.Code != 0 || !strings.Contains(r.Stdout, "release ingress-nginx installed (chart ingress-nginx 4.15.1, revision 1)") ||
		!strings.Contains(r.Stdout, "external address: 127.0.0.1") || !strings.Contains(r.Stderr, "ingress-nginx is retired") {
		t.Fatalf("%d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	ctx := context.Background()
	svc, err := cp.Admin.CoreV1().Services("ingress-nginx").Get(ctx, "ingress-nginx-controller", metav1.GetOptions{})
	if err != nil || svc.Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Fatalf("service %v %+v", err, svc)
	}
	dep, err := cp.Admin.AppsV1().Deployments("ingress-nginx").Get(ctx, "ingress-nginx-controller", metav1.GetOptions{})
	if err != nil || !slices.Contains(dep.Spec.Template.Spec.Containers[0].Args, "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller") {
		t.Fatalf("publishService not set: %v %+v", err, dep)
	}
	if !strings.Contains(r.Stdout, "controller deployment ingress-nginx/ingress-nginx-controller available") {
		t.Errorf("install did not wait for the controller:\n%s", r.Stdout)
	}
	if _, err := cp.Admin.NetworkingV1().IngressClasses().Get(ctx, "nginx", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if r := run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--timeout", "1m"); r.Code != 0 || !strings.Contains(r.Stdout, "release ingress-nginx unchanged") {
		t.Fatalf("second run: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	r = run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--load-balancer-ip", "160.44.12.35", "--keep-floating-ip", "--timeout", "1m")
	if r.Code != 0 || !strings.Contains(r.Stdout, "release ingress-nginx upgraded") {
		t.Fatalf("upgrade: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	svc, _ = cp.Admin.CoreV1().Services("ingress-nginx").Get(ctx, "ingress-nginx-controller", metav1.GetOptions{})
	if svc.Spec.LoadBalancerIP != "160.44.12.35" || svc.Annotations["loadbalancer.openstack.org/keep-floatingip"] != "true" {
		t.Fatalf("static IP values not applied: %+v", svc)
	}
	if !strings.Contains(r.Stderr, "kubernetes/cloud-provider-openstack#2443") || !strings.Contains(r.Stderr, "160.44.12.35 will not move the floating IP") {
		t.Errorf("changing the IP of an installed controller: no note\n%s", r.Stderr)
	}
	// status reads the controller's Service (the release has two with its component label: the
	// admission Service comes first), its address and the keep-floating-IP annotation.
	r = run(t, "status", "-o", "json")
	var st helmcmd.StatusReport
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		t.Fatal(err, r.Stdout, r.Stderr)
	}
	// The address stays: the cloud controller honours loadBalancerIP only when it creates the
	// load balancer (the stand-in models cloud-provider-openstack#2443).
	if st.Controller.Name != "ingress-nginx" || st.Controller.Service != "ingress-nginx-controller" || st.Controller.Address != "127.0.0.1" || !st.Controller.KeepFloatingIP {
		t.Errorf("status controller %+v", st.Controller)
	}
	// Back to the loopback address the other tests use.
	if r := run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--timeout", "1m"); r.Code != 0 || !strings.Contains(r.Stdout, "external address: 127.0.0.1") {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
}

func TestInstallBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--load-balancer-ip", "160.44.12"}, 2, `--load-balancer-ip "160.44.12" is not an IP address`},
		{[]string{"--controller", "nginx"}, 2, `unknown controller "nginx" (this tool installs: traefik, envoy-gateway, ingress-nginx)`},
		{[]string{"--chart-repo", "http://127.0.0.1:1"}, 1, "cannot read the chart repository http://127.0.0.1:1"},
		{[]string{"--chart-repo", "ftp://mirror"}, 2, "is not an http(s) URL"},
		{[]string{"--version", "9.9.9"}, 2, `chart ingress-nginx has no version "9.9.9"`},
		{[]string{"--timeout", "0s"}, 2, "--timeout must be positive"},
	} {
		args := append([]string{"install", "--controller", "ingress-nginx", "--chart-repo", repo.URL}, tc.args...)
		r := run(t, args...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: %d %s", tc.args, r.Code, r.Stderr)
		}
	}
}

// TestInstallWithoutAddress: the cloud refuses the floating IP; install says what the cloud
// controller said, after --timeout. The Service is made anew: the cloud controller reads the IP
// only when it creates the load balancer.
func TestInstallWithoutAddress(t *testing.T) {
	if r := run(t, "delete", "--controller=ingress-nginx", "--wait", "--timeout", "1m"); r.Code != 0 {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
	r := run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--load-balancer-ip", harness.UnallocatedIP, "--timeout", "3s")
	if r.Code != 1 || !strings.Contains(r.Stderr, "has no external address after 3s") || !strings.Contains(r.Stderr, "SyncLoadBalancerFailed") {
		t.Fatalf("%d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}
	// Restore: the loopback address for the other tests.
	if r := run(t, "install", "--controller", "ingress-nginx", "--chart-repo", repo.URL, "--timeout", "1m"); r.Code != 0 {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
}

func TestInstallIntoTerminatingNamespace(t *testing.T) {
	ctx := context.Background()
	// A namespace that stays Terminating: a finalizer nobody removes until the test does.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "demo", Finalizers: []string{"test.osc-coco.io/hold"}}}
	if _, err := cp.Admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if err := cp.Admin.CoreV1().Namespaces().Delete(ctx, "demo", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r := run(t, "deploy")
	if r.Code != 1 || !strings.Contains(r.Stderr, "namespace demo is being deleted") || !strings.Contains(r.Stderr, "kubectl wait --for=delete namespace/demo") {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
	if _, err := cp.Admin.AppsV1().Deployments("demo").Get(ctx, "web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("deploy created something in a terminating namespace: %v", err)
	}
	n, err := cp.Admin.CoreV1().Namespaces().Get(ctx, "demo", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Finalizers = nil
	if _, err := cp.Admin.CoreV1().Namespaces().Update(ctx, n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	namespaceGone(t, "demo")
}
