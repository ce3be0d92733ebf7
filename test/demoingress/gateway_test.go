package demoingress

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/osc-coco/kubectl-plugins/lib/apply"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// TestGatewayAPI: with the Gateway API served (our minimal CRDs) and one GatewayClass, deploy
// --gateway creates a Gateway and an HTTPRoute; the address a Gateway controller would publish
// is written by the test; verify follows the Gateway.
func TestGatewayAPI(t *testing.T) {
	ctx := context.Background()
	root, _ := harness.RepoRoot()
	data, err := os.ReadFile(filepath.Join(root, "test", "fixtures", "gateway-api", "crds.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crds, err := apply.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	a, err := apply.New(cp.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Apply(ctx, crds, apply.Options{FieldManager: "test"}); err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cp.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	gv := schema.GroupVersion{Group: "gateway.networking.k8s.io", Version: "v1"}
	// The test's own precondition: API discovery lists the new resources (a moment after the CRDs
	// are Established), as it long does on a cluster where the Gateway API was installed earlier.
	dc, err := discovery.NewDiscoveryClientForConfig(cp.AdminConfig)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		res, err := dc.ServerResourcesForGroupVersion(gv.String())
		listed := map[string]bool{}
		if err == nil {
			for _, r := range res.APIResources {
				listed[r.Name] = true
			}
		}
		// Each of the three kinds, not just any three entries (status subresources count too).
		if listed["gatewayclasses"] && listed["gateways"] && listed["httproutes"] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("discovery does not list %s: %v", gv, err)
		}
	}
	class := &unstructured.Unstructured{Object: map[string]any{"apiVersion": gv.String(), "kind": "GatewayClass",
		"metadata": map[string]any{"name": "test-gateways"}, "spec": map[string]any{"controllerName": "test.osc-coco.io/gateway"}}}
	// Applied like any manifest: lib/apply waits for the CRDs and rides out the moment after
	// Established in which the API server still answers 404 for the new resource.
	if err := a.Apply(ctx, []*unstructured.Unstructured{class}, apply.Options{FieldManager: "test"}); err != nil {
		t.Fatal(err)
	}

	harness.Step(t, "dry runs take the only GatewayClass and do not guess between two", func(t *testing.T) {
		if r := run(t, "deploy", "--gateway", "--dry-run", "-o", "yaml"); r.Code != 0 || !strings.Contains(r.Stdout, "gatewayClassName: test-gateways") {
			t.Fatalf("deploy --gateway --dry-run: %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		other := class.DeepCopy()
		other.SetName("other-gateways")
		other.SetResourceVersion("")
		if err := a.Apply(ctx, []*unstructured.Unstructured{other}, apply.Options{FieldManager: "test"}); err != nil {
			t.Fatal(err)
		}
		if r := run(t, "deploy", "--gateway", "--dry-run"); r.Code != 2 || !strings.Contains(r.Stderr, "pass --gateway-class with one of: other-gateways, test-gateways") || strings.Contains(r.Stdout, "gatewayClassName") {
			t.Errorf("two classes: %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		if err := dyn.Resource(gv.WithResource("gatewayclasses")).Delete(ctx, "other-gateways", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
	})
	gws := dyn.Resource(gv.WithResource("gateways")).Namespace("demo")
	harness.Step(t, "deploy applies the Gateway and its HTTPRoute", func(t *testing.T) {
		r := run(t, "deploy", "--gateway", "--image", "local/demoweb:1")
		if r.Code != 0 || !strings.Contains(r.Stdout, "gateway/demo-gateway serverside-applied") || !strings.Contains(r.Stdout, "httproute/demo-route serverside-applied") {
			t.Fatalf("deploy --gateway: %d %s %s", r.Code, r.Stdout, r.Stderr)
		}
		gw, err := gws.Get(ctx, "demo-gateway", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if c, _, _ := unstructured.NestedString(gw.Object, "spec", "gatewayClassName"); c != "test-gateways" {
			t.Fatalf("gateway class %q", c)
		}
		route, err := dyn.Resource(gv.WithResource("httproutes")).Namespace("demo").Get(ctx, "demo-route", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if p, _, _ := unstructured.NestedSlice(route.Object, "spec", "parentRefs"); len(p) != 1 {
			t.Fatalf("route %v", route.Object)
		}
	})
	defer run(t, "delete", "--wait", "--timeout", "1m")
	harness.Step(t, "a Gateway no controller took: status and verify say so", func(t *testing.T) {
		// The Gateway API's Accepted=Unknown "Waiting for controller".
		gw, err := gws.Get(ctx, "demo-gateway", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		_ = unstructured.SetNestedSlice(gw.Object, []any{map[string]any{"type": "Accepted", "status": "Unknown", "reason": "Pending", "message": "Waiting for controller",
			"lastTransitionTime": "2026-12-01T00:00:00Z"}}, "status", "conditions")
		if _, err := gws.UpdateStatus(ctx, gw, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if r := run(t, "status"); !strings.Contains(r.Stdout, "path /demo") || !strings.Contains(r.Stdout, "Accepted=Unknown Pending: Waiting for controller") {
			t.Errorf("status of a pending gateway:\n%s", r.Stdout)
		}
		if r := run(t, "verify", "--timeout", "2s"); r.Code != 1 || !strings.Contains(r.Stdout, "(Accepted=Unknown Pending: Waiting for controller)") ||
			!strings.Contains(r.Stdout, "Gateway controller") || strings.Contains(r.Stdout, "the ingress controller publishes") {
			t.Errorf("verify of a pending gateway: %d\n%s", r.Code, r.Stdout)
		}
	})
	harness.Step(t, "verify through the Gateway's address", func(t *testing.T) {
		gw, err := gws.Get(ctx, "demo-gateway", metav1.GetOptions{}) // verify recorded its result on it
		if err != nil {
			t.Fatal(err)
		}
		// Played by the test: the Gateway controller's published address.
		_ = unstructured.SetNestedSlice(gw.Object, []any{map[string]any{"type": "IPAddress", "value": "127.0.0.1"}}, "status", "addresses")
		if _, err := gws.UpdateStatus(ctx, gw, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("gateway says hello on " + r.URL.Path))
		}))
		defer good.Close()
		r := run(t, "verify", "--port", strconv.Itoa(good.Listener.Addr().(*net.TCPAddr).Port), "--timeout", "1m")
		if r.Code != 0 || !strings.Contains(r.Stdout, "✓ route       gateway demo/demo-gateway has address 127.0.0.1") || !strings.Contains(r.Stdout, `"gateway says hello on /demo"`) {
			t.Fatalf("verify via the gateway: %d\n%s%s", r.Code, r.Stdout, r.Stderr)
		}
		if r := run(t, "status"); !strings.Contains(r.Stdout, "gateway/demo-gateway") {
			t.Fatalf("status: %s", r.Stdout)
		}
	})
}
