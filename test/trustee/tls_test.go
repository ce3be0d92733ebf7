package trustee

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/trusteechart"
	"github.com/osc-coco/kubectl-plugins/test/charts"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// Trustee's chart 0.21 (main after v0.21.0) offers native KBS TLS: install serves HTTPS with a
// certificate of the user's CA, initdata's kbs_cert and the admin commands trust that CA.
func TestTrusteeInstallTLS(t *testing.T) {
	cfg := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", cfg)
	ctx := context.Background()
	chartTgz, err := charts.SaveTrusteeChart(t.TempDir(), "0.21.0")
	if err != nil {
		t.Fatal(err)
	}
	caPath := filepath.Join(cfg, "kubectl-coco", "trustee-kbs-ca.crt")
	const ns = "trustee-tls" // the install test's namespace may still be terminating
	t.Cleanup(func() { kc(cp.AdminKubeconfig, "trustee", "uninstall", "-n", ns) })

	var r helmcmd.TrusteeInstallResult
	harness.Step(t, "install serves HTTPS with a certificate of a CA kept here", func(t *testing.T) {
		res := kc(cp.AdminKubeconfig, "trustee", "install", "-n", ns, "--chart", chartTgz, "-o", "json", "--timeout", "30s")
		if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || res.Code != 0 {
			t.Fatalf("exit %d %v\n%s", res.Code, err, res.Stderr)
		}
		svc, _ := cp.Admin.CoreV1().Services(ns).Get(ctx, "trustee-kbs", metav1.GetOptions{})
		if !r.TLS || r.KBSURL != "https://"+svc.Spec.ClusterIP+":8080" || r.KBSCert != caPath || strings.Contains(res.Stderr, "plain HTTP") {
			t.Fatalf("result %+v\n%s", r, res.Stderr)
		}
		if fi, err := os.Stat(strings.TrimSuffix(caPath, ".crt") + ".key"); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("CA key file %v %v", fi, err)
		}
		sec, err := cp.Admin.CoreV1().Secrets(ns).Get(ctx, trusteechart.TLSSecretName("trustee"), metav1.GetOptions{})
		if err != nil || sec.Type != "kubernetes.io/tls" {
			t.Fatalf("TLS Secret: %v", err)
		}
		caPEM, _ := os.ReadFile(caPath)
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(caPEM)
		leaf, _ := trusteechart.ParseCertificate(sec.Data["tls.crt"])
		for _, host := range []string{svc.Spec.ClusterIP, "trustee-kbs." + ns + ".svc", "127.0.0.1"} {
			if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
				t.Errorf("%s: %v", host, err)
			}
		}
		// The KBS mounts it and reads it as [http_server] private_key/certificate.
		d, _ := cp.Admin.AppsV1().Deployments(ns).Get(ctx, "trustee-kbs", metav1.GetOptions{})
		if vols := d.Spec.Template.Spec.Volumes; vols[len(vols)-1].Secret == nil || vols[len(vols)-1].Secret.SecretName != sec.Name {
			t.Fatalf("volumes %+v", vols)
		}
		res = kc(cp.AdminKubeconfig, "trustee", "install", "-n", ns, "--chart", chartTgz, "-o", "jsonpath={.outcome}")
		again, _ := cp.Admin.CoreV1().Secrets(ns).Get(ctx, sec.Name, metav1.GetOptions{})
		if res.Code != 0 || res.Stdout != "unchanged" || again.ResourceVersion != sec.ResourceVersion {
			t.Fatalf("rerun: exit %d %q; the Secret was re-issued: %v", res.Code, res.Stdout, again.ResourceVersion != sec.ResourceVersion)
		}
		res = kc(cp.AdminKubeconfig, "trustee", "status", "-n", ns, "-o", "jsonpath={.tls} {.kbsURL}")
		if res.Code != 0 || res.Stdout != "true "+r.KBSURL {
			t.Fatalf("status: exit %d %q %s", res.Code, res.Stdout, res.Stderr)
		}
	})

	harness.Step(t, "initdata's kbs_cert is the CA; the admin commands trust it for an https KBS", func(t *testing.T) {
		// (the policy does not matter here: no registry answers for a restricted one)
		res := kc(cp.AdminKubeconfig, "initdata", "--kbs-url", r.KBSURL, "--policy", "allow-all", "-o", "json")
		var doc struct{ Document string }
		if err := json.Unmarshal([]byte(res.Stdout), &doc); err != nil || res.Code != 0 || !strings.Contains(res.Stderr, "kbs_cert: the KBS's CA") {
			t.Fatalf("exit %d %v %s", res.Code, err, res.Stderr)
		}
		caPEM, _ := os.ReadFile(caPath)
		d, err := initdata.Parse([]byte(doc.Document))
		if err != nil || !strings.Contains(d.Data[initdata.KeyAA], strings.Split(string(caPEM), "\n")[1]) {
			t.Fatalf("aa.toml %v %s", err, d.Data[initdata.KeyAA])
		}
		// The KBS stand-in served over HTTPS with the install's certificate (127.0.0.1 is in it).
		sec, _ := cp.Admin.CoreV1().Secrets(ns).Get(ctx, trusteechart.TLSSecretName("trustee"), metav1.GetOptions{})
		pair, err := tls.X509KeyPair(sec.Data["tls.crt"], sec.Data["tls.key"])
		if err != nil {
			t.Fatal(err)
		}
		pub, adminKey, _ := ed25519.GenerateKey(rand.Reader)
		k := harness.NewKBSStandIn(t, pub)
		srv := httptest.NewUnstartedServer(k)
		srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		srv.StartTLS()
		defer srv.Close()
		priv, _, _ := kbs.MarshalKeys(adminKey)
		keyFile := writeFile(t, "admin.key", priv)
		if res := coco("", "trustee", "resource", "set", "default/db/pw", "--from-literal", "x", "--kbs-url", srv.URL, "--admin-key", keyFile); res.Code != 0 || string(k.Resource("default/db/pw")) != "x" {
			t.Fatalf("https with the default CA: exit %d %s", res.Code, res.Stderr)
		}
		_ = os.Rename(caPath, caPath+".moved")
		defer func() { _ = os.Rename(caPath+".moved", caPath) }()
		if res := coco("", "trustee", "resource", "delete", "default/db/pw", "--kbs-url", srv.URL, "--admin-key", keyFile); res.Code != 1 || !strings.Contains(res.Stderr, "certificate") {
			t.Fatalf("https without the CA: exit %d %s", res.Code, res.Stderr)
		}
	})

	harness.Step(t, "--insecure-http keeps plain HTTP and warns; uninstall removes the TLS Secret", func(t *testing.T) {
		res := kc(cp.AdminKubeconfig, "trustee", "install", "-n", ns, "--chart", chartTgz, "--insecure-http", "--dry-run")
		if res.Code != 0 || !strings.Contains(res.Stderr, "plain HTTP") || !strings.Contains(res.Stdout, "insecure_http = true") || strings.Contains(res.Stdout, "kbs-tls") {
			t.Fatalf("exit %d %s", res.Code, res.Stderr)
		}
		if res := kc(cp.AdminKubeconfig, "trustee", "uninstall", "-n", ns); res.Code != 0 {
			t.Fatalf("uninstall: exit %d %s", res.Code, res.Stderr)
		}
		if _, err := cp.Admin.CoreV1().Secrets(ns).Get(ctx, trusteechart.TLSSecretName("trustee"), metav1.GetOptions{}); err == nil {
			t.Fatal("the TLS Secret stayed")
		}
	})
}
