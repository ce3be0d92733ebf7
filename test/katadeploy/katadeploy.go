// Package katadeploy is a test helper that plays kata-deploy's start-up check: the rule the
// kata-deploy binary applies to its environment before it installs anything
// (kata-containers tools/packaging/kata-deploy/binary/src/config.rs, Config::from_env and
// validate, tags 3.26.0-4.1.0). The kata-deploy payload cannot run here; this is what decides
// whether its pod would start or crash-loop, so the tests hold the chart's rendered DaemonSet to it.
package katadeploy

import (
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// arch is kata-deploy's name of a node architecture (config.rs get_arch, from Rust's
// std::env::consts::ARCH; powerpc64 is reported as ppc64le).
var arch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "s390x": "s390x", "ppc64le": "ppc64le"}

// builtinShims is kata-deploy's fallback shim list when SHIMS_<ARCH> is unset or empty
// (config.rs get_default_shims_for_arch), shortened to a representative part: what matters to the
// tests is that it is not a CoCo-only list and that it contains the built-in default shim.
var builtinShims = map[string]string{
	"x86_64":  "clh dragonball fc qemu qemu-coco-dev qemu-coco-dev-runtime-rs qemu-runtime-rs qemu-snp qemu-tdx",
	"aarch64": "clh dragonball fc qemu qemu-runtime-rs",
	"s390x":   "qemu qemu-runtime-rs qemu-se qemu-se-runtime-rs qemu-coco-dev",
	"ppc64le": "qemu qemu-runtime-rs",
}

// BuiltinDefaultShim is the DEFAULT_SHIM kata-deploy falls back to when DEFAULT_SHIM_<ARCH> is
// unset or empty: "qemu" before 4.0 (config.rs: get_arch_var("DEFAULT_SHIM", "qemu", ...)),
// "qemu-runtime-rs" from 4.0 (get_default_shim_for_arch; 4.0.0 kept qemu on ppc64le).
func BuiltinDefaultShim(version, kataArch string) string {
	v, err := semver.NewVersion(version)
	if err != nil || v.Major() < 4 {
		return "qemu"
	}
	if v.Minor() == 0 && kataArch == "ppc64le" {
		return "qemu"
	}
	return "qemu-runtime-rs"
}

// Result is what kata-deploy would install on a node.
type Result struct {
	Shims       []string
	DefaultShim string
	// Builtin: SHIMS_<ARCH> was not set, kata-deploy used its own list.
	Builtin bool
}

// StartupCheck reads env as kata-deploy (version) does on a node of nodeArch (kubernetes.io/arch)
// and returns what it would install, or the error it exits with. The messages are kata-deploy's.
func StartupCheck(env map[string]string, nodeArch, version string) (Result, error) {
	a, ok := arch[nodeArch]
	if !ok {
		return Result{}, fmt.Errorf("unsupported architecture %q", nodeArch)
	}
	sfx := "_" + strings.ToUpper(a)
	var r Result
	shims := strings.TrimSpace(env["SHIMS"+sfx])
	if shims == "" {
		shims, r.Builtin = builtinShims[a], true
	}
	r.Shims = strings.Fields(shims)
	r.DefaultShim = strings.TrimSpace(env["DEFAULT_SHIM"+sfx])
	if r.DefaultShim == "" {
		r.DefaultShim = BuiltinDefaultShim(version, a)
	}
	// validate(): shims first, then the default shim among them.
	if len(r.Shims) == 0 {
		//lint:ignore ST1005 kata-deploy's own message, word for word
		return r, fmt.Errorf("No runtimes configured. Please provide at least one shim via SHIMS or enable custom runtimes with CUSTOM_RUNTIMES_ENABLED=true")
	}
	if !slices.Contains(r.Shims, r.DefaultShim) {
		return r, fmt.Errorf("DEFAULT_SHIM '%s' must be one of the configured SHIMS for this architecture: [%s]", r.DefaultShim, strings.Join(r.Shims, ", "))
	}
	return r, nil
}
