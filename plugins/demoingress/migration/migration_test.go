package migration

import (
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/report"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/audit"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/httpcheck"
)

func ing(name, host string, ann map[string]string, paths ...networkingv1.HTTPIngressPath) networkingv1.Ingress {
	return networkingv1.Ingress{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name, Annotations: ann},
		Spec: networkingv1.IngressSpec{Rules: []networkingv1.IngressRule{{Host: host, IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{Paths: paths}}}}}}
}

func path(p string, t networkingv1.PathType) networkingv1.HTTPIngressPath {
	return networkingv1.HTTPIngressPath{Path: p, PathType: &t}
}

func TestTargets(t *testing.T) {
	ings := []networkingv1.Ingress{
		ing("shop", "shop.example.com", nil, path("/cart", networkingv1.PathTypePrefix), path("", networkingv1.PathTypePrefix)),
		ing("wild", "*.example.com", nil, path("/", networkingv1.PathTypePrefix)),
		ing("re", "", map[string]string{"nginx.ingress.kubernetes.io/use-regex": "true"}, path("/api/v[0-9]+", networkingv1.PathTypeImplementationSpecific)),
		ing("other", "", nil, path("/x", networkingv1.PathTypePrefix)),
	}
	items := []audit.Ingress{{Namespace: "web", Name: "shop", IngressNginx: true}, {Namespace: "web", Name: "wild", IngressNginx: true},
		{Namespace: "web", Name: "re", IngressNginx: true}, {Namespace: "web", Name: "other"}}
	got := Targets(items, ings)
	want := map[string]string{"web/re /api/v[0-9]+": "regular-expression", "web/shop shop.example.com/": "", "web/shop shop.example.com/cart": "", "web/wild *.example.com/": "wildcard"}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for _, tg := range got {
		key := tg.Ingress + " " + tg.Host + tg.Path
		w, ok := want[key]
		if !ok || (w == "") != (tg.Skip == "") || !strings.Contains(tg.Skip, w) {
			t.Errorf("%s: skip %q", key, tg.Skip)
		}
	}
}

func TestCompare(t *testing.T) {
	tg := Target{Ingress: "web/shop", Host: "shop.example.com", Path: "/cart"}
	ok200 := &httpcheck.Result{Kind: httpcheck.OK, Status: 200}
	nf404 := &httpcheck.Result{Kind: "http-error", Status: 404}
	refused := &httpcheck.Result{Kind: httpcheck.Unreachable}
	for _, tc := range []struct {
		name     string
		old, new *httpcheck.Result
		skip     string
		want     report.Status
	}{
		{"same answer", ok200, ok200, "", report.Pass},
		{"same 404 is the same behaviour", nf404, nf404, "", report.Pass},
		{"a route the new one lacks", ok200, nf404, "", report.Fail},
		{"the new one silent", ok200, refused, "", report.Fail},
		{"nothing to compare with", nil, ok200, "", report.Warn},
		{"old unreachable", refused, ok200, "", report.Warn},
		{"skipped", nil, nil, "wildcard host", report.Skip},
		{"redirected elsewhere", &httpcheck.Result{Status: 308, Location: "https://shop.example.com/cart"}, &httpcheck.Result{Status: 308, Location: "https://www.shop.example.com/cart"}, "", report.Fail},
		{"redirected alike", &httpcheck.Result{Status: 308, Location: "https://shop.example.com/cart"}, &httpcheck.Result{Status: 308, Location: "https://shop.example.com/cart"}, "", report.Pass},
	} {
		tt := tg
		tt.Skip = tc.skip
		if p := Compare(tt, tc.old, tc.new); p.Status != tc.want || p.Detail == "" {
			t.Errorf("%s: %+v", tc.name, p)
		}
	}
	if !Failed([]Probe{{Status: report.Pass}, {Status: report.Fail}}) || Failed([]Probe{{Status: report.Warn}}) {
		t.Error("Failed")
	}
	if r := Rollback("160.44.12.35"); len(r) != 2 || !strings.Contains(r[1], "--load-balancer-ip 160.44.12.35 --keep-floating-ip") {
		t.Error(r)
	}
}
