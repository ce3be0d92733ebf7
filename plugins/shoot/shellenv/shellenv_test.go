package shellenv

import (
	"os/exec"
	"strings"
	"testing"
)

var hostile = []string{
	"/home/u/.garden/kubeconfig-gardenlogin--eco--eco-sbx.yaml",
	"/home/my user/.garden/k.yaml",
	`/tmp/it's "quoted"/k.yaml`,
	"/tmp/$(touch pwned)/`id`/$HOME/k;rm -rf x|y&z.yaml",
	`C:\Users\me\.garden\k.yaml`,
	"/tmp/new\nline/k.yaml",
}

func TestBashEvaluatesToTheLiteralPath(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed for this test:", err)
	}
	for _, p := range hostile {
		line, err := Export("bash", "KUBECONFIG", p)
		if err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bash, "-c", line+"\nprintf %s \"$KUBECONFIG\"").Output()
		if err != nil || string(out) != p {
			t.Errorf("%q: bash read %q (%v) from %s", p, out, err, line)
		}
	}
}

func TestQuoting(t *testing.T) {
	for _, tc := range []struct{ shell, in, want string }{
		{"zsh", "/a b/it's", `export KUBECONFIG='/a b/it'\''s'`},
		{"fish", `/a b/it's\x`, `set -gx KUBECONFIG '/a b/it\'s\\x'`},
		{"powershell", "/a b/it's $x", `$env:KUBECONFIG = '/a b/it''s $x'`},
		{"powershell", "C:\\Users\\it\u2019s", "$env:KUBECONFIG = 'C:\\Users\\it\u2019\u2019s'"},
	} {
		got, err := Export(tc.shell, "KUBECONFIG", tc.in)
		if err != nil || got != tc.want {
			t.Errorf("%s %q: %s (%v)", tc.shell, tc.in, got, err)
		}
	}
	if _, err := Export("tcsh", "KUBECONFIG", "/x"); err == nil || !strings.Contains(err.Error(), "bash, zsh, fish, powershell") {
		t.Fatalf("unknown shell: %v", err)
	}
}

func TestDetect(t *testing.T) {
	for _, tc := range []struct{ shell, goos, ps, want string }{
		{"/bin/zsh", "darwin", "", "zsh"},
		{"/usr/bin/fish", "linux", "", "fish"},
		{"/bin/bash", "linux", "", "bash"},
		{"", "windows", "", "powershell"},
		{"/usr/bin/pwsh", "linux", "", "powershell"},
		{"/bin/sh", "linux", "", "bash"},
	} {
		if got := Detect(tc.shell, tc.goos, tc.ps); got != tc.want {
			t.Errorf("%+v: %s", tc, got)
		}
	}
}
