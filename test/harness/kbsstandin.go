package harness

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// KBSStandIn is a test helper that plays Trustee's KBS with its attestation service and RVPS
// (trustee v0.21.0, as the Helm chart deploys them: KBS with a gRPC CoCo AS) on loopback, since
// the Rust services cannot run here. It plays the endpoints the plugin and the tests use and
// enforces, on each, what the real KBS enforces (each rule names the upstream file and function):
//
//   - admin API (kbsstandin_admin.go): bearer JWTs as kbs/src/admin/authentication/bearer_jwt.rs
//     and kbs/src/crypto/jwt.rs check them; resources, the resource policy, attestation
//     policies, reference values (RVPS sample extractor);
//   - RCAR (kbsstandin_rcar.go): protocol 0.4.0 only (backend.rs VERSION_REQ), the challenge's
//     shape, the session cookie, the report data binding of tee-pubkey, nonce and
//     additional-evidence (backend.rs __attest; the AS's parse_runtime_data);
//   - the attestation service (kbsstandin_as.go): the sample verifier, the EAR token of
//     ear_token/broker.rs from the attestation policy (Rego, evaluated with OPA where the AS uses
//     regorus) and the RVPS's reference values;
//   - resources (kbsstandin_rcar.go): the token verified, the resource policy evaluated on its
//     claims (api_server.rs), the value returned as a JWE to the TEE key as kbs/src/jwe.rs makes
//     it (kbsstandin_jwe.go: RSA-OAEP-256 and EC P-256 ECDH-ES+A256KW).
//
// Errors are answered as the KBS answers them (kbs/src/error.rs): 401 with an ErrorInformation
// whose type names the failure, 404 only for unknown paths and plugins.
//
// The policies the stand-in starts with are ours, written to decide as upstream's defaults do
// for what the tests use (kbs/sample_policies/default.rego; attestation-service
// ear_default_policy_cpu.rego for the sample TEE): see kbsstandin_as.go.
type KBSStandIn struct {
	URL string

	adminKey ed25519.PublicKey
	issuer   string
	role     string
	tokenKey *ecdsa.PrivateKey
	srv      *httptest.Server

	mu                  sync.Mutex
	protocol            string // the version the KBS requires ("0.4.0")
	resources           map[string][]byte
	resourcePolicy      string
	attestationPolicies map[string]string
	referenceValues     map[string]json.RawMessage
	rvMessages          []json.RawMessage
	sessions            map[string]*kbsSession
	requests            map[string]int // calls per endpoint ("POST /kbs/v0/auth", ...)
}

// Requests is how often the endpoint was called ("POST /kbs/v0/auth").
func (k *KBSStandIn) Requests(endpoint string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.requests[endpoint]
}

// StartKBSStandIn serves the stand-in on loopback until the test ends. Admin tokens must be
// signed by adminKey with the issuer and role of Trustee's Helm chart (TrusteeInHelm, admin).
func StartKBSStandIn(t testing.TB, adminKey ed25519.PublicKey) *KBSStandIn {
	return StartKBSStandInAt(t, adminKey, "127.0.0.1:0")
}

// StartKBSStandInAt serves it on addr: the real node's pods reach the host on its host-only
// link (the ptp plugin's gateway address), so a test there listens on ":0".
func StartKBSStandInAt(t testing.TB, adminKey ed25519.PublicKey, addr string) *KBSStandIn {
	k := NewKBSStandIn(t, adminKey)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	k.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: k, ReadHeaderTimeout: 10 * time.Second}}
	k.srv.Start()
	k.URL = k.srv.URL
	t.Cleanup(k.srv.Close)
	return k
}

// NewKBSStandIn is the stand-in as an http.Handler, for tests that serve it themselves (over
// TLS, say).
func NewKBSStandIn(t testing.TB, adminKey ed25519.PublicKey) *KBSStandIn {
	tokenKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &KBSStandIn{adminKey: adminKey, issuer: "TrusteeInHelm", role: "admin", tokenKey: tokenKey, protocol: KBSProtocolVersion,
		resources: map[string][]byte{}, resourcePolicy: defaultResourcePolicy,
		attestationPolicies: map[string]string{"default_cpu": defaultAttestationPolicy},
		referenceValues:     map[string]json.RawMessage{}, sessions: map[string]*kbsSession{}, requests: map[string]int{}}
}

// KBSProtocolVersion is the RCAR version Trustee v0.21's KBS requires (backend.rs VERSION_REQ).
const KBSProtocolVersion = "0.4.0"

// SetProtocol makes the stand-in require another protocol version, as a KBS of another Trustee
// release would.
func (k *KBSStandIn) SetProtocol(version string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.protocol = version
}

// Resource is what the stand-in holds at path (nil when absent).
func (k *KBSStandIn) Resource(path string) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.resources[path]
}

// Policies returns the resource policy and the attestation policies set through the admin API
// (the defaults until then).
func (k *KBSStandIn) Policies() (string, map[string]string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]string{}
	for id, p := range k.attestationPolicies {
		out[id] = p
	}
	return k.resourcePolicy, out
}

// ReferenceValues are the RVPS messages registered, in order.
func (k *KBSStandIn) ReferenceValues() []json.RawMessage {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]json.RawMessage(nil), k.rvMessages...)
}

// ReferenceValue is what the RVPS holds under id (nil when absent).
func (k *KBSStandIn) ReferenceValue(id string) json.RawMessage {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.referenceValues[id]
}

var resourcePath = regexp.MustCompile(`^/kbs/v0/resource/([^/]+/[^/]+/[^/]+)$`)

// ServeHTTP routes as api_server.rs does: /kbs/v0/<plugin>/..., /healthz.
func (k *KBSStandIn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	k.requests[r.Method+" "+r.URL.Path]++
	k.mu.Unlock()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	p := r.URL.Path
	switch plugin, _, _ := strings.Cut(strings.TrimPrefix(p, "/kbs/v0/"), "/"); {
	case p == "/healthz" && r.Method == http.MethodGet:
		w.WriteHeader(http.StatusOK)
	case !strings.HasPrefix(p, "/kbs/v0/"):
		http.NotFound(w, r)
	case plugin == "auth" && r.Method == http.MethodPost:
		k.auth(w, body)
	case plugin == "attest" && r.Method == http.MethodPost:
		k.attest(w, r, body)
	case plugin == "resource":
		k.resource(w, r, body)
	case k.adminEndpoint(w, r, plugin, body):
	default:
		// An unknown plugin (api_server.rs: PluginNotFound, 404).
		kbsError(w, http.StatusNotFound, "PluginNotFound", "Plugin "+plugin+" not found")
	}
}

// resource is the resource plugin: reads need an attested token and the policy, writes the
// admin (its validate_auth: POST and DELETE are admin calls).
func (k *KBSStandIn) resource(w http.ResponseWriter, r *http.Request, body []byte) {
	m := resourcePath.FindStringSubmatch(r.URL.Path)
	switch {
	case m == nil:
		kbsError(w, http.StatusUnauthorized, "PluginInternalError", "Plugin internal error")
	case r.Method == http.MethodGet:
		k.getResource(w, r, m[1])
	case r.Method == http.MethodPost || r.Method == http.MethodDelete:
		k.admin(w, r, "AdminAuthInitialization", "", func() { k.setResource(w, r.Method, m[1], body) })
	default:
		kbsError(w, http.StatusUnauthorized, "PluginInternalError", "Plugin internal error")
	}
}

// kbsError answers as the KBS's ResponseError does (error.rs: ErrorInformation).
func kbsError(w http.ResponseWriter, status int, kind, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"type": "https://github.com/confidential-containers/kbs/errors/" + kind, "detail": detail})
}
