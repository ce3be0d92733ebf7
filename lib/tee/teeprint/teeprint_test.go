package teeprint

import (
	"bytes"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
)

// The node's and the host's checks may ask for the same fix: it is listed once.
func TestVerdictListsEachFixOnce(t *testing.T) {
	var buf bytes.Buffer
	pr := Printer{W: &buf, P: output.NewPalette(false)}
	fix := "enable SEV-SNP in the BIOS and on the kernel command line (mem_encrypt=on kvm_amd.sev_snp=1)"
	pr.Verdict([]tee.Check{
		{ID: "cpu", Status: tee.Fail, Message: "no SEV-SNP label", Fix: fix},
		{ID: "host-cpu", Status: tee.Fail, Message: "no sev_snp flag in /proc/cpuinfo", Fix: fix},
		{ID: "kernel", Status: tee.Warn, Message: "old kernel", Fix: "upgrade the kernel"},
	}, nil, false, false, tee.Found)
	out := buf.String()
	if strings.Count(out, fix) != 1 || !strings.Contains(out, "upgrade the kernel") || !strings.Contains(out, "(2 check(s) failed)") {
		t.Fatalf("%s", out)
	}
}

func TestCheckTableNoHeaders(t *testing.T) {
	var with, without bytes.Buffer
	checks := []tee.Check{{ID: "cpu", Status: tee.Pass, Message: "16 CPUs >= 4"}}
	_ = Printer{W: &with, P: output.NewPalette(false)}.CheckTable(checks)
	_ = Printer{W: &without, P: output.NewPalette(false), NoHeaders: true}.CheckTable(checks)
	header, rows, _ := strings.Cut(with.String(), "\n")
	if !strings.HasPrefix(header, "CHECK") || without.String() != rows {
		t.Fatalf("%q vs %q", without.String(), with.String())
	}
}
