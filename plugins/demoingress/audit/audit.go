// Package audit judges the Ingresses that ingress-nginx serves against its replacements: for
// every nginx.ingress.kubernetes.io/* annotation, whether Traefik v3.7's ingress-nginx provider
// (providers.kubernetesIngressNGINX) serves it as-is and whether ingress2gateway v1.1 converts it
// to the Gateway API; and the path-matching and redirect quirks that change behaviour.
//
// It reads nothing from a cluster and prints nothing: Audit takes the Ingresses and
// IngressClasses and returns a Report (lib/report's status vocabulary, docs/report-schema.md).
//
// The tables follow, and name beside each rule, these upstream sources (read, not copied):
//   - traefik/traefik@v3.7.9 pkg/provider/kubernetes/ingress-nginx/ (annotations.go, build.go,
//     middleware.go, translator.go), pkg/middlewares/ingressnginx/snippet/ and
//     docs/content/reference/routing-configuration/kubernetes/ingress-nginx.md;
//   - kubernetes-sigs/ingress2gateway@v1.1.0 pkg/i2gw/providers/ingressnginx/ and
//     pkg/i2gw/emitters/{common_emitter,standard}/ (what the standard emitter writes);
//   - kubernetes/ingress-nginx@controller-v1.15.1 internal/ingress/controller/ (location.go,
//     template/template.go) for what ingress-nginx itself does.
package audit

import (
	"fmt"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/osc-coco/kubectl-plugins/lib/report"
)

// APIVersion and Kind name the report (docs/report-schema.md).
const (
	APIVersion = "demoingress.osc-coco.io/v1alpha1"
	Kind       = "AuditReport"
)

// The upstream versions the tables describe.
const (
	TraefikSource      = "traefik/traefik@v3.7.9 pkg/provider/kubernetes/ingress-nginx"
	GatewayAPISource   = "kubernetes-sigs/ingress2gateway@v1.1.0 pkg/i2gw/providers/ingressnginx, standard emitter"
	IngressNginxSource = "kubernetes/ingress-nginx@controller-v1.15.1"
)

// Traefik says how Traefik's ingress-nginx provider serves an annotation.
type Traefik string

// Served as ingress-nginx serves it, served with a changed behaviour, or not served.
const (
	TraefikSupported   Traefik = "supported"
	TraefikPartial     Traefik = "partial"
	TraefikUnsupported Traefik = "unsupported"
)

// GatewayAPI says what ingress2gateway's ingress-nginx provider makes of an annotation.
type GatewayAPI string

// Convertible: standard Gateway API (HTTPRoute filters, matches, BackendTLSPolicy, TLSRoute, …);
// partial: converted with a changed behaviour; extension: written only by an
// implementation-specific emitter (Envoy Gateway, kgateway, agentgateway or GKE policies; the
// standard emitter warns and drops it); unsupported: not converted.
const (
	GatewayConvertible GatewayAPI = "convertible"
	GatewayPartial     GatewayAPI = "partial"
	GatewayExtension   GatewayAPI = "extension"
	GatewayUnsupported GatewayAPI = "unsupported"
)

// Bucket is where an annotation can go: Traefik serves it (as-is or changed), ingress2gateway
// converts it to the Gateway API (fully or changed), or neither.
type Bucket string

// The buckets; an annotation is in traefik, gateway-api or both, or else in unsupported alone.
const (
	BucketTraefik     Bucket = "traefik"
	BucketGatewayAPI  Bucket = "gateway-api"
	BucketUnsupported Bucket = "unsupported"
)

// ClassSource says where an Ingress's class comes from.
type ClassSource string

// spec.ingressClassName, the kubernetes.io/ingress.class annotation, the cluster's default
// IngressClass (the Ingress names none), or none at all.
const (
	ClassFromSpec       ClassSource = "spec"
	ClassFromAnnotation ClassSource = "annotation"
	ClassFromDefault    ClassSource = "default"
	ClassNone           ClassSource = "none"
)

// Report is the audit of all Ingresses.
type Report struct {
	APIVersion string  `json:"apiVersion"`
	Kind       string  `json:"kind"`
	Sources    Sources `json:"sources"`
	// Ready: no Ingress served by ingress-nginx has a fail (Traefik serves all of them).
	Ready   bool      `json:"ready"`
	Summary Summary   `json:"summary"`
	Items   []Ingress `json:"items"`
}

// Sources names the upstream versions the report judges against.
type Sources struct {
	Traefik      string `json:"traefik"`
	GatewayAPI   string `json:"gatewayAPI"`
	IngressNginx string `json:"ingressNginx"`
}

// Summary counts Ingresses; pass, warn and fail count those ingress-nginx serves.
type Summary struct {
	Ingresses    int `json:"ingresses"`
	IngressNginx int `json:"ingressNginx"`
	Pass         int `json:"pass"`
	Warn         int `json:"warn"`
	Fail         int `json:"fail"`
}

// Ingress is the audit of one Ingress.
type Ingress struct {
	Namespace   string      `json:"namespace"`
	Name        string      `json:"name"`
	Class       string      `json:"class"`
	ClassSource ClassSource `json:"classSource"`
	Controller  string      `json:"controller,omitempty"` // the IngressClass's spec.controller
	// IngressNginx: ingress-nginx serves it today (only those are audited; others are skip).
	IngressNginx bool          `json:"ingressNginx"`
	Hosts        int           `json:"hosts"`
	Paths        int           `json:"paths"`
	TLS          bool          `json:"tls"`
	Status       report.Status `json:"status"` // the worst of its annotations and quirks
	Detail       string        `json:"detail"`
	Annotations  []Annotation  `json:"annotations"`
	// OtherAnnotations counts annotations that are not ingress-nginx's (not listed: kubectl's
	// last-applied-configuration, for one, repeats every annotation, snippets included).
	OtherAnnotations int     `json:"otherAnnotations"`
	Quirks           []Quirk `json:"quirks"`
}

// Annotation is the verdict on one annotation.
type Annotation struct {
	Name       string        `json:"name"`  // the annotation's key
	Value      string        `json:"value"` // shortened or redacted when Redacted
	Redacted   bool          `json:"redacted,omitempty"`
	Traefik    Traefik       `json:"traefik"`
	GatewayAPI GatewayAPI    `json:"gatewayAPI"`
	Buckets    []Bucket      `json:"buckets"`
	Status     report.Status `json:"status"` // pass: Traefik serves it; warn: changed; fail: not served
	Detail     string        `json:"detail"`
}

// Quirk is a behaviour that differs between ingress-nginx, Traefik and the Gateway API.
type Quirk struct {
	Name   string        `json:"name"`
	Status report.Status `json:"status"` // pass: Traefik behaves as ingress-nginx; warn/fail: it does not
	Host   string        `json:"host,omitempty"`
	Path   string        `json:"path,omitempty"`
	Detail string        `json:"detail"`
	Fix    string        `json:"fix,omitempty"`
}

// Annotation keys read outside the table.
const (
	nginxPrefix          = "nginx.ingress.kubernetes.io/"
	classAnnotation      = "kubernetes.io/ingress.class"
	defaultClassAnnot    = "ingressclass.kubernetes.io/is-default-class"
	ingressNginxCtrl     = "k8s.io/ingress-nginx"
	ingressNginxAnnValue = "nginx"
)

// Audit judges every Ingress; classes are the cluster's IngressClasses (for controllers and the
// default class).
func Audit(ings []networkingv1.Ingress, classes []networkingv1.IngressClass) Report {
	r := Report{
		APIVersion: APIVersion, Kind: Kind,
		Sources: Sources{Traefik: TraefikSource, GatewayAPI: GatewayAPISource, IngressNginx: IngressNginxSource},
		Items:   []Ingress{},
	}
	items := make([]Ingress, len(ings))
	var served []*networkingv1.Ingress
	for i := range ings {
		items[i] = classify(&ings[i], classes)
		if items[i].IngressNginx {
			served = append(served, &ings[i])
		}
	}
	hs := newHostIndex(served)
	for i := range ings {
		it := &items[i]
		r.Summary.Ingresses++
		if !it.IngressNginx {
			it.Status = report.Skip
			continue
		}
		r.Summary.IngressNginx++
		ing := &ings[i]
		counts := map[report.Status]int{}
		for k, v := range ing.Annotations {
			if k != classAnnotation && !strings.HasPrefix(k, nginxPrefix) {
				it.OtherAnnotations++
				continue
			}
			a := Classify(k, v, ing.Annotations)
			it.Annotations = append(it.Annotations, a)
			counts[a.Status]++
		}
		sort.Slice(it.Annotations, func(a, b int) bool { return it.Annotations[a].Name < it.Annotations[b].Name })
		it.Quirks = append(it.Quirks, classQuirks(it)...)
		it.Quirks = append(it.Quirks, hs.quirks(ing)...)
		sort.SliceStable(it.Quirks, func(a, b int) bool {
			qa, qb := it.Quirks[a], it.Quirks[b]
			if qa.Name != qb.Name {
				return qa.Name < qb.Name
			}
			if qa.Host != qb.Host {
				return qa.Host < qb.Host
			}
			return qa.Path < qb.Path
		})
		it.Status = report.Pass
		for _, a := range it.Annotations {
			it.Status = worst(it.Status, a.Status)
		}
		for _, q := range it.Quirks {
			it.Status = worst(it.Status, q.Status)
		}
		it.Detail = fmt.Sprintf("%s; annotations: %d pass, %d warn, %d fail; %d quirks",
			it.Detail, counts[report.Pass], counts[report.Warn], counts[report.Fail], len(it.Quirks))
		switch it.Status {
		case report.Pass:
			r.Summary.Pass++
		case report.Warn:
			r.Summary.Warn++
		case report.Fail:
			r.Summary.Fail++
		}
	}
	sort.SliceStable(items, func(a, b int) bool {
		if items[a].Namespace != items[b].Namespace {
			return items[a].Namespace < items[b].Namespace
		}
		return items[a].Name < items[b].Name
	})
	r.Items = items
	r.Ready = r.Summary.Fail == 0
	return r
}

// classify fills an Ingress's identity, counts and class, and says whether ingress-nginx serves
// it: an IngressClass with controller k8s.io/ingress-nginx named by spec.ingressClassName (or
// class nginx where that IngressClass is not found), the annotation kubernetes.io/ingress.class:
// nginx, or no class at all while the default IngressClass is ingress-nginx's.
// ingress-nginx@controller-v1.15.1 internal/ingress/controller/store/store.go GetIngressClass
// takes spec first, then the annotation, then class-less ones (--watch-ingress-without-class).
func classify(ing *networkingv1.Ingress, classes []networkingv1.IngressClass) Ingress {
	it := Ingress{
		Namespace: ing.Namespace, Name: ing.Name,
		TLS: len(ing.Spec.TLS) > 0, Annotations: []Annotation{}, Quirks: []Quirk{},
	}
	hosts := map[string]bool{}
	for _, rule := range ing.Spec.Rules {
		if rule.Host != "" {
			hosts[rule.Host] = true
		}
		if rule.HTTP != nil {
			it.Paths += len(rule.HTTP.Paths)
		}
	}
	it.Hosts = len(hosts)

	byName := func(n string) *networkingv1.IngressClass {
		for i := range classes {
			if classes[i].Name == n {
				return &classes[i]
			}
		}
		return nil
	}
	switch {
	case ing.Spec.IngressClassName != nil && *ing.Spec.IngressClassName != "":
		it.Class, it.ClassSource = *ing.Spec.IngressClassName, ClassFromSpec
		if c := byName(it.Class); c != nil {
			it.Controller = c.Spec.Controller
			it.IngressNginx = isNginxController(c.Spec.Controller)
			it.Detail = fmt.Sprintf("spec.ingressClassName %s (controller %s)", it.Class, it.Controller)
		} else {
			it.IngressNginx = it.Class == ingressNginxAnnValue
			it.Detail = fmt.Sprintf("spec.ingressClassName %s (no such IngressClass)", it.Class)
		}
	case ing.Annotations[classAnnotation] != "":
		it.Class, it.ClassSource = ing.Annotations[classAnnotation], ClassFromAnnotation
		it.IngressNginx = it.Class == ingressNginxAnnValue
		if c := byName(it.Class); c != nil {
			it.Controller = c.Spec.Controller
		}
		it.Detail = fmt.Sprintf("annotation %s: %s", classAnnotation, it.Class)
	default:
		it.ClassSource = ClassNone
		it.Detail = "no class"
		if c := defaultClass(classes); c != nil {
			it.Class, it.ClassSource, it.Controller = c.Name, ClassFromDefault, c.Spec.Controller
			it.IngressNginx = isNginxController(c.Spec.Controller)
			it.Detail = fmt.Sprintf("no class; the default IngressClass is %s (controller %s)", c.Name, c.Spec.Controller)
		}
	}
	if it.IngressNginx {
		it.Detail = "served by ingress-nginx: " + it.Detail
	} else {
		it.Detail = "not served by ingress-nginx: " + it.Detail
	}
	return it
}

// isNginxController: the chart's controller value is k8s.io/ingress-nginx (a second controller
// of a cluster often takes k8s.io/ingress-nginx-<name>).
func isNginxController(c string) bool {
	return c == ingressNginxCtrl || strings.HasPrefix(c, ingressNginxCtrl+"-")
}

// defaultClass is the IngressClass marked default (the first by name if several are).
func defaultClass(classes []networkingv1.IngressClass) *networkingv1.IngressClass {
	var def *networkingv1.IngressClass
	for i := range classes {
		if classes[i].Annotations[defaultClassAnnot] == "true" && (def == nil || classes[i].Name < def.Name) {
			def = &classes[i]
		}
	}
	return def
}

var rank = map[report.Status]int{report.Pass: 0, report.Skip: 0, report.Unknown: 1, report.Warn: 2, report.Fail: 3}

func worst(a, b report.Status) report.Status {
	if rank[b] > rank[a] {
		return b
	}
	return a
}
