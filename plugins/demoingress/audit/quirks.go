package audit

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"

	"github.com/osc-coco/kubectl-plugins/lib/report"
)

// The quirks.
const (
	QuirkRegexHost              = "regex-host"
	QuirkRegexPathType          = "regex-path-type"
	QuirkImplementationSpecific = "implementation-specific-path"
	QuirkTrailingSlash          = "trailing-slash"
	QuirkSSLRedirectDefault     = "ssl-redirect-default"
	QuirkSSLRedirectSharedHost  = "ssl-redirect-shared-host"
	QuirkIngressClass           = "ingress-class"
)

// strictPath is what a Prefix or Exact path may hold under strict path validation, on by
// default in ingress-nginx (strict-validate-path-type, config.go@controller-v1.15.1) and in
// Traefik (strictValidatePathType, kubernetes.go@v3.7.9 SetDefaults; build.go validateIngress).
var strictPath = regexp.MustCompile(`(?i)^/[[:alnum:]._\-/]*$`)

// hostIndex holds what ingress-nginx shares between the Ingresses of a host: one nginx server
// block per host name, whatever namespace the Ingress is in.
type hostIndex struct {
	regexBy map[string][]string                       // host -> Ingresses turning regex on
	tlsBy   map[string][]string                       // host -> Ingresses with TLS for it
	paths   map[string][]networkingv1.HTTPIngressPath // host -> all paths
	nsPaths map[string][]networkingv1.HTTPIngressPath // namespace/host -> paths (one HTTPRoute in i2gw)
}

func newHostIndex(ings []*networkingv1.Ingress) *hostIndex {
	h := &hostIndex{regexBy: map[string][]string{}, tlsBy: map[string][]string{},
		paths: map[string][]networkingv1.HTTPIngressPath{}, nsPaths: map[string][]networkingv1.HTTPIngressPath{}}
	for _, ing := range ings {
		id := ing.Namespace + "/" + ing.Name
		// traefik build.go hostsWithUseRegex and i2gw regex.go regexHosts: use-regex true or any
		// rewrite-target, canaries left out (ingress-nginx: template.go enforceRegexModifier).
		regex := !isTrue(ing.Annotations[nginxPrefix+"canary"]) &&
			(isTrue(ing.Annotations[nginxPrefix+"use-regex"]) || ing.Annotations[nginxPrefix+"rewrite-target"] != "")
		for _, rule := range ing.Spec.Rules {
			if regex {
				h.regexBy[rule.Host] = appendOnce(h.regexBy[rule.Host], id)
			}
			if rule.HTTP != nil {
				h.paths[rule.Host] = append(h.paths[rule.Host], rule.HTTP.Paths...)
				k := ing.Namespace + "/" + rule.Host
				h.nsPaths[k] = append(h.nsPaths[k], rule.HTTP.Paths...)
			}
		}
		// i2gw redirect.go addSSLAndTrailingSlashRedirects: tls.hosts, or the rules' hosts when
		// a tls entry names none (ingress-nginx: the certificate serves the whole host).
		for _, t := range ing.Spec.TLS {
			hosts := t.Hosts
			if len(hosts) == 0 {
				for _, rule := range ing.Spec.Rules {
					hosts = append(hosts, rule.Host)
				}
			}
			for _, host := range hosts {
				if host != "" {
					h.tlsBy[host] = appendOnce(h.tlsBy[host], id)
				}
			}
		}
	}
	return h
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// quirks finds the path and redirect quirks of one Ingress served by ingress-nginx.
func (h *hostIndex) quirks(ing *networkingv1.Ingress) []Quirk {
	var out []Quirk
	seenHost := map[string]bool{}
	for _, rule := range ing.Spec.Rules {
		if rule.HTTP == nil {
			continue
		}
		regex := len(h.regexBy[rule.Host]) > 0
		if regex && !seenHost[rule.Host] {
			out = append(out, h.regexHost(rule))
		}
		seenHost[rule.Host] = true
		for _, p := range rule.HTTP.Paths {
			pt := networkingv1.PathTypePrefix
			if p.PathType != nil {
				pt = *p.PathType
			}
			if pt != networkingv1.PathTypeImplementationSpecific && p.Path != "" && !strictPath.MatchString(p.Path) {
				out = append(out, Quirk{Name: QuirkRegexPathType, Status: report.Fail, Host: rule.Host, Path: p.Path,
					Detail: fmt.Sprintf("regex characters in a %s path: ingress-nginx (strict-validate-path-type) and Traefik (strictValidatePathType) refuse the whole Ingress by default; ingress2gateway converts the path literally", pt),
					Fix:    "use pathType ImplementationSpecific for regex paths (with use-regex)"})
			}
			if regex || p.Path == "" || p.Path == "/" {
				continue // regex hosts: regex-host says it all
			}
			trailing := strings.HasSuffix(p.Path, "/")
			switch {
			case pt == networkingv1.PathTypeImplementationSpecific && !trailing:
				// ingress-nginx: location "/foo" (template.go buildLocation) is a string prefix;
				// traefik translator.go buildRule takes ImplementationSpecific as Prefix
				// (buildPrefixRule: whole segments); i2gw converter.go implementationSpecificPathMatch
				// makes it a PathPrefix.
				out = append(out, Quirk{Name: QuirkImplementationSpecific, Status: report.Warn, Host: rule.Host, Path: p.Path,
					Detail: fmt.Sprintf("ingress-nginx matches ImplementationSpecific %s as a plain string prefix (%sbar matches too); Traefik and ingress2gateway (PathPrefix) match whole segments only, so %sbar gets another route or 404", p.Path, p.Path, p.Path),
					Fix:    "use pathType Prefix (the same everywhere), or list the longer paths explicitly"})
			case trailing && (pt == networkingv1.PathTypePrefix || pt == networkingv1.PathTypeImplementationSpecific):
				if q, ok := h.trailingSlash(ing.Namespace, rule.Host, p.Path); ok {
					out = append(out, q)
				}
			}
		}
	}
	if tls := h.sslQuirk(ing); tls != nil {
		out = append(out, *tls)
	}
	return out
}

// regexHost: ingress-nginx@controller-v1.15.1 template.go enforceRegexModifier makes every
// location of the server (host) `~* "^path"`, Exact ones included; traefik translator.go
// buildRule: PathRegexp("(?i)^path") for Prefix and ImplementationSpecific, Exact stays Path();
// i2gw regex.go: every match of the host's routes becomes RegularExpression "(?i)path.*".
func (h *hostIndex) regexHost(rule networkingv1.IngressRule) Quirk {
	host := rule.Host
	var exact []string
	for _, p := range rule.HTTP.Paths {
		if p.PathType != nil && *p.PathType == networkingv1.PathTypeExact {
			exact = append(exact, p.Path)
		}
	}
	by := append([]string(nil), h.regexBy[host]...)
	sort.Strings(by)
	q := Quirk{Name: QuirkRegexHost, Status: report.Pass, Host: host,
		Detail: fmt.Sprintf("use-regex or rewrite-target on %s turns every path of host %q into a case-insensitive regex prefix in ingress-nginx (/foo matches /foobar and /FOO, across Ingresses); Traefik does the same for Prefix and ImplementationSpecific paths; ingress2gateway writes RegularExpression matches (?i)<path>.*",
			strings.Join(by, ", "), host)}
	if len(exact) > 0 {
		q.Status = report.Warn
		q.Path = strings.Join(exact, ",")
		q.Detail += fmt.Sprintf("; Exact paths %s stay exact in Traefik but are regex prefixes in ingress-nginx and ingress2gateway", strings.Join(exact, ", "))
		q.Fix = "if longer paths must match, make these paths ImplementationSpecific"
	}
	return q
}

// trailingSlash: ingress-nginx location.go updateServerLocations keeps "/foo/" a prefix
// location and nginx answers /foo with a 301 to /foo/; traefik translator.go buildPrefixRule
// trims the slash (Path("/foo") || PathPrefix("/foo/")): /foo reaches the backend; i2gw
// redirect.go buildTrailingSlashRedirectRules adds an Exact /foo 301 unless a PathPrefix of the
// same HTTPRoute (namespace and host) covers /foo.
func (h *hostIndex) trailingSlash(ns, host, path string) (Quirk, bool) {
	bare := strings.TrimSuffix(path, "/")
	for _, p := range h.paths[host] {
		if p.Path == bare {
			return Quirk{}, false // another location takes /foo in ingress-nginx too
		}
	}
	gw := fmt.Sprintf("ingress2gateway adds the same 301 (Exact %s)", bare)
	for _, p := range h.nsPaths[ns+"/"+host] {
		pt := networkingv1.PathTypePrefix
		if p.PathType != nil {
			pt = *p.PathType
		}
		if pt != networkingv1.PathTypeExact && p.Path != path && segmentPrefix(strings.TrimSuffix(p.Path, "/"), bare) {
			gw = fmt.Sprintf("ingress2gateway adds no 301 (PathPrefix %s covers %s)", p.Path, bare)
			break
		}
	}
	return Quirk{Name: QuirkTrailingSlash, Status: report.Warn, Host: host, Path: path,
		Detail: fmt.Sprintf("ingress-nginx answers %s with a 301 to %s; Traefik sends %s to this backend as is; %s", bare, path, bare, gw),
		Fix:    fmt.Sprintf("add an Exact %s path (or a redirect) if clients or the backend rely on the 301, or drop the trailing slash", bare)}, true
}

// segmentPrefix: Gateway API PathPrefix prefix matches path by whole segments.
func segmentPrefix(prefix, path string) bool {
	if prefix == "" {
		return true
	}
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

// sslQuirk: traefik middleware.go buildSSLRedirect redirects when this Ingress has spec.tls
// (ssl-redirect defaults to true) or force-ssl-redirect; ingress-nginx (nginx.tmpl, the server's
// certificate) and i2gw redirect.go redirect every Ingress of a host that has TLS anywhere.
func (h *hostIndex) sslQuirk(ing *networkingv1.Ingress) *Quirk {
	a := ing.Annotations
	if isTrue(a[nginxPrefix+"force-ssl-redirect"]) {
		return nil
	}
	if v, set := a[nginxPrefix+"ssl-redirect"]; set && !isTrue(v) {
		return nil
	}
	if len(ing.Spec.TLS) > 0 {
		if _, set := a[nginxPrefix+"ssl-redirect"]; set {
			return nil
		}
		return &Quirk{Name: QuirkSSLRedirectDefault, Status: report.Pass,
			Detail: "the Ingress has TLS and no ssl-redirect: plain HTTP requests get a 308 to https in ingress-nginx, Traefik and ingress2gateway's port-80 route alike",
		}
	}
	id := ing.Namespace + "/" + ing.Name
	for _, rule := range ing.Spec.Rules {
		var others []string
		for _, o := range h.tlsBy[rule.Host] {
			if o != id {
				others = append(others, o)
			}
		}
		if len(others) > 0 {
			sort.Strings(others)
			return &Quirk{Name: QuirkSSLRedirectSharedHost, Status: report.Warn, Host: rule.Host,
				Detail: fmt.Sprintf("no TLS here, but %s has TLS for host %q: ingress-nginx and ingress2gateway redirect this Ingress's HTTP requests to https (308); Traefik redirects only Ingresses with their own spec.tls, so these stay plain HTTP", strings.Join(others, ", "), rule.Host),
				Fix:    "add the host's tls section to this Ingress, or force-ssl-redirect: \"true\""}
		}
	}
	return nil
}

// classQuirks: how Traefik (build.go shouldProcess, client.go filterIngressClass: IngressClasses
// of controller k8s.io/ingress-nginx, or the annotation nginx, or watchIngressWithoutClass) and
// ingress2gateway (providers/common resource_reader.go: class name, --ingress-nginx-ingress-class,
// default nginx) pick the Ingress up.
func classQuirks(it *Ingress) []Quirk {
	switch {
	case it.ClassSource == ClassFromDefault:
		return []Quirk{{Name: QuirkIngressClass, Status: report.Warn,
			Detail: fmt.Sprintf("no class: ingress-nginx serves it as default class %s only with --watch-ingress-without-class; Traefik needs watchIngressWithoutClass: true; ingress2gateway skips class-less Ingresses", it.Class),
			Fix:    fmt.Sprintf("set spec.ingressClassName: %s", it.Class)}}
	case it.ClassSource == ClassFromSpec && it.Controller == "":
		return []Quirk{{Name: QuirkIngressClass, Status: report.Warn,
			Detail: fmt.Sprintf("IngressClass %s does not exist: Traefik serves spec.ingressClassName only for IngressClasses of controller %s (uninstalling ingress-nginx's chart deletes it)", it.Class, ingressNginxCtrl),
			Fix:    fmt.Sprintf("keep or recreate IngressClass %s with controller %s", it.Class, ingressNginxCtrl)}}
	case it.ClassSource == ClassFromSpec && it.Controller != ingressNginxCtrl:
		return []Quirk{{Name: QuirkIngressClass, Status: report.Warn,
			Detail: fmt.Sprintf("controller %s: Traefik takes IngressClasses of controller %s unless its controllerClass is set; ingress2gateway selects by class name (--ingress-nginx-ingress-class=%s)", it.Controller, ingressNginxCtrl, it.Class),
			Fix:    fmt.Sprintf("set Traefik's providers.kubernetesIngressNGINX.controllerClass: %s", it.Controller)}}
	case it.ClassSource == ClassFromSpec && it.Class != ingressNginxAnnValue:
		return []Quirk{{Name: QuirkIngressClass, Status: report.Pass,
			Detail: fmt.Sprintf("class %s of controller %s: Traefik takes it; ingress2gateway needs --ingress-nginx-ingress-class=%s", it.Class, it.Controller, it.Class)}}
	}
	return nil
}
