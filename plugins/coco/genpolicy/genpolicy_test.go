package genpolicy

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fake writes a shell script that answers like a genpolicy build: version, help, and a run.
func fake(t *testing.T, help, run string) string {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "genpolicy")
	script := "#!/bin/sh\ncase \"$1\" in\n--version) echo 'Kata Containers policy tool (Rust): id: genpolicy, version: 0.1.0, commit: 0123456789abcdef0123';;\n--help) echo '" + help + "';;\n*) " + run + ";;\nesac\n"
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseVersion(t *testing.T) {
	v, err := ParseVersion("Kata Containers policy tool (Rust): id: genpolicy, version: 0.1.0, commit: 9f1c0b6a7e2d4c3b2a1f0e9d8c7b6a5f4e3d2c1b\n")
	if err != nil || v != "0.1.0 (commit 9f1c0b6a7e2d)" {
		t.Fatalf("%q %v", v, err)
	}
	if _, err := ParseVersion("genpolicy 1.0"); err == nil {
		t.Fatal("another tool's output")
	}
}

func TestFindAndRun(t *testing.T) {
	ctx := context.Background()
	if _, err := Find(ctx, filepath.Join(t.TempDir(), "none")); err == nil {
		t.Fatal("a missing binary")
	}
	// Before kata 3.22, genpolicy had no --initdata-path: refused, naming what is needed.
	if _, err := Find(ctx, fake(t, "  -y, --yaml-file", "exit 0")); err == nil || !strings.Contains(err.Error(), "has no --initdata-path") {
		t.Fatalf("old genpolicy: %v", err)
	}
	// The run's arguments, and its error output on failure.
	tool, err := Find(ctx, fake(t, "  --initdata-path=<INITDATA_PATH>", `echo "$@" > "$(dirname "$0")/args"; echo 'Error: cannot pull image' >&2; exit 1`))
	if err != nil || tool.Version != "0.1.0 (commit 0123456789ab)" || tool.Rules != "" {
		t.Fatalf("%+v %v", tool, err)
	}
	_, err = tool.Run(ctx, []byte("kind: Pod\n"), []byte("version = \"0.1.0\"\n"), "kata-qemu-snp")
	args, _ := os.ReadFile(filepath.Join(filepath.Dir(tool.Path), "args"))
	if err == nil || !strings.Contains(err.Error(), "cannot pull image") || !strings.Contains(string(args), "--initdata-path=") ||
		!strings.Contains(string(args), "--runtime-class-names kata-qemu-snp") {
		t.Fatalf("%v %s", err, args)
	}
	// rules.rego and genpolicy-settings.json beside the binary are passed as -p and -j.
	dir := filepath.Dir(tool.Path)
	_ = os.WriteFile(filepath.Join(dir, "rules.rego"), nil, 0o600)
	_ = os.WriteFile(filepath.Join(dir, "genpolicy-settings.json"), nil, 0o600)
	if tool, err = Find(ctx, tool.Path); err != nil || tool.Rules != filepath.Join(dir, "rules.rego") || tool.Settings == "" {
		t.Fatalf("%+v %v", tool, err)
	}
}
