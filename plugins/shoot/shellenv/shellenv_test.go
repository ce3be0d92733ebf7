package shellenv

import (
	"os"
	"os/exec"
	"path/filepath"
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

// Every shell we can run here (hack/node-deps.sh installs zsh and fish) reads back exactly the
// path, whatever it holds; none runs any part of it. PowerShell is not packaged for Debian and
// cannot be fetched here: its quoting is checked by TestQuoting only.
func TestShellsEvaluateToTheLiteralPath(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "pwned")
	paths := append(hostile, "/tmp/$(touch "+marker+")/k.yaml", "/tmp/`touch "+marker+"`/k.yaml",
		`/tmp/*/~/{a,b}/!!/%s/\\/\'/k.yaml`, "/tmp/ünïcödé ✓/k.yaml", `/tmp/\$HOME/k.yaml`)
	for _, sh := range []struct{ shell, bin, print string }{
		{"bash", "bash", `printf %s "$KUBECONFIG"`},
		{"sh", "dash", `printf %s "$KUBECONFIG"`},
		{"zsh", "zsh", `printf %s "$KUBECONFIG"`},
		{"fish", "fish", `printf %s "$KUBECONFIG"`},
	} {
		bin, err := exec.LookPath(sh.bin)
		if err != nil {
			t.Fatalf("%s is needed for this test (hack/node-deps.sh installs it): %v", sh.bin, err)
		}
		for _, p := range paths {
			line, err := Export(sh.shell, "KUBECONFIG", p)
			if err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(bin, "-c", line+"\n"+sh.print).Output()
			if err != nil || string(out) != p {
				t.Errorf("%s: %q read back as %q (%v) from %s", sh.bin, p, out, err, line)
			}
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("a shell ran a command substitution from the path")
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
