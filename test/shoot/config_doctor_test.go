package shoot

import (
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// newHome gives the test its own GCTL_HOME and an empty HOME (so no ~/.garden of the machine
// takes part in gardenlogin's search).
func newHome(t *testing.T, config string) string {
	t.Helper()
	dir := t.TempDir()
	t.Setenv("GCTL_HOME", dir)
	t.Setenv("HOME", t.TempDir())
	for _, v := range []string{"GL_HOME", "GL_CONFIG_NAME", "GCTL_CONFIG_NAME"} {
		t.Setenv(v, "")
	}
	if config != "" {
		if err := os.WriteFile(filepath.Join(dir, "gardenctl-v2.yaml"), []byte(config), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const foreignFields = `# written by gardenctl
gardens:
- identity: other
  kubeconfig: /somewhere/else.yaml
  patterns:
  - ^(?P<shoot>[^/]+)$
  accessRestrictions:
  - key: seed.gardener.cloud/eu-access
    msg: EU access only
    options:
    - key: support.gardener.cloud/eu-access-for-cluster-nodes
      notifyIf: false
      msg: no node access from outside the EU
provider:
  openstack:
    allowedPatterns:
    - field: authURL
      host: keystone.osc.test
linkKubeconfig: false
`

func TestConfigSetViewDelete(t *testing.T) {
	dir := newHome(t, foreignFields)
	cfgPath := filepath.Join(dir, "gardenctl-v2.yaml")
	r := shoot(t, "config", "set-garden", "fg1", "--kubeconfig", userKC)
	if r.Code != 0 || !strings.Contains(r.Stdout, "garden fg1 added") {
		t.Fatalf("%d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	data, _ := os.ReadFile(cfgPath)
	fi, _ := os.Stat(cfgPath)
	for _, keep := range []string{"# written by gardenctl", "accessRestrictions:", "msg: EU access only", "host: keystone.osc.test", "linkKubeconfig: false", "- identity: fg1\n  kubeconfig: " + userKC} {
		if !strings.Contains(string(data), keep) {
			t.Errorf("missing %q in\n%s", keep, data)
		}
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
	if r := shoot(t, "config", "set-garden", "fg1", "--kubeconfig", userKC); r.Code != 0 || !strings.Contains(r.Stdout, "unchanged") {
		t.Fatalf("idempotent: %s", r.Stdout)
	}
	// The garden now works for the other commands (two gardens: --garden picks).
	if r := shoot(t, "list", "--garden", "fg1"); r.Code != 0 {
		t.Fatalf("list via the new garden: %d %s", r.Code, r.Stderr)
	}
	if r := shoot(t, "list"); r.Code != 2 || !strings.Contains(r.Stderr, "pass --garden with one of: other, fg1") {
		t.Fatalf("two gardens without --garden: %d %s", r.Code, r.Stderr)
	}
	r = shoot(t, "config", "view", "-o", "json")
	var v struct {
		Gardens []struct{ Identity, Kubeconfig string }
	}
	if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil || len(v.Gardens) != 2 || v.Gardens[1].Kubeconfig != userKC {
		t.Fatalf("view: %v %s", err, r.Stdout)
	}
	if r := shoot(t, "config", "view"); r.Stdout != string(data) {
		t.Fatalf("view yaml is not the file:\n%s", r.Stdout)
	}
	// A relative path with ~ is stored absolute.
	home, _ := os.UserHomeDir()
	kc := filepath.Join(home, ".kubectl-shoot-test-kubeconfig.yaml")
	raw, _ := os.ReadFile(userKC)
	if err := os.WriteFile(kc, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(kc)
	if r := shoot(t, "config", "set-garden", "fg2", "--kubeconfig", "~/.kubectl-shoot-test-kubeconfig.yaml", "--name", "osc"); r.Code != 0 {
		t.Fatalf("~ path: %d %s", r.Code, r.Stderr)
	}
	data, _ = os.ReadFile(cfgPath)
	if !strings.Contains(string(data), "kubeconfig: "+kc) || !strings.Contains(string(data), "name: osc") {
		t.Fatalf("not absolute:\n%s", data)
	}
	if r := shoot(t, "list", "--garden", "osc"); r.Code != 0 {
		t.Fatalf("garden by alias: %d %s", r.Code, r.Stderr)
	}
	if r := shoot(t, "config", "delete-garden", "fg2"); r.Code != 0 || !strings.Contains(r.Stdout, "deleted") {
		t.Fatal(r.Stdout)
	}
	if r := shoot(t, "config", "delete-garden", "fg2"); r.Code != 0 || !strings.Contains(r.Stdout, "nothing to delete") {
		t.Fatal(r.Stdout)
	}
	if r := shoot(t, "config", "set-garden", "fg3", "--kubeconfig", userKC, "--dry-run"); r.Code != 0 || !strings.Contains(r.Stdout, "identity: fg3") {
		t.Fatal(r.Stdout)
	}
	if b, _ := os.ReadFile(cfgPath); strings.Contains(string(b), "fg3") {
		t.Fatal("--dry-run wrote the file")
	}
}

func TestConfigBadInput(t *testing.T) {
	dir := newHome(t, foreignFields)
	cfgPath := filepath.Join(dir, "gardenctl-v2.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"set-garden", "fg1", "--kubeconfig", "/does/not/exist.yaml"}, "is not a readable kubeconfig: no such file or directory"},
		{[]string{"set-garden", "fg1", "--kubeconfig", userKC, "--context", "nope"}, `has no context "nope"`},
		{[]string{"set-garden", "fg 1", "--kubeconfig", userKC}, `garden identity "fg 1" must contain only letters, digits, '_' and '-', starting and ending with a letter or digit (e.g. fg1, osc-prod)`},
		{[]string{"set-garden", "fg9"}, "--kubeconfig is required"},
		{[]string{"set-garden"}, "expected the garden identity"},
	} {
		r := shoot(t, append([]string{"config"}, tc.args...)...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) {
			t.Errorf("%v: %d %s", tc.args, r.Code, r.Stderr)
		}
	}
	if b, _ := os.ReadFile(cfgPath); string(b) != foreignFields {
		t.Fatal("bad input changed the config")
	}
	// A malformed file is reported with its line and never overwritten.
	broken := "gardens:\n- identity: fg1\n  kubeconfig: [unclosed\n"
	newHome(t, broken)
	for _, args := range [][]string{{"list"}, {"config", "set-garden", "fg1", "--kubeconfig", userKC}, {"config", "view"}} {
		r := shoot(t, args...)
		if r.Code != 2 || !strings.Contains(r.Stderr, "is not valid") {
			t.Errorf("%v on a malformed config: %d %s", args, r.Code, r.Stderr)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(os.Getenv("GCTL_HOME"), "gardenctl-v2.yaml")); string(b) != broken {
		t.Fatal("the malformed config was rewritten")
	}
	newHome(t, "")
	if r := shoot(t, "list"); r.Code != 1 || !strings.Contains(r.Stderr, "no garden is configured") || !strings.Contains(r.Stderr, "kubectl shoot config set-garden") {
		t.Fatalf("no config: %d %s", r.Code, r.Stderr)
	}
}

// tools writes small executables standing in for gardenlogin and kubelogin into a PATH dir.
func tools(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	scripts := map[string]string{
		"kubectl-gardenlogin": "#!/bin/sh\n[ \"$1 $2\" = \"version --short\" ] && echo 'Version: v0.8.0'\n",
		"gardenlogin":         "#!/bin/sh\necho 'Version: v0.8.0'\n",
		"kubectl-oidc_login":  "#!/bin/sh\n[ \"$1\" = \"--version\" ] && echo 'kubelogin version v1.34.0'\n",
	}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(scripts[n]), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", dir)
	return dir
}

type doctorReport struct {
	OK     bool
	Checks []struct{ Name, Status, Detail, Fix string }
}

func doctor(t *testing.T) (doctorReport, int) {
	t.Helper()
	return doctorWith(t)
}

func doctorWith(t *testing.T, args ...string) (doctorReport, int) {
	t.Helper()
	r := shoot(t, append([]string{"doctor", "-o", "json"}, args...)...)
	var rep doctorReport
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("%v: %s %s", err, r.Stdout, r.Stderr)
	}
	return rep, r.Code
}

func (r doctorReport) check(name string) struct{ Name, Status, Detail, Fix string } {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return struct{ Name, Status, Detail, Fix string }{}
}

func TestDoctorAllGood(t *testing.T) {
	newHome(t, "gardens:\n- identity: fg1\n  kubeconfig: "+userKC+"\n")
	tools(t, "kubectl-gardenlogin", "kubectl-oidc_login")
	rep, code := doctor(t)
	if code != 0 || !rep.OK || len(rep.Checks) != 7 {
		t.Fatalf("%d %+v", code, rep)
	}
	if c := rep.check("gardenlogin"); !strings.Contains(c.Detail, "(v0.8.0)") {
		t.Fatalf("%+v", c)
	}
	if c := rep.check("kubelogin"); !strings.Contains(c.Detail, "(v1.34.0)") {
		t.Fatalf("%+v", c)
	}
	if c := rep.check("garden API"); c.Status != "pass" || !strings.Contains(c.Detail, "you are "+user) {
		t.Fatalf("%+v", c)
	}
	r := shoot(t, "doctor")
	if r.Code != 0 || !strings.Contains(r.Stdout, "Gardener access works.") {
		t.Fatalf("human: %s", r.Stdout)
	}
}

func TestDoctorFindsProblems(t *testing.T) {
	newHome(t, "gardens:\n- identity: fg1\n  kubeconfig: "+userKC+"\n")
	tools(t) // nothing installed
	rep, code := doctor(t)
	gl := rep.check("gardenlogin")
	wantFix := map[string]string{"linux": "brew install gardener/tap/gardenlogin", "darwin": "brew install gardener/tap/gardenlogin", "windows": "choco install gardenlogin"}[runtime.GOOS]
	if code != 1 || rep.OK || gl.Status != "fail" || !strings.Contains(gl.Fix, wantFix) || !strings.Contains(gl.Fix, "gardenlogin_"+runtime.GOOS+"_"+runtime.GOARCH) {
		t.Fatalf("missing gardenlogin: %d %+v", code, gl)
	}
	if kl := rep.check("kubelogin"); kl.Status != "warn" || !strings.Contains(kl.Fix, "kubectl krew install oidc-login") {
		t.Fatalf("kubelogin not needed by this kubeconfig, so only a warning: %+v", kl)
	}
	if c := rep.check("garden API"); c.Status != "pass" {
		t.Fatalf("the API check should still run: %+v", c)
	}

	// gardenlogin installed, but not linked as a kubectl plugin.
	tools(t, "gardenlogin")
	rep, _ = doctor(t)
	if gl := rep.check("gardenlogin"); gl.Status != "fail" || !strings.Contains(gl.Detail, "not as kubectl-gardenlogin") || !strings.Contains(gl.Fix, "ln -s") {
		t.Fatalf("unlinked gardenlogin: %+v", gl)
	}

	// The guide's "$HOME/.garden/..." path is not expanded by gardenlogin.
	newHome(t, "gardens:\n- identity: fg1\n  kubeconfig: $HOME/.garden/kubeconfig-garden-eco.yaml\n")
	tools(t, "kubectl-gardenlogin", "kubectl-oidc_login")
	rep, code = doctor(t)
	home, _ := os.UserHomeDir()
	if kc := rep.check("garden kubeconfig"); code != 1 || kc.Status != "fail" || !strings.Contains(kc.Detail, "do not expand") ||
		!strings.Contains(kc.Fix, "kubectl shoot config set-garden fg1 --kubeconfig "+home+"/.garden/kubeconfig-garden-eco.yaml") {
		t.Fatalf("$HOME path: %+v", kc)
	}
}

func TestDoctorKubeloginNeeded(t *testing.T) {
	// A garden kubeconfig like the dashboard's: kubectl oidc-login as credential plugin.
	cfg, err := clientcmd.LoadFromFile(userKC)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range cfg.AuthInfos {
		*u = clientcmdapi.AuthInfo{Exec: &clientcmdapi.ExecConfig{APIVersion: "client.authentication.k8s.io/v1beta1", Command: "kubectl",
			Args: []string{"oidc-login", "get-token", "--oidc-issuer-url=https://issuer.osc.test", "--oidc-client-id=garden"}}}
	}
	dir := newHome(t, "")
	kc := filepath.Join(dir, "garden-oidc.yaml")
	if err := clientcmd.WriteToFile(*cfg, kc); err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "gardenctl-v2.yaml"), []byte("gardens:\n- identity: fg1\n  kubeconfig: "+kc+"\n"), 0o600)
	tools(t, "kubectl-gardenlogin")
	rep, code := doctor(t)
	kl, ex := rep.check("kubelogin"), rep.check("garden login plugin")
	if code != 1 || kl.Status != "fail" || !strings.Contains(kl.Detail, "unknown command oidc-login") || ex.Status != "fail" || rep.check("garden API").Name != "" {
		t.Fatalf("%d %+v", code, rep)
	}
}

func TestGardenUnreachable(t *testing.T) {
	cfg, err := clientcmd.LoadFromFile(userKC)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		c.Server = "https://127.0.0.1:1"
	}
	dir := newHome(t, "")
	kc := filepath.Join(dir, "down.yaml")
	_ = clientcmd.WriteToFile(*cfg, kc)
	_ = os.WriteFile(filepath.Join(dir, "gardenctl-v2.yaml"), []byte("gardens:\n- identity: fg1\n  kubeconfig: "+kc+"\n"), 0o600)
	tools(t, "kubectl-gardenlogin", "kubectl-oidc_login")
	rep, code := doctor(t)
	if c := rep.check("garden API"); code != 1 || c.Status != "fail" || !strings.Contains(c.Detail, "cannot reach") {
		t.Fatalf("%d %+v", code, c)
	}
	r := shoot(t, "list", "-p", "eco")
	if r.Code != 1 || !strings.Contains(r.Stderr, "cannot reach") {
		t.Fatalf("list: %d %s", r.Code, r.Stderr)
	}
}

// #27 class 2: doctor checks the garden --kubeconfig names, as every other verb takes it: a
// kubeconfig whose server does not answer fails the API check although the garden config's
// garden is healthy.
func TestDoctorHonoursKubeconfig(t *testing.T) {
	newHome(t, "gardens:\n- identity: fg1\n  kubeconfig: "+userKC+"\n")
	tools(t, "kubectl-gardenlogin", "kubectl-oidc_login")
	closed := filepath.Join(t.TempDir(), "closed.yaml")
	kc := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\nusers:\n- name: u\n  user: {token: t}\n" +
		"contexts:\n- name: x\n  context: {cluster: c, user: u}\ncurrent-context: x\n"
	if err := os.WriteFile(closed, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	rep, code := doctorWith(t, "--kubeconfig", closed, "--timeout", "3s")
	if c := rep.check("garden kubeconfig (--kubeconfig)"); c.Status != "pass" || !strings.Contains(c.Detail, closed) {
		t.Fatalf("the kubeconfig checked is not --kubeconfig's: %+v", rep)
	}
	if c := rep.check("garden API"); code != 1 || rep.OK || c.Status != "fail" || !strings.Contains(c.Detail, "127.0.0.1:1") {
		t.Fatalf("exit %d: the closed port was reported healthy: %+v", code, rep)
	}
}
