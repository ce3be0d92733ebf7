package ingresscontrollers

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// TestEnvoyGateway: the Gateway-API-only controller, from an OCI registry as upstream publishes
// it; the floating IP goes through the EnvoyProxy onto the Envoy Service of the demo's Gateway.
func TestEnvoyGateway(t *testing.T) {
	ctx := context.Background()
	dyn, err := dynamic.NewForConfig(cp.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"install", "--controller", "envoy-gateway", "--chart", egChart, "--plain-http", "--load-balancer-ip", "160.44.12.36", "--timeout", "1m"}
	harness.Step(t, "an IPv6 address is refused: EnvoyProxy takes IPv4 only", func(t *testing.T) {
		r := run(t, "install", "--controller", "envoy-gateway", "--chart", egChart, "--plain-http", "--load-balancer-ip", "2001:db8::1")
		if r.Code != 2 || !strings.Contains(r.Stderr, "IPv4") {
			t.Fatalf("%d %s", r.Code, r.Stderr)
		}
	})
	harness.Step(t, "install: the chart, the EnvoyProxy with the IP, the GatewayClass", func(t *testing.T) {
		r := run(t, args...)
		for _, want := range []string{"release eg installed (chart gateway-helm v1.9.0, revision 1)", "envoyproxy envoy-gateway-system/demoingress and gatewayclass envoy-gateway applied (Envoy Services get 160.44.12.36)",
			"controller deployment envoy-gateway-system/envoy-gateway available", "the Envoy Service and its address appear with the first Gateway"} {
			if r.Code != 0 || !strings.Contains(r.Stdout, want) {
				t.Fatalf("missing %q: %d\n%s\n%s", want, r.Code, r.Stdout, r.Stderr)
			}
		}
		proxy, err := dyn.Resource(schema.GroupVersionResource{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Resource: "envoyproxies"}).Namespace("envoy-gateway-system").Get(ctx, "demoingress", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if ip, _, _ := unstructured.NestedString(proxy.Object, "spec", "provider", "kubernetes", "envoyService", "loadBalancerIP"); ip != "160.44.12.36" {
			t.Fatalf("envoyproxy %v", proxy.Object)
		}
		startGatewayStandIn(t)
		if r := run(t, args...); r.Code != 0 || !strings.Contains(r.Stdout, "release eg unchanged") {
			t.Fatalf("second run: %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
	})
	harness.Step(t, "deploy --gateway: the Gateway is programmed with the floating IP", func(t *testing.T) {
		r := run(t, "deploy", "--gateway", "--gateway-class", "envoy-gateway", "--image", "local/demoweb:1")
		if r.Code != 0 {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		eventually(t, "gateway address", func() (bool, string) {
			gw, err := dyn.Resource(gatewaysGVR).Namespace("demo").Get(ctx, "demo-gateway", metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			addrs, _, _ := unstructured.NestedSlice(gw.Object, "status", "addresses")
			return len(addrs) == 1 && addrs[0].(map[string]any)["value"] == "160.44.12.36", fmt.Sprint(gw.Object["status"])
		})
		r = run(t, "status", "-o", "json")
		var st helmcmd.StatusReport
		if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
			t.Fatal(err, r.Stdout, r.Stderr)
		}
		if st.Controller.Name != "envoy-gateway" || st.Controller.Address != "160.44.12.36" || st.Demo.Route != "gateway/demo-gateway" || st.Demo.Address != "160.44.12.36" {
			t.Errorf("status %+v", st)
		}
	})
	harness.Step(t, "delete --controller=envoy-gateway removes it and our GatewayClass", func(t *testing.T) {
		r := run(t, "delete", "--controller=envoy-gateway", "--wait", "--timeout", "1m")
		if r.Code != 0 || !strings.Contains(r.Stdout, "release envoy-gateway-system/eg (envoy-gateway) uninstalled") || !strings.Contains(r.Stdout, "gatewayclass envoy-gateway deleted") {
			t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
		}
	})
}
