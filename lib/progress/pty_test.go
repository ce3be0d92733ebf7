package progress

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
)

// onTerminal runs f with a Progress on a real pseudo-terminal (80 columns) and returns all it
// drew.
func onTerminal(t *testing.T, f func(p *Progress)) string {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer master.Close()
	if err := pty.Setsize(master, &pty.Winsize{Rows: 24, Cols: 80}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _, _ = io.Copy(&buf, master) }()
	p := New(tty, output.NewPalette(false))
	if !p.enabled {
		t.Fatal("a pty is not taken for a terminal")
	}
	f(p)
	tty.Close()
	wg.Wait() // the copy ends when the tty side is closed (EIO on Linux)
	return strings.ReplaceAll(buf.String(), "\r\n", "\n")
}

func TestUpdatesShowWhileSpinning(t *testing.T) {
	out := onTerminal(t, func(p *Progress) {
		s := p.Start("waiting for pods")
		time.Sleep(8 * refresh) // room for several frames on a loaded machine
		s.Update("waiting for pods: 1 of 3 running, the rest pulling images")
		time.Sleep(8 * refresh)     // room for several frames on a loaded machine
		s.Update("waiting: 3 of 3") // shorter: what was longer must be erased
		time.Sleep(8 * refresh)     // room for several frames on a loaded machine
		s.Done("all running")
		p.Start("checking").Fail("timed out")
	})
	first := strings.Index(out, "waiting for pods: 1 of 3 running")
	second := strings.Index(out, "waiting: 3 of 3")
	final := strings.Index(out, "✓ waiting for pods: all running\n") // the step's name, not the last update
	if first < 0 || second < first || final < second {
		t.Fatalf("updates out of order or missing (%d, %d, %d):\n%q", first, second, final, out)
	}
	// Each frame moves up over the last one and erases to the end of the screen first.
	if !strings.Contains(out[first:second], "\x1b[1A\x1b[J") {
		t.Fatalf("no erase between frames:\n%q", out[first:second])
	}
	spinning := strings.Count(out[:first], "waiting for pods")
	if spinning < 2 {
		t.Fatalf("the step did not spin (%d frames):\n%q", spinning, out[:first])
	}
	if !strings.HasSuffix(out, "✗ checking: timed out\n") {
		t.Fatalf("the failed step's end line:\n%q", out)
	}
}

func TestParallelStepsOneLineEach(t *testing.T) {
	out := onTerminal(t, func(p *Progress) {
		a, b := p.Start("node a: probing"), p.Start("node b: probing")
		time.Sleep(8 * refresh) // room for several frames on a loaded machine
		a.Done("snp")
		time.Sleep(8 * refresh)
		b.Fail("no TEE")
	})
	if !strings.Contains(out, "node a: probing\n") || !strings.Contains(out, "✓ node a: probing: snp\n") || !strings.HasSuffix(out, "✗ node b: probing: no TEE\n") {
		t.Fatalf("%q", out)
	}
	// While both ran, a frame held both lines.
	if !strings.Contains(out, "node a: probing\n"+frameOf(out, "node b: probing")) {
		t.Fatalf("no frame with both steps:\n%q", out)
	}
}

// frameOf returns the spinner-and-text of the first line in out ending with text.
func frameOf(out, text string) string {
	i := strings.Index(out, " "+text+"\n")
	if i < 0 {
		return "\x00"
	}
	j := strings.LastIndex(out[:i], "\n")
	return out[j+1 : i+len(text)+2]
}

func TestNothingButResultsUnderAPipe(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	p := New(w, output.NewPalette(false))
	s := p.Start("waiting")
	s.Update("still waiting")
	s.Done("done")
	w.Close()
	data, _ := io.ReadAll(r)
	if len(data) != 0 {
		t.Fatalf("wrote %q to a pipe", data)
	}
}

// #27 class 8: on Ctrl-C and on failure the step's line ends with its end line, and no
// spinner glyph is left behind it; an interrupted step says "interrupted", never "failed".
func TestEndLinesOnInterruptAndFailure(t *testing.T) {
	for name, c := range map[string]struct {
		err  error
		want string
	}{
		"ctrl-c":    {context.Canceled, "⊘ waiting for pods: interrupted\n"},
		"exit 130":  {&clierr.Error{Code: clierr.CodeInterrupted, Msg: "interrupted; pod x was deleted"}, "⊘ waiting for pods: interrupted\n"},
		"deadline":  {context.DeadlineExceeded, "✗ waiting for pods: timed out\n"},
		"failure":   {errors.New("image pull failed"), "✗ waiting for pods: failed\n"},
		"succeeded": {nil, "✓ waiting for pods: running\n"},
	} {
		t.Run(name, func(t *testing.T) {
			out := onTerminal(t, func(p *Progress) {
				s := p.Start("waiting for pods")
				time.Sleep(6 * refresh) // room for several frames on a loaded machine
				s.End(c.err, "running")
			})
			if !strings.HasSuffix(out, c.want) {
				t.Fatalf("end line: want %q at the end of\n%q", c.want, out)
			}
			last := out[strings.LastIndex(out[:len(out)-1], "\n")+1:]
			for _, f := range frames {
				if strings.Contains(last, f) {
					t.Fatalf("spinner glyph %s left on the end line %q", f, last)
				}
			}
		})
	}
}

// A step longer than a few seconds shows how long it has run, while it spins and at its end.
func TestElapsedTimeOnLongSteps(t *testing.T) {
	old := showElapsedAfter
	showElapsedAfter = 0
	t.Cleanup(func() { showElapsedAfter = old })
	out := onTerminal(t, func(p *Progress) {
		s := p.Start("waiting for the shoot")
		time.Sleep(6 * refresh)
		s.Done("reconciled")
	})
	if !strings.Contains(out, "⠋ waiting for the shoot (0s)") && !strings.Contains(out, "waiting for the shoot (0s)") {
		t.Fatalf("no elapsed time while spinning:\n%q", out)
	}
	if !strings.HasSuffix(out, "✓ waiting for the shoot: reconciled (1s)\n") && !strings.HasSuffix(out, "✓ waiting for the shoot: reconciled (0s)\n") {
		t.Fatalf("no elapsed time on the end line:\n%q", out)
	}
	if got := elapsed(2 * time.Second); got != " (2s)" {
		t.Fatalf("elapsed(2s) = %q", got)
	}
	if got := elapsed(65 * time.Second); got != " (1m05s)" {
		t.Fatalf("elapsed(65s) = %q", got)
	}
}
