package chartvalues

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	sigyaml "sigs.k8s.io/yaml"
)

// kataArch is kata-deploy's name of a node architecture, as its binary reports
// std::env::consts::ARCH (binary/src/config.rs, get_arch), and so the suffix of its variables.
var kataArch = map[string]string{"amd64": "x86_64", "arm64": "aarch64", "s390x": "s390x", "ppc64le": "ppc64le"}

// EnvSuffix is the suffix of kata-deploy's per-architecture variables (SHIMS_X86_64) for a node
// architecture (kubernetes.io/arch).
func EnvSuffix(nodeArch string) string {
	if a, ok := kataArch[nodeArch]; ok {
		return "_" + strings.ToUpper(a)
	}
	return ""
}

// RuntimeClassesIn lists the RuntimeClass objects of a manifest (kata-deploy >= 3.26 renders one
// per enabled shim itself).
func RuntimeClassesIn(manifest string) []string {
	var out []string
	_ = eachDoc(manifest, "RuntimeClass", func(doc []byte) {
		var rc nodev1.RuntimeClass
		if sigyaml.Unmarshal(doc, &rc) == nil && rc.Kind == "RuntimeClass" && rc.Name != "" {
			out = append(out, rc.Name)
		}
	})
	slices.Sort(out)
	return out
}

// eachDoc calls fn with every YAML document of manifest that mentions kind.
func eachDoc(manifest, kind string, fn func([]byte)) error {
	r := yaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifest)))
	for {
		doc, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the manifest: %w", err)
		}
		if bytes.Contains(doc, []byte(kind)) {
			fn(doc)
		}
	}
}

// KataDeployDaemonSet finds kata-deploy's DaemonSet in a rendered or released manifest: it is
// named after the sub-chart (kata-as-coco-runtime under the umbrella, not kata-deploy), so it
// is told by its env (DAEMONSET_NAME, SHIMS_*); a manifest with one DaemonSet has no doubt.
func KataDeployDaemonSet(manifest string) (*appsv1.DaemonSet, error) {
	var all, kata []*appsv1.DaemonSet
	err := eachDoc(manifest, "DaemonSet", func(doc []byte) {
		var ds appsv1.DaemonSet
		if sigyaml.Unmarshal(doc, &ds) != nil || ds.Kind != "DaemonSet" {
			return
		}
		all = append(all, &ds)
		if looksLikeKataDeploy(&ds) {
			kata = append(kata, &ds)
		}
	})
	switch {
	case err != nil:
		return nil, err
	case len(kata) > 0:
		return kata[0], nil
	case len(all) == 1:
		return all[0], nil
	}
	return nil, nil
}

func looksLikeKataDeploy(ds *appsv1.DaemonSet) bool {
	for _, c := range ds.Spec.Template.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == "DAEMONSET_NAME" || strings.HasPrefix(e.Name, "SHIMS") {
				return true
			}
		}
	}
	return false
}

// Env is the kata-deploy container's plain environment (values only, no references).
func Env(ds *appsv1.DaemonSet) map[string]string {
	out := map[string]string{}
	for _, c := range ds.Spec.Template.Spec.Containers {
		if !slices.ContainsFunc(c.Env, func(e corev1.EnvVar) bool { return strings.HasPrefix(e.Name, "SHIMS") || e.Name == "DAEMONSET_NAME" }) {
			continue
		}
		for _, e := range c.Env {
			if e.ValueFrom == nil {
				out[e.Name] = e.Value
			}
		}
	}
	return out
}

// CheckEnv applies kata-deploy's start-up check (binary/src/config.rs, validate) to the env the
// chart renders, for each node architecture the DaemonSet will run on, and asks more: SHIMS_<ARCH>
// must be rendered (without it kata-deploy installs its own built-in list, not CoCo's) and hold
// the shims we enabled, and DEFAULT_SHIM_<ARCH> must be rendered and be one of them (the chart
// omits it when the default shim is disabled, and kata-deploy's built-in fallback, qemu or
// qemu-runtime-rs, is not in a CoCo shim list).
func CheckEnv(env map[string]string, nodeArches, want []string) error {
	var problems []string
	for _, arch := range nodeArches {
		sfx := EnvSuffix(arch)
		if sfx == "" {
			problems = append(problems, fmt.Sprintf("kata-deploy has no build for node architecture %q", arch))
			continue
		}
		shims := strings.Fields(env["SHIMS"+sfx])
		def := strings.TrimSpace(env["DEFAULT_SHIM"+sfx])
		switch {
		case len(shims) == 0:
			problems = append(problems, fmt.Sprintf("no SHIMS%s for %s nodes: kata-deploy would install its built-in shims there, none of CoCo's", sfx, arch))
		case def == "":
			problems = append(problems, fmt.Sprintf("no DEFAULT_SHIM%s for %s nodes: kata-deploy falls back to its built-in default, which is not among SHIMS%s [%s], and refuses to start",
				sfx, arch, sfx, strings.Join(shims, " ")))
		case !slices.Contains(shims, def):
			problems = append(problems, fmt.Sprintf("DEFAULT_SHIM%s %q is not among SHIMS%s [%s]: kata-deploy refuses to start on %s nodes",
				sfx, def, sfx, strings.Join(shims, " "), arch))
		default:
			if lost := missingFrom(want, shims, arch); len(lost) > 0 {
				problems = append(problems, fmt.Sprintf("SHIMS%s [%s] lacks %s", sfx, strings.Join(shims, " "), strings.Join(lost, ", ")))
			}
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("the chart's kata-deploy DaemonSet would not start: %s", strings.Join(problems, "; "))
	}
	return nil
}

// missingFrom lists the wanted shims built for arch that SHIMS lacks. Shims of another
// architecture (qemu-se on amd64 nodes) are not expected there.
func missingFrom(want, shims []string, arch string) []string {
	var out []string
	for _, w := range want {
		if !slices.Contains(shims, w) && shimArch(w, arch) {
			out = append(out, w)
		}
	}
	return out
}

func shimArch(shim, arch string) bool {
	for p, list := range cocoShims {
		if slices.Contains(list, shim) && (p == Peer || NodeArch(p) == arch) {
			return true
		}
	}
	return false
}
