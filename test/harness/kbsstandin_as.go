package harness

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math/big"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
	"github.com/open-policy-agent/opa/v1/types"
	"github.com/open-policy-agent/opa/v1/util"
)

// The stand-in's attestation service: what Trustee v0.21's CoCo AS does with one piece of
// primary evidence (attestation-service/src/lib.rs evaluate; ear_token/broker.rs issue).

// evidenceRequest is one IndividualAttestationRequest (kbs/src/attestation/coco/grpc.rs verify).
type evidenceRequest struct {
	tee      string
	evidence json.RawMessage
	initData *struct {
		Format *string `json:"format"`
		Body   *string `json:"body"`
	}
	runtime map[string]any
}

// teeVerifier checks evidence against the expected report data and init data digest and returns
// the verifier's claims (deps/verifier Verifier::evaluate) and the TEE class.
type teeVerifier func(evidence json.RawMessage, reportData, initDigest []byte) (map[string]any, string, error)

// verifiers are the TEEs the stand-in can verify: the sample TEE, as deps/verifier/src/sample
// does (no signature; report_data must equal the expected report data).
var verifiers = map[string]teeVerifier{"sample": verifySample}

func verifySample(evidence json.RawMessage, reportData, initDigest []byte) (map[string]any, string, error) {
	var ev struct {
		Svn        *string `json:"svn"`
		ReportData string  `json:"report_data"`
	}
	if json.Unmarshal(evidence, &ev) != nil || ev.Svn == nil {
		return nil, "", errors.New("Deserialize Quote failed.")
	}
	got, err := base64.StdEncoding.DecodeString(ev.ReportData)
	if err != nil || string(got) != string(reportData) {
		return nil, "", errors.New("REPORT_DATA is different from that in Sample Quote")
	}
	claims := map[string]any{"svn": *ev.Svn, "report_data": ev.ReportData, "launch_digest": "abcde",
		"platform_version": map[string]any{"major": 1, "minor": 4}, "debug": false}
	if initDigest != nil {
		claims["init_data"] = base64.StdEncoding.EncodeToString(initDigest)
	}
	return claims, "cpu", nil
}

// evaluate verifies one piece of evidence and issues the EAR token.
func (k *KBSStandIn) evaluate(req evidenceRequest) (string, error) {
	verify, ok := verifiers[req.tee]
	if !ok {
		return "", fmt.Errorf("the stand-in verifies %v evidence only, not %s", keysOf(verifiers), req.tee)
	}
	if add, _ := req.runtime["additional-evidence"].(string); add != "" && add != "{}" {
		return "", errors.New("the stand-in plays no device attesters: additional-evidence must be empty")
	}
	// The runtime data's hash: sha384 for every TEE but SE (sha512) (grpc.rs verify).
	newHash := sha512.New384
	if req.tee == "se" {
		newHash = sha512.New
	}
	canon, err := CanonicalJSON(req.runtime)
	if err != nil {
		return "", err
	}
	initDigest, initClaims, err := parseInitData(req.initData)
	if err != nil {
		return "", err
	}
	claims, class, err := verify(req.evidence, sum(newHash, canon), initDigest)
	if err != nil {
		return "", err
	}
	runtimeClaims := map[string]any{}
	for key, v := range req.runtime {
		runtimeClaims[key] = v
	}
	appraisal, err := k.appraise(transformClaims(claims, initClaims, runtimeClaims, req.tee), class)
	if err != nil {
		return "", err
	}
	return k.signEAR(map[string]any{class + "0": appraisal})
}

func sum(h func() hash.Hash, data []byte) []byte {
	d := h()
	d.Write(data)
	return d.Sum(nil)
}

// parseInitData is the AS's parse_init_data for InitDataToml: format "toml" only (grpc.rs),
// the digest with the document's own algorithm over the TOML text, and its [data] as claims
// with aa.toml and cdh.toml turned into objects.
func parseInitData(in *struct {
	Format *string `json:"format"`
	Body   *string `json:"body"`
}) ([]byte, map[string]any, error) {
	if in == nil {
		return nil, nil, nil
	}
	if in.Format == nil || in.Body == nil || *in.Format != "toml" {
		return nil, nil, errors.New("Unsupported initdata format")
	}
	var doc struct {
		Version   string            `toml:"version"`
		Algorithm string            `toml:"algorithm"`
		Data      map[string]string `toml:"data"`
	}
	if _, err := toml.Decode(*in.Body, &doc); err != nil {
		return nil, nil, fmt.Errorf("parse TOML structured data: %w", err)
	}
	hashes := map[string]func() hash.Hash{"sha256": sha256.New, "sha384": sha512.New384, "sha512": sha512.New}
	h, ok := hashes[strings.ToLower(doc.Algorithm)]
	if !ok {
		return nil, nil, fmt.Errorf("unknown hash algorithm %q", doc.Algorithm)
	}
	claims := map[string]any{}
	for key, v := range doc.Data {
		claims[key] = v
		if key == "aa.toml" || key == "cdh.toml" {
			var m map[string]any
			if _, err := toml.Decode(v, &m); err == nil {
				claims[key] = m
			}
		}
	}
	return sum(h, []byte(*in.Body)), claims, nil
}

// transformClaims is broker.rs transform_claims: init_data and report_data lifted out of the
// verifier's claims with their init_data_claims and runtime_data_claims, the rest under the TEE's
// name.
func transformClaims(claims, initClaims, runtimeClaims map[string]any, tee string) map[string]any {
	out := map[string]any{}
	if v, ok := claims["init_data"]; ok {
		out["init_data"], out["init_data_claims"] = v, initClaims
		delete(claims, "init_data")
	}
	if v, ok := claims["report_data"]; ok {
		out["report_data"], out["runtime_data_claims"] = v, runtimeClaims
		delete(claims, "report_data")
	}
	out[tee] = claims
	return out
}

// trustClaimNames are the AR4SI trustworthiness vector's claims (the ear crate's TrustVector).
var trustClaimNames = []string{"instance-identity", "configuration", "executables", "file-system", "hardware", "runtime-opaque", "storage-opaque", "sourced-data"}

// appraise evaluates the attestation policy "default_<class>" (broker.rs: the KBS asks for
// policy "default", the broker appends the TEE class) on the claims, with the RVPS's values
// behind query_reference_value, and makes the EAR appraisal: the trust vector from
// data.policy.trust_claims, the status the worst tier of its claims (the ear crate's
// update_status_from_trust_vector).
func (k *KBSStandIn) appraise(tcb map[string]any, class string) (map[string]any, error) {
	k.mu.Lock()
	policy, ok := k.attestationPolicies["default_"+class]
	k.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("policy default_%s not found", class)
	}
	trust, err := k.evalRego(policy, "data.policy.trust_claims", tcb, nil)
	if err != nil {
		return nil, err
	}
	vector := map[string]any{}
	status := 0
	claims, isObject := trust.(map[string]any)
	for _, name := range trustClaimNames {
		v := 0
		if isObject {
			n, isNumber := claims[name].(json.Number)
			if !isNumber {
				return nil, fmt.Errorf("Trust claim value not number: %s", name)
			}
			i, _ := n.Int64()
			v = int(i)
		}
		vector[name] = v
		status = max(status, trustTier(v))
	}
	return map[string]any{"ear.status": tierNames[status], "ear.trustworthiness-vector": vector,
		"ear.appraisal-policy-id": "default", "ear.veraison.annotated-evidence": tcb}, nil
}

// trustTier is the ear crate's TrustClaim::tier: -1..1 none, up to ±31 affirming, up to ±95
// warning, beyond contraindicated (ordered none < affirming < warning < contraindicated).
func trustTier(v int) int {
	switch a := max(v, -v); {
	case v >= -1 && v <= 1:
		return 0
	case a < 32:
		return 1
	case a < 96:
		return 2
	}
	return 3
}

var tierNames = []string{"none", "affirming", "warning", "contraindicated"}

// signEAR signs the EAR as the broker does: ES256 with the token key, its JWK in the header
// (the KBS's verifier trusts the key by its certificate; the stand-in keeps the key itself).
func (k *KBSStandIn) signEAR(submods map[string]any) (string, error) {
	now := time.Now()
	claims := map[string]any{"eat_profile": "tag:github.com,2024:confidential-containers/Trustee", "iat": now.Unix(),
		"ear.verifier-id": map[string]any{"developer": "https://confidentialcontainers.org", "build": "kbs-stand-in"},
		"submods":         submods, "exp": now.Add(5 * time.Minute).Unix(), "iss": "CoCo-Attestation-Service"}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	pt, _ := k.tokenKey.PublicKey.Bytes() // 0x04 || X || Y
	header, _ := json.Marshal(map[string]any{"alg": "ES256", "typ": "JWT", "jwk": map[string]string{"kty": "EC", "crv": "P-256", "alg": "ES256",
		"x": kbsB64.EncodeToString(pt[1:33]), "y": kbsB64.EncodeToString(pt[33:])}})
	input := kbsB64.EncodeToString(header) + "." + kbsB64.EncodeToString(payload)
	d := sha256.Sum256([]byte(input))
	r, s, err := ecdsa.Sign(rand.Reader, k.tokenKey, d[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return input + "." + kbsB64.EncodeToString(sig), nil
}

// verifyToken checks an attestation token the stand-in issued (ES256 by the token key, exp
// with jsonwebtoken's leeway) and returns its claims.
func (k *KBSStandIn) verifyToken(token string) (map[string]any, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a JWT")
	}
	sig, err := kbsB64.DecodeString(parts[2])
	if err != nil || len(sig) != 64 {
		return nil, errors.New("bad signature")
	}
	d := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if !ecdsa.Verify(&k.tokenKey.PublicKey, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
		return nil, errors.New("bad signature")
	}
	payload, _ := kbsB64.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, err
	}
	if exp, _ := claims["exp"].(float64); float64(time.Now().Add(-JWTLeeway).Unix()) > exp {
		return nil, errors.New("expired")
	}
	return claims, nil
}

// teePubKeyOfClaims is token/mod.rs extract_tee_public_key for an EAR token: the runtime data
// claims of submodule cpu0.
func teePubKeyOfClaims(claims map[string]any) (kbsTeePubKey, error) {
	v := any(claims)
	for _, p := range []string{"submods", "cpu0", "ear.veraison.annotated-evidence", "runtime_data_claims", "tee-pubkey"} {
		m, ok := v.(map[string]any)
		if !ok {
			return kbsTeePubKey{}, errors.New("NoTeePubKeyClaimFound")
		}
		v = m[p]
	}
	raw, _ := json.Marshal(v)
	return parseTeePubKey(raw)
}

// allowResource evaluates the resource policy's data.policy.allow; an undefined or non-boolean
// result is a refusal (api_server.rs: "use false as default").
func (k *KBSStandIn) allowResource(claims, data map[string]any) (bool, error) {
	k.mu.Lock()
	policy := k.resourcePolicy
	k.mu.Unlock()
	v, err := k.evalRego(policy, "data.policy.allow", claims, data)
	if err != nil {
		return false, err
	}
	b, _ := v.(bool)
	return b, nil
}

// evalRego evaluates rule of policy on input with data, as the policy engine's evaluate_rego
// does with regorus (Rego v1): nil when the rule is undefined. query_reference_value is the
// AS's extension: the RVPS's value for an id, null when it has none.
func (k *KBSStandIn) evalRego(policy, rule string, input, data map[string]any) (any, error) {
	in, err := jsonRoundTrip(input)
	if err != nil {
		return nil, err
	}
	opts := []func(*rego.Rego){rego.Query(rule), rego.Module("policy.rego", policy), rego.Input(in),
		rego.Function1(&rego.Function{Name: "query_reference_value", Decl: types.NewFunction(types.Args(types.S), types.A)}, k.queryReferenceValueBuiltin)}
	if data != nil {
		d, err := jsonRoundTrip(data)
		if err != nil {
			return nil, err
		}
		opts = append(opts, rego.Data(d.(map[string]any)))
	}
	rs, err := rego.New(opts...).Eval(context.Background())
	if err != nil {
		return nil, err
	}
	if len(rs) == 0 || len(rs[0].Expressions) == 0 {
		return nil, nil
	}
	return rs[0].Expressions[0].Value, nil
}

func (k *KBSStandIn) queryReferenceValueBuiltin(_ rego.BuiltinContext, id *ast.Term) (*ast.Term, error) {
	s, ok := id.Value.(ast.String)
	if !ok {
		return nil, errors.New("query_reference_value extension parameter must be a string")
	}
	raw := k.ReferenceValue(string(s))
	if raw == nil {
		return ast.NullTerm(), nil
	}
	v, err := ast.ValueFromReader(strings.NewReader(string(raw)))
	if err != nil {
		return nil, err
	}
	return ast.NewTerm(v), nil
}

// jsonRoundTrip gives OPA plain JSON values (numbers as json.Number).
func jsonRoundTrip(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = util.UnmarshalJSON(data, &out)
	return out, err
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for key := range m {
		out = append(out, key)
	}
	return out
}
