package audit

import (
	"fmt"
	"strings"

	"github.com/osc-coco/kubectl-plugins/lib/report"
)

// verdict is one side's judgement of an annotation and why.
type verdict struct {
	t     Traefik
	tNote string
	g     GatewayAPI
	gNote string
}

// rule is a table entry: a fixed verdict, or one that depends on the value and on the Ingress's
// other annotations (all, keyed in full).
type rule struct {
	verdict
	adjust func(v string, all map[string]string, r *verdict)
}

// Notes for the common cases.
const (
	tAsIs   = "served as ingress-nginx serves it"
	tNone   = "not implemented (listed unsupported in docs ingress-nginx.md@v3.7.9, or not parsed by annotations.go@v3.7.9)"
	gNone   = "not converted (i2gw warns \"Unsupported annotation\")"
	gNoStd  = "no Gateway API equivalent; not converted"
	gRecNot = "recognised but not converted (i2gw warns)"
)

func sup(note string) verdict   { return verdict{t: TraefikSupported, tNote: note} }
func part(note string) verdict  { return verdict{t: TraefikPartial, tNote: note} }
func unsup(note string) verdict { return verdict{t: TraefikUnsupported, tNote: note} }

// with sets the Gateway API side.
func (v verdict) with(g GatewayAPI, note string) verdict {
	v.g, v.gNote = g, note
	return v
}

// rules: the Traefik side follows traefik@v3.7.9 pkg/provider/kubernetes/ingress-nginx/
// annotations.go (IngressConfig: what is parsed), build.go/middleware.go/translator.go (what is
// done with it) and docs/content/reference/routing-configuration/kubernetes/ingress-nginx.md
// (limitations, unsupported list). The Gateway API side follows ingress2gateway@v1.1.0
// pkg/i2gw/providers/ingressnginx/annotations.go (parsedAnnotations), the feature files named
// per entry, and emitters/common_emitter/emitter.go + emitters/standard/standard.go.
var rules = map[string]rule{
	// Authentication. traefik build.go resolveBasicAuth; middleware.go buildSnippetAuth (auth-url
	// runs in the snippet middleware). i2gw parses none of them.
	"auth-type": {verdict: sup("basic or digest auth from auth-secret").with(GatewayUnsupported, gNone),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if v != "basic" && v != "digest" {
				r.t, r.tNote = TraefikUnsupported, fmt.Sprintf("auth-type %q: only basic and digest (build.go resolveBasicAuth skips the path)", v)
			}
		}},
	"auth-secret":           {verdict: sup("htpasswd Secret; another namespace only with allowCrossNamespaceResources").with(GatewayUnsupported, gNone)},
	"auth-secret-type":      {verdict: sup("auth-file or auth-map").with(GatewayUnsupported, gNone)},
	"auth-realm":            {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"auth-url":              {verdict: part("forward auth: Traefik forwards the original request (nginx: auth_request subrequest), no auth cache, few $variables").with(GatewayUnsupported, "no standard external auth in Gateway API; not converted")},
	"auth-signin":           {verdict: part("redirect on 401 with rd= appended; needs a Host rule (else open redirect via Host header)").with(GatewayUnsupported, gNone)},
	"auth-response-headers": {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"auth-method":           {verdict: part("set as proxy_method; clashes with proxy_method in auth-snippet").with(GatewayUnsupported, gNone)},
	"enable-global-auth":    {verdict: sup("opts out of the provider's globalAuthURL").with(GatewayUnsupported, gNone)},
	// traefik build.go buildClientAuthTLSOption: a TLS option, checked in the handshake.
	"auth-tls-secret":                       {verdict: part("client certificate checked in the TLS handshake (nginx answers 400 after it)").with(GatewayUnsupported, gNone)},
	"auth-tls-verify-client":                {verdict: part("on/optional/optional_no_ca/off; failures end the TLS handshake instead of a 400").with(GatewayUnsupported, gNone)},
	"auth-tls-pass-certificate-to-upstream": {verdict: sup("ssl-client-cert header on TLS routers").with(GatewayUnsupported, gNone)},
	"auth-tls-verify-depth":                 {verdict: part("not parsed: any chain length is accepted").with(GatewayUnsupported, gNone)},

	// TLS and redirects. traefik middleware.go buildSSLRedirect: force-ssl-redirect, or
	// ssl-redirect (default true) when this Ingress has spec.tls; RedirectScheme with 308.
	// i2gw redirect.go addSSLAndTrailingSlashRedirects: a port-80 HTTPRoute redirecting with 308
	// for hosts with TLS in any Ingress; ssl-redirect "false" keeps the rule.
	"ssl-redirect":       {verdict: sup("308 to HTTPS when the Ingress has spec.tls (default true)").with(GatewayConvertible, "port-80 HTTPRoute with a 308 RequestRedirect to https")},
	"force-ssl-redirect": {verdict: sup("308 to HTTPS even without spec.tls").with(GatewayUnsupported, gNone+": hosts without TLS are not redirected")},
	// traefik build.go: TCP router HostSNI(host) to the backend of path "/"; i2gw ssl_passthrough.go.
	"ssl-passthrough": {verdict: part("TCP passthrough router on HostSNI; SNI and default-backend handling differ").with(GatewayConvertible, "TLSRoute on a Passthrough listener")},
	// traefik build.go buildServersTransport (only for backend-protocol HTTPS/GRPCS);
	// i2gw backend_tls.go: a BackendTLSPolicy only when all four are set.
	"proxy-ssl-secret":       backendTLSRule,
	"proxy-ssl-verify":       backendTLSRule,
	"proxy-ssl-name":         backendTLSRule,
	"proxy-ssl-server-name":  backendTLSRule,
	"proxy-ssl-verify-depth": {verdict: unsup(tNone).with(GatewayUnsupported, "recognised, not converted: BackendTLSPolicy has no depth")},
	"proxy-ssl-protocols":    {verdict: unsup(tNone).with(GatewayUnsupported, "recognised, not converted: BackendTLSPolicy has no protocols")},

	// Session affinity. traefik translator.go buildSticky: cookie only, always persistent.
	// i2gw session_affinity.go: only the GKE emitter writes it.
	"affinity": {verdict: sup("sticky cookie (INGRESSCOOKIE unless session-cookie-name)").with(GatewayExtension, "only the GKE emitter (GCPBackendPolicy); the standard emitter drops it"),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if v != "cookie" {
				r.t, r.tNote = TraefikUnsupported, fmt.Sprintf("affinity %q: only cookie", v)
				r.g, r.gNote = GatewayUnsupported, "only affinity cookie is read"
			}
		}},
	"affinity-mode": {verdict: sup("Traefik's sticky cookie is persistent").with(GatewayUnsupported, gNone),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if v != "persistent" {
				r.t, r.tNote = TraefikPartial, "not parsed: the cookie is always persistent (balanced re-balances on scale-up in nginx)"
			}
		}},
	"affinity-canary-behavior": {verdict: sup("sticky").with(GatewayUnsupported, gNone),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if v != "sticky" {
				r.t, r.tNote = TraefikPartial, "only sticky; legacy is not supported"
			}
		}},
	"session-cookie-name":     {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"session-cookie-secure":   {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"session-cookie-path":     {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"session-cookie-domain":   {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"session-cookie-samesite": {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"session-cookie-max-age":  {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"session-cookie-expires":  {verdict: sup(tAsIs).with(GatewayExtension, "cookie TTL, GKE emitter only")},

	// Load balancing and backends.
	"load-balance": {verdict: sup("not parsed; Traefik round-robins, as round_robin does").with(GatewayUnsupported, gNone),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if v != "round_robin" {
				r.t, r.tNote = TraefikUnsupported, fmt.Sprintf("load-balance %q is silently ignored: Traefik round-robins", v)
			}
		}},
	"backend-protocol": {adjust: backendProtocol},
	"service-upstream": {verdict: sup("ClusterIP as the single server").with(GatewayUnsupported, gNone)},
	"upstream-hash-by": {verdict: part("HRW (rendezvous) hashing, few $variables; not nginx's consistent hash").with(GatewayUnsupported, gNone)},
	// i2gw headers.go: RequestHeaderModifier Host, the value copied as written.
	"upstream-vhost": {verdict: sup("Host header, request and per-location $variables").with(GatewayConvertible, "Host set by a RequestHeaderModifier filter"),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if strings.Contains(v, "$") {
				r.g, r.gNote = GatewayPartial, "Host set by a RequestHeaderModifier filter, nginx $variables copied literally"
			}
		}},
	"connection-proxy-header": {verdict: unsup(tNone).with(GatewayConvertible, "Connection header set by a RequestHeaderModifier filter")},
	"custom-headers":          {verdict: sup("response headers from the ConfigMap, each in the provider's globalAllowedResponseHeaders").with(GatewayUnsupported, gRecNot)},
	"default-backend":         {verdict: sup("fallback Service when the backend has no endpoints; error pages").with(GatewayUnsupported, gNone)},
	"proxy-http-version": {verdict: sup("1.1 disables HTTP/2 to the backend").with(GatewayUnsupported, gNone),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if v != "1.1" {
				r.t, r.tNote = TraefikUnsupported, fmt.Sprintf("proxy-http-version %q is ignored with a warning (only 1.1)", v)
			}
		}},
	// Canary. traefik build.go (second pass) and translator.go appendCanaryRule;
	// i2gw canary.go: weights and header matches, not cookie or header pattern.
	"canary":                   {verdict: sup(tAsIs).with(GatewayConvertible, "weighted backendRefs / header matches")},
	"canary-weight":            {verdict: sup(tAsIs).with(GatewayConvertible, "backendRef weights")},
	"canary-weight-total":      {verdict: sup(tAsIs).with(GatewayConvertible, "backendRef weights")},
	"canary-by-header":         {verdict: sup(tAsIs).with(GatewayConvertible, "HTTPHeaderMatch")},
	"canary-by-header-value":   {verdict: sup(tAsIs).with(GatewayConvertible, "HTTPHeaderMatch, exact value")},
	"canary-by-header-pattern": {verdict: sup(tAsIs).with(GatewayUnsupported, gRecNot)},
	"canary-by-cookie":         {verdict: sup(tAsIs).with(GatewayUnsupported, gRecNot)},
	"x-forwarded-prefix":       {verdict: sup("with rewrite-target").with(GatewayConvertible, "X-Forwarded-Prefix header, only with rewrite-target")},

	// CORS. traefik middleware.go buildCORS: a Headers middleware; i2gw cors.go + common emitter:
	// the HTTPRoute CORS filter (standard channel, Extended support).
	"enable-cors": {verdict: part("Traefik answers preflight and simple requests differently (nginx sends every header always)").with(GatewayConvertible, "HTTPRoute CORS filter (Extended support)"),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if !isTrue(v) {
				r.t, r.tNote = TraefikSupported, "CORS off"
			}
		}},
	"cors-allow-origin":      {verdict: sup("with enable-cors").with(GatewayConvertible, "CORS filter allowOrigins")},
	"cors-allow-methods":     {verdict: sup("with enable-cors").with(GatewayConvertible, "CORS filter allowMethods")},
	"cors-allow-headers":     {verdict: sup("with enable-cors").with(GatewayConvertible, "CORS filter allowHeaders")},
	"cors-allow-credentials": {verdict: sup("with enable-cors").with(GatewayConvertible, "CORS filter allowCredentials")},
	"cors-expose-headers":    {verdict: sup("with enable-cors").with(GatewayConvertible, "CORS filter exposeHeaders")},
	"cors-max-age":           {verdict: sup("with enable-cors").with(GatewayConvertible, "CORS filter maxAge")},

	// Routing. traefik build.go hostsWithUseRegex + translator.go buildRule; i2gw regex.go,
	// rewrite.go (+ common emitter applyPathRewrites), redirect.go, approot.go.
	"use-regex": {verdict: sup("regex paths for the whole host, as in nginx (see quirk regex-host)").with(GatewayConvertible, "RegularExpression path matches for the whole host (regex dialect is implementation-specific)"),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if !isTrue(v) {
				r.tNote, r.gNote = "regex off", "regex off"
			}
		}},
	"rewrite-target": {verdict: sup("RewriteTarget middleware; turns on regex paths for the whole host (quirk regex-host)").with(GatewayConvertible, "URLRewrite ReplaceFullPath"),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if strings.Contains(v, "$") {
				r.g, r.gNote = GatewayUnsupported, "capture groups have no Gateway API equivalent; i2gw v1.1.0 flags only \\$n and writes "+v+" literally into ReplaceFullPath"
			}
		}},
	"app-root": {verdict: sup("AppRoot middleware").with(GatewayConvertible, "302 RequestRedirect on the exact path /"),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if !strings.HasPrefix(v, "/") {
				r.t, r.tNote = TraefikUnsupported, "ignored: only a path starting with /"
				r.g, r.gNote = GatewayUnsupported, "ignored with a warning: absolute URL"
			}
		}},
	"from-to-www-redirect":    {verdict: sup("308 from www./non-www host; not for wildcard hosts").with(GatewayConvertible, "301 redirect route (i2gw still warns \"Unsupported annotation\")")},
	"permanent-redirect":      {verdict: sup("RedirectRegex, 301 unless permanent-redirect-code").with(GatewayConvertible, "RequestRedirect, 301 by default")},
	"permanent-redirect-code": {verdict: sup("300-308, else 301").with(GatewayConvertible, "RequestRedirect status"), adjust: redirectCode("301", "302", "303", "307", "308")},
	"temporal-redirect":       {verdict: sup("RedirectRegex, 302; wins over permanent-redirect").with(GatewayConvertible, "RequestRedirect, 302 by default")},
	"temporal-redirect-code":  {verdict: sup("300-308, else 302").with(GatewayConvertible, "RequestRedirect status"), adjust: redirectCode("301", "302", "303", "307")},
	"custom-http-errors":      {verdict: sup("Errors middleware; needs default-backend or the provider's defaultBackendService").with(GatewayUnsupported, gNone)},
	"server-alias":            {verdict: sup("extra Host rules; aliases that are another Ingress's host are dropped").with(GatewayUnsupported, gNone)},
	"proxy-redirect-from":     {verdict: unsup(tNone).with(GatewayUnsupported, gRecNot)},
	"proxy-redirect-to":       {verdict: unsup(tNone).with(GatewayUnsupported, gRecNot)},
	"preserve-trailing-slash": {verdict: unsup(tNone).with(GatewayUnsupported, gNone),
		adjust: func(v string, _ map[string]string, r *verdict) {
			if isTrue(v) {
				r.t, r.tNote = TraefikSupported, "not parsed; Traefik keeps trailing slashes anyway"
			}
		}},

	// Snippets: traefik middleware.go buildSnippetAuth + pkg/middlewares/ingressnginx/snippet
	// (collector.go buildCollectableAction lists the directives); build.go validateIngress skips
	// the whole Ingress unless the provider's allowSnippetAnnotations is true.
	"configuration-snippet": {adjust: snippetRule(false)},
	"server-snippet":        {adjust: snippetRule(true)},
	"auth-snippet":          {adjust: snippetRule(false)},
	"stream-snippet":        {verdict: unsup(tNone).with(GatewayUnsupported, gNone)},
	"modsecurity-snippet":   modSecurity,

	// IP ranges. traefik middleware.go buildIPAllowList (allowlist wins over whitelist);
	// i2gw iprange.go: Envoy Gateway emitter only; allowlist-source-range is not read.
	"whitelist-source-range": {verdict: sup("IPAllowList; client IP is the remote address unless the provider's ipAllowListStrategy").with(GatewayExtension, "Envoy Gateway emitter only (SecurityPolicy); the standard emitter drops it")},
	"allowlist-source-range": {verdict: sup("IPAllowList; client IP is the remote address unless the provider's ipAllowListStrategy").with(GatewayUnsupported, gNone+" (i2gw reads whitelist-source-range)")},
	"denylist-source-range":  {verdict: unsup(tNone).with(GatewayExtension, "Envoy Gateway emitter only (SecurityPolicy)")},

	// Rate limits. traefik middleware.go buildRateLimit/buildLimitConnections.
	"limit-rps":              {verdict: part("token bucket, 429 instead of nginx's 503").with(GatewayUnsupported, gNone)},
	"limit-rpm":              {verdict: part("token bucket, 429 instead of nginx's 503").with(GatewayUnsupported, gNone)},
	"limit-burst-multiplier": {verdict: part("5 when below 1; 429 instead of 503").with(GatewayUnsupported, gNone)},
	"limit-connections":      {verdict: part("InFlightReq per client IP, 429 instead of 503").with(GatewayUnsupported, gNone)},

	// Buffering. traefik middleware.go buildBuffering: no Buffering middleware, and so no body
	// limit, unless request buffering is on (annotation "on" or the provider's
	// proxyRequestBuffering); i2gw bodysize.go: Envoy Gateway, kgateway, agentgateway emitters.
	"proxy-request-buffering": {verdict: sup(tAsIs+"; Traefik's default is off (nginx: on)").with(GatewayUnsupported, gNone)},
	"proxy-body-size": {verdict: part("enforced only with request buffering on (proxy-request-buffering: on or the provider's proxyRequestBuffering); nginx always (default 1m)").with(GatewayExtension, "Envoy Gateway, kgateway, agentgateway emitters only; the standard emitter drops it"),
		adjust: func(_ string, all map[string]string, r *verdict) {
			if all[nginxPrefix+"proxy-request-buffering"] == "on" {
				r.t, r.tNote = TraefikSupported, "Buffering middleware maxRequestBodyBytes (request buffering is on)"
			}
		}},
	"client-body-buffer-size":  {verdict: sup("with request buffering on").with(GatewayExtension, "Envoy Gateway, kgateway, agentgateway emitters only")},
	"proxy-buffering":          {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"proxy-buffer-size":        {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},
	"proxy-buffers-number":     {verdict: part("multiplies proxy-buffer-size into one buffer").with(GatewayUnsupported, gNone)},
	"proxy-max-temp-file-size": {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},

	// Timeouts. traefik build.go buildServersTransport: dial/read/write timeouts;
	// i2gw timeouts.go + common emitter applyTCPTimeouts: timeouts.request = 10 x the largest.
	"proxy-connect-timeout": timeoutRule,
	"proxy-send-timeout":    timeoutRule,
	"proxy-read-timeout":    timeoutRule,

	// Retries. traefik middleware.go buildRetry.
	"proxy-next-upstream":         {verdict: part("error and timeout alike; a retry may hit the same server").with(GatewayUnsupported, gNone)},
	"proxy-next-upstream-tries":   {verdict: part("0 (unlimited) is capped at the number of servers").with(GatewayUnsupported, gNone)},
	"proxy-next-upstream-timeout": {verdict: sup(tAsIs).with(GatewayUnsupported, gNone)},

	"enable-access-log": {verdict: sup("needs access logs configured in Traefik").with(GatewayUnsupported, gNone)},

	// ModSecurity: traefik translator.go applyMiddlewares logs an error unless a middleware hook
	// (not set by Traefik itself) handles it.
	"enable-modsecurity":         modSecurity,
	"enable-owasp-core-rules":    modSecurity,
	"modsecurity-transaction-id": modSecurity,
}

var (
	modSecurity = rule{verdict: unsup("parsed, but without a ModSecurity hook (not in Traefik itself) only an error is logged").with(GatewayUnsupported, gNone)}
	timeoutRule = rule{verdict: sup("backend dial/read/write timeouts").with(GatewayPartial, "one HTTPRoute timeouts.request = 10 x the largest of connect/send/read (i2gw warns)")}
	// backendTLSRule: i2gw backend_tls.go needs all four and backend-protocol HTTPS or GRPCS.
	backendTLSRule = rule{verdict: sup("backend TLS (with backend-protocol HTTPS/GRPCS)"),
		adjust: func(_ string, all map[string]string, r *verdict) {
			if backendTLSComplete(all) {
				r.g, r.gNote = GatewayConvertible, "BackendTLSPolicy"
			} else {
				r.g, r.gNote = GatewayUnsupported, "no BackendTLSPolicy: i2gw needs backend-protocol HTTPS/GRPCS, proxy-ssl-verify on, proxy-ssl-secret (same namespace), proxy-ssl-name and proxy-ssl-server-name on"
			}
		}}
)

func backendTLSComplete(all map[string]string) bool {
	bp := all[nginxPrefix+"backend-protocol"]
	return (bp == "HTTPS" || bp == "GRPCS") && all[nginxPrefix+"proxy-ssl-verify"] == "on" &&
		all[nginxPrefix+"proxy-ssl-secret"] != "" && all[nginxPrefix+"proxy-ssl-name"] != "" &&
		all[nginxPrefix+"proxy-ssl-server-name"] == "on"
}

// backendProtocol: traefik annotations.go parseBackendProtocol (HTTPS/GRPCS to https, GRPC to
// h2c, anything else http); i2gw converter.go (GRPC/GRPCS to GRPCRoute, FCGI and unknown
// warned) and backend_tls.go (BackendTLSPolicy only for exact "HTTPS"/"GRPCS" and all of
// proxy-ssl-*).
func backendProtocol(v string, all map[string]string, r *verdict) {
	tls := backendTLSComplete(all)
	switch strings.ToUpper(v) {
	case "HTTP", "":
		*r = sup("plain HTTP").with(GatewayConvertible, "plain HTTP backendRefs")
	case "HTTPS":
		*r = sup("https to the backend, certificate unchecked unless proxy-ssl-verify on (as nginx)")
		r.g, r.gNote = GatewayUnsupported, "no BackendTLSPolicy without proxy-ssl-verify on, proxy-ssl-secret, proxy-ssl-name, proxy-ssl-server-name on (Gateway API always verifies): plain HTTP to a TLS port"
		if tls {
			r.g, r.gNote = GatewayConvertible, "BackendTLSPolicy"
		}
	case "GRPC":
		*r = sup("h2c to the backend").with(GatewayPartial, "GRPCRoute (i2gw warns its gRPC support is incomplete)")
	case "GRPCS":
		*r = sup("h2 over TLS to the backend").with(GatewayUnsupported, "GRPCRoute without BackendTLSPolicy (needs all proxy-ssl-* annotations)")
		if tls {
			r.g, r.gNote = GatewayPartial, "GRPCRoute + BackendTLSPolicy (i2gw warns its gRPC support is incomplete)"
		}
	case "AUTO_HTTP":
		*r = unsup("AUTO_HTTP is not supported: plain HTTP").with(GatewayPartial, "taken as HTTP")
	default:
		*r = unsup(fmt.Sprintf("%s is not supported: plain HTTP", v)).with(GatewayUnsupported, "not converted (i2gw warns)")
	}
}

func redirectCode(gw ...string) func(string, map[string]string, *verdict) {
	return func(v string, _ map[string]string, r *verdict) {
		for _, c := range gw {
			if v == c {
				return
			}
		}
		r.g, r.gNote = GatewayPartial, fmt.Sprintf("Gateway API takes %s only: i2gw uses the default", strings.Join(gw, ", "))
	}
}

// snippetRule judges a snippet by its directives: the ones Traefik's snippet middleware
// implements pass as partial (they also need allowSnippetAnnotations), any other fails.
func snippetRule(server bool) func(string, map[string]string, *verdict) {
	return func(v string, _ map[string]string, r *verdict) {
		r.g, r.gNote = GatewayUnsupported, gNoStd
		if strings.TrimSpace(v) == "" {
			r.t, r.tNote = TraefikSupported, "empty"
			return
		}
		var bad []string
		for _, d := range snippetDirectives(v) {
			if !traefikSnippetDirectives[d] || (d == "location" && !server) {
				bad = append(bad, d)
			}
		}
		if len(bad) > 0 {
			r.t, r.tNote = TraefikUnsupported, "directives Traefik does not implement: "+strings.Join(bad, ", ")
			return
		}
		r.t, r.tNote = TraefikPartial, "Traefik implements these directives, only with the provider's allowSnippetAnnotations: true (else it skips the whole Ingress)"
	}
}

// traefikSnippetDirectives: traefik@v3.7.9 pkg/middlewares/ingressnginx/snippet/collector.go
// buildCollectableAction (location only in a server snippet: directive_context.go).
var traefikSnippetDirectives = map[string]bool{
	"set": true, "return": true, "rewrite": true, "if": true, "location": true,
	"allow": true, "deny": true, "more_set_input_headers": true, "more_clear_input_headers": true,
	"auth_request_set": true, "proxy_set_header": true, "proxy_method": true, "add_header": true,
	"more_set_headers": true, "more_clear_headers": true, "proxy_hide_header": true, "expires": true,
}

func isTrue(v string) bool { return strings.EqualFold(strings.TrimSpace(v), "true") }

// Classify judges one annotation; all are the Ingress's annotations (some verdicts depend on
// others, such as proxy-body-size on proxy-request-buffering).
func Classify(key, value string, all map[string]string) Annotation {
	a := Annotation{Name: key}
	a.Value, a.Redacted = redact(key, value)
	var v verdict
	switch short, isNginx := strings.CutPrefix(key, nginxPrefix); {
	case key == classAnnotation:
		// traefik build.go shouldProcess; i2gw providers/common/utils.go GetIngressClass.
		v = sup("the value must be the provider's ingressClass (nginx)").with(GatewayConvertible, "i2gw selects Ingresses by this class too")
	case isNginx:
		r, ok := rules[short]
		if !ok {
			v = unsup("not parsed by annotations.go@v3.7.9").with(GatewayUnsupported, gNone)
			break
		}
		v = r.verdict
		if r.adjust != nil {
			r.adjust(value, all, &v)
		}
	default:
		v = unsup("not an ingress-nginx annotation").with(GatewayUnsupported, "not an ingress-nginx annotation")
	}
	a.Traefik, a.GatewayAPI = v.t, v.g
	a.Detail = fmt.Sprintf("Traefik: %s; ingress2gateway: %s", v.tNote, v.gNote)
	if v.t != TraefikUnsupported {
		a.Buckets = append(a.Buckets, BucketTraefik)
	}
	if v.g == GatewayConvertible || v.g == GatewayPartial {
		a.Buckets = append(a.Buckets, BucketGatewayAPI)
	}
	if len(a.Buckets) == 0 {
		a.Buckets = []Bucket{BucketUnsupported}
	}
	switch v.t {
	case TraefikSupported:
		a.Status = report.Pass
	case TraefikPartial:
		a.Status = report.Warn
	default:
		a.Status = report.Fail
	}
	return a
}
