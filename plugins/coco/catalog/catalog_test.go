package catalog

import (
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/lib/tee/nodecheck"
)

func report(arch string, status tee.Detection, kinds ...tee.Kind) nodecheck.Report {
	return nodecheck.Report{Name: "n", Architecture: arch, Worker: true, TEE: tee.TEEReport{Status: status, Kinds: kinds}}
}

func TestHardwareFit(t *testing.T) {
	snp := report("amd64", tee.Found, tee.SEVSNP)
	tests := []struct {
		class string
		node  nodecheck.Report
		want  Fit
	}{
		{"kata-qemu-snp", snp, Yes},
		{"kata-qemu-tdx", snp, No},
		{"kata-qemu-nvidia-gpu-snp", snp, No},
		{"kata-qemu-nvidia-gpu-snp", report("amd64", tee.Found, tee.SEVSNP, tee.NvidiaCC), Yes},
		{"kata-qemu-snp", report("amd64", tee.Undetected), Maybe},
		{"kata-qemu-snp", report("amd64", tee.None), No},
		{"kata-qemu-se", report("s390x", tee.Found, tee.SE), Yes},
		{"kata-qemu-se", snp, No},
		{"kata-qemu-coco-dev", report("s390x", tee.None), Yes},
		{"kata-qemu-coco-dev-runtime-rs", report("s390x", tee.None), Yes},
		{"kata-qemu-coco-dev", report("arm64", tee.None), No}, // kata-deploy builds it for amd64 and s390x only
		{"kata-qemu-coco-dev-runtime-rs", report("arm64", tee.None), Yes},
		{"kata-remote", report("arm64", tee.None), Yes},
		{"kata-qemu-tdx", nodecheck.Report{Architecture: "amd64", TEE: tee.TEEReport{Status: tee.Found, Kinds: []tee.Kind{tee.TDX}, ConfidentialGuest: true}}, No},
	}
	for _, tt := range tests {
		c, ok := Lookup(tt.class)
		if !ok {
			t.Fatalf("no class %s", tt.class)
		}
		if got := HardwareFit(c, tt.node); got != tt.want {
			t.Errorf("HardwareFit(%s, %s %v) = %s, want %s", tt.class, tt.node.Architecture, tt.node.TEE.Kinds, got, tt.want)
		}
	}
}

func TestBest(t *testing.T) {
	all := []string{"kata-qemu-coco-dev", "kata-qemu-snp", "kata-qemu-tdx"}
	if got := Best(all, []nodecheck.Report{report("amd64", tee.Found, tee.TDX)}); got != "kata-qemu-tdx" {
		t.Errorf("TDX node: %s", got)
	}
	if got := Best(all, []nodecheck.Report{report("amd64", tee.Undetected)}); got != "kata-qemu-coco-dev" {
		t.Errorf("unknown hardware: %s", got)
	}
	if got := Best([]string{"kata-qemu-coco-dev"}, []nodecheck.Report{report("amd64", tee.Found, tee.SEVSNP)}); got != "kata-qemu-coco-dev" {
		t.Errorf("snp class not installed: %s", got)
	}
	if got := Best([]string{"kata-qemu-coco-dev-runtime-rs"}, []nodecheck.Report{report("arm64", tee.None)}); got != "kata-qemu-coco-dev-runtime-rs" {
		t.Errorf("arm64 worker: %s", got)
	}
}
