package kbs

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestMintToken(t *testing.T) {
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Unix(1_800_000_000, 0)
	tok := MintToken(key, ChartClaims, now)
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %s", tok)
	}
	sig, _ := b64.DecodeString(parts[2])
	if !ed25519.Verify(pub, []byte(parts[0]+"."+parts[1]), sig) {
		t.Fatal("the signature does not verify")
	}
	var header, claims map[string]any
	h, _ := b64.DecodeString(parts[0])
	c, _ := b64.DecodeString(parts[1])
	if json.Unmarshal(h, &header) != nil || json.Unmarshal(c, &claims) != nil {
		t.Fatalf("%s %s", h, c)
	}
	if header["alg"] != "EdDSA" || header["typ"] != "JWT" || claims["iss"] != "TrusteeInHelm" || claims["role"] != "admin" ||
		claims["exp"].(float64) != float64(now.Add(TokenLifetime).Unix()) || claims["aud"].([]any)[0] != "KBS" {
		t.Fatalf("header %v claims %v", header, claims)
	}
}

func TestKeysRoundTrip(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	priv, pub, err := MarshalKeys(key)
	if err != nil || !strings.HasPrefix(string(pub), "-----BEGIN PUBLIC KEY-----") {
		t.Fatalf("%v %s", err, pub)
	}
	back, err := ParsePrivateKey(priv)
	if err != nil || !back.Equal(key) {
		t.Fatalf("%v", err)
	}
	for in, want := range map[string]string{"hello": "not a PEM", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n": "not a PKCS#8"} {
		if _, err := ParsePrivateKey([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", in, err)
		}
	}
}

func TestParsePath(t *testing.T) {
	for in, want := range map[string]Path{"default/db/password": {"default", "db", "password"}, "kbs:///a/b/c.txt": {"a", "b", "c.txt"}} {
		if got, err := ParsePath(in); err != nil || got != want {
			t.Errorf("%s: %v %v", in, got, err)
		}
	}
	for _, bad := range []string{"a/b", "a/b/c/d", "a//c", "a/../c", "a/b/.hidden", "kbs://host/a/b/c"} {
		if _, err := ParsePath(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// The requests' shapes and the answers' meanings, on a recording server; test/trustee runs
// the commands against the KBS stand-in.
func TestClientRequestsAndRefusals(t *testing.T) {
	var got []string
	status, answer := http.StatusOK, "[]"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = append(got, r.Method+" "+r.URL.Path+" "+r.Header.Get("Content-Type")+" "+r.Header.Get("Authorization")+" "+string(body))
		w.WriteHeader(status)
		_, _ = w.Write([]byte(answer))
	}))
	defer srv.Close()
	c := &Client{URL: srv.URL + "/", HTTP: srv.Client(), Token: func() (string, error) { return "tok", nil }}
	ctx := context.Background()
	p := Path{"default", "db", "password"}
	if err := c.SetResource(ctx, p, []byte("s3cret")); err != nil {
		t.Fatal(err)
	}
	_ = c.DeleteResource(ctx, p)
	_ = c.SetResourcePolicy(ctx, []byte("package policy"))
	_ = c.SetAttestationPolicy(ctx, "default_cpu", []byte("package policy"))
	_ = c.SetSampleReferenceValue(ctx, "svn", []string{"1"})
	want := []string{
		"POST /kbs/v0/resource/default/db/password application/octet-stream Bearer tok s3cret",
		"DELETE /kbs/v0/resource/default/db/password  Bearer tok ",
		`POST /kbs/v0/resource-policy application/json Bearer tok {"policy":"cGFja2FnZSBwb2xpY3k"}`,
		`POST /kbs/v0/attestation-policy application/json Bearer tok {"policy":"cGFja2FnZSBwb2xpY3k","policy_id":"default_cpu","type":"rego"}`,
		`POST /kbs/v0/reference-value application/json Bearer tok {"payload":"eyJzdm4iOlsiMSJdfQ==","type":"sample","version":"0.1.0"}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s", strings.Join(got, "\n"))
	}
	// The KBS's ErrorInformation types (kbs/src/error.rs): 401 for all but unknown paths.
	info := func(kind string) string {
		return `{"type":"https://github.com/confidential-containers/kbs/errors/` + kind + `","detail":"x"}`
	}
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{401, info("AdminAuthInitialization"), "refused the admin token"},
		{401, info("AdminAuthAccess"), "refused the admin token"},
		{401, info("PluginInternalError"), "resource plugin failed"},
		{401, info("ParsePolicyError"), "did not accept the policy"},
		{404, info("InvalidRequestPath"), "no such endpoint"},
		{502, "<html>bad gateway</html>", "answered 502"},
	} {
		status, answer = tc.status, tc.body
		var e *Error
		if err := c.SetResource(ctx, p, nil); !errors.As(err, &e) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%d %s: %v", tc.status, tc.body, err)
		}
	}
	srv.Close()
	var u *Unreachable
	if err := c.SetResource(ctx, p, nil); !errors.As(err, &u) {
		t.Errorf("a closed server: %v", err)
	}
}

// The RCAR Request kubectl coco sends and how it reads the answers (protocol 0.4.0 of trustee
// v0.21.0 backend.rs and guest-components v0.21.0 rcar_client.rs; test/harness holds the
// stand-in's rules against upstream's vectors).
func TestRCARRequestAndChallenge(t *testing.T) {
	var req map[string]any
	if err := json.Unmarshal([]byte(AuthRequest), &req); err != nil || req["version"] != "0.4.0" || req["tee"] != "sample" ||
		req["extra-params"].(map[string]any)["supported-hash-algorithms"] == nil {
		t.Fatalf("%s %v", AuthRequest, err)
	}
	mismatch := `{"type":"https://github.com/confidential-containers/kbs/errors/AttestationError","detail":"Attestation error: RCAR handshake Auth failed: KBS Client Protocol Version Mismatch: expect =0.5.0 while the request is 0.4.0"}`
	var pm *ProtocolMismatch
	if err := CheckChallenge(401, []byte(mismatch)); !errors.As(err, &pm) || pm.Expect != "=0.5.0" || pm.Sent != "0.4.0" ||
		!strings.Contains(err.Error(), "Trustee v0.14 to v0.21") {
		t.Fatalf("mismatch: %v", err)
	}
	other := `{"type":"https://github.com/confidential-containers/kbs/errors/AttestationError","detail":"Attestation error: RCAR handshake Auth failed: deserialize Request"}`
	var e *Error
	if err := CheckChallenge(401, []byte(other)); !errors.As(err, &e) || errors.As(err, &pm) {
		t.Fatalf("other refusal: %v", err)
	}
	for body, ok := range map[string]bool{`{"nonce":"bm9uY2U=","extra-params":""}`: true, `{"nonce":"bm9uY2U="}`: false, `{"extra-params":""}`: false, `<html>`: false} {
		if err := CheckChallenge(200, []byte(body)); (err == nil) != ok {
			t.Errorf("%s: %v", body, err)
		}
	}
}

// The untrusted-guest probe reads the KBS's answer to its resource request: PolicyDeny is a
// refusal, the plugin's error or a value a release; its Attestation binds the runtime data as
// the guest does.
func TestProbeUntrustedGuest(t *testing.T) {
	for answer, want := range map[string]GuestVerdict{
		`{"type":"https://github.com/confidential-containers/kbs/errors/PolicyDeny","detail":"Access denied by policy"}`:        GuestRefused,
		`{"type":"https://github.com/confidential-containers/kbs/errors/PluginInternalError","detail":"Plugin internal error"}`: GuestReleased,
		`{"type":"https://github.com/confidential-containers/kbs/errors/TokenNotFound","detail":"Attestation Token not found"}`: "",
	} {
		var attestation string
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			switch r.URL.Path {
			case "/kbs/v0/auth":
				http.SetCookie(w, &http.Cookie{Name: "kbs-session-id", Value: "s1"})
				_, _ = w.Write([]byte(`{"nonce":"bm9uY2U=","extra-params":""}`))
			case "/kbs/v0/attest":
				attestation = string(body)
				_, _ = w.Write([]byte(`{"token":"a.b.c"}`))
			default:
				if c, err := r.Cookie("kbs-session-id"); err != nil || c.Value != "s1" || r.URL.Path != "/kbs/v0/resource/"+ProbeResource {
					w.WriteHeader(404)
					return
				}
				w.WriteHeader(401)
				_, _ = w.Write([]byte(answer))
			}
		}))
		got, err := ProbeUntrustedGuest(context.Background(), srv.Client(), srv.URL)
		srv.Close()
		if got != want || (want == "") != (err != nil) {
			t.Errorf("%s: %q %v", answer, got, err)
		}
		var att struct {
			RuntimeData struct {
				Nonce     string         `json:"nonce"`
				TeePubKey map[string]any `json:"tee-pubkey"`
			} `json:"runtime-data"`
			TeeEvidence struct {
				Primary struct {
					ReportData string `json:"report_data"`
				} `json:"primary_evidence"`
				Add *string `json:"additional_evidence"`
			} `json:"tee-evidence"`
		}
		if err := json.Unmarshal([]byte(attestation), &att); err != nil || att.RuntimeData.Nonce != "bm9uY2U=" || att.TeeEvidence.Add == nil ||
			att.RuntimeData.TeePubKey["kty"] != "EC" || att.RuntimeData.TeePubKey["alg"] != "ECDH-ES+A256KW" {
			t.Fatalf("attestation %s %v", attestation, err)
		}
		canon, _ := json.Marshal(map[string]any{"additional-evidence": "", "nonce": "bm9uY2U=", "tee-pubkey": att.RuntimeData.TeePubKey})
		sum := sha512.Sum384(canon)
		if att.TeeEvidence.Primary.ReportData != base64.StdEncoding.EncodeToString(sum[:]) {
			t.Fatalf("report data does not bind the runtime data")
		}
	}
}
