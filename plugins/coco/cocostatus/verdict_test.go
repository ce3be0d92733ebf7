package cocostatus

import (
	"strings"
	"testing"
)

// The verdict is a function of what was read; a read that failed is never healthy.
func TestStatusVerdict(t *testing.T) {
	report := func(installed bool, expected, present, cannotTell []string) *Report {
		r := &Report{Installed: installed, CannotTell: cannotTell}
		r.RuntimeClasses.Expected, r.RuntimeClasses.Present = expected, present
		r.conclude(cannotTell == nil)
		return r
	}
	if r := report(true, []string{"kata-qemu-snp"}, []string{"kata-qemu-snp", "runc"}, nil); !r.Healthy || len(r.Problems) != 0 {
		t.Fatalf("all there: %+v", r)
	}
	if r := report(true, []string{"kata-qemu-snp", "kata-qemu-tdx"}, []string{"kata-qemu-snp"}, nil); r.Healthy || strings.Join(r.RuntimeClasses.Missing, ",") != "kata-qemu-tdx" ||
		len(r.Problems) != 1 || !strings.Contains(r.Problems[0], "kata-qemu-tdx") {
		t.Fatalf("missing class: %+v", r)
	}
	if r := report(true, []string{"kata-qemu-snp"}, nil, []string{`cannot tell: list runtimeclasses.node.k8s.io at cluster scope forbidden`}); r.Healthy || len(r.RuntimeClasses.Missing) != 0 {
		t.Fatalf("forbidden read judged healthy: %+v", r)
	}
	if r := report(false, nil, nil, nil); r.Healthy {
		t.Fatalf("not installed judged healthy: %+v", r)
	}
}
