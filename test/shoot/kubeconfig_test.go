package shoot

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootkubeconfig"
)

func TestGardenloginKubeconfig(t *testing.T) {
	r := shoot(t, "kubeconfig", "eco-sbx")
	path := filepath.Join(gctlHome, "kubeconfig-gardenlogin--eco--eco-sbx.yaml")
	if r.Code != 0 || !strings.Contains(r.Stdout, "wrote "+path) {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file %v mode %v", err, fi.Mode())
	}
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Field by field, as gardenctl-v2 and the dashboard shape it.
	if cfg.CurrentContext != "garden-eco--eco-sbx-external" || len(cfg.Clusters) != 2 || len(cfg.Contexts) != 2 || len(cfg.AuthInfos) != 1 {
		t.Fatalf("shape: current %q, %d clusters, %d contexts, %d users", cfg.CurrentContext, len(cfg.Clusters), len(cfg.Contexts), len(cfg.AuthInfos))
	}
	for _, addr := range []string{"external", "internal"} {
		name := "garden-eco--eco-sbx-" + addr
		c := cfg.Clusters[name]
		if c == nil || c.Server != "https://api.eco-sbx.eco."+map[string]string{"external": "shoot", "internal": "internal"}[addr]+".osc.test" ||
			string(c.CertificateAuthorityData) != string(clusterCA) {
			t.Fatalf("cluster %s: %+v", name, c)
		}
		var ext shootkubeconfig.ExecExtension
		if err := json.Unmarshal(c.Extensions["client.authentication.k8s.io/exec"].(*runtime.Unknown).Raw, &ext); err != nil {
			t.Fatal(err)
		}
		if ext.ShootRef.Namespace != "garden-eco" || ext.ShootRef.Name != "eco-sbx" || ext.GardenClusterIdentity != "fg1" {
			t.Fatalf("extension %+v", ext)
		}
		if ctx := cfg.Contexts[name]; ctx.Cluster != name || ctx.AuthInfo != "garden-eco--eco-sbx" {
			t.Fatalf("context %+v", ctx)
		}
	}
	e := cfg.AuthInfos["garden-eco--eco-sbx"].Exec
	if e.APIVersion != "client.authentication.k8s.io/v1" || e.Command != "kubectl-gardenlogin" || strings.Join(e.Args, " ") != "get-client-certificate" ||
		!e.ProvideClusterInfo || e.InteractiveMode != "IfAvailable" || !strings.Contains(e.InstallHint, "gardenlogin") {
		t.Fatalf("exec %+v", e)
	}
	// client-go loads it into a REST config that will run kubectl-gardenlogin with the cluster info.
	rc, err := clientcmd.BuildConfigFromFlags("", path)
	if err != nil || rc.Host != "https://api.eco-sbx.eco.shoot.osc.test" || rc.ExecProvider == nil || rc.ExecProvider.Command != "kubectl-gardenlogin" {
		t.Fatalf("rest config: %v %+v", err, rc)
	}

	r = shoot(t, "kubeconfig", "eco-dev", "-o", "-", "--access-level", "viewer")
	if r.Code != 0 || !strings.Contains(r.Stdout, "--access-level=viewer") || !strings.Contains(r.Stdout, "garden-eco--eco-dev-external") {
		t.Fatalf("stdout: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(gctlHome, "kubeconfig-gardenlogin--eco--eco-dev.yaml")); err == nil {
		t.Fatal("-o - also wrote a file")
	}
	if r := shoot(t, "kubeconfig", "eco-dev", "--access-level", "root"); r.Code != 2 {
		t.Fatalf("bad access level: %d", r.Code)
	}
}

func TestKubeconfigBeforeTheShootIsReady(t *testing.T) {
	create(t, "eco-new")
	r := shoot(t, "kubeconfig", "eco-new")
	if r.Code != 1 || !strings.Contains(r.Stderr, "shoot eco-new has no API server address yet") || !strings.Contains(r.Stderr, "kubectl shoot wait eco-new") {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
	if _, err := os.Stat(filepath.Join(gctlHome, "kubeconfig-gardenlogin--eco--eco-new.yaml")); err == nil {
		t.Fatal("a kubeconfig was written for a shoot without address")
	}
}

// TestAdminKubeconfig asks the real shoots/adminkubeconfig subresource, which signs a client
// certificate with the CA the test published as gardenlet would.
func TestAdminKubeconfig(t *testing.T) {
	out := filepath.Join(t.TempDir(), "admin.yaml")
	r := shoot(t, "kubeconfig", "eco-sbx", "--admin", "--expiration", "1h", "-o", out)
	if r.Code != 0 {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if strings.Contains(r.Stdout+r.Stderr, "PRIVATE KEY") || strings.Contains(r.Stdout+r.Stderr, "client-key-data") {
		t.Fatal("key material on the terminal")
	}
	fi, _ := os.Stat(out)
	cfg, err := clientcmd.LoadFromFile(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatal(err, fi.Mode())
	}
	u := cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo]
	block, _ := pem.Decode(u.ClientCertificateData)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != "gardener.cloud:admin:"+user || cert.Issuer.CommonName != caPEM || cert.NotAfter.Sub(cert.NotBefore).Hours() > 1.1 {
		t.Fatalf("certificate CN %q issuer %q validity %v", cert.Subject.CommonName, cert.Issuer.CommonName, cert.NotAfter.Sub(cert.NotBefore))
	}
	if c := cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster]; c.Server != "https://api.eco-sbx.eco.shoot.osc.test" {
		t.Fatalf("server %s", c.Server)
	}
	if r := shoot(t, "kubeconfig", "eco-sbx", "--admin", "--expiration", "5m"); r.Code != 2 || !strings.Contains(r.Stderr, "at least 10m") {
		t.Fatalf("short expiration: %d %s", r.Code, r.Stderr)
	}
}

func TestUse(t *testing.T) {
	path := filepath.Join(gctlHome, "kubeconfig-gardenlogin--eco--eco-dev.yaml")
	_ = os.Remove(path)
	r := shoot(t, "use", "eco-dev", "--shell", "bash")
	if r.Code != 0 || !strings.Contains(r.Stderr, "wrote "+path) {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	// GCTL_HOME has a space: the printed line must still give bash the exact path.
	out, err := exec.Command("bash", "-c", r.Stdout+`printf %s "$KUBECONFIG"`).Output()
	if err != nil || string(out) != path {
		t.Fatalf("bash got %q (%v) from %q", out, err, r.Stdout)
	}
	before, _ := os.Stat(path)
	for shell, want := range map[string]string{"fish": "set -gx KUBECONFIG '" + path + "'", "powershell": "$env:KUBECONFIG = '" + path + "'", "zsh": "export KUBECONFIG='" + path + "'"} {
		r := shoot(t, "use", "eco-dev", "--shell", shell)
		if r.Code != 0 || strings.TrimSpace(r.Stdout) != want {
			t.Errorf("%s: %q", shell, r.Stdout)
		}
	}
	after, _ := os.Stat(path)
	if !after.ModTime().Equal(before.ModTime()) {
		t.Fatal("use rewrote an existing kubeconfig without --refresh")
	}
	if r := shoot(t, "use", "eco-dev", "--shell", "tcsh"); r.Code != 2 {
		t.Fatalf("unknown shell: %d", r.Code)
	}
	if r := shoot(t, "use", "eco-gone"); r.Code != 1 || !strings.Contains(r.Stderr, `shoot "eco-gone" does not exist`) {
		t.Fatalf("unknown shoot: %d %s", r.Code, r.Stderr)
	}
}
