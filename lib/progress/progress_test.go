package progress

import (
	"bytes"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/output"
)

func TestSilentWhenNotATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := New(&buf, output.NewPalette(false))
	s := p.Start("creating probe pod")
	s.Done("ok")
	if buf.Len() != 0 {
		t.Fatalf("wrote %q to a non-terminal", buf.String())
	}
}

func TestStepsOnATerminal(t *testing.T) {
	var buf bytes.Buffer
	p := NewForced(&buf, output.NewPalette(false))
	p.Start("creating probe pod").Done("teecheck-probe-x")
	s := p.Start("waiting")
	s.Fail("timed out")
	s.Done("ignored after the end")
	out := buf.String()
	for _, want := range []string{"✓ creating probe pod: teecheck-probe-x\n", "✗ waiting: timed out\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	if strings.Contains(out, "ignored") {
		t.Error("a step ended twice")
	}
}

func TestBar(t *testing.T) {
	for in, want := range map[int]string{0: "[----------]   0%", 45: "[####------]  45%", 100: "[##########] 100%", 140: "[##########] 100%", -3: "[----------]   0%"} {
		if got := Bar(in, 10); got != want {
			t.Errorf("%d: %q", in, got)
		}
	}
}
