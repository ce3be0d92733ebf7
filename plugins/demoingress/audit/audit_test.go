package audit

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/report"
)

const p = nginxPrefix

var (
	prefix   = networkingv1.PathTypePrefix
	exact    = networkingv1.PathTypeExact
	implSpec = networkingv1.PathTypeImplementationSpecific
)

func class(name, controller string, isDefault bool) networkingv1.IngressClass {
	c := networkingv1.IngressClass{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: networkingv1.IngressClassSpec{Controller: controller}}
	if isDefault {
		c.Annotations = map[string]string{defaultClassAnnot: "true"}
	}
	return c
}

var nginxClasses = []networkingv1.IngressClass{class("nginx", "k8s.io/ingress-nginx", false)}

type path struct {
	path string
	pt   *networkingv1.PathType
}

// ing builds an Ingress of class nginx in namespace demo on host a.example.com; with no paths
// it has the one path "/" (Prefix), which has no quirk.
func ing(name string, ann map[string]string, paths ...path) networkingv1.Ingress {
	if len(paths) == 0 {
		paths = []path{{"/", &prefix}}
	}
	cls := "nginx"
	i := networkingv1.Ingress{
		ObjectMeta: metav1.ObjectMeta{Namespace: "demo", Name: name, Annotations: ann},
		Spec: networkingv1.IngressSpec{IngressClassName: &cls, Rules: []networkingv1.IngressRule{{
			Host: "a.example.com", IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{}}}}},
	}
	for _, pa := range paths {
		i.Spec.Rules[0].HTTP.Paths = append(i.Spec.Rules[0].HTTP.Paths, networkingv1.HTTPIngressPath{
			Path: pa.path, PathType: pa.pt,
			Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{Name: "web", Port: networkingv1.ServiceBackendPort{Number: 80}}},
		})
	}
	return i
}

func withTLS(i networkingv1.Ingress) networkingv1.Ingress {
	i.Spec.TLS = []networkingv1.IngressTLS{{Hosts: []string{"a.example.com"}, SecretName: "a-tls"}}
	return i
}

type want struct {
	t       Traefik
	g       GatewayAPI
	buckets []Bucket
}

var (
	both        = []Bucket{BucketTraefik, BucketGatewayAPI}
	traefikOnly = []Bucket{BucketTraefik}
	gwOnly      = []Bucket{BucketGatewayAPI}
	neither     = []Bucket{BucketUnsupported}
)

func find(t *testing.T, r Report, name string) Ingress {
	t.Helper()
	for _, it := range r.Items {
		if it.Name == name {
			return it
		}
	}
	t.Fatalf("no item %s", name)
	return Ingress{}
}

func quirkNames(it Ingress) []string {
	var n []string
	for _, q := range it.Quirks {
		n = append(n, q.Name+":"+string(q.Status))
	}
	return n
}

// TestAnnotations: one Ingress per case; each annotation's Traefik and Gateway API verdicts and
// buckets, the Ingress's quirks (name:status) and overall status.
func TestAnnotations(t *testing.T) {
	cases := []struct {
		name   string
		ing    networkingv1.Ingress
		want   map[string]want
		quirks []string
		status report.Status
	}{
		{"rewrite-target with capture group",
			ing("rw", map[string]string{p + "rewrite-target": "/$2"}, path{"/api(/|$)(.*)", &implSpec}),
			map[string]want{p + "rewrite-target": {TraefikSupported, GatewayUnsupported, traefikOnly}},
			[]string{"regex-host:pass"}, report.Pass},
		{"rewrite-target without capture group",
			ing("rw", map[string]string{p + "rewrite-target": "/"}, path{"/api", &prefix}),
			map[string]want{p + "rewrite-target": {TraefikSupported, GatewayConvertible, both}},
			[]string{"regex-host:pass"}, report.Pass},
		{"ssl-redirect false with TLS",
			withTLS(ing("ssl", map[string]string{p + "ssl-redirect": "false"})),
			map[string]want{p + "ssl-redirect": {TraefikSupported, GatewayConvertible, both}},
			nil, report.Pass},
		{"TLS without ssl-redirect: default redirect",
			withTLS(ing("ssl", nil)),
			map[string]want{},
			[]string{"ssl-redirect-default:pass"}, report.Pass},
		{"force-ssl-redirect",
			ing("force", map[string]string{p + "force-ssl-redirect": "true"}),
			map[string]want{p + "force-ssl-redirect": {TraefikSupported, GatewayUnsupported, traefikOnly}},
			nil, report.Pass},
		{"proxy-body-size without request buffering",
			ing("body", map[string]string{p + "proxy-body-size": "10m"}),
			map[string]want{p + "proxy-body-size": {TraefikPartial, GatewayExtension, traefikOnly}},
			nil, report.Warn},
		{"proxy-body-size with request buffering on",
			ing("body", map[string]string{p + "proxy-body-size": "10m", p + "proxy-request-buffering": "on"}),
			map[string]want{
				p + "proxy-body-size":         {TraefikSupported, GatewayExtension, traefikOnly},
				p + "proxy-request-buffering": {TraefikSupported, GatewayUnsupported, traefikOnly}},
			nil, report.Pass},
		{"timeouts",
			ing("to", map[string]string{p + "proxy-read-timeout": "300", p + "proxy-send-timeout": "300", p + "proxy-connect-timeout": "5"}),
			map[string]want{
				p + "proxy-read-timeout":    {TraefikSupported, GatewayPartial, both},
				p + "proxy-send-timeout":    {TraefikSupported, GatewayPartial, both},
				p + "proxy-connect-timeout": {TraefikSupported, GatewayPartial, both}},
			nil, report.Pass},
		{"CORS",
			ing("cors", map[string]string{p + "enable-cors": "true", p + "cors-allow-origin": "https://x.example.com"}),
			map[string]want{
				p + "enable-cors":       {TraefikPartial, GatewayConvertible, both},
				p + "cors-allow-origin": {TraefikSupported, GatewayConvertible, both}},
			nil, report.Warn},
		{"cookie affinity",
			ing("aff", map[string]string{p + "affinity": "cookie", p + "session-cookie-name": "SID"}),
			map[string]want{
				p + "affinity":            {TraefikSupported, GatewayExtension, traefikOnly},
				p + "session-cookie-name": {TraefikSupported, GatewayUnsupported, traefikOnly}},
			nil, report.Pass},
		{"external auth",
			ing("ext", map[string]string{p + "auth-url": "https://u:pw@auth.example.com/check?token=abc", p + "auth-signin": "https://auth.example.com/start?rd=$escaped_request_uri"}),
			map[string]want{
				p + "auth-url":    {TraefikPartial, GatewayUnsupported, traefikOnly},
				p + "auth-signin": {TraefikPartial, GatewayUnsupported, traefikOnly}},
			nil, report.Warn},
		{"basic auth",
			ing("basic", map[string]string{p + "auth-type": "basic", p + "auth-secret": "basic-auth", p + "auth-realm": "Authentication Required"}),
			map[string]want{
				p + "auth-type":   {TraefikSupported, GatewayUnsupported, traefikOnly},
				p + "auth-secret": {TraefikSupported, GatewayUnsupported, traefikOnly}},
			nil, report.Pass},
		{"whitelist-source-range",
			ing("ip", map[string]string{p + "whitelist-source-range": "10.0.0.0/8,192.168.0.0/16"}),
			map[string]want{p + "whitelist-source-range": {TraefikSupported, GatewayExtension, traefikOnly}},
			nil, report.Pass},
		{"configuration-snippet with directives Traefik implements",
			ing("snip", map[string]string{p + "configuration-snippet": "more_set_headers \"X-Api-Key: s3cr3t\";\nproxy_set_header X-Real $host;"}),
			map[string]want{p + "configuration-snippet": {TraefikPartial, GatewayUnsupported, traefikOnly}},
			nil, report.Warn},
		{"configuration-snippet with lua and proxy_pass",
			ing("lua", map[string]string{p + "configuration-snippet": "access_by_lua_block { ngx.exit(403) }\nproxy_pass http://10.0.0.1;"}),
			map[string]want{p + "configuration-snippet": {TraefikUnsupported, GatewayUnsupported, neither}},
			nil, report.Fail},
		{"server-snippet with a location block",
			ing("srv", map[string]string{p + "server-snippet": "location /healthz { return 200; }"}),
			map[string]want{p + "server-snippet": {TraefikPartial, GatewayUnsupported, traefikOnly}},
			nil, report.Warn},
		{"use-regex with an Exact path",
			ing("regex", map[string]string{p + "use-regex": "true"}, path{"/v[0-9]+/.*", &implSpec}, path{"/healthz", &exact}),
			map[string]want{p + "use-regex": {TraefikSupported, GatewayConvertible, both}},
			[]string{"regex-host:warn"}, report.Warn},
		{"backend-protocol GRPC",
			ing("grpc", map[string]string{p + "backend-protocol": "GRPC"}),
			map[string]want{p + "backend-protocol": {TraefikSupported, GatewayPartial, both}},
			nil, report.Pass},
		{"backend-protocol HTTPS without proxy-ssl",
			ing("https", map[string]string{p + "backend-protocol": "HTTPS"}),
			map[string]want{p + "backend-protocol": {TraefikSupported, GatewayUnsupported, traefikOnly}},
			nil, report.Pass},
		{"backend-protocol HTTPS with verified backend TLS",
			ing("https", map[string]string{p + "backend-protocol": "HTTPS", p + "proxy-ssl-verify": "on", p + "proxy-ssl-secret": "demo/ca",
				p + "proxy-ssl-name": "web.demo.svc", p + "proxy-ssl-server-name": "on"}),
			map[string]want{
				p + "backend-protocol": {TraefikSupported, GatewayConvertible, both},
				p + "proxy-ssl-verify": {TraefikSupported, GatewayConvertible, both}},
			nil, report.Pass},
		{"backend-protocol FCGI",
			ing("fcgi", map[string]string{p + "backend-protocol": "FCGI"}),
			map[string]want{p + "backend-protocol": {TraefikUnsupported, GatewayUnsupported, neither}},
			nil, report.Fail},
		{"canary by weight and cookie",
			ing("canary", map[string]string{p + "canary": "true", p + "canary-weight": "20", p + "canary-by-cookie": "beta"}),
			map[string]want{
				p + "canary":           {TraefikSupported, GatewayConvertible, both},
				p + "canary-weight":    {TraefikSupported, GatewayConvertible, both},
				p + "canary-by-cookie": {TraefikSupported, GatewayUnsupported, traefikOnly}},
			nil, report.Pass},
		{"modsecurity and an unknown annotation",
			ing("waf", map[string]string{p + "enable-modsecurity": "true", p + "lua-resty-waf": "active"}),
			map[string]want{
				p + "enable-modsecurity": {TraefikUnsupported, GatewayUnsupported, neither},
				p + "lua-resty-waf":      {TraefikUnsupported, GatewayUnsupported, neither}},
			nil, report.Fail},
		{"connection-proxy-header: Gateway API only",
			ing("conn", map[string]string{p + "connection-proxy-header": "keep-alive"}),
			map[string]want{p + "connection-proxy-header": {TraefikUnsupported, GatewayConvertible, gwOnly}},
			nil, report.Fail},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Audit([]networkingv1.Ingress{c.ing}, nginxClasses)
			it := find(t, r, c.ing.Name)
			if !it.IngressNginx {
				t.Fatalf("not taken as ingress-nginx's: %s", it.Detail)
			}
			got := map[string]Annotation{}
			for _, a := range it.Annotations {
				got[a.Name] = a
			}
			for k, w := range c.want {
				a, ok := got[k]
				if !ok {
					t.Errorf("%s: not listed", k)
					continue
				}
				if a.Traefik != w.t || a.GatewayAPI != w.g || !slices.Equal(a.Buckets, w.buckets) {
					t.Errorf("%s: traefik %s gatewayAPI %s buckets %v, want %s %s %v (%s)", k, a.Traefik, a.GatewayAPI, a.Buckets, w.t, w.g, w.buckets, a.Detail)
				}
				wantStatus := map[Traefik]report.Status{TraefikSupported: report.Pass, TraefikPartial: report.Warn, TraefikUnsupported: report.Fail}[w.t]
				if a.Status != wantStatus {
					t.Errorf("%s: status %s, want %s", k, a.Status, wantStatus)
				}
			}
			if q := quirkNames(it); !slices.Equal(q, c.quirks) {
				t.Errorf("quirks %v, want %v", q, c.quirks)
			}
			if it.Status != c.status {
				t.Errorf("status %s, want %s", it.Status, c.status)
			}
		})
	}
}

// TestQuirks: path and redirect quirks, some of them across Ingresses of one host.
func TestQuirks(t *testing.T) {
	other := func(i networkingv1.Ingress, host string) networkingv1.Ingress {
		i.Spec.Rules[0].Host = host
		return i
	}
	cases := []struct {
		name  string
		ings  []networkingv1.Ingress
		check string // the Ingress whose quirks are checked
		want  []string
		detail,
		path string // a quirk's detail must hold detail; path, when set, is its path
	}{
		{"use-regex on one Ingress makes the host's other Ingress regex, Exact path included",
			[]networkingv1.Ingress{
				ing("regex", map[string]string{p + "use-regex": "true"}, path{"/v[0-9]+", &implSpec}),
				ing("plain", nil, path{"/b", &prefix}, path{"/x", &exact}, path{"/docs/", &prefix})},
			"plain", []string{"regex-host:warn"}, "demo/regex", "/x"},
		{"rewrite-target in another namespace still turns regex on for the host",
			func() []networkingv1.Ingress {
				a := ing("rw", map[string]string{p + "rewrite-target": "/"}, path{"/api", &prefix})
				a.Namespace = "other"
				return []networkingv1.Ingress{a, ing("plain", nil, path{"/b", &prefix})}
			}(),
			"plain", []string{"regex-host:pass"}, "other/rw", ""},
		{"a canary's use-regex does not count",
			[]networkingv1.Ingress{
				ing("canary", map[string]string{p + "canary": "true", p + "use-regex": "true"}),
				ing("plain", nil, path{"/b", &prefix})},
			"plain", nil, "", ""},
		{"regex on another host does not count",
			[]networkingv1.Ingress{
				other(ing("regex", map[string]string{p + "use-regex": "true"}), "b.example.com"),
				ing("plain", nil, path{"/b", &prefix})},
			"plain", nil, "", ""},
		{"Prefix with a trailing slash: nginx 301, Traefik serves /docs, i2gw adds the 301",
			[]networkingv1.Ingress{ing("docs", nil, path{"/docs/", &prefix})},
			"docs", []string{"trailing-slash:warn"}, "ingress2gateway adds the same 301", "/docs/"},
		{"trailing slash with Prefix / in the same namespace: i2gw adds no 301",
			[]networkingv1.Ingress{ing("docs", nil, path{"/docs/", &prefix}), ing("root", nil)},
			"docs", []string{"trailing-slash:warn"}, "ingress2gateway adds no 301", "/docs/"},
		{"trailing slash with /docs also a path: no quirk",
			[]networkingv1.Ingress{ing("docs", nil, path{"/docs/", &prefix}), ing("bare", nil, path{"/docs", &exact})},
			"docs", nil, "", ""},
		{"trailing slash on a regex host: no trailing-slash quirk",
			[]networkingv1.Ingress{ing("docs", map[string]string{p + "use-regex": "true"}, path{"/docs/", &prefix})},
			"docs", []string{"regex-host:pass"}, "", ""},
		{"ImplementationSpecific without regex: string prefix in nginx",
			[]networkingv1.Ingress{ing("impl", nil, path{"/foo", &implSpec})},
			"impl", []string{"implementation-specific-path:warn"}, "/foobar", "/foo"},
		{"ImplementationSpecific with a trailing slash",
			[]networkingv1.Ingress{ing("impl", nil, path{"/foo/", &implSpec})},
			"impl", []string{"trailing-slash:warn"}, "", "/foo/"},
		{"regex characters in a Prefix path",
			[]networkingv1.Ingress{ing("strict", map[string]string{p + "use-regex": "true"}, path{"/api/(.*)", &prefix})},
			"strict", []string{"regex-host:pass", "regex-path-type:fail"}, "refuse the whole Ingress", "/api/(.*)"},
		{"TLS on another Ingress of the host: nginx redirects, Traefik not",
			[]networkingv1.Ingress{withTLS(ing("secure", nil, path{"/s", &prefix})), ing("plain", nil, path{"/p", &prefix})},
			"plain", []string{"ssl-redirect-shared-host:warn"}, "demo/secure", ""},
		{"TLS on another Ingress, ssl-redirect false here",
			[]networkingv1.Ingress{withTLS(ing("secure", nil, path{"/s", &prefix})), ing("plain", map[string]string{p + "ssl-redirect": "false"}, path{"/p", &prefix})},
			"plain", nil, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			it := find(t, Audit(c.ings, nginxClasses), c.check)
			if q := quirkNames(it); !slices.Equal(q, c.want) {
				t.Fatalf("quirks %v, want %v: %+v", q, c.want, it.Quirks)
			}
			if len(c.want) == 0 {
				return
			}
			q := it.Quirks[len(it.Quirks)-1]
			if c.detail != "" && !strings.Contains(q.Detail, c.detail) {
				t.Errorf("detail %q lacks %q", q.Detail, c.detail)
			}
			if c.path != "" && q.Path != c.path && it.Quirks[0].Path != c.path {
				t.Errorf("path %q, want %q", q.Path, c.path)
			}
		})
	}
}

// TestClasses: which Ingresses ingress-nginx serves, and the class quirk.
func TestClasses(t *testing.T) {
	classes := []networkingv1.IngressClass{
		class("nginx", "k8s.io/ingress-nginx", true),
		class("internal", "k8s.io/ingress-nginx-internal", false),
		class("traefik", "traefik.io/ingress-controller", false),
	}
	named := func(name, cls string) networkingv1.Ingress {
		i := ing(name, nil)
		i.Spec.IngressClassName = &cls
		return i
	}
	annotated := ing("annotated", map[string]string{classAnnotation: "nginx"})
	annotated.Spec.IngressClassName = nil
	classless := ing("classless", nil)
	classless.Spec.IngressClassName = nil
	ings := []networkingv1.Ingress{named("spec", "nginx"), annotated, classless, named("internal", "internal"),
		named("traefik", "traefik"), named("gone", "nginx-old")}

	cases := []struct {
		name   string
		source ClassSource
		served bool
		status report.Status
		quirks []string
	}{
		{"spec", ClassFromSpec, true, report.Pass, nil},
		{"annotated", ClassFromAnnotation, true, report.Pass, nil},
		{"classless", ClassFromDefault, true, report.Warn, []string{"ingress-class:warn"}},
		{"internal", ClassFromSpec, true, report.Warn, []string{"ingress-class:warn"}},
		{"traefik", ClassFromSpec, false, report.Skip, nil},
		{"gone", ClassFromSpec, false, report.Skip, nil},
	}
	r := Audit(ings, classes)
	for _, c := range cases {
		it := find(t, r, c.name)
		if it.ClassSource != c.source || it.IngressNginx != c.served || it.Status != c.status || !slices.Equal(quirkNames(it), c.quirks) {
			t.Errorf("%s: source %s served %v status %s quirks %v, want %s %v %s %v (%s)", c.name, it.ClassSource, it.IngressNginx, it.Status, quirkNames(it), c.source, c.served, c.status, c.quirks, it.Detail)
		}
	}
	if r.Summary.Ingresses != 6 || r.Summary.IngressNginx != 4 || r.Summary.Warn != 2 || !r.Ready {
		t.Errorf("summary %+v ready %v", r.Summary, r.Ready)
	}

	// Without a default class, a class-less Ingress is nobody's; class nginx without its
	// IngressClass is still ingress-nginx's, with a warning.
	r = Audit([]networkingv1.Ingress{classless, named("nginx", "nginx")}, nil)
	if it := find(t, r, "classless"); it.IngressNginx || it.ClassSource != ClassNone || it.Status != report.Skip {
		t.Errorf("classless without default: %+v", it)
	}
	if it := find(t, r, "nginx"); !it.IngressNginx || !slices.Equal(quirkNames(it), []string{"ingress-class:warn"}) {
		t.Errorf("nginx without IngressClass: %+v", it)
	}
}

// TestReportIsPrintable: secrets in auth-url and snippets do not reach the report, which keeps
// the collection's schema; counts and the hosts/paths figures.
func TestReportIsPrintable(t *testing.T) {
	i := withTLS(ing("secrets", map[string]string{
		p + "auth-url":                                     "https://user:pw@auth.example.com/check?token=abc123",
		p + "configuration-snippet":                        "more_set_headers \"X-Api-Key: s3cr3t\";\n# token: hunter2\nproxy_set_header Authorization \"Basic dXNlcjpwYXNz\";",
		p + "permanent-redirect":                           "https://bob:pa55@new.example.com/x",
		p + "server-alias":                                 strings.Repeat("x", 300),
		"kubectl.kubernetes.io/last-applied-configuration": `{"metadata":{"annotations":{"nginx.ingress.kubernetes.io/configuration-snippet":"s3cr3t"}}}`,
	}, path{"/", &prefix}, path{"/api", &prefix}))
	i.Spec.Rules = append(i.Spec.Rules, networkingv1.IngressRule{Host: "b.example.com"})
	r := Audit([]networkingv1.Ingress{i}, nginxClasses)
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"pw@", "abc123", "s3cr3t", "hunter2", "dXNlcjpwYXNz", "pa55", "last-applied"} {
		if strings.Contains(string(out), secret) {
			t.Errorf("the report holds %q: %s", secret, out)
		}
	}
	clitest.CheckReport(t, "audit", out)
	it := find(t, r, "secrets")
	if it.Hosts != 2 || it.Paths != 2 || !it.TLS || it.OtherAnnotations != 1 || len(it.Annotations) != 4 {
		t.Errorf("hosts %d paths %d tls %v other %d annotations %d", it.Hosts, it.Paths, it.TLS, it.OtherAnnotations, len(it.Annotations))
	}
	for _, a := range it.Annotations {
		switch a.Name {
		case p + "auth-url":
			if a.Value != "https://auth.example.com/[redacted]" || !a.Redacted {
				t.Errorf("auth-url %q", a.Value)
			}
		case p + "configuration-snippet":
			if a.Value != "[snippet redacted: 3 lines; directives: more_set_headers, proxy_set_header]" {
				t.Errorf("snippet %q", a.Value)
			}
		case p + "permanent-redirect":
			if a.Value != "https://[redacted]@new.example.com/x" {
				t.Errorf("redirect %q", a.Value)
			}
		case p + "server-alias":
			if len(a.Value) > maxValue+4 || !a.Redacted {
				t.Errorf("long value kept: %d", len(a.Value))
			}
		}
	}
	if r.APIVersion != APIVersion || r.Kind != Kind || r.Sources.Traefik == "" {
		t.Errorf("header %+v", r)
	}
}

func TestSnippetDirectives(t *testing.T) {
	for s, want := range map[string][]string{
		"more_set_headers \"X-A: b;c\";\nif ($http_x = \"1\") { return 403; }\nproxy_set_header X-Y $host;": {"more_set_headers", "if", "return", "proxy_set_header"},
		"# a comment; not_a_directive\nset $x 1;":                                                           {"set"},
		"location ~* \"^/a{2}\" { deny all; }":                                                              {"location", "deny"},
		"rewrite ^/(.*)$ /x/$1 break;":                                                                      {"rewrite"},
		"  ":                                                                                                nil,
	} {
		if got := snippetDirectives(s); !slices.Equal(got, want) {
			t.Errorf("%q: %v, want %v", s, got, want)
		}
	}
}

// TestEveryRuleIsJudged: every table entry gives both sides a verdict and a note.
func TestEveryRuleIsJudged(t *testing.T) {
	for k := range rules {
		a := Classify(p+k, "true", map[string]string{})
		if a.Traefik == "" || a.GatewayAPI == "" || a.Status == "" || strings.Contains(a.Detail, "Traefik: ;") || strings.HasSuffix(a.Detail, "ingress2gateway: ") {
			t.Errorf("%s: %+v", k, a)
		}
	}
}
