// Package chartvalues builds the values for the Confidential Containers Helm chart (an
// umbrella over kata-deploy, sub-chart alias kata-as-coco-runtime) for a platform, and reads back
// which runtime classes a set of values should produce.
package chartvalues

import (
	"fmt"
	"sort"
	"strings"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
)

// Defaults of "kubectl coco install".
const (
	DefaultChart   = "oci://ghcr.io/confidential-containers/charts/confidential-containers"
	DefaultVersion = "0.22.0"
	ReleaseName    = "coco"
	Namespace      = "coco-system"
	// SubChart is the alias of kata-deploy in the umbrella chart.
	SubChart = "kata-as-coco-runtime"
)

// Platform chooses the shims.
type Platform string

const (
	X86     Platform = "x86_64"
	S390x   Platform = "s390x"
	Aarch64 Platform = "aarch64"
	Peer    Platform = "peer-pods"
)

var platformAliases = map[string]Platform{
	"x86_64": X86, "amd64": X86, "s390x": S390x, "aarch64": Aarch64, "arm64": Aarch64, "peer-pods": Peer, "remote": Peer,
}

// ParsePlatform accepts x86_64 (amd64), s390x, aarch64 (arm64) and peer-pods (remote).
func ParsePlatform(s string) (Platform, error) {
	if p, ok := platformAliases[strings.ToLower(s)]; ok {
		return p, nil
	}
	return "", fmt.Errorf("unknown platform %q: use x86_64, s390x, aarch64 or peer-pods", s)
}

// PlatformForArch maps a node architecture to its platform.
func PlatformForArch(arch string) Platform {
	if p, ok := platformAliases[arch]; ok {
		return p
	}
	return X86
}

// DefaultNodeSelector puts CoCo's runtime on worker-labelled nodes, as the prerequisites say.
func DefaultNodeSelector() map[string]string { return map[string]string{tee.WorkerLabel: ""} }

// RuntimeClasses are the classes the values should make: "kata-<shim>" for each enabled shim.
func RuntimeClasses(vals map[string]any) []string {
	sub, _ := vals[SubChart].(map[string]any)
	sh, _ := sub["shims"].(map[string]any)
	var out []string
	for name, v := range sh {
		m, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if on, _ := m["enabled"].(bool); on {
			out = append(out, "kata-"+name)
		}
	}
	sort.Strings(out)
	return out
}

// NodeSelector reads the node selector back from the values.
func NodeSelector(vals map[string]any) map[string]string {
	sub, _ := vals[SubChart].(map[string]any)
	sel, _ := sub["nodeSelector"].(map[string]any)
	out := map[string]string{}
	for k, v := range sel {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// Distributions are the k8sDistribution values kata-deploy knows.
var Distributions = []string{"k8s", "k3s", "rke2", "k0s", "microk8s"}
