package trustee

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// testAdminKey writes a fresh Ed25519 administrator key (PKCS#8 PEM) and returns its path and
// public half.
func testAdminKey(t *testing.T) (string, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "admin.key")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, pub
}

// The admin API commands against the KBS stand-in (Trustee v0.21's admin API, in-process on
// loopback): what they send is what the stand-in holds afterwards.
func TestTrusteeAdminOnStandIn(t *testing.T) {
	keyPath, pub := testAdminKey(t)
	k := harness.StartKBSStandIn(t, pub)
	f := cmdtest.OnCluster(clitest.AllowAll(fake.NewClientset()))
	admin := func(args ...string) clitest.Result {
		return run(f, append(append([]string{"trustee"}, args...), "--kbs-url", k.URL, "--admin-key", keyPath)...)
	}
	if r := admin("policy", "get", "-o", "jsonpath={.policyIDs}"); r.Code != 0 || !strings.Contains(r.Out, "resource-policy") {
		t.Fatalf("policy get: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := admin("policy", "set", "--profile", "restricted"); r.Code != 0 {
		t.Fatalf("policy set: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if rp, _ := k.Policies(); !strings.Contains(rp, "package policy") || !strings.Contains(rp, "input") {
		t.Fatalf("resource policy not set: %q", rp)
	}
	if r := admin("resource", "set", "default/db/password", "--from-literal", "s3cret", "-o", "jsonpath={.result} {.bytes}"); r.Code != 0 || r.Out != "done 6" ||
		strings.Contains(r.Out+r.Err, "s3cret") {
		t.Fatalf("resource set: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if got := string(k.Resource("default/db/password")); got != "s3cret" {
		t.Fatalf("the stand-in holds %q", got)
	}
	if r := admin("resource", "set", "default/db/other", "--from-literal", "x", "--dry-run"); r.Code != 0 || k.Resource("default/db/other") != nil {
		t.Fatalf("dry run stored: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := admin("resource", "delete", "default/db/password"); r.Code != 0 || k.Resource("default/db/password") != nil {
		t.Fatalf("resource delete: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := admin("reference-value", "set", "snp_reported_tcb_bootloader=3,4", "--numbers"); r.Code != 0 || !strings.Contains(string(k.ReferenceValue("snp_reported_tcb_bootloader")), "3") {
		t.Fatalf("reference-value set: exit %d %q %s; holds %s", r.Code, r.Out, r.Err, k.ReferenceValue("snp_reported_tcb_bootloader"))
	}
	other, _ := testAdminKey(t)
	if r := run(f, "trustee", "policy", "get", "--kbs-url", k.URL, "--admin-key", other); r.Code != 1 || !strings.Contains(r.Err, "the KBS refused the admin token") {
		t.Fatalf("another key: exit %d %q %s", r.Code, r.Out, r.Err)
	}
	if r := run(f, "trustee", "resource", "get-info", "default/db/password", "-o", "jsonpath={.uri} {.sealedSecrets}"); r.Code != 0 || r.Out != "kbs:///default/db/password []" {
		t.Fatalf("get-info: exit %d %q %s", r.Code, r.Out, r.Err)
	}
}
