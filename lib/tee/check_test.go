package tee

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/version"
)

func TestParseRequirement(t *testing.T) {
	for in, want := range map[string]Requirement{"": "", "snp": Requirement(SEVSNP), "SEV-SNP": Requirement(SEVSNP), "tdx": Requirement(TDX), "any": RequireAny} {
		got, err := ParseRequirement(in)
		if err != nil || got != want {
			t.Errorf("ParseRequirement(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseRequirement("sev-xyz"); err == nil {
		t.Error("unknown TEE accepted")
	}
}

func TestRequirementCheck(t *testing.T) {
	found := TEEReport{Status: Found, Kinds: []Kind{TDX}}
	tests := []struct {
		req  Requirement
		r    TEEReport
		want Status
	}{
		{RequireAny, found, Pass},
		{Requirement(TDX), found, Pass},
		{Requirement(SEVSNP), found, Fail},
		{RequireAny, TEEReport{Status: None}, Fail},
		{RequireAny, TEEReport{Status: Undetected}, Fail},
	}
	for _, tt := range tests {
		if c := RequirementCheck(tt.req, tt.r); c == nil || c.Status != tt.want || (c.Status == Fail && c.Fix == "") {
			t.Errorf("RequirementCheck(%s, %+v) = %+v, want %s with a fix", tt.req, tt.r, c, tt.want)
		}
	}
	if RequirementCheck("", found) != nil {
		t.Error("no requirement made a check")
	}
}

func TestRuntimeClassesFor(t *testing.T) {
	snpGPU := TEEReport{Kinds: []Kind{SEVSNP, NvidiaCC}}
	tests := []struct {
		arch string
		r    TEEReport
		kvm  bool
		want []string
	}{
		{"amd64", TEEReport{}, true, []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs"}},
		{"amd64", snpGPU, true, []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-snp", "kata-qemu-nvidia-gpu-snp"}},
		{"amd64", snpGPU, false, []string{}},
		{"amd64", TEEReport{Kinds: []Kind{TDX}, ConfidentialGuest: true}, true, []string{}},
		{"amd64", TEEReport{Kinds: []Kind{SGX}}, true, []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs"}},
		{"s390x", TEEReport{Kinds: []Kind{SE}}, true, []string{"kata-qemu-coco-dev", "kata-qemu-se", "kata-qemu-se-runtime-rs"}},
		{"arm64", TEEReport{}, true, []string{}},
	}
	for _, tt := range tests {
		if got := RuntimeClassesFor(tt.arch, tt.r, tt.kvm); !slices.Equal(got, tt.want) {
			t.Errorf("RuntimeClassesFor(%s, %v, kvm=%v) = %v, want %v", tt.arch, tt.r.Kinds, tt.kvm, got, tt.want)
		}
	}
}

func TestMemoryAndHumanBytes(t *testing.T) {
	for q, want := range map[string]Status{"8Gi": Pass, "7.6Gi": Warn, "4Gi": Fail} {
		if c := MemoryCheck(resource.MustParse(q), "test"); c.Status != want {
			t.Errorf("MemoryCheck(%s) = %s, want %s", q, c.Status, want)
		}
	}
	for b, want := range map[int64]string{512: "512 B", 1536: "1.5 KiB", 8 << 30: "8.0 GiB"} {
		if got := HumanBytes(b); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", b, got, want)
		}
	}
}

func TestAtLeast(t *testing.T) {
	tests := []struct {
		v        string
		min      *version.Version
		ok, want bool
	}{
		{"v1.33.2", MinKubernetes, true, true},
		{"1.7.20-k3s1", MinContainerd, true, true},
		{"6.8.0-49-generic", MinSNPKernel, true, false},
		{"kwok-v0.8.0", MinKubernetes, false, false},
	}
	for _, tt := range tests {
		if got, ok := AtLeast(tt.v, tt.min); ok != tt.ok || got != tt.want {
			t.Errorf("AtLeast(%q, %s) = %v,%v want %v,%v", tt.v, tt.min, got, ok, tt.want, tt.ok)
		}
	}
}

func TestKubernetesCheck(t *testing.T) {
	for _, tc := range []struct {
		component, v string
		status       Status
		msg          string
	}{
		{"kubelet", "v1.33.2", Pass, "v1.33.2 >= 1.24"},
		{"API server", "v1.23.9", Fail, "API server v1.23.9 < 1.24"},
		{"kubelet", "banana", Unknown, `kubelet version "banana" not understood`},
	} {
		c := KubernetesCheck(tc.component, tc.v, "x")
		if c.Status != tc.status || c.Message != tc.msg || (c.Status == Fail) != (c.Fix != "") {
			t.Errorf("%+v: %+v", tc, c)
		}
	}
}
