// Package catalog knows the CoCo runtime classes: what each is for, which hardware it needs,
// and which nodes can run it. The users' guide's table, updated for the Helm chart era (the
// shims kata-deploy's chart builds per architecture, see plugins/coco/chartvalues).
package catalog

import (
	"slices"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

// Class describes one runtime class.
type Class struct {
	Name string `json:"name"`
	// Arches are the node architectures kata-deploy builds it for (none for peer pods: any;
	// kata-deploy values.yaml shims.<shim>.supportedArches).
	Arches []string `json:"arches,omitempty"`
	// TEE is the hardware it needs ("" for none).
	TEE tee.Kind `json:"tee,omitempty"`
	// GPU: it also needs an NVIDIA GPU in confidential computing mode.
	GPU          bool   `json:"gpu,omitempty"`
	Confidential bool   `json:"confidential"`
	Description  string `json:"description"`
	// Legacy classes come only from the archived operator (<= v0.17.0).
	Legacy bool `json:"legacy,omitempty"`
}

var (
	amd64 = []string{"amd64"}
	s390x = []string{"s390x"}
	all   = []string{"amd64", "arm64", "s390x", "ppc64le"}
)

// Classes is the catalogue, most confidential first within each platform.
var Classes = []Class{
	{Name: "kata-qemu-snp", Arches: amd64, TEE: tee.SEVSNP, Confidential: true, Description: "CoCo in an AMD SEV-SNP confidential VM (QEMU)"},
	{Name: "kata-qemu-tdx", Arches: amd64, TEE: tee.TDX, Confidential: true, Description: "CoCo in an Intel TDX trust domain (QEMU)"},
	{Name: "kata-qemu-nvidia-gpu-snp", Arches: amd64, TEE: tee.SEVSNP, GPU: true, Confidential: true, Description: "CoCo with a confidential NVIDIA GPU on AMD SEV-SNP"},
	{Name: "kata-qemu-nvidia-gpu-tdx", Arches: amd64, TEE: tee.TDX, GPU: true, Confidential: true, Description: "CoCo with a confidential NVIDIA GPU on Intel TDX"},
	{Name: "kata-qemu-se", Arches: s390x, TEE: tee.SE, Confidential: true, Description: "CoCo with IBM Secure Execution (QEMU)"},
	{Name: "kata-qemu-se-runtime-rs", Arches: s390x, TEE: tee.SE, Confidential: true, Description: "CoCo with IBM Secure Execution (Rust runtime)"},
	{Name: "kata-remote", Confidential: true, Description: "peer pods: each pod in its own cloud confidential VM (cloud-api-adaptor)"},
	{Name: "kata-qemu-coco-dev", Arches: []string{"amd64", "s390x"}, Description: "CoCo without a TEE, for testing only: no confidentiality"},
	{Name: "kata-qemu-coco-dev-runtime-rs", Arches: []string{"amd64", "arm64", "s390x"}, Description: "CoCo without a TEE (Rust runtime), for testing only: no confidentiality"},
	{Name: "kata", Arches: all, Legacy: true, Description: "alias of the default Kata handler (usually kata-qemu), not confidential"},
	{Name: "kata-clh", Arches: amd64, Legacy: true, Description: "Kata with Cloud Hypervisor, not confidential"},
	{Name: "kata-qemu", Arches: all, Legacy: true, Description: "Kata with QEMU, not confidential"},
	{Name: "kata-qemu-sev", Arches: amd64, TEE: tee.SEV, Confidential: true, Legacy: true, Description: "AMD SEV (not SNP); dropped from the operator's default in v0.13.0"},
	{Name: "enclave-cc", Arches: amd64, TEE: tee.SGX, Confidential: true, Legacy: true, Description: "process-based isolation in Intel SGX enclaves; removed in CoCo v0.18.0"},
}

// Lookup finds a class by name.
func Lookup(name string) (Class, bool) {
	i := slices.IndexFunc(Classes, func(c Class) bool { return c.Name == name })
	if i < 0 {
		return Class{}, false
	}
	return Classes[i], true
}

// Fit says whether a node's hardware can run a class.
type Fit string

const (
	Yes   Fit = "yes"
	No    Fit = "no"
	Maybe Fit = "unknown" // the node's TEE cannot be told from its labels
)

// HardwareFit judges a node for a class from the node's report: architecture and TEE. Node
// selectors are the caller's to match (they live on the RuntimeClass object).
func HardwareFit(c Class, r nodecheck.Report) Fit {
	if len(c.Arches) > 0 && r.Architecture != "" && !slices.Contains(c.Arches, r.Architecture) {
		return No
	}
	if c.Name == "kata-remote" {
		return Yes // the pod's VM is made by the cloud, not on the node
	}
	if r.TEE.ConfidentialGuest {
		return No // no nested TEE VMs inside a confidential VM
	}
	if c.TEE == "" {
		return Yes
	}
	if c.GPU && !r.TEE.Has(tee.NvidiaCC) {
		if r.TEE.Status == tee.Undetected {
			return Maybe
		}
		return No
	}
	switch {
	case r.TEE.Has(c.TEE):
		return Yes
	case r.TEE.Status == tee.Undetected:
		return Maybe
	}
	return No
}

// Best picks the runtime class a smoke test should use: the first confidential class of the
// catalogue that exists and has a worker whose hardware fits, else the first class without a TEE
// that exists and fits a worker (kata-qemu-coco-dev-runtime-rs on arm64), else
// kata-qemu-coco-dev.
func Best(existing []string, nodes []nodecheck.Report) string {
	for _, confidential := range []bool{true, false} {
		for _, c := range Classes {
			if c.Confidential != confidential || c.Legacy || c.Name == "kata-remote" || !slices.Contains(existing, c.Name) {
				continue
			}
			for _, n := range nodes {
				if n.Worker && HardwareFit(c, n) == Yes {
					return c.Name
				}
			}
		}
	}
	return "kata-qemu-coco-dev"
}
