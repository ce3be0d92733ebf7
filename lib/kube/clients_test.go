package kube

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

const twoContexts = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:1"}
users:
- name: u
  user: {token: t}
contexts:
- name: garden-eco
  context: {cluster: c, user: u}
- name: shoot-eco-sbx
  context: {cluster: c, user: u}
current-context: garden-eco
`

// A --context the kubeconfig lacks is a usage error naming the file, the closest context and
// all of them; an existing one loads.
func TestNewRefusesAMissingContext(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(twoContexts), 0o600); err != nil {
		t.Fatal(err)
	}
	flags := NewConfigFlags()
	flags.KubeConfig, flags.Context = &path, ptr("shoot-eco-sbc")
	_, err := New(flags, nil)
	if clierr.ExitCode(err) != clierr.CodeUsage || !strings.Contains(err.Error(), `context "shoot-eco-sbc" is not in the kubeconfig `+path+`; did you mean "shoot-eco-sbx"?`) ||
		clierr.FixOf(err) != "contexts there: garden-eco, shoot-eco-sbx (kubectl config get-contexts)" {
		t.Fatalf("code %d: %v (fix %q)", clierr.ExitCode(err), err, clierr.FixOf(err))
	}
	flags = NewConfigFlags() // the flags cache their loader
	flags.KubeConfig, flags.Context = &path, ptr("shoot-eco-sbx")
	if c, err := New(flags, nil); err != nil || c.Config.Host != "https://127.0.0.1:1" {
		t.Fatalf("existing context: %v", err)
	}
}

func ptr(s string) *string { return &s }
