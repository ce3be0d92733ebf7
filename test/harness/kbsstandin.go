package harness

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// KBSStandIn is a test helper that plays Trustee's KBS (trustee v0.21.0: kbs/docs/kbs.yaml,
// kbs/docs/kbs_attestation_protocol.md) on loopback, since the Rust KBS cannot run here. It is
// kept to what the plugin and the tests use:
//   - the admin API (POST/DELETE /resource/R/T/T, POST/GET /resource-policy, POST
//     /attestation-policy, POST /reference-value) behind the bearer JWT check of
//     kbs/src/admin/authentication/bearer_jwt.rs: an EdDSA signature by the configured admin
//     public key, iss equal to the issuer, exp in the future (60 s leeway, jsonwebtoken's
//     default), a role claim the ACL (role admin, ^/kbs/.+$) allows;
//   - RCAR for the sample TEE (/auth, /attest, GET /resource/...): the sample evidence's
//     report_data must be the sha384 of the canonical JSON of runtime-data (KBS coco/grpc.rs
//     hash algorithm, attestation-service serialize_canon_json; deps/verifier/src/sample), and
//     the resource comes back as a flattened JWE to the TEE's RSA key (kbs/src/jwe.rs
//     rsa_oaep256: RSA-OAEP-256 key wrapping, A256GCM, AAD = the protected header's base64url).
//
// Errors are answered as the KBS answers them (kbs/src/error.rs): 401 with an ErrorInformation
// whose type names the failure, 404 only for unknown paths; an admin refusal of a resource call
// is AdminAuthInitialization (the From conversion of api_server.rs), of the policy endpoints
// AdminAuthAccess; the resource plugin's failures (a missing resource) are PluginInternalError.
//
// It does not evaluate Rego: a resource policy is stored and listed, and every attested session
// may read every resource.
type KBSStandIn struct {
	URL string

	adminKey ed25519.PublicKey
	issuer   string
	role     string
	tokenKey *ecdsa.PrivateKey
	srv      *httptest.Server

	mu                  sync.Mutex
	resources           map[string][]byte
	resourcePolicy      string
	attestationPolicies map[string]string
	referenceValues     []json.RawMessage
	sessions            map[string]*kbsSession
	requests            map[string]int // calls per endpoint ("POST /kbs/v0/auth", ...)
}

// Requests is how often the endpoint was called ("POST /kbs/v0/auth").
func (k *KBSStandIn) Requests(endpoint string) int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.requests[endpoint]
}

type kbsSession struct {
	nonce    string
	attested bool
	teeKey   *rsa.PublicKey
}

var kbsB64 = base64.RawURLEncoding

// StartKBSStandIn serves the stand-in on loopback until the test ends. Admin tokens must be
// signed by adminKey with the issuer and role of Trustee's Helm chart (TrusteeInHelm, admin).
func StartKBSStandIn(t testing.TB, adminKey ed25519.PublicKey) *KBSStandIn {
	return StartKBSStandInAt(t, adminKey, "127.0.0.1:0")
}

// StartKBSStandInAt serves it on addr: the real node's pods reach the host on its host-only
// link (the ptp plugin's gateway address), so a test there listens on ":0".
func StartKBSStandInAt(t testing.TB, adminKey ed25519.PublicKey, addr string) *KBSStandIn {
	tokenKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &KBSStandIn{adminKey: adminKey, issuer: "TrusteeInHelm", role: "admin", tokenKey: tokenKey,
		resources: map[string][]byte{}, attestationPolicies: map[string]string{}, sessions: map[string]*kbsSession{}, requests: map[string]int{}}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	k.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(k.serve), ReadHeaderTimeout: 10 * time.Second}}
	k.srv.Start()
	k.URL = k.srv.URL
	t.Cleanup(k.srv.Close)
	return k
}

// Resource is what the stand-in holds at path (nil when absent).
func (k *KBSStandIn) Resource(path string) []byte {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.resources[path]
}

// Policies returns the resource policy and the attestation policies set through the admin API.
func (k *KBSStandIn) Policies() (string, map[string]string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]string{}
	for id, p := range k.attestationPolicies {
		out[id] = p
	}
	return k.resourcePolicy, out
}

// ReferenceValues are the RVPS messages registered.
func (k *KBSStandIn) ReferenceValues() []json.RawMessage {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]json.RawMessage(nil), k.referenceValues...)
}

var resourcePath = regexp.MustCompile(`^/kbs/v0/resource/([^/]+/[^/]+/[^/]+)$`)

func (k *KBSStandIn) serve(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	k.requests[r.Method+" "+r.URL.Path]++
	k.mu.Unlock()
	body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	switch p := r.URL.Path; {
	case p == "/healthz" && r.Method == http.MethodGet:
		w.WriteHeader(http.StatusOK)
	case p == "/kbs/v0/auth" && r.Method == http.MethodPost:
		k.auth(w, body)
	case p == "/kbs/v0/attest" && r.Method == http.MethodPost:
		k.attest(w, r, body)
	case resourcePath.MatchString(p) && r.Method == http.MethodGet:
		k.getResource(w, r, resourcePath.FindStringSubmatch(p)[1])
	case resourcePath.MatchString(p) && (r.Method == http.MethodPost || r.Method == http.MethodDelete):
		k.admin(w, r, "AdminAuthInitialization", func() { k.setResource(w, r.Method, resourcePath.FindStringSubmatch(p)[1], body) })
	case p == "/kbs/v0/resource-policy" && r.Method == http.MethodPost:
		k.admin(w, r, "AdminAuthAccess", func() { k.setResourcePolicy(w, body) })
	case p == "/kbs/v0/resource-policy" && r.Method == http.MethodGet:
		k.admin(w, r, "AdminAuthAccess", func() { k.listPolicies(w) })
	case p == "/kbs/v0/attestation-policy" && r.Method == http.MethodPost:
		k.admin(w, r, "AdminAuthAccess", func() { k.setAttestationPolicy(w, body) })
	case p == "/kbs/v0/reference-value" && r.Method == http.MethodPost:
		k.admin(w, r, "AdminAuthAccess", func() { k.mu.Lock(); k.referenceValues = append(k.referenceValues, body); k.mu.Unlock() })
	default:
		kbsError(w, http.StatusNotFound, "InvalidRequestPath", "Request path "+p+" is invalid")
	}
}

// kbsError answers as the KBS's ResponseError does.
func kbsError(w http.ResponseWriter, status int, kind, detail string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"type": "https://github.com/confidential-containers/kbs/errors/" + kind, "detail": detail})
}

// admin runs fn when the bearer token passes the KBS's admin checks; a refusal is reported as
// kind.
func (k *KBSStandIn) admin(w http.ResponseWriter, r *http.Request, kind string, fn func()) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		kbsError(w, http.StatusUnauthorized, kind, "no bearer token")
		return
	}
	if err := k.checkAdminToken(token, r.URL.Path); err != nil {
		kbsError(w, http.StatusUnauthorized, kind, "admin access denied: "+err.Error())
		return
	}
	fn()
}

func (k *KBSStandIn) checkAdminToken(token, path string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JWT")
	}
	var header struct{ Alg string }
	var claims struct {
		Iss  string
		Role string
		Exp  *int64
	}
	h, _ := kbsB64.DecodeString(parts[0])
	c, _ := kbsB64.DecodeString(parts[1])
	sig, _ := kbsB64.DecodeString(parts[2])
	if json.Unmarshal(h, &header) != nil || json.Unmarshal(c, &claims) != nil || header.Alg != "EdDSA" {
		return fmt.Errorf("cannot verify token with any of the issuers")
	}
	if !ed25519.Verify(k.adminKey, []byte(parts[0]+"."+parts[1]), sig) {
		return fmt.Errorf("cannot verify token with any of the issuers")
	}
	switch {
	case claims.Iss != k.issuer:
		return fmt.Errorf("token issuer mismatch")
	case claims.Exp == nil || time.Unix(*claims.Exp, 0).Add(time.Minute).Before(time.Now()):
		return fmt.Errorf("token expired or without exp")
	case claims.Role != k.role || !strings.HasPrefix(path, "/kbs/"):
		return fmt.Errorf("role %s not allowed for path %s", claims.Role, path)
	}
	return nil
}

func (k *KBSStandIn) setResource(w http.ResponseWriter, method, path string, body []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if method == http.MethodDelete {
		if _, ok := k.resources[path]; !ok {
			kbsError(w, http.StatusUnauthorized, "PluginInternalError", "Plugin internal error")
			return
		}
		delete(k.resources, path)
		return
	}
	k.resources[path] = body
}

func (k *KBSStandIn) setResourcePolicy(w http.ResponseWriter, body []byte) {
	var req struct{ Policy *string }
	if json.Unmarshal(body, &req) != nil || req.Policy == nil {
		kbsError(w, http.StatusUnauthorized, "ParsePolicyError", "No `policy` field inside SetPolicy Request Json")
		return
	}
	p, err := kbsB64.DecodeString(*req.Policy)
	if err != nil {
		kbsError(w, http.StatusUnauthorized, "ParsePolicyError", "Failed to decode policy: "+err.Error())
		return
	}
	k.mu.Lock()
	k.resourcePolicy = string(p)
	k.mu.Unlock()
}

func (k *KBSStandIn) listPolicies(w http.ResponseWriter) {
	k.mu.Lock()
	defer k.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"default": kbsB64.EncodeToString([]byte(k.resourcePolicy))})
}

func (k *KBSStandIn) setAttestationPolicy(w http.ResponseWriter, body []byte) {
	var req struct {
		Type     string `json:"type"`
		PolicyID string `json:"policy_id"`
		Policy   string `json:"policy"`
	}
	if json.Unmarshal(body, &req) != nil || req.PolicyID == "" {
		kbsError(w, http.StatusUnauthorized, "SerdeError", "Serialize/Deserialize failed")
		return
	}
	p, err := kbsB64.DecodeString(req.Policy)
	if err != nil {
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: policy is not base64url")
		return
	}
	k.mu.Lock()
	k.attestationPolicies[req.PolicyID] = string(p)
	k.mu.Unlock()
}

// auth answers a sample TEE's Request with a Challenge and a session cookie.
func (k *KBSStandIn) auth(w http.ResponseWriter, body []byte) {
	var req struct {
		Version string `json:"version"`
		Tee     string `json:"tee"`
	}
	if json.Unmarshal(body, &req) != nil || req.Tee != "sample" {
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: the stand-in attests the sample TEE only")
		return
	}
	nonce, id := make([]byte, 32), make([]byte, 16)
	_, _ = rand.Read(nonce)
	_, _ = rand.Read(id)
	sid := fmt.Sprintf("%x", id)
	k.mu.Lock()
	k.sessions[sid] = &kbsSession{nonce: base64.StdEncoding.EncodeToString(nonce)}
	n := k.sessions[sid].nonce
	k.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "kbs-session-id", Value: sid, Path: "/kbs/v0"})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"nonce": n, "extra-params": map[string]any{}})
}

// attest checks the sample evidence against the session's nonce and the runtime data's hash.
func (k *KBSStandIn) attest(w http.ResponseWriter, r *http.Request, body []byte) {
	s := k.session(r)
	if s == nil {
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: no kbs-session-id from /auth")
		return
	}
	var att struct {
		RuntimeData map[string]any `json:"runtime-data"`
		TeeEvidence struct {
			Primary struct {
				Svn        string `json:"svn"`
				ReportData string `json:"report_data"`
			} `json:"primary_evidence"`
		} `json:"tee-evidence"`
	}
	if err := json.Unmarshal(body, &att); err != nil {
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: "+err.Error())
		return
	}
	canon, err := CanonicalJSON(att.RuntimeData)
	if err != nil {
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: "+err.Error())
		return
	}
	want := sha512.Sum384(canon)
	got, _ := base64.StdEncoding.DecodeString(att.TeeEvidence.Primary.ReportData)
	pub, perr := rsaKeyOf(att.RuntimeData["tee-pubkey"])
	switch {
	case att.RuntimeData["nonce"] != s.nonce:
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: the nonce is not the challenge's")
		return
	case !bytes.Equal(got, want[:]):
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: REPORT_DATA is different from that in Sample Quote")
		return
	case perr != nil:
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: "+perr.Error())
		return
	}
	k.mu.Lock()
	s.attested, s.teeKey = true, pub
	k.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": k.attestationToken(att.RuntimeData["tee-pubkey"])})
}

func (k *KBSStandIn) session(r *http.Request) *kbsSession {
	c, err := r.Cookie("kbs-session-id")
	if err != nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.sessions[c.Value]
}

// attestationToken is an ES256 JWT with the TEE's key (the AS's token carries it the same way).
func (k *KBSStandIn) attestationToken(teePub any) string {
	h := kbsB64.EncodeToString([]byte(`{"alg":"ES256","typ":"JWT"}`))
	claims, _ := json.Marshal(map[string]any{"iss": "kbs-stand-in", "iat": time.Now().Unix(), "exp": time.Now().Add(5 * time.Minute).Unix(), "tee-pubkey": teePub})
	input := h + "." + kbsB64.EncodeToString(claims)
	d := sha256.Sum256([]byte(input))
	r, s, _ := ecdsa.Sign(rand.Reader, k.tokenKey, d[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + kbsB64.EncodeToString(sig)
}

func rsaKeyOf(v any) (*rsa.PublicKey, error) {
	m, _ := v.(map[string]any)
	if m["kty"] != "RSA" || m["alg"] != "RSA-OAEP-256" {
		return nil, fmt.Errorf("the stand-in wraps keys with RSA-OAEP-256 only, not %v/%v", m["kty"], m["alg"])
	}
	n, errN := kbsB64.DecodeString(fmt.Sprint(m["n"]))
	e, errE := kbsB64.DecodeString(fmt.Sprint(m["e"]))
	if errN != nil || errE != nil || len(e) > 4 {
		return nil, fmt.Errorf("the TEE key's n or e is not base64url")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
}

// getResource returns the resource to an attested session as a JWE to its TEE key.
func (k *KBSStandIn) getResource(w http.ResponseWriter, r *http.Request, path string) {
	s := k.session(r)
	if s == nil || !s.attested {
		kbsError(w, http.StatusUnauthorized, "TokenNotFound", "Attestation Token not found")
		return
	}
	data := k.Resource(path)
	if data == nil {
		kbsError(w, http.StatusUnauthorized, "PluginInternalError", "Plugin internal error")
		return
	}
	jwe, err := kbsJWE(s.teeKey, data)
	if err != nil {
		kbsError(w, http.StatusUnauthorized, "JweError", "JWE failed")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(jwe)
}

func kbsJWE(pub *rsa.PublicKey, plain []byte) (map[string]string, error) {
	cek, iv := make([]byte, 32), make([]byte, 12)
	_, _ = rand.Read(cek)
	_, _ = rand.Read(iv)
	protected := kbsB64.EncodeToString([]byte(`{"alg":"RSA-OAEP-256","enc":"A256GCM"}`))
	block, err := aes.NewCipher(cek)
	if err != nil {
		return nil, err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	sealed := gcm.Seal(nil, iv, plain, []byte(protected))
	wrapped, err := rsa.EncryptOAEP(sha256.New(), rand.Reader, pub, cek, nil)
	if err != nil {
		return nil, err
	}
	ct, tag := sealed[:len(sealed)-gcm.Overhead()], sealed[len(sealed)-gcm.Overhead():]
	return map[string]string{"protected": protected, "encrypted_key": kbsB64.EncodeToString(wrapped), "iv": kbsB64.EncodeToString(iv),
		"ciphertext": kbsB64.EncodeToString(ct), "tag": kbsB64.EncodeToString(tag)}, nil
}

// CanonicalJSON is RFC 8785 JSON for objects of strings and nested objects (what runtime-data
// holds): keys sorted, no whitespace, no HTML escaping. Numbers are refused: their canonical
// form needs more than this.
func CanonicalJSON(v any) ([]byte, error) {
	if err := onlyStrings(v); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func onlyStrings(v any) error {
	switch x := v.(type) {
	case string, nil, bool:
		return nil
	case map[string]any:
		for _, e := range x {
			if err := onlyStrings(e); err != nil {
				return err
			}
		}
		return nil
	case []any:
		for _, e := range x {
			if err := onlyStrings(e); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("runtime-data holds a %T; the stand-in canonicalises strings and objects only", v)
}
