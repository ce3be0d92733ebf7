package shootspec

import (
	"fmt"
	"sort"
	"strings"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/apimachinery/pkg/util/version"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
)

// SGXDropped is why no pool is made "for CoCo" on SGX machines: CoCo removed enclave-cc, its
// only SGX runtime, in v0.18; no runtime class of the current charts runs in an SGX enclave.
const SGXDropped = "CoCo dropped SGX in v0.18 (enclave-cc removed): no CoCo runtime class runs on SGX, so an SGX machine runs only kata-qemu-coco-dev, which is not confidential; choose machines with AMD SEV-SNP or Intel TDX"

// CocoWarning is what to say about a machine type for CoCo that CoCo's checks pass but that
// protects nothing ("" when there is nothing to say).
func CocoWarning(machineType string) string {
	if strings.HasPrefix(machineType, TEEMachineTypes["sgx"]) {
		return "machine type " + machineType + " is an SGX type: " + SGXDropped
	}
	return ""
}

// TEEMachineTypes name the TEE machine types of the cloud profile by their prefix: OSC's SGX
// types are vm-dedicated-sgx-* (their nodes carry node.kubernetes.io/instance-type).
var TEEMachineTypes = map[string]string{"sgx": "vm-dedicated-sgx-"}

// CheckCoco holds a machine type and a Kubernetes version to CoCo's requirements (lib/tee:
// 4 CPUs, 8 GiB, Kubernetes >= 1.24), and to the TEE asked for; the error names the
// requirement missed and the profile's machine types that meet them all.
func CheckCoco(spec gardencorev1beta1.CloudProfileSpec, mt gardencorev1beta1.MachineType, teeKind, k8s string) error {
	if reason := cocoMisses(mt, teeKind); reason != "" {
		fits := cocoFits(spec, teeKind)
		fix := "no machine type of the cloud profile meets them all"
		if len(fits) > 0 {
			fix = "machine types that do: " + strings.Join(fits, ", ")
		}
		return &InputError{Flag: "--machine-type", Err: fmt.Errorf("machine type %s %s, which CoCo needs; %s", mt.Name, reason, fix)}
	}
	if k8s != "" {
		v, err := version.ParseGeneric(k8s)
		if err == nil && v.LessThan(tee.MinKubernetes) {
			return &InputError{Flag: "--kubernetes-version", Err: fmt.Errorf("the Kubernetes version %s is older than %s, which CoCo needs", k8s, tee.MinKubernetes)}
		}
	}
	return nil
}

// cocoMisses says which requirement the machine type misses ("" when none).
func cocoMisses(mt gardencorev1beta1.MachineType, teeKind string) string {
	switch {
	case mt.CPU.Value() < tee.MinCPUs:
		return fmt.Sprintf("has %s CPUs, not the %d", mt.CPU.String(), tee.MinCPUs)
	case mt.Memory.Cmp(tee.MinMemory) < 0:
		return fmt.Sprintf("has %s of memory, not the %s", mt.Memory.String(), tee.MinMemory.String())
	case teeKind != "" && !strings.HasPrefix(mt.Name, TEEMachineTypes[teeKind]):
		return fmt.Sprintf("is not a %s machine type (%s*)", strings.ToUpper(teeKind), TEEMachineTypes[teeKind])
	}
	return ""
}

// cocoFits are the profile's machine types that meet the requirements, smallest first.
func cocoFits(spec gardencorev1beta1.CloudProfileSpec, teeKind string) []string {
	var fits []gardencorev1beta1.MachineType
	for _, mt := range spec.MachineTypes {
		if (mt.Usable == nil || *mt.Usable) && cocoMisses(mt, teeKind) == "" {
			fits = append(fits, mt)
		}
	}
	sort.SliceStable(fits, func(i, j int) bool {
		if c := fits[i].CPU.Cmp(fits[j].CPU); c != 0 {
			return c < 0
		}
		if c := fits[i].Memory.Cmp(fits[j].Memory); c != 0 {
			return c < 0
		}
		return fits[i].Name < fits[j].Name
	})
	var out []string
	for _, mt := range fits {
		out = append(out, mt.Name)
	}
	if len(out) > 6 {
		out = append(out[:6], "...")
	}
	return out
}

// CocoWorkerLabels are the pool labels Gardener puts on the pool's nodes: CoCo installs its
// runtime on node.kubernetes.io/worker nodes.
func CocoWorkerLabels() map[string]string { return map[string]string{tee.WorkerLabel: ""} }
