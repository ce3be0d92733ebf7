package shoot

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// gardenlogin (v0.10.0 cmd/root.go) reads its own file first: doctor names the file it will
// read and whether it has the garden; set-garden warns when it writes another one.
func TestDoctorGardenloginSearchOrder(t *testing.T) {
	good := "gardens:\n- identity: fg1\n  kubeconfig: " + userKC + "\n"
	other := "gardens:\n- identity: fg9\n  kubeconfig: " + userKC + "\n"
	write := func(path, content string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, tc := range []struct {
		name   string
		setup  func(gctl, home string) string // returns the file gardenlogin reads
		status string
		detail string
		fix    string
	}{
		{name: "the same file", status: "pass", detail: "gardenlogin reads {gctl}/gardenctl-v2.yaml too",
			setup: func(gctl, home string) string { return filepath.Join(gctl, "gardenctl-v2.yaml") }},
		{name: "GL_HOME with the garden", status: "pass", detail: "which has garden fg1 with the same kubeconfig",
			setup: func(gctl, home string) string {
				gl := filepath.Join(home, "gl")
				t.Setenv("GL_HOME", gl)
				return write(filepath.Join(gl, "gardenlogin.yaml"), good)
			}},
		{name: "gardenlogin.yaml without the garden", status: "fail", detail: `and it has no garden fg1: shoot kubeconfigs fail with "no garden cluster configured for cluster identity: fg1"`,
			fix: "--garden-config {home}/.garden/gardenlogin.yaml",
			setup: func(gctl, home string) string {
				return write(filepath.Join(home, ".garden", "gardenlogin.yaml"), other)
			}},
		{name: "gardenlogin.yaml with the garden", status: "pass", detail: "which has garden fg1 with the same kubeconfig",
			setup: func(gctl, home string) string {
				return write(filepath.Join(home, ".garden", "gardenlogin.yaml"), good)
			}},
		{name: "gardenlogin.yaml with another kubeconfig", status: "warn", detail: "whose garden fg1 uses kubeconfig /elsewhere.yaml",
			setup: func(gctl, home string) string {
				return write(filepath.Join(home, ".garden", "gardenlogin.yaml"), "gardens:\n- identity: fg1\n  kubeconfig: /elsewhere.yaml\n")
			}},
		{name: "GCTL_HOME and a ~/.garden file", status: "fail", detail: "no garden fg1", fix: "export GL_HOME={gctl}",
			setup: func(gctl, home string) string {
				return write(filepath.Join(home, ".garden", "gardenctl-v2.yaml"), other)
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gctl := newHome(t, good)
			home := os.Getenv("HOME")
			tools(t, "kubectl-gardenlogin", "kubectl-oidc_login")
			reads := tc.setup(gctl, home)
			rep, _ := doctor(t)
			c := rep.check("gardenlogin config")
			expand := strings.NewReplacer("{gctl}", gctl, "{home}", home).Replace
			if c.Status != tc.status || !strings.Contains(c.Detail, expand(tc.detail)) || !strings.Contains(c.Detail, reads) || !strings.Contains(c.Fix, expand(tc.fix)) {
				t.Fatalf("gardenlogin reads %s; check %+v", reads, c)
			}
			// set-garden says the same when it writes a file gardenlogin does not read.
			r := shoot(t, "config", "set-garden", "fg1", "--context", "envtest")
			warned := strings.Contains(r.Stderr, "warning: gardenlogin reads "+reads)
			if r.Code != 0 || warned != (tc.status != "pass") {
				t.Fatalf("set-garden: %d %s", r.Code, r.Stderr)
			}
		})
	}
}

// GCTL_CONFIG_NAME is a name without extension, as gardenctl takes it.
func TestConfigNameWithoutExtension(t *testing.T) {
	dir := newHome(t, "")
	t.Setenv("GCTL_CONFIG_NAME", "custom")
	if r := shoot(t, "config", "set-garden", "fg1", "--kubeconfig", userKC); r.Code != 0 || !strings.Contains(r.Stdout, filepath.Join(dir, "custom.yaml")) {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	if r := shoot(t, "list"); r.Code != 0 {
		t.Fatalf("list from custom.yaml: %d %s", r.Code, r.Stderr)
	}
	t.Setenv("GCTL_CONFIG_NAME", "custom.yaml")
	tools(t, "kubectl-gardenlogin", "kubectl-oidc_login")
	rep, _ := doctor(t)
	if c := rep.check("garden config"); c.Status != "fail" || !strings.Contains(c.Detail, "custom.yaml.yaml does not exist") {
		t.Fatalf("a name with extension is taken as gardenctl takes it: %+v", c)
	}
}
