package harness

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// adminEndpoint serves the KBS's own admin endpoints (api_server.rs api: attestation-policy,
// reference-value, resource-policy); false when the path is none of them.
func (k *KBSStandIn) adminEndpoint(w http.ResponseWriter, r *http.Request, plugin string, body []byte) bool {
	switch {
	case plugin == "resource-policy" && r.Method == http.MethodPost:
		k.admin(w, r, "AdminAuthAccess", plugin, func() { k.setResourcePolicy(w, body) })
	case plugin == "resource-policy" && r.Method == http.MethodGet:
		k.admin(w, r, "AdminAuthAccess", plugin, func() { k.listPolicies(w) })
	case plugin == "attestation-policy" && r.Method == http.MethodPost:
		k.admin(w, r, "AdminAuthAccess", plugin, func() { k.setAttestationPolicy(w, body) })
	case plugin == "reference-value" && r.Method == http.MethodPost:
		k.admin(w, r, "AdminAuthAccess", plugin, func() { k.registerReferenceValue(w, body) })
	case plugin == "reference-value" && r.Method == http.MethodGet:
		id := strings.TrimPrefix(r.URL.Path, "/kbs/v0/reference-value/")
		k.admin(w, r, "AdminAuthAccess", plugin, func() { k.queryReferenceValue(w, id) })
	default:
		return false
	}
	return true
}

// admin runs fn when the bearer token passes the KBS's admin checks; a refusal is reported as
// kind: AdminAuthAccess for the KBS's own endpoints ("admin access denied for endpoint E: ..."),
// AdminAuthInitialization for plugin calls (the From conversion of a bare admin::Error).
func (k *KBSStandIn) admin(w http.ResponseWriter, r *http.Request, kind, endpoint string, fn func()) {
	err := k.checkAdmin(r)
	if err == nil {
		fn()
		return
	}
	if kind == "AdminAuthAccess" {
		kbsError(w, http.StatusUnauthorized, kind, "admin access denied for endpoint "+endpoint+": "+err.Error())
		return
	}
	kbsError(w, http.StatusUnauthorized, kind, "failed to initialize [admin] configuration: "+err.Error())
}

// adminACL is the chart's [admin.authorization.regex_acl]: role admin on ^/kbs/.+$.
var adminACL = regexp.MustCompile(`^/kbs/.+$`)

// checkAdmin is admin/mod.rs check_admin_access in AuthenticatedAuthorization mode: the bearer
// token (bearer_jwt.rs parse_and_verify), then the role against the ACL on the request URI
// (regex_acl.rs authorize).
func (k *KBSStandIn) checkAdmin(r *http.Request) error {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return errors.New("Failed to parse HTTP Auth Bearer header")
	}
	role, err := k.verifyAdminToken(token, time.Now())
	if err != nil {
		return err
	}
	if role != k.role || !adminACL.MatchString(r.URL.RequestURI()) {
		return errors.New("Admin access denied: Role " + role + " not allowed for path " + r.URL.RequestURI())
	}
	return nil
}

// verifyAdminToken checks a token as the chart's single identity provider (a PEM public key,
// issuer TrusteeInHelm, no audience) does, and returns its role:
//   - crypto/jwt.rs decode_token_claims_with_any_key: the algorithm is the header's; the key
//     must be of that algorithm (an Ed25519 key verifies EdDSA only); jsonwebtoken's
//     Validation::new: exp required, expired beyond a 60 s leeway refused, nbf and aud not
//     checked (validate_aud = false);
//   - bearer_jwt.rs: iss must equal the configured issuer (a mismatch tries the next provider,
//     so it ends as "Cannot verify token with any of the issuers"); the audience is checked
//     only when configured (the chart configures none); a role claim is required.
func (k *KBSStandIn) verifyAdminToken(token string, now time.Time) (string, error) {
	denied := errors.New("Admin access denied: Cannot verify token with any of the issuers")
	claims, err := verifyJWT(token, k.adminKey, now)
	if err != nil {
		return "", denied
	}
	if iss, _ := claims["iss"].(string); iss != k.issuer {
		return "", denied
	}
	role, ok := claims["role"].(string)
	if !ok {
		return "", errors.New("Admin access denied: Failed to parse claims from token: Missing required `role` claim in JWT")
	}
	return role, nil
}

// JWTLeeway is jsonwebtoken's default leeway for exp.
const JWTLeeway = 60 * time.Second

// verifyJWT is jsonwebtoken 10's decode with Validation::new(header.alg) for an Ed25519 key.
func verifyJWT(token string, key ed25519.PublicKey, now time.Time) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("InvalidToken")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	h, err1 := kbsB64.DecodeString(parts[0])
	c, err2 := kbsB64.DecodeString(parts[1])
	sig, err3 := kbsB64.DecodeString(parts[2])
	if err := errors.Join(err1, err2, err3); err != nil || json.Unmarshal(h, &header) != nil {
		return nil, errors.New("InvalidToken")
	}
	if header.Alg != "EdDSA" {
		return nil, errors.New("InvalidAlgorithm: the key is Ed25519")
	}
	if !ed25519.Verify(key, []byte(parts[0]+"."+parts[1]), sig) {
		return nil, errors.New("InvalidSignature")
	}
	var claims map[string]any
	if json.Unmarshal(c, &claims) != nil {
		return nil, errors.New("Json")
	}
	exp, ok := claims["exp"].(float64)
	switch {
	case !ok:
		return nil, errors.New(`MissingRequiredClaim("exp")`)
	case float64(now.Add(-JWTLeeway).Unix()) > exp:
		return nil, errors.New("ExpiredSignature")
	}
	return claims, nil
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

// setResourcePolicy is api_server.rs's POST /resource-policy: {"policy": base64url}, stored
// without being parsed (policy-engine set_policy), so a broken policy fails only when a
// resource is asked for.
func (k *KBSStandIn) setResourcePolicy(w http.ResponseWriter, body []byte) {
	var req map[string]any
	if json.Unmarshal(body, &req) != nil {
		kbsError(w, http.StatusUnauthorized, "ParsePolicyError", "Failed to parse policy: Illegal SetPolicy Request Json")
		return
	}
	b64, found := req["policy"]
	s, isString := b64.(string)
	switch {
	case !found:
		kbsError(w, http.StatusUnauthorized, "ParsePolicyError", "Failed to parse policy: No `policy` field inside SetPolicy Request Json")
		return
	case !isString:
		kbsError(w, http.StatusUnauthorized, "ParsePolicyError", "Failed to parse policy: `policy` field is not a string in SetPolicy Request Json")
		return
	}
	p, err := kbsB64.DecodeString(s)
	if err != nil {
		kbsError(w, http.StatusUnauthorized, "ParsePolicyError", "Failed to parse policy: Failed to decode policy: "+err.Error())
		return
	}
	k.mu.Lock()
	k.resourcePolicy = string(p)
	k.mu.Unlock()
}

// listPolicies is GET /resource-policy: list_policies() of the KBS's policy storage, whose only
// id is the resource policy's (api_server.rs KBS_POLICY_ID, set from the default at start).
func (k *KBSStandIn) listPolicies(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode([]string{"resource-policy"})
}

// setAttestationPolicy is POST /attestation-policy: SetPolicyInput {policy_id, policy} (other
// fields ignored), the policy base64url (attestation-service lib.rs set_policy), stored unparsed.
func (k *KBSStandIn) setAttestationPolicy(w http.ResponseWriter, body []byte) {
	var req struct {
		PolicyID *string `json:"policy_id"`
		Policy   *string `json:"policy"`
	}
	if json.Unmarshal(body, &req) != nil || req.PolicyID == nil || req.Policy == nil {
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: Set Attestation Policy failed")
		return
	}
	p, err := kbsB64.DecodeString(*req.Policy)
	if err != nil {
		kbsError(w, http.StatusUnauthorized, "AttestationError", "Attestation error: Set Attestation Policy failed")
		return
	}
	k.mu.Lock()
	k.attestationPolicies[*req.PolicyID] = string(p)
	k.mu.Unlock()
}

// registerReferenceValue is the RVPS's verify_and_extract (rvps/src/lib.rs) with the sample
// extractor (extractors/sample): a message of version 0.1.0, its payload base64 of a JSON
// object whose members are stored by name, each replacing the one before.
func (k *KBSStandIn) registerReferenceValue(w http.ResponseWriter, body []byte) {
	fail := func(why string) {
		kbsError(w, http.StatusUnauthorized, "RvpsError", "RVPS configuration failed: Failed to register reference value: "+why)
	}
	var msg struct {
		Version string `json:"version"`
		Type    string `json:"type"`
		Payload string `json:"payload"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		fail("parse message")
		return
	}
	if msg.Version != "0.1.0" {
		fail("Version unmatched! Need 0.1.0, given " + msg.Version + ".")
		return
	}
	if msg.Type != "sample" {
		fail("the stand-in plays the sample extractor only, not " + msg.Type)
		return
	}
	raw, err := base64.StdEncoding.DecodeString(msg.Payload)
	var values map[string]json.RawMessage
	if err != nil || json.Unmarshal(raw, &values) != nil {
		fail("deseralize sample provenance")
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.rvMessages = append(k.rvMessages, body)
	for name, v := range values {
		k.referenceValues[name] = v
	}
}

// queryReferenceValue is GET /reference-value/<id>: the value, or RvpsError when absent.
func (k *KBSStandIn) queryReferenceValue(w http.ResponseWriter, id string) {
	v := k.ReferenceValue(id)
	if v == nil {
		kbsError(w, http.StatusUnauthorized, "RvpsError", "RVPS configuration failed: Failed to get reference_values: No reference value found for the given id: "+id)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(v)
}
