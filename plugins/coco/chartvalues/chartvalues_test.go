package chartvalues

import (
	"slices"
	"testing"
)

func TestForPlatformAndRuntimeClasses(t *testing.T) {
	tests := []struct {
		p    Platform
		want []string
	}{
		{X86, []string{"kata-qemu-coco-dev", "kata-qemu-coco-dev-runtime-rs", "kata-qemu-nvidia-gpu-snp", "kata-qemu-nvidia-gpu-tdx", "kata-qemu-snp", "kata-qemu-tdx"}},
		{S390x, []string{"kata-qemu-coco-dev", "kata-qemu-se", "kata-qemu-se-runtime-rs"}},
		{Aarch64, []string{"kata-qemu-coco-dev"}},
		{Peer, []string{"kata-remote"}},
	}
	for _, tt := range tests {
		v := ForPlatform(tt.p, "k8s", DefaultNodeSelector())
		if got := RuntimeClasses(v); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.p, got, tt.want)
		}
		if v["architecture"] != string(tt.p) || NodeSelector(v)["node.kubernetes.io/worker"] != "" || len(NodeSelector(v)) != 1 {
			t.Errorf("%s: values %v", tt.p, v)
		}
	}
}

func TestParsePlatform(t *testing.T) {
	for in, want := range map[string]Platform{"amd64": X86, "S390X": S390x, "arm64": Aarch64, "remote": Peer} {
		if got, err := ParsePlatform(in); err != nil || got != want {
			t.Errorf("ParsePlatform(%q) = %s, %v", in, got, err)
		}
	}
	if _, err := ParsePlatform("riscv"); err == nil {
		t.Error("riscv accepted")
	}
}
