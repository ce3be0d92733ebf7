package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/cli-runtime/pkg/genericiooptions"
)

func runRoot(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut}
	root, _ := NewRoot("teecheck", "s", "l", streams)
	root.SetArgs(args)
	return ExecuteContext(context.Background(), root, streams), out.String(), errOut.String()
}

// #27 class 6: completion is kubectl's: the command prints the kubectl_complete-<plugin>
// executable or links it next to the plugin (idempotently, leaving a foreign file alone), and
// nothing registers "teecheck" as a command of its own.
func TestCompletionThroughKubectl(t *testing.T) {
	code, out, _ := runRoot(t, "completion")
	if code != 0 || !strings.Contains(out, `exec kubectl-teecheck __complete "$@"`) {
		t.Fatalf("script: exit %d %q", code, out)
	}
	code, out, errOut := runRoot(t, "completion", "bash")
	if code != 0 || strings.Contains(out, "__start_teecheck") || !strings.Contains(errOut, "source <(kubectl completion bash)") {
		t.Fatalf("bash: exit %d %q %q", code, out, errOut)
	}
	if code, _, errOut := runRoot(t, "completion", "tcsh"); code != 2 || !strings.Contains(errOut, `unknown shell "tcsh"`) {
		t.Fatalf("tcsh: exit %d %q", code, errOut)
	}

	bin, links := t.TempDir(), t.TempDir()
	plugin := filepath.Join(bin, "kubectl-teecheck")
	if err := os.WriteFile(plugin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	for i, want := range []string{"linked " + filepath.Join(links, "kubectl_complete-teecheck"), "already links to " + plugin} {
		code, out, errOut := runRoot(t, "completion", "--install", "--dir", links)
		if got, _ := os.Readlink(filepath.Join(links, "kubectl_complete-teecheck")); code != 0 || got != plugin || !strings.Contains(out, want) {
			t.Fatalf("install %d: exit %d %q %q (link %q)", i, code, out, errOut, got)
		}
	}
	foreign := filepath.Join(bin, "kubectl_complete-teecheck")
	if err := os.WriteFile(foreign, []byte("mine"), 0o755); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := runRoot(t, "completion", "--install"); code != 1 || !strings.Contains(errOut, "is not a link; it is left as it is") {
		t.Fatalf("foreign file: exit %d %q", code, errOut)
	}
	if data, _ := os.ReadFile(foreign); string(data) != "mine" {
		t.Fatalf("the user's file was changed: %q", data)
	}
}

// --context completes with the kubeconfig's contexts.
func TestContextCompletion(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	data := "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\nusers:\n- name: u\n  user: {token: t}\n" +
		"contexts:\n- name: garden-eco\n  context: {cluster: c, user: u}\n- name: shoot-eco-sbx\n  context: {cluster: c, user: u}\ncurrent-context: garden-eco\n"
	if err := os.WriteFile(kc, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := runRoot(t, "__complete", "--kubeconfig", kc, "version", "--context", "shoot")
	if code != 0 || !strings.HasPrefix(out, "shoot-eco-sbx\n:4") {
		t.Fatalf("exit %d %q %q", code, out, errOut)
	}
}
