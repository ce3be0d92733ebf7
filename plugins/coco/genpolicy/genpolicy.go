// Package genpolicy runs kata-containers' genpolicy (src/tools/genpolicy) on a workload: the
// upstream tool that writes a restrictive agent policy from a pod's YAML (its images' configs,
// commands, mounts, probes). kata 4.x's genpolicy puts the policy into the initdata annotation
// itself: given our initdata (--initdata-path, with aa.toml and cdh.toml), it adds policy.rego
// and writes io.katacontainers.config.hypervisor.cc_init_data on each pod template
// (src/tools/genpolicy/src/policy.rs generate_initdata_anno; yaml.rs add_policy_annotation).
package genpolicy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Supported names the genpolicy releases whose output kubectl coco reads: those that take
// --initdata-path and write the cc_init_data annotation (kata-containers 3.22 to 4.1; before,
// the policy went into io.katacontainers.config.agent.policy). genpolicy's own version is its
// crate's, 0.1.0 in every release (main.rs prints CARGO_PKG_VERSION and the commit), so the
// option is what is checked.
const Supported = "genpolicy with --initdata-path (kata-containers 3.22 to 4.1)"

// InstallHint says where genpolicy comes from.
const InstallHint = "genpolicy ships in kata-containers' release tarball (kata-tools-static-*.tar.zst: bin/genpolicy with rules.rego and genpolicy-settings.json); " +
	"put it on PATH or pass --genpolicy PATH, or use --policy restricted (kubectl coco's own policy, no tool needed)"

// Tool is one genpolicy binary with its rules and settings.
type Tool struct {
	Path string
	// Rules and Settings are genpolicy's -p and -j ("" for genpolicy's defaults in the working
	// directory); Find fills them from the binary's folder, where the release keeps them.
	Rules, Settings string
	Version         string
}

// Find locates genpolicy (the flag's path, else PATH) and its rules and settings, and checks its
// version.
func Find(ctx context.Context, flag string) (*Tool, error) {
	path := flag
	if path == "" {
		p, err := exec.LookPath("genpolicy")
		if err != nil {
			return nil, fmt.Errorf("genpolicy is not on PATH")
		}
		path = p
	}
	t := &Tool{Path: path}
	for file, dst := range map[string]*string{"rules.rego": &t.Rules, "genpolicy-settings.json": &t.Settings} {
		if p := filepath.Join(filepath.Dir(path), file); exists(p) {
			*dst = p
		}
	}
	out, err := exec.CommandContext(ctx, path, "--version").CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %v: %s", path, err, strings.TrimSpace(string(out)))
	}
	if t.Version, err = ParseVersion(string(out)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	help, _ := exec.CommandContext(ctx, path, "--help").CombinedOutput()
	if !strings.Contains(string(help), "--initdata-path") {
		return nil, fmt.Errorf("%s (%s) has no --initdata-path: kubectl coco needs %s", path, t.Version, Supported)
	}
	return t, nil
}

func exists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

var versionLine = regexp.MustCompile(`Kata Containers policy tool \(Rust\): id: genpolicy, version: (\S+), commit: (\S*)`)

// ParseVersion reads "Kata Containers policy tool (Rust): id: genpolicy, version: 0.1.0, commit:
// <sha>" (main.rs) as "0.1.0 (commit <sha>)".
func ParseVersion(out string) (string, error) {
	m := versionLine.FindStringSubmatch(out)
	if m == nil {
		return "", fmt.Errorf("not genpolicy's version output: %q", strings.TrimSpace(out))
	}
	commit := m[2]
	if len(commit) > 12 {
		commit = commit[:12]
	}
	return strings.TrimSuffix(m[1], ",") + " (commit " + commit + ")", nil
}

// Run gives genpolicy the manifest and our initdata document and returns the manifest it wrote
// (each pod template with the cc_init_data annotation: our document with policy.rego added).
// Only pods of runtimeClass get a policy (--runtime-class-names).
func (t *Tool) Run(ctx context.Context, manifest, initdataTOML []byte, runtimeClass string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "kubectl-coco-genpolicy-")
	if err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	yamlFile, initFile := filepath.Join(dir, "workload.yaml"), filepath.Join(dir, "initdata.toml")
	if err := errors.Join(os.WriteFile(yamlFile, manifest, 0o600), os.WriteFile(initFile, initdataTOML, 0o600)); err != nil {
		return nil, err
	}
	args := []string{"-y", yamlFile, "--initdata-path=" + initFile}
	if runtimeClass != "" {
		args = append(args, "--runtime-class-names", runtimeClass)
	}
	if t.Rules != "" {
		args = append(args, "-p", t.Rules)
	}
	if t.Settings != "" {
		args = append(args, "-j", t.Settings)
	}
	cmd := exec.CommandContext(ctx, t.Path, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("genpolicy %s failed: %v: %s", t.Version, err, lastLines(stderr.String(), 5))
	}
	return os.ReadFile(yamlFile)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "; ")
}
