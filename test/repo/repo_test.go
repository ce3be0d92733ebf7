package repo

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRootPassesOverNestedModules(t *testing.T) {
	root, err := Root()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "test", "repo", "repo.go")); err != nil {
		t.Fatalf("Root() = %s, which does not hold test/repo/repo.go: %v", root, err)
	}
	t.Chdir(filepath.Join(root, "hack", "controlplane")) // a module of its own
	if got, err := Root(); err != nil || got != root {
		t.Fatalf("from hack/controlplane: Root() = %q, %v; want %q", got, err, root)
	}
	if got := Path("go.mod"); got != filepath.Join(root, "go.mod") {
		t.Fatalf("Path(go.mod) = %q", got)
	}
	t.Chdir(t.TempDir())
	if _, err := Root(); err == nil {
		t.Fatal("Root() outside the repository: no error")
	}
}

func TestOurs(t *testing.T) {
	for in, want := range map[string]bool{
		"module github.com/osc-coco/kubectl-plugins\n\ngo 1.26\n":                     true,
		"// comment\nmodule github.com/osc-coco/kubectl-plugins\n":                    true,
		"module github.com/osc-coco/kubectl-plugins/hack/controlplane\n":              false,
		"module example.com/other\n// module github.com/osc-coco/kubectl-plugins/x\n": false,
	} {
		if got := ours([]byte(in)); got != want {
			t.Errorf("ours(%q) = %v, want %v", in, got, want)
		}
	}
}
