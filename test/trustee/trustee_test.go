// Package trustee runs kubectl coco's Trustee commands against the KBS stand-in
// (harness.KBSStandIn) on loopback, and plays a guest that attests with the sample TEE and
// fetches what they provisioned, as the RCAR protocol of trustee v0.21 has it.
package trustee

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/trustee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/sealed"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

func coco(stdin string, args ...string) harness.Result {
	return harness.RunStdin(context.Background(), helmcmd.NewRoot, stdin, args...)
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
		var r trustee.TrusteeResult
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

	harness.Step(t, "the KBS's default resource policy refuses a sample guest; a permissive one releases the value, encrypted to its key", func(t *testing.T) {
		g := harness.NewKBSGuest(k.URL)
		if status, _, _ := g.Get("default/db/password"); status != http.StatusUnauthorized {
			t.Fatalf("before attestation: %d", status)
		}
		attest(t, g)
		if _, err := g.Fetch("default/db/password"); err == nil || !strings.Contains(err.Error(), "PolicyDeny") {
			t.Fatalf("the default policy released a resource to the sample TEE: %v", err)
		}
		if res := coco("", admin("policy", "set", "--profile", "permissive")...); res.Code != 0 {
			t.Fatalf("permissive: exit %d %s", res.Code, res.Stderr)
		}
		// The guest's default TEE key (EC P-256, ECDH-ES+A256KW) and the RSA one both decrypt.
		for _, g := range []*harness.KBSGuest{harness.NewKBSGuest(k.URL), harness.NewKBSGuestRSA(k.URL)} {
			attest(t, g)
			if got, err := g.Fetch("default/db/password"); err != nil || string(got) != password {
				t.Fatalf("decrypted %q %v", got, err)
			}
		}
		bad := harness.NewKBSGuest(k.URL)
		wrong := func(runtime map[string]any) ([]byte, error) {
			d, err := harness.BindRuntimeData(runtime)
			d[0] ^= 0xff
			return d, err
		}
		if status, _, err := bad.Attest(wrong); err != nil || status != http.StatusUnauthorized {
			t.Fatalf("evidence with the wrong report data: %d %v", status, err)
		}
	})

	harness.Step(t, "a sealed secret resolves through the KBS as the CDH resolves it", func(t *testing.T) {
		signing, _ := sealed.NewKey()
		privJWK, _ := sealed.PrivateJWK(signing, trustee.DefaultSigningKid)
		pubJWK, _ := sealed.PublicJWK(&signing.PublicKey, trustee.DefaultSigningKid)
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
		g := harness.NewKBSGuest(k.URL)
		attest(t, g)
		raw, err := g.Fetch(strings.TrimPrefix(p.Header.Kid, "kbs:///"))
		if err != nil {
			t.Fatal(err)
		}
		vk, err := sealed.ParsePublicJWK(raw)
		if err != nil || p.Verify(vk) != nil {
			t.Fatalf("verification key from the KBS: %v", err)
		}
		if got, err := g.Fetch(strings.TrimPrefix(p.Secret.Name, "kbs:///")); err != nil || string(got) != password {
			t.Fatalf("unsealed %q %v", got, err)
		}
		// Sealed into the cluster, get-info finds the Secret by the resource and by the key.
		ctx := context.Background()
		if res := harness.Run(ctx, helmcmd.NewRoot, cp.AdminKubeconfig, "secret", "seal", "db", "-n", "default", "--resource", "kbs:///default/db/password", "--signing-key", writeFile(t, "sign2.jwk", privData)); res.Code != 0 {
			t.Fatalf("seal into the cluster: exit %d %s", res.Code, res.Stderr)
		}
		res = harness.Run(ctx, helmcmd.NewRoot, cp.AdminKubeconfig, "trustee", "resource", "get-info", "default/db/password", "-o", "jsonpath={.sealedSecrets} {.inKBS}")
		if res.Code != 0 || !strings.HasPrefix(res.Stdout, `["default/db (key secret)"] cannot tell: the KBS's admin API has no read`) {
			t.Fatalf("get-info: exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
		res = harness.Run(ctx, helmcmd.NewRoot, cp.AdminKubeconfig, "trustee", "resource", "get-info", "default/sealing-key/public", "-o", "jsonpath={.signingKeyFor}")
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
		// Trustee v0.21's GET /resource-policy lists ids only; get says so rather than print a text.
		res := coco("", admin("policy", "get", "-o", "json")...)
		var list trustee.PolicyList
		if err := json.Unmarshal([]byte(res.Stdout), &list); err != nil || res.Code != 0 || len(list.PolicyIDs) != 1 || list.PolicyIDs[0] != "resource-policy" ||
			!strings.Contains(list.Note, "cannot be read back") {
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

	harness.Step(t, "attest check: this machine's hops against the KBS, the policy tested by its effect", func(t *testing.T) {
		check := func(url string) harness.Result {
			return harness.Run(context.Background(), helmcmd.NewRoot, cp.AdminKubeconfig, "attest", "check", "--kbs-url", "http://10.0.0.5:8080",
				"--local-url", url, "--admin-key", keyFile, "--timeout", "3s", "-o", "jsonpath={range .hops[*]}{.name}={.status} {end}")
		}
		// The worker hop's pod lands on a kwok node, which runs nothing: test/realnode runs it for real.
		if res := check(k.URL); res.Code != 1 || res.Stdout != "trustee=skip from-here=pass from-worker=fail untrusted-guest=pass admin=pass " {
			t.Fatalf("restricted: exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
		if res := coco("", admin("policy", "set", "--profile", "permissive")...); res.Code != 0 {
			t.Fatalf("permissive: exit %d %s", res.Code, res.Stderr)
		}
		res := check(k.URL)
		if res.Code != 1 || res.Stdout != "trustee=skip from-here=pass from-worker=fail untrusted-guest=fail admin=pass " {
			t.Fatalf("permissive: exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
		if res := coco("", admin("policy", "set", "--profile", "restricted")...); res.Code != 0 {
			t.Fatalf("restricted: exit %d %s", res.Code, res.Stderr)
		}
	})

	harness.Step(t, "attest check on a KBS with only its default policy, and on one of another protocol", func(t *testing.T) {
		fresh := harness.StartKBSStandIn(t, pub)
		res := harness.Run(context.Background(), helmcmd.NewRoot, cp.AdminKubeconfig, "attest", "check", "--kbs-url", "http://10.0.0.5:8080",
			"--local-url", fresh.URL, "--admin-key", keyFile, "--timeout", "3s", "-o", "json")
		var r helmcmd.AttestReport
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || len(r.Hops) != 5 {
			t.Fatalf("exit %d %v %s", res.Code, err, res.Stderr)
		}
		// The default policy refuses the sample TEE; the admin hop says what it cannot see.
		if h := r.Hops[3]; h.Name != "untrusted-guest" || h.Status != "pass" || !strings.Contains(h.Detail, "cannot be read back") {
			t.Fatalf("untrusted-guest: %+v", h)
		}
		if h := r.Hops[4]; h.Name != "admin" || h.Status != "pass" || !strings.Contains(h.Detail, "policy ids resource-policy") || !strings.Contains(h.Detail, "cannot show the policy text") {
			t.Fatalf("admin: %+v", h)
		}
		fresh.SetProtocol("0.3.0")
		res = harness.Run(context.Background(), helmcmd.NewRoot, cp.AdminKubeconfig, "attest", "check", "--kbs-url", "http://10.0.0.5:8080",
			"--local-url", fresh.URL, "--timeout", "3s", "-o", "json")
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || res.Code != 1 {
			t.Fatalf("exit %d %v %s", res.Code, err, res.Stderr)
		}
		if h := r.Hops[1]; h.Status != "fail" || !strings.Contains(h.Detail, "refuses RCAR protocol 0.4.0 (it expects =0.3.0)") || !strings.Contains(h.Fix, "speaks protocol 0.4.0") {
			t.Fatalf("from-here: %+v", h)
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

// attest runs the guest's RCAR handshake and fails the test unless it gets a token.
func attest(t *testing.T, g *harness.KBSGuest) {
	t.Helper()
	status, body, err := g.Attest(harness.BindRuntimeData)
	var tok struct{ Token string }
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &tok) != nil || strings.Count(tok.Token, ".") != 2 {
		t.Fatalf("attest: %d %s %v", status, body, err)
	}
}
