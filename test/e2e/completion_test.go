package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// TestKubectlCompletesPluginArguments goes through kubectl's own plugin completion (1.26+): it
// finds kubectl_complete-teecheck on PATH (our binary under a second name) and shows node names.
func TestKubectlCompletesPluginArguments(t *testing.T) {
	kubectlDir, err := harness.Binaries("kubectl")
	if err != nil {
		t.Fatal(err)
	}
	pathDir := t.TempDir()
	for _, p := range []string{"teecheck", "coco"} {
		if err := os.Symlink(filepath.Join(binDir, "kubectl-"+p), filepath.Join(pathDir, "kubectl-"+p)); err != nil {
			t.Fatal(err)
		}
		// As a krew user would: the plugin links its own completion next to it.
		install := exec.Command(filepath.Join(pathDir, "kubectl-"+p), "completion", "--install")
		install.Env = append(os.Environ(), "PATH="+pathDir)
		if out, err := install.CombinedOutput(); err != nil || !strings.Contains(string(out), "linked "+filepath.Join(pathDir, "kubectl_complete-"+p)) {
			t.Fatalf("completion --install: %v %s", err, out)
		}
	}
	complete := func(args ...string) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, filepath.Join(kubectlDir, "kubectl"), append([]string{"__complete"}, args...)...)
		cmd.Env = append(os.Environ(), "PATH="+pathDir, "KUBECONFIG="+cp.AdminKubeconfig)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Run(); err != nil {
			t.Fatalf("kubectl __complete %v: %v\n%s", args, err, errOut.String())
		}
		var words []string
		for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
			w, _, _ := strings.Cut(l, "\t") // "word<TAB>description"
			words = append(words, w)
		}
		return words
	}
	got := complete("teecheck", "node", "e2e-")
	if strings.Join(got, " ") != "e2e-small e2e-snp :4" && strings.Join(got, " ") != "e2e-snp e2e-small :4" {
		t.Fatalf("node names: %q", got)
	}
	if got := complete("teecheck", ""); !contains(got, "nodes") || !contains(got, "local") {
		t.Fatalf("subcommands: %q", got)
	}
	if got := complete("coco", "label-workers", "e2e-snp", ""); !contains(got, "e2e-small") || contains(got, "e2e-snp") {
		t.Fatalf("label-workers: %q", got)
	}
	if got := complete("coco", "install", "--method", ""); len(got) == 0 {
		t.Fatalf("flag values: %q", got)
	}
	// kubectl's connection flags complete as kubectl's own do.
	if got := complete("coco", "smoke-test", "-n", "kube-"); !contains(got, "kube-system") {
		t.Fatalf("-n: %q", got)
	}
	if got := complete("teecheck", "nodes", "--context", ""); len(got) < 2 {
		t.Fatalf("--context: %q", got)
	}
}

// A plugin's completion command prints the kubectl_complete-<plugin> executable, or links it
// (#27 class 6): nothing registers "teecheck" as a command of its own.
func TestCompletionScripts(t *testing.T) {
	for _, p := range []string{"teecheck", "coco", "shoot", "demoingress"} {
		r := plugin(t, p, nil, "completion")
		if r.code != 0 || !strings.Contains(r.stdout, "exec kubectl-"+p+" __complete \"$@\"") || strings.Contains(r.stdout, "__start_"+p) {
			t.Errorf("kubectl-%s completion: %d %q %s", p, r.code, r.stdout, r.stderr)
		}
		r = plugin(t, p, nil, "completion", "bash")
		if r.code != 0 || !strings.Contains(r.stderr, "source <(kubectl completion bash)") || strings.Contains(r.stdout, "complete -o default -F __start_"+p) {
			t.Errorf("kubectl-%s completion bash: %d %q %s", p, r.code, r.stdout, r.stderr)
		}
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
