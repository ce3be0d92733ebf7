package harness

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The KBS stand-in's rules, each against a vector from upstream's own tests or code at the tag
// it names (trustee v0.21.0, kbs-types 0.15, guest-components v0.21.0).

func kbsErrorOf(t *testing.T, body []byte) (kind, detail string) {
	t.Helper()
	var info struct{ Type, Detail string }
	if err := json.Unmarshal(body, &info); err != nil {
		t.Fatalf("not an ErrorInformation: %s", body)
	}
	return info.Type[strings.LastIndex(info.Type, "/")+1:], info.Detail
}

func TestKBSStandInRequestVersion(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	k := StartKBSStandIn(t, pub)
	for _, tc := range []struct {
		name, body string
		ok         bool
		detail     string
	}{
		// guest-components v0.21.0 rcar_client.rs build_request: KBS_PROTOCOL_VERSION and the hash algorithms.
		{"the guest's Request (guest-components v0.21.0)", `{"version":"0.4.0","tee":"sample","extra-params":{"supported-hash-algorithms":["sha256","sha384","sha512","sm3"]}}`, true, ""},
		// trustee v0.21.0 tools/kbs-client/auth.json: a stale sample the KBS itself refuses.
		{"trustee's tools/kbs-client/auth.json (0.1.0)", `{"version":"0.1.0","tee":"tdx","extra-params":"foo"}`, false,
			"RCAR handshake Auth failed: KBS Client Protocol Version Mismatch: expect =0.4.0 while the request is 0.1.0"},
		// what kubectl coco sent before: the protocol document's version.
		{"protocol document's 0.1.1", `{"version":"0.1.1","tee":"sample","extra-params":{}}`, false, "expect =0.4.0 while the request is 0.1.1"},
		// kbs-types 0.15 lib.rs test parse_request: a well-formed Request of another version.
		{"kbs-types parse_request vector", `{"version":"0.0.0","tee":"sev","extra-params":""}`, false, "while the request is 0.0.0"},
		// backend.rs: VersionReq "=0.4.0" (semver): pre-releases do not match, build metadata is ignored.
		{"pre-release", `{"version":"0.4.0-rc1","tee":"sample","extra-params":""}`, false, "Version Mismatch"},
		{"build metadata", `{"version":"0.4.0+guest","tee":"sample","extra-params":""}`, true, ""},
		{"not semver", `{"version":"0.4","tee":"sample","extra-params":""}`, false, "failed to parse KBS version"},
		{"no extra-params", `{"version":"0.4.0","tee":"sample"}`, false, "deserialize Request"},
		{"unknown tee", `{"version":"0.4.0","tee":"sev-snp","extra-params":""}`, false, "deserialize Request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := http.Post(k.URL+"/kbs/v0/auth", "application/json", strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			var body json.RawMessage
			_ = json.NewDecoder(resp.Body).Decode(&body)
			if !tc.ok {
				kind, detail := kbsErrorOf(t, body)
				if resp.StatusCode != 401 || kind != "AttestationError" || !strings.Contains(detail, tc.detail) {
					t.Fatalf("%d %s %s", resp.StatusCode, kind, detail)
				}
				return
			}
			// kbs-types parse_challenge: {"nonce", "extra-params": ""}; backend.rs test_make_nonce: 32 bytes, 44 base64 characters.
			var ch map[string]any
			if resp.StatusCode != 200 || json.Unmarshal(body, &ch) != nil || len(ch) != 2 || ch["extra-params"] != "" || len(ch["nonce"].(string)) != 44 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if c := resp.Cookies(); len(c) != 1 || c[0].Name != "kbs-session-id" {
				t.Fatalf("cookies %v", c)
			}
		})
	}
	k.SetProtocol("0.3.0")
	g := NewKBSGuest(k.URL)
	if _, err := g.Challenge(); err == nil || !strings.Contains(err.Error(), "expect =0.3.0 while the request is 0.4.0") {
		t.Fatalf("a KBS of another protocol: %v", err)
	}
}

// The report data binding of v0.21 (backend.rs __attest primary_runtime_data; rcar_client.rs
// get_composite_evidence): {tee-pubkey, nonce, additional-evidence}. The form of earlier
// releases, without additional-evidence, is refused as the sample verifier refuses it.
func TestKBSStandInReportDataBinding(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	k := StartKBSStandIn(t, pub)
	old := func(runtime map[string]any) ([]byte, error) {
		return BindRuntimeData(map[string]any{"tee-pubkey": runtime["tee-pubkey"], "nonce": runtime["nonce"]})
	}
	for name, tc := range map[string]struct {
		bind func(map[string]any) ([]byte, error)
		ok   bool
	}{"v0.21 binding": {BindRuntimeData, true}, "binding without additional-evidence": {old, false}} {
		status, body, err := NewKBSGuest(k.URL).Attest(tc.bind)
		if err != nil || (status == 200) != tc.ok {
			t.Errorf("%s: %d %s %v", name, status, body, err)
		}
		if !tc.ok {
			if kind, detail := kbsErrorOf(t, body); kind != "AttestationError" || detail != "Attestation error: RCAR handshake Attest failed" {
				t.Errorf("%s: %s %s", name, kind, detail)
			}
		}
	}
	// attestation-service lib.rs test parse_runtimedata_json_binding (v0.21.0): the canonical
	// JSON's sha384.
	canon, err := CanonicalJSON(map[string]any{"b": 1, "a": "test", "c": map[string]any{"d": "e"}})
	d := sha512.Sum384(canon)
	if err != nil || hex.EncodeToString(d[:]) != "e71ce8e70d814ba6639c3612ebee0ff1f76f650f8dbb5e47157e0f3f525cd22c4597480a186427c813ca941da78870c3" {
		t.Fatalf("canonical JSON %s: %x %v", canon, d, err)
	}
}

// Both TEE key algorithms the guest can use decrypt (jwe.rs jwe_rsa_oaep_compatibility and
// jwe_ecp256_compatibility decrypt with josekit; here go-jose), and the AAD is kbs-types'
// (lib.rs test protected_header_generate_aad).
func TestKBSStandInJWE(t *testing.T) {
	if got := kbsB64.EncodeToString([]byte(protectedHeader("fakealg", "fakeenc", nil))); got != "eyJhbGciOiJmYWtlYWxnIiwiZW5jIjoiZmFrZWVuYyJ9" {
		t.Fatalf("AAD %s", got)
	}
	ec256, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ec521, _ := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecPub := func(k *ecdsa.PrivateKey, crv string, size int) kbsTeePubKey {
		pt, _ := k.PublicKey.Bytes() // 0x04 || X || Y
		return kbsTeePubKey{Kty: "EC", Crv: crv, Alg: "ECDH-ES+A256KW", X: kbsB64.EncodeToString(pt[1 : 1+size]), Y: kbsB64.EncodeToString(pt[1+size:])}
	}
	rsaPub := func(alg string) kbsTeePubKey {
		return kbsTeePubKey{Kty: "RSA", Alg: alg, N: kbsB64.EncodeToString(rsaKey.N.Bytes()), E: kbsB64.EncodeToString(big.NewInt(int64(rsaKey.E)).Bytes())}
	}
	data := []byte("this is a test data")
	for name, tc := range map[string]struct {
		pub kbsTeePubKey
		key any
	}{"EC P-256 ECDH-ES+A256KW (the guest's default)": {ecPub(ec256, "P-256", 32), ec256}, "EC P-521": {ecPub(ec521, "P-521", 66), ec521},
		"RSA-OAEP-256": {rsaPub("RSA-OAEP-256"), rsaKey}, "RSA1_5 (deprecated)": {rsaPub("RSA1_5"), rsaKey}} {
		jwe, err := kbsJWE(tc.pub, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		body, _ := json.Marshal(jwe)
		if got, err := DecryptKBSResponse(body, tc.key); err != nil || string(got) != string(data) {
			t.Errorf("%s: %q %v", name, got, err)
		}
	}
	if _, err := kbsJWE(kbsTeePubKey{Kty: "EC", Crv: "P-384", Alg: "ECDH-ES+A256KW"}, data); err == nil {
		t.Error("P-384 is not in jwe.rs")
	}
}

func TestKBSStandInAdminTokens(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	k := NewKBSStandIn(t, pub)
	now := time.Now()
	sign := func(header string, claims map[string]any) string {
		c, _ := json.Marshal(claims)
		in := kbsB64.EncodeToString([]byte(header)) + "." + kbsB64.EncodeToString(c)
		return in + "." + kbsB64.EncodeToString(ed25519.Sign(key, []byte(in)))
	}
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": "TrusteeInHelm", "role": "admin", "exp": now.Add(time.Minute).Unix()}
		mod(c)
		return c
	}
	eddsa := `{"alg":"EdDSA","typ":"JWT"}`
	for _, tc := range []struct {
		name  string
		token string
		ok    bool
	}{
		// bearer_jwt.rs: the chart configures no audience, so tokens without one pass; the chart's own token has aud ["KBS"].
		{"the chart's form", sign(eddsa, claims(func(c map[string]any) { c["aud"] = []string{"KBS"} })), true},
		{"no audience", sign(eddsa, claims(func(map[string]any) {})), true},
		{"another audience", sign(eddsa, claims(func(c map[string]any) { c["aud"] = "someone-else" })), true},
		// jsonwebtoken Validation::new: exp required, 60 s leeway.
		{"no exp", sign(eddsa, claims(func(c map[string]any) { delete(c, "exp") })), false},
		{"expired within the leeway", sign(eddsa, claims(func(c map[string]any) { c["exp"] = now.Add(-30 * time.Second).Unix() })), true},
		{"expired beyond the leeway", sign(eddsa, claims(func(c map[string]any) { c["exp"] = now.Add(-90 * time.Second).Unix() })), false},
		// crypto/jwt.rs: the algorithm is the header's; an Ed25519 key verifies EdDSA only.
		{"header alg ES256", sign(`{"alg":"ES256","typ":"JWT"}`, claims(func(map[string]any) {})), false},
		{"no typ", sign(`{"alg":"EdDSA"}`, claims(func(map[string]any) {})), true},
		// bearer_jwt.rs: iss must equal the identity provider's issuer; a role is required and must be in the ACL.
		{"another issuer", sign(eddsa, claims(func(c map[string]any) { c["iss"] = "someone" })), false},
		{"no role", sign(eddsa, claims(func(c map[string]any) { delete(c, "role") })), false},
		{"another role", sign(eddsa, claims(func(c map[string]any) { c["role"] = "reader" })), false},
	} {
		req := httptest.NewRequest(http.MethodGet, "/kbs/v0/resource-policy", nil)
		req.Header.Set("Authorization", "Bearer "+tc.token)
		w := httptest.NewRecorder()
		k.ServeHTTP(w, req)
		if (w.Code == 200) != tc.ok {
			t.Errorf("%s: %d %s", tc.name, w.Code, w.Body)
		}
		if !tc.ok {
			if kind, _ := kbsErrorOf(t, w.Body.Bytes()); kind != "AdminAuthAccess" {
				t.Errorf("%s: %s", tc.name, kind)
			}
		}
	}
}

// GET /resource-policy answers list_policies(): an array of ids that holds "resource-policy"
// from the start (api_server.rs); the resource policy decides on the token's claims.
func TestKBSStandInResourcePolicy(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	k := StartKBSStandIn(t, pub)
	admin := func(method, path, body string) (int, []byte) {
		req, _ := http.NewRequest(method, k.URL+"/kbs/v0/"+path, strings.NewReader(body))
		c, _ := json.Marshal(map[string]any{"iss": "TrusteeInHelm", "role": "admin", "exp": time.Now().Add(time.Minute).Unix()})
		in := kbsB64.EncodeToString([]byte(`{"alg":"EdDSA"}`)) + "." + kbsB64.EncodeToString(c)
		req.Header.Set("Authorization", "Bearer "+in+"."+kbsB64.EncodeToString(ed25519.Sign(key, []byte(in))))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var out json.RawMessage
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	if status, body := admin("GET", "resource-policy", ""); status != 200 || string(body) != `["resource-policy"]` {
		t.Fatalf("list: %d %s", status, body)
	}
	if status, _ := admin("POST", "resource/default/db/pw", "s3cret"); status != 200 {
		t.Fatalf("set: %d", status)
	}
	fetch := func(g *KBSGuest) (string, string) {
		if status, body, err := g.Attest(BindRuntimeData); err != nil || status != 200 {
			t.Fatalf("attest: %d %s %v", status, body, err)
		}
		status, body, _ := g.Get("default/db/pw")
		if status == 200 {
			return "released", ""
		}
		kind, _ := kbsErrorOf(t, body)
		return "refused", kind
	}
	// The default policy refuses the sample TEE (kbs/sample_policies/default.rego).
	if got, kind := fetch(NewKBSGuest(k.URL)); got != "refused" || kind != "PolicyDeny" {
		t.Fatalf("default policy: %s %s", got, kind)
	}
	setPolicy := func(rego string) {
		if status, body := admin("POST", "resource-policy", fmt.Sprintf(`{"policy":%q}`, kbsB64.EncodeToString([]byte(rego)))); status != 200 {
			t.Fatalf("set policy: %d %s", status, body)
		}
	}
	setPolicy("package policy\ndefault allow := true\n")
	g := NewKBSGuest(k.URL)
	if got, _ := fetch(g); got != "released" {
		t.Fatalf("allow-all policy: %s", got)
	}
	if v, err := g.Fetch("default/db/pw"); err != nil || string(v) != "s3cret" {
		t.Fatalf("decrypted %q %v", v, err)
	}
	// A sample guest is contraindicated under the default attestation policy without reference values.
	setPolicy("package policy\ndefault allow := false\nallow if input.submods.cpu0[\"ear.status\"] == \"affirming\"\n")
	if got, kind := fetch(NewKBSGuest(k.URL)); got != "refused" || kind != "PolicyDeny" {
		t.Fatalf("affirming policy: %s %s", got, kind)
	}
	// A policy the engine cannot evaluate is stored (policy-engine set_policy does not parse) and
	// fails when a resource is asked for.
	setPolicy("package policy\nallow {")
	if got, kind := fetch(NewKBSGuest(k.URL)); got != "refused" || kind != "PolicyEngineError" {
		t.Fatalf("broken policy: %s %s", got, kind)
	}
	if status, body := admin("GET", "resource-policy", ""); status != 200 || string(body) != `["resource-policy"]` {
		t.Fatalf("list after set: %d %s", status, body)
	}
}

// The sample verifier's claims and the EAR token's shape (broker.rs transform_claims; ear
// crate): an init-data document adds init_data (base64 of its digest) and init_data_claims.
func TestKBSStandInEARToken(t *testing.T) {
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	k := StartKBSStandIn(t, pub)
	g := NewKBSGuest(k.URL)
	g.InitData = "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"aa.toml\" = '''\n[token_configs.kbs]\nurl = \"http://kbs\"\n'''\n"
	status, body, err := g.Attest(BindRuntimeData)
	if err != nil || status != 200 {
		t.Fatalf("attest: %d %s %v", status, body, err)
	}
	var tok struct{ Token string }
	_ = json.Unmarshal(body, &tok)
	claims, err := k.verifyToken(tok.Token)
	if err != nil {
		t.Fatal(err)
	}
	cpu0 := claims["submods"].(map[string]any)["cpu0"].(map[string]any)
	ev := cpu0["ear.veraison.annotated-evidence"].(map[string]any)
	digest := sha256.Sum256([]byte(g.InitData))
	if cpu0["ear.status"] != "contraindicated" || ev["sample"].(map[string]any)["svn"] != "1" || ev["init_data"] != base64.StdEncoding.EncodeToString(digest[:]) ||
		ev["init_data_claims"].(map[string]any)["aa.toml"].(map[string]any)["token_configs"] == nil ||
		ev["runtime_data_claims"].(map[string]any)["tee-pubkey"].(map[string]any)["kty"] != "EC" {
		t.Fatalf("claims %v", claims)
	}
	vec := cpu0["ear.trustworthiness-vector"].(map[string]any)
	if vec["hardware"] != float64(97) || vec["executables"] != float64(33) || vec["configuration"] != float64(2) {
		t.Fatalf("vector %v", vec)
	}
}
