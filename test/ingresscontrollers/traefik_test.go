package ingresscontrollers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var (
	gatewaysGVR = schema.GroupVersionResource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways"}
	crdGVR      = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
)

// eventually polls a read of the cluster the stand-ins write to (test-side only).
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	last := ""
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		var ok bool
		if ok, last = cond(); ok {
			return
		}
	}
	t.Fatalf("%s: %s", what, last)
}

// TestTraefik: the default controller serves the guide's Ingress of class nginx unchanged and
// the Gateway API on its entry point's port, with the floating IP on its Service.
func TestTraefik(t *testing.T) {
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(cp.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	removeGatewayAPI(t, dyn) // the test's precondition: install finds the Gateway API absent
	harness.Step(t, "a user without rights is refused before anything is made", func(t *testing.T) {
		r := runAs(t, viewer(t), "install", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--timeout", "20s")
		if r.Code != 1 || !strings.Contains(r.Stderr, `create namespaces at cluster scope`) || !strings.Contains(r.Stderr, "create customresourcedefinitions.apiextensions.k8s.io") ||
			!strings.Contains(r.Stderr, "create ingressclasses.networking.k8s.io") {
			t.Fatalf("%d %s", r.Code, r.Stderr)
		}
		if _, err := cp.Admin.NetworkingV1().IngressClasses().Get(ctx, "nginx", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("IngressClass made by a refused run: %v", err)
		}
		if _, err := cp.Admin.CoreV1().Namespaces().Get(ctx, "traefik", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("namespace made by a refused run: %v", err)
		}
	})
	harness.Step(t, "a chart whose values do not land is refused, nothing applied", func(t *testing.T) {
		for _, tc := range []struct {
			set, want string
		}{
			{"providers.kubernetesIngressNGINX.enabled=false", "lacks --providers.kubernetesingressnginx"},
			{"providers.kubernetesIngressNginx.enabled=true", "kubernetesIngressNginx"},
		} {
			r := run(t, "install", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--set", tc.set, "--timeout", "20s")
			if r.Code != 1 || !strings.Contains(r.Stderr, tc.want) {
				t.Errorf("--set %s: %d %s", tc.set, r.Code, r.Stderr)
			}
		}
		if _, err := dyn.Resource(crdGVR).Get(ctx, "gateways.gateway.networking.k8s.io", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("CRDs applied by a refused run: %v", err)
		}
	})
	harness.Step(t, "dry run prints the chart and what is made beside it", func(t *testing.T) {
		r := run(t, "install", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--dry-run")
		if r.Code != 0 || !strings.Contains(r.Stdout, "--providers.kubernetesingressnginx") || !strings.Contains(r.Stdout, "kind: IngressClass") ||
			!strings.Contains(r.Stdout, "Gateway API v1.6.1") {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		if _, err := cp.Admin.NetworkingV1().IngressClasses().Get(ctx, "nginx", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("dry run made the IngressClass: %v", err)
		}
	})
	harness.Step(t, "someone else's partial Gateway API is refused, naming who wrote it; nothing applied", func(t *testing.T) {
		applyOneGatewayCRD(t, dyn, "someone-else")
		r := run(t, "install", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--timeout", "20s")
		if r.Code != 1 || !strings.Contains(r.Stderr, "the Gateway API is partly installed") || !strings.Contains(r.Stderr, "written by someone-else") ||
			!strings.Contains(r.Stderr, "remove the partial install") {
			t.Fatalf("%d %s", r.Code, r.Stderr)
		}
		if _, err := dyn.Resource(crdGVR).Get(ctx, "gateways.gateway.networking.k8s.io", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("CRDs applied beside someone else's partial install: %v", err)
		}
		removeGatewayAPI(t, dyn)
	})
	harness.Step(t, "install completes a Gateway API install an earlier run cut short; then the IngressClass nginx, the release, the floating IP", func(t *testing.T) {
		applyOneGatewayCRD(t, dyn, helmcmd.FieldManager) // as a run interrupted after the first CRD leaves it
		r := run(t, "install", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--load-balancer-ip", "160.44.12.35", "--keep-floating-ip", "--timeout", "1m")
		if !strings.Contains(r.Stderr, "note: an earlier install applied only part of the Gateway API v1.6.1: install applies what is missing (gateways.gateway.networking.k8s.io, httproutes.gateway.networking.k8s.io, backendtlspolicies") {
			t.Errorf("no note on completing the Gateway API: %s", r.Stderr)
		}
		for _, want := range []string{"Gateway API v1.6.1 CRDs installed", "ingressclass nginx created (controller k8s.io/ingress-nginx",
			"release traefik installed (chart traefik 41.3.0, revision 1)", "controller deployment traefik/traefik available", "external address: 160.44.12.35"} {
			if r.Code != 0 || !strings.Contains(r.Stdout, want) {
				t.Fatalf("missing %q: %d\n%s\n%s", want, r.Code, r.Stdout, r.Stderr)
			}
		}
		if strings.Contains(r.Stderr, "retired") {
			t.Errorf("Traefik install warns of retirement: %s", r.Stderr)
		}
		svc, err := cp.Admin.CoreV1().Services("traefik").Get(ctx, "traefik", metav1.GetOptions{})
		if err != nil || svc.Spec.LoadBalancerIP != "160.44.12.35" || svc.Annotations["loadbalancer.openstack.org/keep-floatingip"] != "true" {
			t.Fatalf("service %v %+v", err, svc)
		}
		class, err := cp.Admin.NetworkingV1().IngressClasses().Get(ctx, "nginx", metav1.GetOptions{})
		if err != nil || class.Spec.Controller != "k8s.io/ingress-nginx" {
			t.Fatalf("ingressclass %v %+v", err, class)
		}
		checkGatewayAPIComplete(t, dyn)
		startGatewayStandIn(t)
	})
	harness.Step(t, "a second run changes nothing and finds the CRDs", func(t *testing.T) {
		r := run(t, "install", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--load-balancer-ip", "160.44.12.35", "--keep-floating-ip", "--timeout", "1m")
		if r.Code != 0 || !strings.Contains(r.Stdout, "release traefik unchanged") || strings.Contains(r.Stdout, "CRDs installed") || strings.Contains(r.Stdout, "ingressclass nginx created") {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
	})
	harness.Step(t, "an install cut short after the CRDs Traefik needs is completed too", func(t *testing.T) {
		// What a run stopped after httproutes leaves: the rest of the file unapplied.
		removeGatewayObjects(t, dyn, []string{"referencegrants.gateway.networking.k8s.io"}, false)
		err := cp.Admin.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Delete(ctx, controllers.SafeUpgrades, metav1.DeleteOptions{})
		if err != nil {
			t.Fatal(err)
		}
		r := run(t, "install", "--chart-repo", repo.URL, "--gateway-api-crds", crdsURL, "--load-balancer-ip", "160.44.12.35", "--keep-floating-ip", "--timeout", "1m")
		if r.Code != 0 || !strings.Contains(r.Stderr, "install applies what is missing (referencegrants.gateway.networking.k8s.io, validatingadmissionpolicybindings.admissionregistration.k8s.io/safe-upgrades.gateway.networking.k8s.io)") ||
			!strings.Contains(r.Stdout, "Gateway API v1.6.1 CRDs installed") {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		checkGatewayAPIComplete(t, dyn)
	})
	harness.Step(t, "the guide's Ingress of class nginx is served: its status shows the address", func(t *testing.T) {
		if r := run(t, "deploy", "--image", "local/demoweb:1"); r.Code != 0 {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		eventually(t, "ingress address", func() (bool, string) {
			ing, err := cp.Admin.NetworkingV1().Ingresses("demo").Get(ctx, "demo-ip-ingress", metav1.GetOptions{})
			if err != nil || len(ing.Status.LoadBalancer.Ingress) == 0 {
				return false, "no address"
			}
			return ing.Status.LoadBalancer.Ingress[0].IP == "160.44.12.35", ing.Status.LoadBalancer.Ingress[0].IP
		})
		r := run(t, "status", "-o", "json")
		var st helmcmd.StatusReport
		if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
			t.Fatal(err, r.Stdout, r.Stderr)
		}
		if st.Controller.Name != "traefik" || st.Controller.Service != "traefik" || st.Controller.Address != "160.44.12.35" || !st.Controller.KeepFloatingIP || st.Demo.Address != "160.44.12.35" {
			t.Errorf("status %+v", st)
		}
	})
	harness.Step(t, "deploy --gateway listens on the entry point's port and is programmed", func(t *testing.T) {
		if r := run(t, "delete", "--wait", "--timeout", "1m"); r.Code != 0 {
			t.Fatalf("%d %s", r.Code, r.Stderr)
		}
		r := run(t, "deploy", "--gateway", "--gateway-class", "traefik", "--image", "local/demoweb:1")
		if r.Code != 0 {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		gw, err := dyn.Resource(gatewaysGVR).Namespace("demo").Get(ctx, "demo-gateway", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		ls, _, _ := unstructured.NestedSlice(gw.Object, "spec", "listeners")
		if port := ls[0].(map[string]any)["port"]; port != int64(8000) {
			t.Fatalf("listener port %v, Traefik's web entry point is 8000", port)
		}
		eventually(t, "gateway address", func() (bool, string) {
			gw, err := dyn.Resource(gatewaysGVR).Namespace("demo").Get(ctx, "demo-gateway", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			addrs, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
			return len(addrs) == 1 && addrs[0].(map[string]any)["value"] == "160.44.12.35", fmt.Sprint(gw.Object["status"])
		})
		if r := run(t, "delete", "--wait", "--timeout", "1m"); r.Code != 0 {
			t.Fatalf("%d %s", r.Code, r.Stderr)
		}
	})
	harness.Step(t, "delete --controller=traefik removes the release, its namespace and our IngressClass; the CRDs stay", func(t *testing.T) {
		r := run(t, "delete", "--controller=traefik", "--wait", "--timeout", "1m")
		if r.Code != 0 || !strings.Contains(r.Stdout, "release traefik/traefik (traefik) uninstalled") || !strings.Contains(r.Stdout, "ingressclass nginx deleted") ||
			strings.Contains(r.Stderr, "floating IP 160.44.12.35 is released") {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		if _, err := cp.Admin.NetworkingV1().IngressClasses().Get(ctx, "nginx", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("IngressClass left: %v", err)
		}
		if _, err := dyn.Resource(crdGVR).Get(ctx, "gateways.gateway.networking.k8s.io", metav1.GetOptions{}); err != nil {
			t.Errorf("the Gateway API CRDs must stay: %v", err)
		}
	})
}

// removeGatewayAPI deletes the Gateway API (its CRDs, which another test's chart may have
// brought: Envoy Gateway ships them; the safe-upgrades policy and binding) and waits until the
// CRDs are gone.
func removeGatewayAPI(t *testing.T, dyn dynamic.Interface) {
	t.Helper()
	removeGatewayObjects(t, dyn, controllers.GatewayAPIBundle, true)
}

// removeGatewayObjects deletes the named Gateway API CRDs, and with policy the safe-upgrades
// binding and policy, and waits until the CRDs are gone.
func removeGatewayObjects(t *testing.T, dyn dynamic.Interface, crds []string, policy bool) {
	t.Helper()
	ctx := context.Background()
	if policy {
		admission := cp.Admin.AdmissionregistrationV1()
		if err := admission.ValidatingAdmissionPolicyBindings().Delete(ctx, controllers.SafeUpgrades, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		if err := admission.ValidatingAdmissionPolicies().Delete(ctx, controllers.SafeUpgrades, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	for _, n := range crds {
		if err := dyn.Resource(crdGVR).Delete(ctx, n, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
	}
	eventually(t, "Gateway API CRDs gone", func() (bool, string) {
		for _, n := range crds {
			if _, err := dyn.Resource(crdGVR).Get(ctx, n, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				return false, n + " still there"
			}
		}
		return true, ""
	})
}

// applyOneGatewayCRD applies the first CRD of the Gateway API install file (gatewayclasses) as
// manager, as a partial install leaves it.
func applyOneGatewayCRD(t *testing.T, dyn dynamic.Interface, manager string) {
	t.Helper()
	resp, err := http.Get(crdsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := apply.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		if o.GetName() != "gatewayclasses.gateway.networking.k8s.io" {
			continue
		}
		if _, err := dyn.Resource(crdGVR).Apply(context.Background(), o.GetName(), o, metav1.ApplyOptions{FieldManager: manager, Force: true}); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatal("the install file has no gatewayclasses CRD")
}

// checkGatewayAPIComplete fails unless every object of the install file is on the cluster.
func checkGatewayAPIComplete(t *testing.T, dyn dynamic.Interface) {
	t.Helper()
	ctx := context.Background()
	for _, n := range controllers.GatewayAPIBundle {
		if _, err := dyn.Resource(crdGVR).Get(ctx, n, metav1.GetOptions{}); err != nil {
			t.Errorf("CRD %s: %v", n, err)
		}
	}
	admission := cp.Admin.AdmissionregistrationV1()
	if _, err := admission.ValidatingAdmissionPolicies().Get(ctx, controllers.SafeUpgrades, metav1.GetOptions{}); err != nil {
		t.Errorf("policy: %v", err)
	}
	if _, err := admission.ValidatingAdmissionPolicyBindings().Get(ctx, controllers.SafeUpgrades, metav1.GetOptions{}); err != nil {
		t.Errorf("binding: %v", err)
	}
}
