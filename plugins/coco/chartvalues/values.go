package chartvalues

import (
	"fmt"
	"slices"
	"sort"
)

// cocoShims are the kata-deploy shims each platform wants, the default shim first. Which of them
// a chart offers for an architecture is read from the chart itself (shims.<shim>.supportedArches):
// qemu-coco-dev is built for amd64 and s390x only; arm64 has qemu-coco-dev-runtime-rs, from
// kata-deploy 3.29 on.
var cocoShims = map[Platform][]string{
	X86:     {"qemu-coco-dev", "qemu-coco-dev-runtime-rs", "qemu-snp", "qemu-tdx", "qemu-nvidia-gpu-snp", "qemu-nvidia-gpu-tdx"},
	S390x:   {"qemu-coco-dev", "qemu-se", "qemu-se-runtime-rs"},
	Aarch64: {"qemu-coco-dev-runtime-rs"},
	Peer:    {"remote"},
}

// NodeArch is the node architecture (kubernetes.io/arch) of a platform; "" for peer pods, whose
// pods run in cloud VMs whatever the node is.
func NodeArch(p Platform) string {
	return map[Platform]string{X86: "amd64", S390x: "s390x", Aarch64: "arm64"}[p]
}

// Plan is what ForPlatform chose: the shims, the default shim per node architecture, and the
// values that say so.
type Plan struct {
	Shims       []string
	DefaultShim map[string]string // kubernetes.io/arch -> shim
	Values      map[string]any
}

// ForPlatform builds the values for a platform from what the chart offers: only the platform's
// CoCo shims that the chart builds for its architecture are enabled (shims.disableAll turns
// off the rest), and defaultShim.<arch> names one of them, since kata-deploy refuses to start
// unless its DEFAULT_SHIM is among its SHIMS (kata-deploy binary/src/config.rs, validate).
func ForPlatform(p Platform, info ChartInfo, k8sDistribution string, nodeSelector map[string]string) (Plan, error) {
	offered, _ := info.Sub["shims"].(map[string]any)
	plan := Plan{DefaultShim: map[string]string{}}
	for _, shim := range cocoShims[p] {
		arches := supportedArches(offered[shim])
		if p != Peer && !slices.Contains(arches, NodeArch(p)) {
			continue
		}
		plan.Shims = append(plan.Shims, shim)
		// Every architecture a chosen shim is built for gets a default shim, so that a node
		// of another architecture that the selector also matches starts too.
		for _, a := range arches {
			if plan.DefaultShim[a] == "" {
				plan.DefaultShim[a] = shim
			}
		}
	}
	if len(plan.Shims) == 0 {
		return plan, fmt.Errorf("%s offers none of the CoCo shims for %s (%v): kata-deploy %s ships none for that architecture; supported: %s",
			info.Describe(), p, cocoShims[p], info.KataDeploy, SupportedRange())
	}
	plan.Values = planValues(p, info, plan, k8sDistribution, nodeSelector)
	return plan, nil
}

func planValues(p Platform, info ChartInfo, plan Plan, k8sDistribution string, nodeSelector map[string]string) map[string]any {
	shims := map[string]any{"disableAll": true}
	for _, s := range plan.Shims {
		shims[s] = map[string]any{"enabled": true}
	}
	defaults := map[string]any{}
	for a, s := range plan.DefaultShim {
		defaults[a] = s
	}
	sel := map[string]any{}
	for k, v := range nodeSelector {
		sel[k] = v
	}
	sub := map[string]any{"enabled": true, "k8sDistribution": k8sDistribution, "nodeSelector": sel, "shims": shims, "defaultShim": defaults}
	if _, ok := info.Sub["deploymentMode"]; ok {
		sub["deploymentMode"] = "daemonset" // kata-deploy >= 3.32 can also run Jobs; we follow its DaemonSet
	}
	vals := map[string]any{SubChart: sub}
	if _, ok := info.Umbrella["architecture"]; ok { // the umbrella's NOTES say which platform
		vals["architecture"] = string(p)
	}
	return vals
}

func supportedArches(shim any) []string {
	m, _ := shim.(map[string]any)
	list, _ := m["supportedArches"].([]any)
	var out []string
	for _, a := range list {
		if s, ok := a.(string); ok {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
