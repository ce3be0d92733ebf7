// Package hostprobe gathers TEE evidence from a Linux host and judges it. The same evidence
// format comes from three places: a probe pod on a node (Script), this machine or a mounted host
// root (Collect), and saved dumps; one parser (Parse) and one judge (Evaluate) serve all of them.
package hostprobe

// File is a host file the probe reads.
type File struct {
	Path string
	// FirstBlock keeps only the text up to the first blank line: /proc/cpuinfo repeats one block
	// per CPU, and the first one holds the flags (x86) or the facilities line (s390x).
	FirstBlock bool
	// FirstLine keeps only the first line.
	FirstLine bool
}

// Files are read and reported with their content.
var Files = []File{
	{Path: "/proc/cpuinfo", FirstBlock: true},
	{Path: "/proc/meminfo", FirstLine: true},
	{Path: "/proc/sys/kernel/osrelease"},
	{Path: "/sys/devices/system/cpu/online"},
	{Path: "/sys/module/kvm_amd/parameters/sev"},
	{Path: "/sys/module/kvm_amd/parameters/sev_es"},
	{Path: "/sys/module/kvm_amd/parameters/sev_snp"},
	{Path: "/sys/module/kvm_intel/parameters/tdx"},
	{Path: "/sys/firmware/uv/prot_virt_host"},
	{Path: "/sys/fs/selinux/enforce"},
	{Path: "/sys/class/dmi/id/sys_vendor"},
	{Path: "/sys/class/dmi/id/product_name"},
}

// Paths are checked for existence only.
var Paths = []string{
	"/dev/kvm",
	"/dev/sev",
	"/dev/sev-guest",
	"/dev/tdx_guest",
	"/dev/sgx_enclave",
	"/dev/sgx_provision",
	"/sys/module/kvm_amd",
	"/sys/module/kvm_intel",
	"/sys/fs/cgroup/cgroup.controllers",
}

// PCIDevicesDir holds one directory per PCI function with vendor, device and class files.
const PCIDevicesDir = "/sys/bus/pci/devices"

// DmesgPattern selects the kernel log lines that matter, so that nothing else of the kernel log
// leaves the host. It is an ERE that both grep -E and Go's regexp accept, case-sensitive so that
// words like "several" do not match "SEV".
const DmesgPattern = `SEV|SNP|TDX|tdx|[Uu]ltravisor|prot_virt|sgx|SGX|Memory Encryption|ccp [0-9a-f]`

// Limits that keep a hostile or huge host from flooding the probe output or the parser.
const (
	MaxFileBytes  = 64 << 10
	MaxDmesgLines = 200
	MaxDumpBytes  = 4 << 20
	MaxLineBytes  = 256 << 10
)

// Markers of the evidence dump format (version 1). A dump is UTF-8-agnostic text, one record a
// line:
//
//	# teecheck-evidence v1
//	@uname.machine x86_64
//	@uname.release 6.16.1
//	@file /proc/cpuinfo        followed by its content, each line prefixed by "| "
//	@missing /sys/module/kvm_amd/parameters/sev_snp
//	@exists /dev/kvm | @absent /dev/sev
//	@pci 0000:41:00.0 0x10de 0x2330 0x030200
//	@dmesg <kernel log line> | @dmesg-unavailable <reason>
//	@end
const (
	Header          = "# teecheck-evidence v1"
	mUnameMachine   = "@uname.machine"
	mUnameRelease   = "@uname.release"
	mFile           = "@file"
	mMissing        = "@missing"
	mExists         = "@exists"
	mAbsent         = "@absent"
	mPCI            = "@pci"
	mDmesg          = "@dmesg"
	mDmesgNone      = "@dmesg-unavailable"
	mEnd            = "@end"
	contentPrefix   = "| "
	HostMountPrefix = "/host"
)
