package tee

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/version"
)

// CoCo's documented minimums (the confidential-containers project's prerequisites and the
// kata-containers SNP/TDX host guides: Kubernetes >= 1.24, containerd >= 1.7, 4 CPUs, 8 GiB,
// SEV-SNP firmware >= 1.55 and host kernel >= 6.16.1).
var (
	MinKubernetes   = version.MustParseGeneric("1.24.0")
	MinContainerd   = version.MustParseGeneric("1.7.0")
	MinSNPKernel    = version.MustParseGeneric("6.16.1")
	MinSNPFirmware  = version.MustParseGeneric("1.55")
	MinCPUs         = int64(4)
	MinMemory       = resource.MustParse("8Gi")
	MemoryTolerance = resource.MustParse("7Gi") // an 8 GiB machine reports a little less to the OS
)

// ArchCheck says whether CoCo ships runtime classes for this architecture. arch uses Go/Kubernetes
// names (amd64, s390x, arm64); uname names are normalised by NormalizeArch first.
func ArchCheck(arch, source string) Check {
	c := Check{ID: "architecture", Evidence: Ev(arch, source)}
	switch arch {
	case "amd64", "s390x":
		c.Status, c.Message = Pass, arch+" is supported by CoCo"
	case "arm64":
		c.Status, c.Message = Warn, "arm64 has no TEE runtime class in CoCo; only non-confidential or peer-pod runtimes"
	case "":
		c.Status, c.Message = Unknown, "architecture not reported"
	default:
		c.Status, c.Message = Fail, arch+" is not supported by CoCo"
		c.Fix = "use amd64 (SEV-SNP, TDX) or s390x (Secure Execution) nodes"
	}
	return c
}

// NormalizeArch maps uname -m names to Kubernetes names.
func NormalizeArch(m string) string {
	switch m {
	case "x86_64":
		return "amd64"
	case "aarch64":
		return "arm64"
	}
	return m
}

// CPUCheck needs at least MinCPUs.
func CPUCheck(cpus int64, value, source string) Check {
	c := Check{ID: "cpu", Evidence: Ev(value, source)}
	if cpus >= MinCPUs {
		c.Status, c.Message = Pass, fmt.Sprintf("%d CPUs >= %d", cpus, MinCPUs)
	} else {
		c.Status, c.Message = Fail, fmt.Sprintf("%d CPUs < %d", cpus, MinCPUs)
		c.Fix = "use a machine type with at least 4 vCPUs (e.g. vm-dedicated-4-16)"
	}
	return c
}

// MemoryCheck needs MinMemory; a machine just under it after kernel reservations gets a warning.
func MemoryCheck(mem resource.Quantity, source string) Check {
	c := Check{ID: "memory", Evidence: Ev(mem.String(), source)}
	human := HumanBytes(mem.Value())
	switch {
	case mem.Cmp(MinMemory) >= 0:
		c.Status, c.Message = Pass, human+" >= 8 GiB"
	case mem.Cmp(MemoryTolerance) >= 0:
		c.Status, c.Message = Warn, human+" is just under 8 GiB (likely an 8 GiB machine after kernel reservations)"
	default:
		c.Status, c.Message = Fail, human+" < 8 GiB"
		c.Fix = "use a machine type with at least 8 GiB of memory (e.g. vm-dedicated-4-16)"
	}
	return c
}

// HumanBytes prints a byte count in binary units with one decimal.
func HumanBytes(b int64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%d B", b)
	}
	div, exp := int64(unit), 0
	for n := b / unit; n >= unit && exp < 4; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(b)/float64(div), "KMGTP"[exp])
}

// AtLeast compares a version string (leading v and suffixes allowed) with a minimum. ok is false
// when s does not parse.
func AtLeast(s string, min *version.Version) (atLeast, ok bool) {
	v, err := version.ParseGeneric(s)
	if err != nil {
		return false, false
	}
	return v.AtLeast(min), true
}

// RuntimeClassesFor lists the CoCo runtime classes (current Helm chart) that fit a machine of
// this architecture and these TEEs. A machine that is itself a confidential guest or has no KVM
// gets none: a nested TEE VM cannot start there (peer pods, kata-remote, are the way).
func RuntimeClassesFor(arch string, r TEEReport, kvm bool) []string {
	if !kvm || r.ConfidentialGuest {
		return []string{}
	}
	switch arch {
	case "amd64":
		out := []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs"}
		if r.Has(SEVSNP) {
			out = append(out, "kata-qemu-snp")
			if r.Has(NvidiaCC) {
				out = append(out, "kata-qemu-nvidia-gpu-snp")
			}
		}
		if r.Has(TDX) {
			out = append(out, "kata-qemu-tdx")
			if r.Has(NvidiaCC) {
				out = append(out, "kata-qemu-nvidia-gpu-tdx")
			}
		}
		return out
	case "s390x":
		out := []string{"kata-qemu-coco-dev"}
		if r.Has(SE) {
			out = append(out, "kata-qemu-se", "kata-qemu-se-runtime-rs")
		}
		return out
	}
	return []string{}
}

// KubernetesCheck needs MinKubernetes of component ("kubelet" or "API server"), whose version v
// was read from source. A kubelet's messages show the version alone, as the node table does.
func KubernetesCheck(component, v, source string) Check {
	c := Check{ID: "kubernetes-version", Evidence: Ev(v, source)}
	label := v
	if component != "kubelet" {
		label = component + " " + v
	}
	minimum := fmt.Sprintf("%d.%d", MinKubernetes.Major(), MinKubernetes.Minor())
	switch ok, parsed := AtLeast(v, MinKubernetes); {
	case !parsed:
		c.Status, c.Message = Unknown, fmt.Sprintf("%s version %q not understood", component, v)
	case ok:
		c.Status, c.Message = Pass, label+" >= "+minimum
	default:
		c.Status, c.Message, c.Fix = Fail, label+" < "+minimum, "upgrade the cluster to Kubernetes "+minimum+" or later"
	}
	return c
}

// ConfidentialClasses are those of classes that run the pod in a TEE: all but coco-dev, CoCo's
// test class, which runs a plain VM and protects nothing from the host.
func ConfidentialClasses(classes []string) []string {
	out := []string{}
	for _, c := range classes {
		if !strings.Contains(c, "coco-dev") {
			out = append(out, c)
		}
	}
	return out
}
