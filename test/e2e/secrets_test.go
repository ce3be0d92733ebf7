package e2e

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// No token, certificate or key of the test users reaches stdout or stderr at any -v level:
// client-go logs bodies from -v=8 on, so the plugins cap -v at 7 and say so.
func TestCredentialsNeverPrinted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	// A bearer-token user (a service account token, as CI systems use) ...
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "e2e-secrets", Namespace: "default"}}
	if _, err := cp.Admin.CoreV1().ServiceAccounts("default").Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "e2e-secrets"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "e2e-secrets", Namespace: "default"}}}
	if _, err := cp.Admin.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tr, err := cp.Admin.CoreV1().ServiceAccounts("default").CreateToken(ctx, "e2e-secrets", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	token := tr.Status.Token
	adminCfg, err := os.ReadFile(cp.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cert, key := field(t, adminCfg, "client-certificate-data"), field(t, adminCfg, "client-key-data")
	tokenCfg := strings.Replace(string(adminCfg), "client-certificate-data: "+cert, "token: "+token, 1)
	tokenCfg = strings.Replace(tokenCfg, "    client-key-data: "+key+"\n", "", 1)
	tokenPath := filepath.Join(dir, "token-kubeconfig")
	if err := os.WriteFile(tokenPath, []byte(tokenCfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// ... and a Secret whose value a command could echo if it printed what it read.
	planted := "e2e-planted-" + base64.RawURLEncoding.EncodeToString([]byte("do not print me"))
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sh.helm.release.v1.coco.v1", Namespace: "default",
		Labels: map[string]string{"owner": "helm", "name": "coco", "status": "deployed", "version": "1"}},
		Type: "helm.sh/release.v1", Data: map[string][]byte{"release": []byte(planted)}}
	if _, err := cp.Admin.CoreV1().Secrets("default").Create(ctx, sec, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cp.Admin.CoreV1().Secrets("default").Delete(ctx, sec.Name, metav1.DeleteOptions{})
		_ = cp.Admin.RbacV1().ClusterRoleBindings().Delete(ctx, crb.Name, metav1.DeleteOptions{})
		_ = cp.Admin.CoreV1().ServiceAccounts("default").Delete(ctx, sa.Name, metav1.DeleteOptions{})
	})

	forbidden := map[string]string{
		"bearer token":                    token,
		"token signature":                 token[strings.LastIndex(token, ".")+1:],
		"client certificate (kubeconfig)": cert[len(cert)/2 : len(cert)/2+40],
		"client key (kubeconfig)":         key[len(key)/2 : len(key)/2+40],
		"client key (PEM)":                pemLine(t, key),
		"planted secret":                  planted,
		"planted secret (base64)":         base64.StdEncoding.EncodeToString([]byte(planted))[:24],
	}
	commands := []struct {
		plugin string
		args   []string
	}{
		{"teecheck", []string{"nodes"}},
		{"teecheck", []string{"node", "e2e-snp", "-o", "json"}},
		{"coco", []string{"status", "-n", "default"}},
		{"coco", []string{"preflight"}},
		{"coco", []string{"runtimeclasses"}},
		{"demoingress", []string{"status"}},
		{"coco", []string{"uninstall", "-n", "default", "--dry-run"}},
	}
	for _, kc := range []string{tokenPath, cp.AdminKubeconfig} {
		for _, v := range []string{"0", "4", "6", "7", "8", "10"} {
			for _, c := range commands {
				args := append([]string{"--kubeconfig", kc, "-v", v}, c.args...)
				res := plugin(t, c.plugin, []string{"NO_COLOR=1"}, args...)
				out := res.stdout + res.stderr
				for what, s := range forbidden {
					if strings.Contains(out, s) {
						t.Errorf("kubectl %s %v printed the %s", c.plugin, args, what)
					}
				}
				if strings.Contains(out, "Response Body") || strings.Contains(out, "Request Body") {
					t.Errorf("kubectl %s %v logged API bodies", c.plugin, args)
				}
				if v == "8" || v == "10" {
					if !strings.Contains(res.stderr, fmt.Sprintf("-v=%s is capped at 7", v)) {
						t.Errorf("kubectl %s %v: no note about the cap in %q", c.plugin, args, res.stderr)
					}
				}
				// -v=6 and 7 do log: prove the levels below the cap still work.
				if v == "7" && !strings.Contains(res.stderr, `verb="GET"`) {
					t.Errorf("kubectl %s %v: -v=7 logged no requests:\n%s", c.plugin, args, res.stderr)
				}
			}
		}
	}
}

// pemLine is one full base64 line of the PEM inside a kubeconfig's *-data field.
func pemLine(t *testing.T, b64 string) string {
	t.Helper()
	lines := strings.Split(decode(t, b64), "\n")
	if len(lines) < 3 {
		t.Fatal("short PEM")
	}
	return lines[2]
}
