package hostprobe

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
)

// Report is the verdict on one host.
type Report struct {
	Architecture   string        `json:"architecture"`
	Kernel         string        `json:"kernel"`
	TEE            tee.TEEReport `json:"tee"`
	Checks         []tee.Check   `json:"checks"`
	RuntimeClasses []string      `json:"runtimeClasses"`
	Ready          bool          `json:"ready"`
	// Confidential: ready, and a class that runs in a TEE fits (coco-dev alone does not).
	Confidential bool `json:"confidential"`
}

// Source names used in evidence of derived values.
const (
	srcCPUInfo = "/proc/cpuinfo"
	srcMemInfo = "/proc/meminfo"
	srcDmesg   = "dmesg"
)

var (
	snpFirmwareRE = regexp.MustCompile(`SEV-SNP API:\s*(\d+)\.(\d+)`)
	sevFirmwareRE = regexp.MustCompile(`SEV API:\s*(\d+)\.(\d+)`)
	memTotalRE    = regexp.MustCompile(`^MemTotal:\s+(\d+)\s*kB`)
)

// Evaluate judges the evidence. source names where it came from in the TEE report
// ("host-probe", "local-host").
func Evaluate(ev *Evidence, source string) Report {
	h := host{ev: ev, flags: ev.CPUFlags()}
	h.arch = h.architecture()
	h.release = ev.Release
	if h.release == "" {
		h.release, _ = ev.File("/proc/sys/kernel/osrelease")
	}
	r := Report{Architecture: h.arch, Kernel: h.release}
	r.Checks = append(r.Checks, tee.ArchCheck(h.arch, "uname -m"))
	r.Checks = append(r.Checks, h.cpu(), h.memory(), h.kernel(), h.kvm(), h.virtualization(), h.selinux(), h.cgroup())
	r.Checks = append(r.Checks, h.sevSNP()...)
	r.Checks = append(r.Checks, h.sevLegacy(), h.tdx(), h.secureExecution(), h.sgx(), h.nvidia(), h.guest(), h.kernelLog())
	if !ev.Complete {
		r.Checks = append(r.Checks, tee.Check{ID: "evidence", Status: tee.Warn,
			Message: "the evidence ends early (probe cut off or killed): some checks may be unknown",
			Fix:     "run the probe again; if it repeats, check the probe pod's events"})
	}
	r.TEE = tee.TEEReport{Kinds: h.kinds, ConfidentialGuest: h.isGuest, Source: source}
	switch {
	case len(h.kinds) > 0:
		r.TEE.Status = tee.Found
	case ev.Files["/proc/cpuinfo"] == "":
		r.TEE.Status = tee.Undetected
	default:
		r.TEE.Status = tee.None
	}
	r.RuntimeClasses = tee.RuntimeClassesFor(h.arch, r.TEE, ev.Exists["/dev/kvm"])
	r.Ready = tee.Ready(r.Checks)
	r.Confidential = r.Ready && len(tee.ConfidentialClasses(r.RuntimeClasses)) > 0
	return r
}

type host struct {
	ev      *Evidence
	flags   map[string]bool
	arch    string
	release string
	kinds   []tee.Kind
	isGuest bool
}

func (h *host) found(k tee.Kind) {
	if !slices.Contains(h.kinds, k) {
		h.kinds = append(h.kinds, k)
	}
}

func (h *host) vendor() string { v, _ := h.ev.CPUInfo("vendor_id"); return v }

func (h *host) architecture() string {
	if h.ev.Machine != "" {
		return tee.NormalizeArch(h.ev.Machine)
	}
	switch v := h.vendor(); {
	case v == "AuthenticAMD" || v == "GenuineIntel":
		return "amd64"
	case strings.HasPrefix(v, "IBM/S390"):
		return "s390x"
	}
	if _, ok := h.ev.CPUInfo("CPU implementer"); ok {
		return "arm64"
	}
	return ""
}

func (h *host) cpu() tee.Check {
	online, ok := h.ev.File("/sys/devices/system/cpu/online")
	n, valid := countCPUList(online)
	if !ok || !valid {
		return tee.Check{ID: "cpu", Status: tee.Unknown, Message: "CPU count not readable",
			Evidence: tee.Ev(online, "/sys/devices/system/cpu/online")}
	}
	return tee.CPUCheck(n, online, "/sys/devices/system/cpu/online")
}

// countCPUList counts a kernel CPU list such as "0-3,8,10-11".
func countCPUList(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	var n int64
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err := strconv.ParseInt(strings.TrimSpace(lo), 10, 32)
		if err != nil || a < 0 {
			return 0, false
		}
		b := a
		if isRange {
			if b, err = strconv.ParseInt(strings.TrimSpace(hi), 10, 32); err != nil || b < a {
				return 0, false
			}
		}
		n += b - a + 1
	}
	return n, true
}

func (h *host) memory() tee.Check {
	line, _ := h.ev.File(srcMemInfo)
	m := memTotalRE.FindStringSubmatch(line)
	if m == nil {
		return tee.Check{ID: "memory", Status: tee.Unknown, Message: "MemTotal not readable", Evidence: tee.Ev(line, srcMemInfo)}
	}
	kb, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil || kb > 1<<50 {
		return tee.Check{ID: "memory", Status: tee.Unknown, Message: "MemTotal out of range", Evidence: tee.Ev(line, srcMemInfo)}
	}
	c := tee.MemoryCheck(*resource.NewQuantity(kb*1024, resource.BinarySI), srcMemInfo)
	c.Evidence = tee.Ev(line, srcMemInfo)
	return c
}

func (h *host) kernel() tee.Check {
	if h.release == "" {
		return tee.Check{ID: "kernel", Status: tee.Unknown, Message: "kernel release not reported"}
	}
	return tee.Check{ID: "kernel", Status: tee.Pass, Message: "kernel " + h.release, Evidence: tee.Ev(h.release, "uname -r")}
}

func (h *host) kvm() tee.Check {
	c := tee.Check{ID: "kvm"}
	exists, checked := h.ev.Exists["/dev/kvm"]
	c.Evidence = tee.Ev(presence(exists, checked), "/dev/kvm")
	switch {
	case !checked:
		c.Status, c.Message = tee.Unknown, "/dev/kvm not checked"
	case exists:
		c.Status, c.Message = tee.Pass, "KVM is available (/dev/kvm)"
	default:
		c.Status, c.Message = tee.Fail, "no /dev/kvm: Kata cannot start its VMs here"
		c.Fix = "enable virtualization in BIOS (bare metal) or nested virtualization (VM) and load kvm_amd/kvm_intel; without it use peer pods (kata-remote)"
	}
	return c
}

func presence(exists, checked bool) string {
	switch {
	case !checked:
		return "not checked"
	case exists:
		return "present"
	}
	return "absent"
}

func (h *host) virtualization() tee.Check {
	c := tee.Check{ID: "virtualization"}
	vendor, _ := h.ev.File("/sys/class/dmi/id/sys_vendor")
	product, _ := h.ev.File("/sys/class/dmi/id/product_name")
	dmi := strings.TrimSpace(vendor + " " + product)
	switch {
	case h.flags["hypervisor"]:
		c.Status = tee.Warn
		c.Message = "this host is a virtual machine: hardware TEEs need bare metal (or a confidential VM that allows nesting)"
		if dmi != "" {
			c.Message += " (" + dmi + ")"
		}
		c.Evidence = []tee.Evidence{{Value: "hypervisor", Source: srcCPUInfo + " flags"}}
		if dmi != "" {
			c.Evidence = append(c.Evidence, tee.Evidence{Value: dmi, Source: "/sys/class/dmi/id"})
		}
		c.Fix = "for real confidentiality use bare-metal TEE hosts or peer pods; kata-qemu-coco-dev works for testing with nested KVM"
	case h.ev.Files[srcCPUInfo] == "":
		c.Status, c.Message = tee.Unknown, "/proc/cpuinfo not readable"
	case h.arch == "s390x":
		c.Status, c.Message = tee.Pass, "s390x LPAR or KVM guest (checked by the Secure Execution check)"
	default:
		c.Status, c.Message = tee.Pass, "bare metal (no hypervisor flag)"
		c.Evidence = tee.Ev("no hypervisor flag", srcCPUInfo+" flags")
	}
	return c
}

func (h *host) selinux() tee.Check {
	c := tee.Check{ID: "selinux"}
	v, ok := h.ev.File("/sys/fs/selinux/enforce")
	switch {
	case !ok:
		c.Status, c.Message = tee.Pass, "SELinux is not enabled"
		c.Evidence = tee.Ev("absent", "/sys/fs/selinux/enforce")
		return c
	case v == "1":
		c.Status, c.Message = tee.Fail, "SELinux is enforcing: CoCo requires it off"
		c.Fix = "disable SELinux on the node (selinux=0 on the kernel command line, or SELINUX=disabled) and reboot"
	case v == "0":
		c.Status, c.Message = tee.Warn, "SELinux is enabled in permissive mode: CoCo expects it disabled"
		c.Fix = "disable SELinux on the node (SELINUX=disabled) and reboot"
	default:
		c.Status, c.Message = tee.Unknown, "unexpected SELinux enforce value"
	}
	c.Evidence = tee.Ev(v, "/sys/fs/selinux/enforce")
	return c
}

func (h *host) cgroup() tee.Check {
	exists, checked := h.ev.Exists["/sys/fs/cgroup/cgroup.controllers"]
	c := tee.Check{ID: "cgroup", Status: tee.Pass, Evidence: tee.Ev(presence(exists, checked), "/sys/fs/cgroup/cgroup.controllers")}
	switch {
	case !checked:
		c.Status, c.Message = tee.Unknown, "cgroup version not checked"
	case exists:
		c.Message = "cgroup v2"
	default:
		c.Message = "cgroup v1"
	}
	return c
}

// paramOn reads a kernel module parameter that is Y/N or 1/0.
func (h *host) paramOn(path string) (on, read bool, raw string) {
	v, ok := h.ev.File(path)
	return v == "Y" || v == "1", ok, v
}

func (h *host) sevSNP() []tee.Check {
	const param = "/sys/module/kvm_amd/parameters/sev_snp"
	on, read, raw := h.paramOn(param)
	c := tee.Check{ID: "sev-snp", Evidence: tee.Ev(orAbsent(raw, read), param)}
	switch {
	case on:
		c.Status, c.Message = tee.Pass, "AMD SEV-SNP is enabled in KVM"
	case h.flags["sev_snp"]:
		c.Status, c.Message = tee.Warn, "the CPU supports SEV-SNP but KVM does not have it enabled"
		c.Evidence = append(c.Evidence, tee.Evidence{Value: "sev_snp", Source: srcCPUInfo + " flags"})
		c.Fix = "enable SEV-SNP and SMEE/RMP in BIOS, use a host kernel >= 6.16.1, and load kvm_amd with sev_snp=1"
		return []tee.Check{c}
	case h.vendor() == "AuthenticAMD" || read:
		c.Status, c.Message = tee.Skip, "SEV-SNP is not available on this AMD host"
		return []tee.Check{c}
	default:
		c.Status, c.Message = tee.Skip, "not an AMD host"
		return []tee.Check{c}
	}
	h.found(tee.SEVSNP)
	checks := []tee.Check{c}

	dev := h.ev.Exists["/dev/sev"]
	if !dev {
		checks = append(checks, tee.Check{ID: "sev-snp-device", Status: tee.Fail,
			Message:  "/dev/sev is missing: the AMD secure processor driver (ccp) is not loaded",
			Evidence: tee.Ev("absent", "/dev/sev"), Fix: "load the ccp module and check the PSP in dmesg"})
	}

	fw := tee.Check{ID: "sev-snp-firmware"}
	switch m := firstMatch(snpFirmwareRE, h.ev.Dmesg); {
	case m != nil:
		v := m[1] + "." + m[2]
		fw.Evidence = tee.Ev(strings.TrimSpace(m[0]), srcDmesg)
		if ok, _ := tee.AtLeast(v, tee.MinSNPFirmware); ok {
			fw.Status, fw.Message = tee.Pass, "SEV firmware "+v+" >= 1.55"
		} else {
			fw.Status, fw.Message = tee.Fail, "SEV firmware "+v+" < 1.55: attestation reports v3 need 1.55"
			fw.Fix = "update the SEV firmware (AMD developer site, or the OEM BIOS update)"
		}
	case h.ev.DmesgUnavailable != "":
		fw.Status, fw.Message = tee.Unknown, "SEV firmware version unknown: kernel log not readable"
		fw.Evidence = tee.Ev(h.ev.DmesgUnavailable, srcDmesg)
	default:
		fw.Status, fw.Message = tee.Unknown, "SEV firmware version not found in the kernel log (rotated?)"
		fw.Fix = "check with: dmesg | grep 'SEV-SNP API' or virtee snphost ok"
	}
	checks = append(checks, fw)

	k := tee.Check{ID: "sev-snp-kernel", Evidence: tee.Ev(h.release, "uname -r")}
	switch ok, parsed := tee.AtLeast(h.release, tee.MinSNPKernel); {
	case !parsed:
		k.Status, k.Message = tee.Unknown, "host kernel version unknown"
	case ok:
		k.Status, k.Message = tee.Pass, "host kernel "+h.release+" >= 6.16.1"
	default:
		k.Status, k.Message = tee.Fail, "host kernel "+h.release+" < 6.16.1, the minimum CoCo supports for SEV-SNP hosts"
		k.Fix = "upgrade the host kernel to 6.16.1 or later"
	}
	return append(checks, k)
}

func (h *host) sevLegacy() tee.Check {
	sev, _, rawSev := h.paramOn("/sys/module/kvm_amd/parameters/sev")
	es, _, rawES := h.paramOn("/sys/module/kvm_amd/parameters/sev_es")
	c := tee.Check{ID: "sev"}
	if !sev && !es {
		c.Status, c.Message = tee.Skip, "SEV/SEV-ES not enabled"
		return c
	}
	c.Status = tee.Pass
	c.Message = "SEV"
	h.found(tee.SEV)
	if es {
		c.Message += " and SEV-ES"
		h.found(tee.SEVES)
	}
	c.Message += " enabled (no current CoCo runtime class uses them; SEV-SNP does)"
	c.Evidence = []tee.Evidence{{Value: rawSev, Source: "/sys/module/kvm_amd/parameters/sev"}, {Value: rawES, Source: "/sys/module/kvm_amd/parameters/sev_es"}}
	if m := firstMatch(sevFirmwareRE, h.ev.Dmesg); m != nil {
		c.Evidence = append(c.Evidence, tee.Evidence{Value: strings.TrimSpace(m[0]), Source: srcDmesg})
	}
	return c
}

func (h *host) tdx() tee.Check {
	const param = "/sys/module/kvm_intel/parameters/tdx"
	on, read, raw := h.paramOn(param)
	c := tee.Check{ID: "tdx", Evidence: tee.Ev(orAbsent(raw, read), param)}
	switch {
	case on:
		h.found(tee.TDX)
		lines := h.ev.DmesgMatching("virt/tdx: module initialized")
		switch {
		case len(lines) > 0:
			c.Status, c.Message = tee.Pass, "Intel TDX is enabled and the TDX module is initialized"
			c.Evidence = append(c.Evidence, tee.Evidence{Value: strings.TrimSpace(lines[0]), Source: srcDmesg})
		case h.ev.DmesgUnavailable != "":
			c.Status, c.Message = tee.Unknown, "Intel TDX is enabled in KVM; whether the TDX module initialized is unknown (kernel log not readable)"
		default:
			c.Status, c.Message = tee.Warn, "Intel TDX is enabled in KVM but the kernel log does not show the TDX module initialized"
			c.Fix = "check dmesg | grep virt/tdx; the TDX module is loaded by the BIOS or the kernel"
		}
	case read || h.flags["tdx_host_platform"]:
		c.Status, c.Message = tee.Warn, "the host has Intel TDX support but KVM does not have it enabled"
		c.Fix = "enable TDX in BIOS and load kvm_intel with tdx=1 (Intel TDX enabling guide, host OS setup)"
	case h.vendor() == "GenuineIntel":
		c.Status, c.Message = tee.Skip, "Intel TDX is not available on this Intel host"
	default:
		c.Status, c.Message = tee.Skip, "not an Intel host"
	}
	return c
}

func (h *host) secureExecution() tee.Check {
	const param = "/sys/firmware/uv/prot_virt_host"
	on, read, raw := h.paramOn(param)
	c := tee.Check{ID: "se", Evidence: tee.Ev(orAbsent(raw, read), param)}
	facilities, _ := h.ev.CPUInfo("facilities")
	has158 := slices.Contains(strings.Fields(facilities), "158")
	switch {
	case on:
		h.found(tee.SE)
		c.Status, c.Message = tee.Pass, "IBM Secure Execution host support is on (prot_virt_host=1)"
		if has158 {
			c.Evidence = append(c.Evidence, tee.Evidence{Value: "facility 158", Source: srcCPUInfo})
		} else {
			c.Status, c.Message = tee.Warn, "prot_virt_host=1 but facility 158 is not listed in /proc/cpuinfo"
		}
		if lines := h.ev.DmesgMatching("ultravisor"); len(lines) > 0 {
			c.Evidence = append(c.Evidence, tee.Evidence{Value: strings.TrimSpace(lines[0]), Source: srcDmesg})
		}
	case h.arch == "s390x":
		c.Status, c.Message = tee.Warn, "s390x host without Secure Execution enabled"
		c.Fix = "on IBM z15/LinuxONE III or newer, boot the host with prot_virt=1"
	default:
		c.Status, c.Message = tee.Skip, "not an s390x host"
	}
	return c
}

func (h *host) sgx() tee.Check {
	c := tee.Check{ID: "sgx"}
	enclave, provision := h.ev.Exists["/dev/sgx_enclave"], h.ev.Exists["/dev/sgx_provision"]
	switch {
	case h.flags["sgx"] && enclave:
		h.found(tee.SGX)
		c.Status = tee.Pass
		c.Message = "Intel SGX is available (informational: enclave-cc left CoCo in v0.18.0, no current runtime class uses SGX)"
		c.Evidence = []tee.Evidence{{Value: flagList(h.flags, "sgx", "sgx_lc"), Source: srcCPUInfo + " flags"},
			{Value: presence(enclave, true), Source: "/dev/sgx_enclave"}, {Value: presence(provision, true), Source: "/dev/sgx_provision"}}
	case h.flags["sgx"]:
		c.Status, c.Message = tee.Warn, "the CPU has SGX but /dev/sgx_enclave is missing"
		c.Evidence = tee.Ev(flagList(h.flags, "sgx", "sgx_lc"), srcCPUInfo+" flags")
		c.Fix = "enable SGX in BIOS and use a kernel >= 5.11 with the in-tree SGX driver"
	default:
		c.Status, c.Message = tee.Skip, "no Intel SGX"
	}
	return c
}

func flagList(flags map[string]bool, names ...string) string {
	var out []string
	for _, n := range names {
		if flags[n] {
			out = append(out, n)
		}
	}
	return strings.Join(out, " ")
}

func (h *host) nvidia() tee.Check {
	c := tee.Check{ID: "nvidia-gpu"}
	for _, d := range h.ev.PCI {
		if d.Vendor == "0x10de" && (strings.HasPrefix(d.Class, "0x0300") || strings.HasPrefix(d.Class, "0x0302")) {
			c.Evidence = append(c.Evidence, tee.Evidence{Value: fmt.Sprintf("%s %s:%s", d.Address, d.Vendor, d.Device), Source: PCIDevicesDir})
		}
	}
	if len(c.Evidence) == 0 {
		c.Status, c.Message = tee.Skip, "no NVIDIA GPU"
		return c
	}
	c.Status = tee.Unknown
	c.Message = fmt.Sprintf("%d NVIDIA GPU(s) present; whether confidential computing mode is on cannot be read from sysfs", len(c.Evidence))
	c.Fix = "check with nvidia-smi conf-compute -f, or let the NVIDIA GPU operator label the node (" + tee.NvidiaCCLabel + ")"
	return c
}

func (h *host) guest() tee.Check {
	c := tee.Check{ID: "confidential-guest"}
	var kinds []string
	if h.ev.Exists["/dev/tdx_guest"] || h.flags["tdx_guest"] {
		kinds = append(kinds, "Intel TDX")
		c.Evidence = append(c.Evidence, tee.Evidence{Value: "tdx_guest", Source: "/dev/tdx_guest or cpuinfo flags"})
	}
	if h.ev.Exists["/dev/sev-guest"] {
		kinds = append(kinds, "AMD SEV-SNP")
		c.Evidence = append(c.Evidence, tee.Evidence{Value: "present", Source: "/dev/sev-guest"})
	}
	if lines := h.ev.DmesgMatching("Memory Encryption Features active"); len(lines) > 0 {
		c.Evidence = append(c.Evidence, tee.Evidence{Value: strings.TrimSpace(lines[0]), Source: srcDmesg})
		if len(kinds) == 0 {
			kinds = append(kinds, "AMD SEV")
		}
	}
	if len(kinds) == 0 {
		c.Status, c.Message = tee.Pass, "not a confidential guest"
		return c
	}
	h.isGuest = true
	c.Status = tee.Warn
	c.Message = "this host is itself a confidential VM (" + strings.Join(kinds, ", ") + "): CoCo cannot nest TEE VMs here"
	c.Fix = "run CoCo pods on bare-metal TEE hosts, or use peer pods (kata-remote)"
	return c
}

func (h *host) kernelLog() tee.Check {
	if h.ev.DmesgUnavailable != "" {
		return tee.Check{ID: "kernel-log", Status: tee.Warn, Message: "kernel log not readable: firmware and module checks are unknown",
			Evidence: tee.Ev(h.ev.DmesgUnavailable, srcDmesg), Fix: "run as root (or with CAP_SYSLOG), or pass --dmesg FILE"}
	}
	return tee.Check{ID: "kernel-log", Status: tee.Pass, Message: fmt.Sprintf("kernel log read (%d relevant lines)", len(h.ev.Dmesg))}
}

func orAbsent(raw string, read bool) string {
	if !read {
		return "absent"
	}
	return raw
}

func firstMatch(re *regexp.Regexp, lines []string) []string {
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			return m
		}
	}
	return nil
}
