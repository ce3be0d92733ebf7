package harness

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

var kbsB64 = base64.RawURLEncoding

// KBSTees are the TEE names kbs-types 0.15's Tee enum deserializes (lower case).
var KBSTees = []string{"azsnpvtpm", "aztdxvtpm", "nvidia", "sev", "sgx", "snp", "tdx", "cca", "csv", "se", "hygondcu", "tpm", "sample", "sampledevice"}

// sessionTimeout is the KBS's default [attestation_service] timeout (5 minutes).
const sessionTimeout = 5 * time.Minute

type kbsSession struct {
	tee      string
	nonce    string
	expires  time.Time
	token    string // set once attested
	teePub   kbsTeePubKey
	attested bool
}

// kbsTeePubKey is kbs-types' TeePubKey (serde tag "kty"): RSA {alg, n, e} or EC {crv, alg, x, y}.
// Re-serialised as serde does, with only these fields, for the report data binding.
type kbsTeePubKey struct {
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	N   string `json:"n,omitempty"`
	E   string `json:"e,omitempty"`
	Crv string `json:"crv,omitempty"`
	X   string `json:"x,omitempty"`
	Y   string `json:"y,omitempty"`
}

func parseTeePubKey(raw json.RawMessage) (kbsTeePubKey, error) {
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return kbsTeePubKey{}, err
	}
	str := func(k string) (string, bool) { s, ok := m[k].(string); return s, ok }
	var k kbsTeePubKey
	var ok1, ok2, ok3, ok4 bool
	k.Kty, _ = str("kty")
	switch k.Kty {
	case "RSA":
		k.Alg, ok1 = str("alg")
		k.N, ok2 = str("n")
		k.E, ok3 = str("e")
		ok4 = true
	case "EC":
		k.Crv, ok1 = str("crv")
		k.Alg, ok2 = str("alg")
		k.X, ok3 = str("x")
		k.Y, ok4 = str("y")
	default:
		return k, fmt.Errorf("unknown variant `%s`, expected `RSA` or `EC`", k.Kty)
	}
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return k, fmt.Errorf("tee-pubkey of kty %s misses a field", k.Kty)
	}
	return k, nil
}

var semverCore = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)

// auth is backend.rs __auth: a kbs-types Request (version, tee, extra-params all required), the
// version parsed as semver and matched against "=<protocol>" (a pre-release never matches, build
// metadata is ignored), a Challenge {nonce: base64 of 32 random bytes, extra-params: ""}
// (generic_generate_challenge; generate_extra_params gives "" for every TEE but SE) and the
// session cookie.
func (k *KBSStandIn) auth(w http.ResponseWriter, body []byte) {
	refuse := func(why string) {
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: RCAR handshake Auth failed: "+why)
	}
	var req map[string]json.RawMessage
	var version, tee string
	if json.Unmarshal(body, &req) != nil || json.Unmarshal(req["version"], &version) != nil || json.Unmarshal(req["tee"], &tee) != nil ||
		req["extra-params"] == nil || !slices.Contains(KBSTees, tee) {
		refuse("deserialize Request")
		return
	}
	m := semverCore.FindStringSubmatch(version)
	if m == nil {
		refuse("failed to parse KBS version")
		return
	}
	k.mu.Lock()
	want := k.protocol
	k.mu.Unlock()
	if m[4] != "" || strings.Join(m[1:4], ".") != want {
		refuse(fmt.Sprintf("KBS Client Protocol Version Mismatch: expect =%s while the request is %s", want, version))
		return
	}
	nonce, id := make([]byte, 32), make([]byte, 16)
	_, _ = rand.Read(nonce)
	_, _ = rand.Read(id)
	s := &kbsSession{tee: tee, nonce: base64.StdEncoding.EncodeToString(nonce), expires: time.Now().Add(sessionTimeout)}
	sid := fmt.Sprintf("%x", id)
	k.mu.Lock()
	k.sessions[sid] = s
	k.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: "kbs-session-id", Value: sid, Expires: s.expires})
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"nonce": s.nonce, "extra-params": ""})
}

// kbsAttestation is kbs-types 0.15's Attestation: init-data optional, runtime-data and
// tee-evidence required.
type kbsAttestation struct {
	InitData *struct {
		Format *string `json:"format"`
		Body   *string `json:"body"`
	} `json:"init-data"`
	RuntimeData *struct {
		Nonce     *string         `json:"nonce"`
		TeePubKey json.RawMessage `json:"tee-pubkey"`
	} `json:"runtime-data"`
	TeeEvidence *struct {
		Primary    json.RawMessage `json:"primary_evidence"`
		Additional *string         `json:"additional_evidence"`
	} `json:"tee-evidence"`
}

// attest is backend.rs __attest: the session from the cookie, the Attestation, the nonce of the
// session, then the attestation service on the primary evidence with the runtime data
// {tee-pubkey, nonce, additional-evidence}. Every failure is "RCAR handshake Attest failed".
func (k *KBSStandIn) attest(w http.ResponseWriter, r *http.Request, body []byte) {
	refuse := func() {
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: RCAR handshake Attest failed")
	}
	s := k.session(r)
	var att kbsAttestation
	if s == nil || json.Unmarshal(body, &att) != nil || att.RuntimeData == nil || att.RuntimeData.Nonce == nil ||
		att.TeeEvidence == nil || att.TeeEvidence.Additional == nil || att.TeeEvidence.Primary == nil {
		refuse()
		return
	}
	if s.attested {
		k.writeToken(w, s.token)
		return
	}
	teePub, err := parseTeePubKey(att.RuntimeData.TeePubKey)
	if err != nil || *att.RuntimeData.Nonce != s.nonce {
		refuse()
		return
	}
	token, err := k.evaluate(evidenceRequest{tee: s.tee, evidence: att.TeeEvidence.Primary, initData: att.InitData,
		runtime: map[string]any{"tee-pubkey": teePub, "nonce": s.nonce, "additional-evidence": *att.TeeEvidence.Additional}})
	if err != nil {
		refuse()
		return
	}
	k.mu.Lock()
	s.attested, s.token, s.teePub = true, token, teePub
	k.mu.Unlock()
	k.writeToken(w, token)
}

func (k *KBSStandIn) writeToken(w http.ResponseWriter, token string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"token": token})
}

// session is the request's unexpired session (the kbs-session-id cookie), nil without one.
func (k *KBSStandIn) session(r *http.Request) *kbsSession {
	c, err := r.Cookie("kbs-session-id")
	if err != nil {
		return nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	s := k.sessions[c.Value]
	if s != nil && time.Now().After(s.expires) {
		delete(k.sessions, c.Value)
		return nil
	}
	return s
}

// getResource is api_server.rs's plugin path for a read: the attestation token from the session
// or the Authorization header (TokenNotFound), verified (TokenVerifierError), the resource policy
// evaluated on its claims with data {plugin, resource-path, query} (PolicyDeny; a policy that
// does not evaluate is a PolicyEngineError), the plugin (PluginInternalError for a missing
// resource), then a JWE to the TEE key the token carries (JweError for an algorithm jwe.rs has
// not).
func (k *KBSStandIn) getResource(w http.ResponseWriter, r *http.Request, path string) {
	token := ""
	if s := k.session(r); s != nil && s.attested {
		token = s.token
	} else if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		token = t
	}
	if token == "" {
		kbsError(w, http.StatusUnauthorized, "TokenNotFound", "Attestation Token not found")
		return
	}
	claims, err := k.verifyToken(token)
	if err != nil {
		kbsError(w, http.StatusUnauthorized, "TokenVerifierError", "Token Verifier error")
		return
	}
	query := map[string]string{}
	for key, v := range r.URL.Query() {
		query[key] = v[len(v)-1]
	}
	allowed, err := k.allowResource(claims, map[string]any{"plugin": "resource", "resource-path": strings.Split(path, "/"), "query": query})
	switch {
	case err != nil:
		kbsError(w, http.StatusUnauthorized, "PolicyEngineError", "Policy engine error: "+err.Error())
		return
	case !allowed:
		kbsError(w, http.StatusUnauthorized, "PolicyDeny", "Access denied by policy")
		return
	}
	k.releaseResource(w, claims, path)
}

func (k *KBSStandIn) releaseResource(w http.ResponseWriter, claims map[string]any, path string) {
	data := k.Resource(path)
	if data == nil {
		kbsError(w, http.StatusUnauthorized, "PluginInternalError", "Plugin internal error")
		return
	}
	pub, err := teePubKeyOfClaims(claims)
	if err != nil {
		kbsError(w, http.StatusUnauthorized, "TokenVerifierError", "Token Verifier error")
		return
	}
	jwe, err := kbsJWE(pub, data)
	if err != nil {
		kbsError(w, http.StatusUnauthorized, "JweError", "JWE failed")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(jwe)
}

// CanonicalJSON is RFC 8785 JSON (serde_json_canonicalizer, as the guest and the attestation
// service hash runtime data) for what runtime data holds: objects of strings, booleans, integers
// and nested objects, keys sorted, no whitespace, no HTML escaping. Other numbers are refused:
// their canonical form needs more than this.
func CanonicalJSON(v any) ([]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic any
	if err := json.Unmarshal(data, &generic); err != nil {
		return nil, err
	}
	if err := canonicalizable(generic); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(generic); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

func canonicalizable(v any) error {
	switch x := v.(type) {
	case string, nil, bool:
		return nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return nil
		}
	case map[string]any:
		for _, e := range x {
			if err := canonicalizable(e); err != nil {
				return err
			}
		}
		return nil
	case []any:
		for _, e := range x {
			if err := canonicalizable(e); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("runtime-data holds a %T; the stand-in canonicalises strings, integers and objects only", v)
}
