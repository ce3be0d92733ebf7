// Package trustee runs kubectl coco's Trustee commands against the KBS stand-in
// (harness.KBSStandIn) on loopback, and plays a guest that attests with the sample TEE and
// fetches what they provisioned, as the RCAR protocol of trustee v0.21 has it.
package trustee

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
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
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/sealed"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var b64 = base64.RawURLEncoding

func coco(stdin string, args ...string) harness.Result {
	return harness.RunStdin(context.Background(), cmd.NewRoot, stdin, args...)
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProvisionAndFetchAsAGuest(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	pub, adminKey, _ := ed25519.GenerateKey(rand.Reader)
	privPEM, _, err := kbs.MarshalKeys(adminKey)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writeFile(t, "admin.key", privPEM)
	k := harness.StartKBSStandIn(t, pub)
	// admin is a trustee admin-API command with the KBS and the key.
	admin := func(args ...string) []string {
		return append(append([]string{"trustee"}, args...), "--kbs-url", k.URL, "--admin-key", keyFile)
	}
	const password = "correct horse battery staple"

	harness.Step(t, "resource set stores the value and never prints it", func(t *testing.T) {
		res := coco("", admin("resource", "set", "default/db/password", "--from-file", writeFile(t, "pw", []byte(password)))...)
		if res.Code != 0 || !strings.Contains(res.Stdout, "set-resource kbs:///default/db/password (28 bytes)") || strings.Contains(res.Stdout+res.Stderr, password) {
			t.Fatalf("exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
		}
		if string(k.Resource("default/db/password")) != password {
			t.Fatalf("the KBS holds %q", k.Resource("default/db/password"))
		}
		res = coco(password+"-2", admin("resource", "set", "default/db/other", "--from-file", "-", "-o", "json")...)
		var r cmd.TrusteeResult
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || res.Code != 0 || r.Bytes != 30 || r.Target != "kbs:///default/db/other" {
			t.Fatalf("stdin: exit %d %v %s", res.Code, err, res.Stderr)
		}
	})

	harness.Step(t, "a wrong key and an expired token are refused, nothing changes", func(t *testing.T) {
		_, other, _ := ed25519.GenerateKey(rand.Reader)
		otherPEM, _, _ := kbs.MarshalKeys(other)
		res := coco("", "trustee", "resource", "set", "default/db/password", "--from-literal", "x", "--kbs-url", k.URL, "--admin-key", writeFile(t, "other.key", otherPEM))
		if res.Code != 1 || !strings.Contains(res.Stderr, "refused the admin token") || !strings.Contains(res.Stderr, "--admin-key") {
			t.Fatalf("wrong key: exit %d %s", res.Code, res.Stderr)
		}
		expired := kbs.MintToken(adminKey, kbs.ChartClaims, time.Now().Add(-time.Hour))
		res = coco("", "trustee", "resource", "delete", "default/db/password", "--kbs-url", k.URL, "--admin-token-file", writeFile(t, "token", []byte(expired)))
		if res.Code != 1 || !strings.Contains(res.Stderr, "refused the admin token") {
			t.Fatalf("expired token: exit %d %s", res.Code, res.Stderr)
		}
		wrongIssuer := kbs.MintToken(adminKey, kbs.Claims{Issuer: "someone", Role: "admin"}, time.Now())
		res = coco("", "trustee", "resource", "delete", "default/db/password", "--kbs-url", k.URL, "--admin-token-file", writeFile(t, "token2", []byte(wrongIssuer)))
		if res.Code != 1 || string(k.Resource("default/db/password")) != password {
			t.Fatalf("wrong issuer: exit %d %s", res.Code, res.Stderr)
		}
	})

	harness.Step(t, "a guest attesting with sample evidence gets the value, encrypted to its key", func(t *testing.T) {
		g := newGuest(t, k.URL)
		if status, _ := g.get("default/db/password"); status != http.StatusUnauthorized {
			t.Fatalf("before attestation: %d", status)
		}
		g.attest(t, true)
		got := g.fetch(t, "default/db/password")
		if string(got) != password {
			t.Fatalf("decrypted %q", got)
		}
		bad := newGuest(t, k.URL)
		if status := bad.attest(t, false); status != http.StatusUnauthorized {
			t.Fatalf("evidence with the wrong report data: %d", status)
		}
	})

	harness.Step(t, "a sealed secret resolves through the KBS as the CDH resolves it", func(t *testing.T) {
		signing, _ := sealed.NewKey()
		privJWK, _ := sealed.PrivateJWK(signing, cmd.DefaultSigningKid)
		pubJWK, _ := sealed.PublicJWK(&signing.PublicKey, cmd.DefaultSigningKid)
		privData, _ := json.Marshal(privJWK)
		pubData, _ := json.Marshal(pubJWK)
		if res := coco("", admin("resource", "set", "default/sealing-key/public", "--from-file", writeFile(t, "pub.jwk", pubData))...); res.Code != 0 {
			t.Fatalf("public key: exit %d %s", res.Code, res.Stderr)
		}
		res := coco("", "secret", "seal", "db", "--resource", "kbs:///default/db/password", "--signing-key", writeFile(t, "sign.jwk", privData), "--dry-run", "-o", "json")
		var s corev1.Secret
		if err := json.Unmarshal([]byte(res.Stdout), &s); err != nil || res.Code != 0 {
			t.Fatalf("seal: exit %d %v %s", res.Code, err, res.Stderr)
		}
		// The guest's CDH: parse, fetch the verification key named by kid, verify, fetch the value.
		p, err := sealed.Parse(string(s.Data["secret"]))
		if err != nil {
			t.Fatal(err)
		}
		g := newGuest(t, k.URL)
		g.attest(t, true)
		vk, err := sealed.ParsePublicJWK(g.fetch(t, strings.TrimPrefix(p.Header.Kid, "kbs:///")))
		if err != nil || p.Verify(vk) != nil {
			t.Fatalf("verification key from the KBS: %v", err)
		}
		if got := g.fetch(t, strings.TrimPrefix(p.Secret.Name, "kbs:///")); string(got) != password {
			t.Fatalf("unsealed %q", got)
		}
		// Sealed into the cluster, get-info finds the Secret by the resource and by the key.
		ctx := context.Background()
		if res := harness.Run(ctx, cmd.NewRoot, cp.AdminKubeconfig, "secret", "seal", "db", "-n", "default", "--resource", "kbs:///default/db/password", "--signing-key", writeFile(t, "sign2.jwk", privData)); res.Code != 0 {
			t.Fatalf("seal into the cluster: exit %d %s", res.Code, res.Stderr)
		}
		res = harness.Run(ctx, cmd.NewRoot, cp.AdminKubeconfig, "trustee", "resource", "get-info", "default/db/password", "-o", "jsonpath={.sealedSecrets} {.inKBS}")
		if res.Code != 0 || !strings.HasPrefix(res.Stdout, `["default/db (key secret)"] cannot tell: the KBS's admin API has no read`) {
			t.Fatalf("get-info: exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
		res = harness.Run(ctx, cmd.NewRoot, cp.AdminKubeconfig, "trustee", "resource", "get-info", "default/sealing-key/public", "-o", "jsonpath={.signingKeyFor}")
		if res.Code != 0 || res.Stdout != `["default/db (key secret)"]` {
			t.Fatalf("get-info of the key: exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
	})

	harness.Step(t, "policies and reference values", func(t *testing.T) {
		rp := "package policy\ndefault allow = false\nallow if input[\"submods\"][\"cpu0\"][\"ear.status\"] == \"affirming\"\n"
		if res := coco("", admin("policy", "set", "--resource-policy", writeFile(t, "rp.rego", []byte(rp)))...); res.Code != 0 {
			t.Fatalf("resource policy: exit %d %s", res.Code, res.Stderr)
		}
		if res := coco("", admin("policy", "set", "--attestation-policy", writeFile(t, "ap.rego", []byte("package policy\n")), "--policy-id", "default_cpu")...); res.Code != 0 {
			t.Fatalf("attestation policy: exit %d %s", res.Code, res.Stderr)
		}
		got, ap := k.Policies()
		if got != rp || ap["default_cpu"] != "package policy\n" {
			t.Fatalf("policies %q %v", got, ap)
		}
		if res := coco("", admin("policy", "set", "--profile", "restricted")...); res.Code != 0 {
			t.Fatalf("profile: exit %d %s", res.Code, res.Stderr)
		}
		if got, _ := k.Policies(); got != kbs.Profiles["restricted"] || !strings.Contains(got, `submod["ear.status"] == "affirming"`) {
			t.Fatalf("the restricted profile: %q", got)
		}
		if res := coco("", admin("policy", "set", "--profile", "lax")...); res.Code != 2 || !strings.Contains(res.Stderr, `unknown --profile "lax"`) {
			t.Fatalf("unknown profile: exit %d %s", res.Code, res.Stderr)
		}
		if res := coco("", admin("policy", "set", "--profile", "permissive", "--resource-policy", "x")...); res.Code != 2 || !strings.Contains(res.Stderr, "exactly one of") {
			t.Fatalf("two policies: exit %d %s", res.Code, res.Stderr)
		}
		res := coco("", admin("policy", "get")...)
		if res.Code != 0 || !strings.Contains(res.Stdout, b64.EncodeToString([]byte(kbs.Profiles["restricted"]))) {
			t.Fatalf("get: exit %d %s %s", res.Code, res.Stdout, res.Stderr)
		}
		res = coco("", admin("policy", "set", "--resource-policy", writeFile(t, "x.json", []byte(`{"allow": true}`)))...)
		if res.Code != 2 || !strings.Contains(res.Stderr, "Rego package declaration") {
			t.Fatalf("not Rego: exit %d %s", res.Code, res.Stderr)
		}
		if res := coco("", admin("reference-value", "set", "snp_launch_measurement=aa,bb")...); res.Code != 0 {
			t.Fatalf("reference value: exit %d %s", res.Code, res.Stderr)
		}
		rvs := k.ReferenceValues()
		var msg struct{ Version, Type, Payload string }
		if len(rvs) != 1 || json.Unmarshal(rvs[0], &msg) != nil || msg.Type != "sample" || msg.Version != "0.1.0" {
			t.Fatalf("registered %s", rvs)
		}
		if prov, _ := base64.StdEncoding.DecodeString(msg.Payload); string(prov) != `{"snp_launch_measurement":["aa","bb"]}` {
			t.Fatalf("provenance %s", prov)
		}
	})

	harness.Step(t, "attest check: this machine's hop and the policies against the KBS", func(t *testing.T) {
		res := harness.Run(context.Background(), cmd.NewRoot, cp.AdminKubeconfig, "attest", "check", "--kbs-url", "http://10.0.0.5:8080",
			"--local-url", k.URL, "--admin-key", keyFile, "--timeout", "3s", "-o", "jsonpath={range .hops[*]}{.name}={.status} {end}")
		// The worker hop's pod lands on a kwok node, which runs nothing: test/realnode runs it for real.
		if res.Code != 1 || res.Stdout != "trustee=skipped from-here=ok from-worker=fail policies=ok " {
			t.Fatalf("exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
	})

	harness.Step(t, "delete, twice; dry runs send nothing", func(t *testing.T) {
		before := k.Requests("DELETE /kbs/v0/resource/default/db/other")
		if res := coco("", admin("resource", "delete", "default/db/other", "--dry-run")...); res.Code != 0 || !strings.Contains(res.Stdout, "dry run") ||
			k.Requests("DELETE /kbs/v0/resource/default/db/other") != before {
			t.Fatalf("dry run: exit %d %s", res.Code, res.Stdout)
		}
		if res := coco("", admin("resource", "delete", "default/db/other")...); res.Code != 0 || k.Resource("default/db/other") != nil {
			t.Fatalf("delete: exit %d %s", res.Code, res.Stderr)
		}
		if res := coco("", admin("resource", "delete", "default/db/other")...); res.Code != 1 || !strings.Contains(res.Stderr, "may not exist") {
			t.Fatalf("second delete: exit %d %s", res.Code, res.Stderr)
		}
	})

	harness.Step(t, "bad input and an unreachable KBS", func(t *testing.T) {
		l, _ := net.Listen("tcp", "127.0.0.1:0")
		closed := "http://" + l.Addr().String()
		_ = l.Close()
		for _, tc := range []struct {
			args []string
			code int
			want string
		}{
			{[]string{"trustee", "resource", "set", "default/db/x", "--from-literal", "v", "--admin-key", keyFile}, 2, "--kbs-url is required"},
			{admin("resource", "set", "default/db", "--from-literal", "v"), 2, "not REPO/TYPE/TAG"},
			{admin("resource", "set", "default/db/x", "--from-literal", "v", "--from-file", keyFile), 2, "exactly one of --from-file and --from-literal"},
			{[]string{"trustee", "resource", "set", "default/db/x", "--from-literal", "v", "--kbs-url", k.URL}, 2, "no admin key at"},
			{[]string{"trustee", "resource", "delete", "a/b/c", "--kbs-url", k.URL, "--admin-key", writeFile(t, "junk", []byte("junk"))}, 2, "not a PEM private key"},
			{[]string{"trustee", "resource", "delete", "a/b/c", "--kbs-url", closed, "--admin-key", keyFile}, 1, "does not answer"},
		} {
			if res := coco("", tc.args...); res.Code != tc.code || !strings.Contains(res.Stderr, tc.want) {
				t.Errorf("%v: exit %d %s", tc.args, res.Code, res.Stderr)
			}
		}
	})
}

// guest plays the Attestation Agent's KBS client with the sample attester.
type guest struct {
	url  string
	http *http.Client
	key  *rsa.PrivateKey
}

func newGuest(t *testing.T, url string) *guest {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return &guest{url: url, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}, key: key}
}

func (g *guest) post(t *testing.T, path string, body any) (int, []byte) {
	t.Helper()
	data, _ := json.Marshal(body)
	resp, err := g.http.Post(g.url+"/kbs/v0/"+path, "application/json", strings.NewReader(string(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// attest runs Request, Challenge and Attestation; honest is false for evidence whose report
// data does not bind the runtime data.
func (g *guest) attest(t *testing.T, honest bool) int {
	t.Helper()
	status, body := g.post(t, "auth", map[string]any{"version": "0.1.1", "tee": "sample", "extra-params": map[string]any{}})
	var ch struct{ Nonce string }
	if status != 200 || json.Unmarshal(body, &ch) != nil || ch.Nonce == "" {
		t.Fatalf("auth: %d %s", status, body)
	}
	runtimeData := map[string]any{"nonce": ch.Nonce, "tee-pubkey": map[string]any{"kty": "RSA", "alg": "RSA-OAEP-256",
		"n": b64.EncodeToString(g.key.N.Bytes()), "e": b64.EncodeToString(big.NewInt(int64(g.key.E)).Bytes())}}
	canon, err := harness.CanonicalJSON(runtimeData)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha512.Sum384(canon)
	if !honest {
		sum[0] ^= 0xff
	}
	status, body = g.post(t, "attest", map[string]any{"runtime-data": runtimeData,
		"tee-evidence": map[string]any{"primary_evidence": map[string]string{"svn": "1", "report_data": base64.StdEncoding.EncodeToString(sum[:])}, "additional_evidence": "{}"}})
	var tok struct{ Token string }
	if honest && (status != 200 || json.Unmarshal(body, &tok) != nil || strings.Count(tok.Token, ".") != 2) {
		t.Fatalf("attest: %d %s", status, body)
	}
	return status
}

func (g *guest) get(path string) (int, []byte) {
	resp, err := g.http.Get(g.url + "/kbs/v0/resource/" + path)
	if err != nil {
		return 0, nil
	}
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// fetch gets a resource and decrypts its JWE with the guest's key.
func (g *guest) fetch(t *testing.T, path string) []byte {
	t.Helper()
	status, body := g.get(path)
	var jwe struct {
		Protected    string `json:"protected"`
		EncryptedKey string `json:"encrypted_key"`
		IV           string `json:"iv"`
		Ciphertext   string `json:"ciphertext"`
		Tag          string `json:"tag"`
	}
	if err := json.Unmarshal(body, &jwe); status != 200 || err != nil {
		t.Fatalf("get %s: %d %s", path, status, body)
	}
	header, _ := b64.DecodeString(jwe.Protected)
	if string(header) != `{"alg":"RSA-OAEP-256","enc":"A256GCM"}` {
		t.Fatalf("protected header %s", header)
	}
	wrapped, _ := b64.DecodeString(jwe.EncryptedKey)
	cek, err := rsa.DecryptOAEP(sha256.New(), nil, g.key, wrapped, nil)
	if err != nil {
		t.Fatalf("unwrapping the key: %v", err)
	}
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	iv, _ := b64.DecodeString(jwe.IV)
	ct, _ := b64.DecodeString(jwe.Ciphertext)
	tag, _ := b64.DecodeString(jwe.Tag)
	plain, err := gcm.Open(nil, iv, append(ct, tag...), []byte(jwe.Protected))
	if err != nil {
		t.Fatal(fmt.Errorf("decrypting: %w", err))
	}
	return plain
}
