package hostprobe

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
)

func fixture(t testing.TB, name string) *Evidence {
	t.Helper()
	dump, err := Collect(CollectOptions{Root: filepath.Join("testdata", "hosts", name), DmesgFile: filepath.Join("testdata", "hosts", name+".dmesg")})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Parse(bytes.NewReader(dump))
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func statusOf(r Report, id string) tee.Status {
	for _, c := range r.Checks {
		if c.ID == id {
			return c.Status
		}
	}
	return "absent"
}

func TestEvaluateFixtures(t *testing.T) {
	tests := []struct {
		host           string
		arch           string
		detection      tee.Detection
		kinds          []tee.Kind
		guest          bool
		ready          bool
		runtimeClasses []string
		statuses       map[string]tee.Status
	}{
		{
			host: "snp-host", arch: "amd64", detection: tee.Found, kinds: []tee.Kind{tee.SEVSNP, tee.SEV, tee.SEVES}, ready: true,
			runtimeClasses: []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-snp"},
			statuses: map[string]tee.Status{"sev-snp": tee.Pass, "sev-snp-firmware": tee.Pass, "sev-snp-kernel": tee.Pass,
				"kvm": tee.Pass, "virtualization": tee.Pass, "tdx": tee.Skip, "se": tee.Skip, "sgx": tee.Skip,
				"nvidia-gpu": tee.Unknown, "cpu": tee.Pass, "memory": tee.Pass, "selinux": tee.Pass, "confidential-guest": tee.Pass,
				"sev-snp-device": "absent"},
		},
		{
			host: "snp-host-old-firmware", arch: "amd64", detection: tee.Found, kinds: []tee.Kind{tee.SEVSNP, tee.SEV, tee.SEVES}, ready: false,
			runtimeClasses: []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-snp"},
			statuses:       map[string]tee.Status{"sev-snp": tee.Pass, "sev-snp-firmware": tee.Fail, "sev-snp-kernel": tee.Fail, "nvidia-gpu": tee.Skip},
		},
		{
			host: "tdx-host", arch: "amd64", detection: tee.Found, kinds: []tee.Kind{tee.TDX}, ready: true,
			runtimeClasses: []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-tdx"},
			statuses:       map[string]tee.Status{"tdx": tee.Pass, "sev-snp": tee.Skip, "virtualization": tee.Pass, "cgroup": tee.Pass},
		},
		{
			host: "s390x-se-host", arch: "s390x", detection: tee.Found, kinds: []tee.Kind{tee.SE}, ready: true,
			runtimeClasses: []string{"kata-qemu-coco-dev", "kata-qemu-se", "kata-qemu-se-runtime-rs"},
			statuses:       map[string]tee.Status{"se": tee.Pass, "architecture": tee.Pass, "tdx": tee.Skip, "sev-snp": tee.Skip},
		},
		{
			host: "sgx-vm", arch: "amd64", detection: tee.Found, kinds: []tee.Kind{tee.SGX}, ready: false,
			runtimeClasses: []string{},
			statuses:       map[string]tee.Status{"sgx": tee.Pass, "kvm": tee.Fail, "virtualization": tee.Warn, "memory": tee.Pass},
		},
		{
			host: "plain-vm", arch: "amd64", detection: tee.None, ready: false, runtimeClasses: []string{},
			statuses: map[string]tee.Status{"cpu": tee.Fail, "memory": tee.Fail, "selinux": tee.Warn, "kvm": tee.Fail,
				"virtualization": tee.Warn, "sgx": tee.Skip, "tdx": tee.Skip, "kernel-log": tee.Pass},
		},
		{
			host: "td-guest", arch: "amd64", detection: tee.None, guest: true, ready: false, runtimeClasses: []string{},
			statuses: map[string]tee.Status{"confidential-guest": tee.Warn, "tdx": tee.Skip, "kvm": tee.Fail},
		},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			r := Evaluate(fixture(t, tt.host), "local-host")
			if r.Architecture != tt.arch {
				t.Errorf("architecture = %q, want %q", r.Architecture, tt.arch)
			}
			if r.TEE.Status != tt.detection || !slices.Equal(r.TEE.Kinds, tt.kinds) || r.TEE.ConfidentialGuest != tt.guest {
				t.Errorf("tee = %+v, want %s %v guest=%v", r.TEE, tt.detection, tt.kinds, tt.guest)
			}
			if r.Ready != tt.ready {
				t.Errorf("ready = %v, want %v; failed: %+v", r.Ready, tt.ready, tee.Failed(r.Checks))
			}
			if !slices.Equal(r.RuntimeClasses, tt.runtimeClasses) {
				t.Errorf("runtime classes = %v, want %v", r.RuntimeClasses, tt.runtimeClasses)
			}
			for id, want := range tt.statuses {
				if got := statusOf(r, id); got != want {
					t.Errorf("check %s = %s, want %s", id, got, want)
				}
			}
			for _, c := range r.Checks {
				if c.Status == tee.Fail && c.Fix == "" {
					t.Errorf("failed check %s has no fix", c.ID)
				}
			}
		})
	}
}

func TestEvaluateSynthetic(t *testing.T) {
	base := Header + "\n@uname.machine x86_64\n@uname.release 6.17.0\n@file /proc/cpuinfo\n| vendor_id : AuthenticAMD\n| flags : fpu sev_snp\n@exists /dev/kvm\n"
	tests := []struct {
		name  string
		dump  string
		id    string
		want  tee.Status
		ready bool
	}{
		{"selinux enforcing fails", base + "@file /sys/fs/selinux/enforce\n| 1\n@end\n", "selinux", tee.Fail, false},
		{"snp in cpu but off in kvm warns", base + "@file /sys/module/kvm_amd/parameters/sev_snp\n| N\n@end\n", "sev-snp", tee.Warn, true},
		{"snp on without /dev/sev fails", base + "@file /sys/module/kvm_amd/parameters/sev_snp\n| Y\n@absent /dev/sev\n@dmesg SEV-SNP API:1.58 build:1\n@end\n", "sev-snp-device", tee.Fail, false},
		{"snp firmware unknown without kernel log", base + "@file /sys/module/kvm_amd/parameters/sev_snp\n| Y\n@exists /dev/sev\n@dmesg-unavailable Operation not permitted\n@end\n", "sev-snp-firmware", tee.Unknown, true},
		{"truncated dump warns", base, "evidence", tee.Warn, true},
		{"tdx on but module not initialized warns", Header + "\n@file /proc/cpuinfo\n| vendor_id : GenuineIntel\n@file /sys/module/kvm_intel/parameters/tdx\n| Y\n@end\n", "tdx", tee.Warn, true},
		{"s390x without SE warns", Header + "\n@uname.machine s390x\n@file /proc/cpuinfo\n| vendor_id : IBM/S390\n@end\n", "se", tee.Warn, true},
		{"windows-like arch fails", Header + "\n@uname.machine riscv64\n@end\n", "architecture", tee.Fail, false},
		{"no cpuinfo makes TEE unknown", Header + "\n@end\n", "virtualization", tee.Unknown, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev, err := Parse(strings.NewReader(tt.dump))
			if err != nil {
				t.Fatal(err)
			}
			r := Evaluate(ev, "test")
			if got := statusOf(r, tt.id); got != tt.want {
				t.Errorf("check %s = %s, want %s", tt.id, got, tt.want)
			}
			// Only checks that exist in the dump decide readiness; cpu and memory are unknown here.
			if r.Ready != tt.ready {
				t.Errorf("ready = %v, want %v (%+v)", r.Ready, tt.ready, tee.Failed(r.Checks))
			}
		})
	}
}

func TestNoTEEIsUnknownWithoutCPUInfo(t *testing.T) {
	ev, _ := Parse(strings.NewReader(Header + "\n@end\n"))
	if r := Evaluate(ev, "test"); r.TEE.Status != tee.Undetected || len(r.TEE.Kinds) != 0 {
		t.Fatalf("tee = %+v, want unknown and no kinds", r.TEE)
	}
}

// The pod's shell script and the Go collector must report the same files, paths and PCI devices.
func TestScriptMatchesCollect(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal("no sh on PATH:", err)
	}
	for _, host := range []string{"snp-host", "s390x-se-host", "plain-vm"} {
		t.Run(host, func(t *testing.T) {
			root, _ := filepath.Abs(filepath.Join("testdata", "hosts", host))
			out, err := exec.Command(sh, "-c", Script(root)).Output()
			if err != nil {
				t.Fatalf("script: %v", err)
			}
			fromScript, err := Parse(bytes.NewReader(out))
			if err != nil {
				t.Fatal(err)
			}
			fromGo := fixture(t, host)
			if !fromScript.Complete {
				t.Error("script output has no end marker")
			}
			if !reflect.DeepEqual(fromScript.Files, fromGo.Files) {
				t.Errorf("files differ:\nscript %q\ngo     %q", fromScript.Files, fromGo.Files)
			}
			if !reflect.DeepEqual(fromScript.Exists, fromGo.Exists) || !reflect.DeepEqual(fromScript.Missing, fromGo.Missing) {
				t.Errorf("paths differ:\nscript %v %v\ngo     %v %v", fromScript.Exists, fromScript.Missing, fromGo.Exists, fromGo.Missing)
			}
			if !reflect.DeepEqual(fromScript.PCI, fromGo.PCI) {
				t.Errorf("pci differs: script %v, go %v", fromScript.PCI, fromGo.PCI)
			}
		})
	}
}

func TestParseRejectsNonEvidence(t *testing.T) {
	for _, in := range []string{"", "hello\nworld\n", "\x00\x01\x02"} {
		if _, err := Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%q) succeeded", in)
		}
	}
	long := Header + "\n@file /proc/cpuinfo\n| " + strings.Repeat("a", MaxLineBytes+10) + "\n"
	if _, err := Parse(strings.NewReader(long)); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("over-long line: err = %v", err)
	}
}

func TestCollectRejectsMissingRoot(t *testing.T) {
	if _, err := Collect(CollectOptions{Root: filepath.Join(t.TempDir(), "nope")}); err == nil {
		t.Fatal("Collect on a missing root succeeded")
	}
}

func TestCountCPUList(t *testing.T) {
	for in, want := range map[string]int64{"0": 1, "0-3": 4, "0-3,8,10-11": 7} {
		if n, ok := countCPUList(in); !ok || n != want {
			t.Errorf("countCPUList(%q) = %d %v, want %d", in, n, ok, want)
		}
	}
	for _, bad := range []string{"", "a", "3-1", "-1", "0-"} {
		if _, ok := countCPUList(bad); ok {
			t.Errorf("countCPUList(%q) accepted", bad)
		}
	}
}

func TestFormatKmsgRecord(t *testing.T) {
	got := formatKmsgRecord("6,1234,5345679,-;ccp 0000:47:00.1: SEV-SNP API:1.55 build:21\n SUBSYSTEM=pci\n")
	want := []string{"[    5.345679] ccp 0000:47:00.1: SEV-SNP API:1.55 build:21"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func FuzzParse(f *testing.F) {
	for _, host := range []string{"snp-host", "tdx-host", "s390x-se-host"} {
		dump, err := Collect(CollectOptions{Root: filepath.Join("testdata", "hosts", host), DmesgFile: filepath.Join("testdata", "hosts", host+".dmesg")})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(dump)
		f.Add(dump[:len(dump)/2])
	}
	f.Add([]byte(Header + "\n@pci\n@pci a\n@file\n| x\n@dmesg SEV-SNP API:99999999999999999999.1\n@uname.release 99999999999999999999.1\n@file /proc/meminfo\n| MemTotal: 99999999999999999999 kB\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		r := Evaluate(ev, "fuzz")
		for _, c := range r.Checks {
			if c.ID == "" || c.Status == "" {
				t.Fatalf("check without id or status: %+v", c)
			}
		}
	})
}

func TestDmesgPatternKeepsOnlyTEELines(t *testing.T) {
	keep := []string{"ccp 0000:47:00.1: SEV-SNP API:1.55 build:21", "virt/tdx: module initialized", "prot_virt: Reserving 98MB as ultravisor base storage",
		"sgx: EPC section 0x180000000-0x1bfffffff", "Memory Encryption Features active: AMD SEV", "kvm_amd: SEV-ES enabled (ASIDs 1 - 99)"}
	drop := []string{"usb 1-1: several devices found", "EXT4-fs (vda): mounted filesystem", "audit: user accepted the session", "systemd[1]: Reached target"}
	for _, l := range keep {
		if !dmesgRE.MatchString(l) {
			t.Errorf("dropped %q", l)
		}
	}
	for _, l := range drop {
		if dmesgRE.MatchString(l) {
			t.Errorf("kept %q", l)
		}
	}
}
