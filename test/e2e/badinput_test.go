package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Hostile kubeconfigs and garden configs, given to every plugin's built binary: each gets a
// clear message and exit 2 (bad input) or 1 (a cluster that cannot be reached), never a crash,
// never a hang, and the file is left exactly as it was.
func TestHostileConfigFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dir with spaces; $(touch x) `id`")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, 64<<10)
	_, _ = rand.Read(garbage)
	admin, err := os.ReadFile(cp.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cert := field(t, admin, "client-certificate-data")
	valid := string(admin)
	files := []struct {
		name    string
		content []byte
		code    int
		says    string
	}{
		{"malformed yaml", []byte("apiVersion: v1\nclusters: [unclosed\n"), 2, "kubeconfig"},
		{"binary garbage", garbage, 2, "kubeconfig"},
		{"oversized", bytes.Repeat([]byte("# padding padding padding padding padding padding padding\n"), 400_000), 2, "kubeconfig"},
		{"empty", nil, 2, "kubeconfig"},
		{"missing context", []byte(strings.Replace(valid, "current-context: local", "current-context: elsewhere", 1)), 2, "elsewhere"},
		{"bad server url", []byte(strings.Replace(valid, "server: "+cp.Server, "server: ht!tp://[::1", 1)), 2, "kubeconfig"},
		{"unreachable server", []byte(strings.Replace(valid, "server: "+cp.Server, "server: https://127.0.0.1:1", 1)), 1, "cannot reach"},
		{"missing exec plugin", []byte(strings.Replace(valid, "client-certificate-data: "+cert,
			"exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: /nonexistent/kubectl-oidc_login\n      interactiveMode: Never", 1)), 1, "oidc_login"},
	}
	commands := [][]string{
		{"teecheck", "nodes"},
		{"coco", "status"},
		{"coco", "preflight"},
		{"demoingress", "status"},
		{"shoot", "list"},
	}
	for _, f := range files {
		path := filepath.Join(dir, strings.ReplaceAll(f.name, " ", "-")+".yaml")
		if err := os.WriteFile(path, f.content, 0o600); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(f.content)
		for _, c := range commands {
			res := plugin(t, c[0], []string{"NO_COLOR=1"}, append([]string{"--kubeconfig", path, "--request-timeout", "5s"}, c[1:]...)...)
			what := f.name + ": kubectl " + strings.Join(c, " ")
			if strings.Contains(res.stderr, "panic:") || strings.Contains(res.stderr, "goroutine ") {
				t.Fatalf("%s crashed:\n%s", what, res.stderr)
			}
			if res.code != f.code || !strings.Contains(res.stderr, f.says) {
				t.Errorf("%s: exit %d, want %d saying %q:\n%s", what, res.code, f.code, f.says, res.stderr)
			}
			if !strings.Contains(res.stderr, "fix:") && !strings.Contains(res.stderr, "check") {
				t.Errorf("%s: no fix is given:\n%s", what, res.stderr)
			}
			if len(res.stderr) > 4000 {
				t.Errorf("%s: %d bytes of error output (the file's content echoed?)", what, len(res.stderr))
			}
		}
		if data, _ := os.ReadFile(path); sha256.Sum256(data) != sum {
			t.Errorf("%s: the file was changed", f.name)
		}
	}

	// The same for the garden config (gardenctl-v2.yaml) that kubectl shoot reads without --kubeconfig.
	for _, g := range []struct {
		name    string
		content []byte
	}{
		{"binary garbage", garbage},
		{"wrong shape", []byte("gardens: {identity: [1, 2]}\n")},
	} {
		home := filepath.Join(t.TempDir(), "garden home")
		if err := os.MkdirAll(home, 0o700); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(home, "gardenctl-v2.yaml")
		if err := os.WriteFile(path, g.content, 0o600); err != nil {
			t.Fatal(err)
		}
		for _, args := range [][]string{{"list"}, {"config", "view"}, {"config", "set-garden", "fg1", "--kubeconfig", cp.AdminKubeconfig}} {
			res := plugin(t, "shoot", []string{"GCTL_HOME=" + home, "NO_COLOR=1"}, args...)
			if res.code != 2 || !strings.Contains(res.stderr, "is not valid") || len(res.stderr) > 4000 {
				t.Errorf("garden config %s: kubectl shoot %v: exit %d\n%.4000s", g.name, args, res.code, res.stderr)
			}
		}
		if data, _ := os.ReadFile(path); !bytes.Equal(data, g.content) {
			t.Errorf("garden config %s was changed", g.name)
		}
	}
}

// Oversized and binary host evidence for teecheck local: a 40 MiB binary /proc/cpuinfo and kernel
// log. The reader takes a bounded prefix, the verdict comes out as valid JSON, small.
func TestHostileHostEvidence(t *testing.T) {
	root := filepath.Join(t.TempDir(), "host root")
	for _, d := range []string{"proc", "sys/module/kvm_amd/parameters", "dev"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	junk := make([]byte, 40<<20)
	_, _ = rand.Read(junk)
	copy(junk, "processor\t: 0\nflags\t\t: sev sev_es sev_snp\n")
	for _, p := range []string{"proc/cpuinfo", "sys/module/kvm_amd/parameters/sev_snp"} {
		if err := os.WriteFile(filepath.Join(root, p), junk, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dmesg := filepath.Join(t.TempDir(), "dmesg with spaces.txt")
	if err := os.WriteFile(dmesg, junk, 0o644); err != nil {
		t.Fatal(err)
	}
	res := plugin(t, "teecheck", nil, "local", "--host-root", root, "--dmesg", dmesg, "-o", "json")
	if res.code > 1 || strings.Contains(res.stderr, "panic:") {
		t.Fatalf("exit %d\n%s", res.code, res.stderr)
	}
	if len(res.stdout) > 256<<10 || !strings.Contains(res.stdout, `"kind"`) {
		t.Errorf("%d bytes of output:\n%.2000s", len(res.stdout), res.stdout)
	}
	if res := plugin(t, "teecheck", nil, "local", "--host-root", filepath.Join(root, "missing")); res.code != 2 {
		t.Errorf("missing --host-root: exit %d\n%s", res.code, res.stderr)
	}
}
