// Package progress shows what a long command is doing on stderr: one line per step, spinning
// with its latest message while it runs and ending with ✓ or ✗. Several steps may run at once
// (one line each). Lines are drawn by github.com/vbauerster/mpb, and only on a terminal, so
// pipes and logs stay clean.
package progress

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/lib/output"
)

// Progress draws step lines on a terminal; disabled, every method does nothing.
type Progress struct {
	w       io.Writer
	enabled bool
	forced  bool
	palette output.Palette

	mu        sync.Mutex
	container *mpb.Progress // while steps run
	running   int
}

// New enables progress only when w is a terminal.
func New(w io.Writer, palette output.Palette) *Progress {
	return &Progress{w: w, enabled: output.IsTerminal(w), palette: palette}
}

// NewForced draws on w whether or not it is a terminal (for tests).
func NewForced(w io.Writer, palette output.Palette) *Progress {
	return &Progress{w: w, enabled: true, forced: true, palette: palette}
}

// Step is one unit of work; end it with Done or Fail.
type Step struct {
	p     *Progress
	bar   *mpb.Bar
	mu    sync.Mutex
	msg   string
	title string // what Start was given: the end line says it, not the latest update
	final string // the end line, once ended
	once  sync.Once
	start time.Time
}

var frames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

const refresh = 100 * time.Millisecond

// Start begins a step; its line spins until it ends.
func (p *Progress) Start(msg string) *Step {
	s := &Step{p: p, msg: msg, title: msg, start: time.Now()}
	if p == nil || !p.enabled {
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.container == nil {
		p.container = mpb.New(mpb.WithOutput(p.w), mpb.WithRefreshRate(refresh), mpb.PopCompletedMode(),
			mpb.ContainerOptional(mpb.ForceAutoRefresh(), p.forced))
	}
	p.running++
	started := time.Now()
	s.bar, _ = p.container.Add(1, mpb.BarFillerFunc(func(w io.Writer, st decor.Statistics) error {
		_, err := io.WriteString(w, fit(s.line(started), st.AvailableWidth))
		return err
	}), mpb.BarFillerTrim())
	return s
}

// line is what the step's line shows now: the spinner and the latest message, or the end line.
func (s *Step) line(started time.Time) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.final != "" {
		return s.final
	}
	return frames[int(time.Since(started)/refresh)%len(frames)] + " " + s.msg + elapsed(time.Since(started))
}

// showElapsedAfter is when a step starts showing how long it has run: a wait longer than a
// few seconds says so, a quick step stays short.
var showElapsedAfter = 3 * time.Second

// elapsed is " (12s)", " (1m05s)", or "" for a step younger than showElapsedAfter.
func elapsed(d time.Duration) string {
	if d < showElapsedAfter {
		return ""
	}
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf(" (%ds)", int(d.Seconds()))
	}
	return fmt.Sprintf(" (%dm%02ds)", int(d.Minutes()), int(d.Seconds())%60)
}

// fit cuts a line to the terminal's width, so it never wraps (a wrapped line would not be
// erased by the next frame).
func fit(line string, width int) string {
	if width <= 0 || utf8.RuneCountInString(line) <= width {
		return line
	}
	r := []rune(line)
	return string(r[:max(width-1, 0)]) + "…"
}

// Update changes the step's message while it spins.
func (s *Step) Update(msg string) {
	s.mu.Lock()
	s.msg = msg
	s.mu.Unlock()
}

func (s *Step) end(mark, detail string) {
	s.once.Do(func() {
		if s.bar == nil {
			return
		}
		s.mu.Lock()
		s.final = mark + " " + s.title
		if detail != "" {
			s.final += ": " + detail
		}
		s.final += elapsed(time.Since(s.start))
		s.mu.Unlock()
		s.bar.SetTotal(-1, true) // complete: drawn once more with the end line, then popped above
		s.p.stepEnded()
	})
}

// stepEnded waits, after the last running step, for the final lines to be drawn, so nothing
// the command prints next lands inside the progress area.
func (p *Progress) stepEnded() {
	p.mu.Lock()
	p.running--
	var c *mpb.Progress
	if p.running == 0 {
		c, p.container = p.container, nil
	}
	p.mu.Unlock()
	if c != nil {
		c.Wait()
	}
}

// Done ends the step with ✓.
func (s *Step) Done(detail string) { s.end(s.palette().Good("✓"), detail) }

// Fail ends the step with ✗.
func (s *Step) Fail(detail string) { s.end(s.palette().Bad("✗"), detail) }

// Interrupted ends the step as stopped by Ctrl-C: not failed, not done.
func (s *Step) Interrupted() { s.end(s.palette().Warn("⊘"), "interrupted") }

// End ends the step for err: ✓ with okDetail when nil, else "interrupted" for Ctrl-C (a
// cancelled context, or an error with exit code 130), "timed out" for a deadline, "failed"
// otherwise: an interrupted wait is never reported as failed.
func (s *Step) End(err error, okDetail string) {
	switch {
	case err == nil:
		s.Done(okDetail)
	case errors.Is(err, context.Canceled) || clierr.ExitCode(err) == clierr.CodeInterrupted:
		s.Interrupted()
	case errors.Is(err, context.DeadlineExceeded) || isTimeout(err):
		s.Fail("timed out")
	default:
		s.Fail("failed")
	}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

func (s *Step) palette() output.Palette {
	if s.p == nil {
		return output.Palette{}
	}
	return s.p.palette
}

// Bar renders percent (0-100) as a bar of width cells: "[######----] 60%".
func Bar(percent, width int) string {
	percent = min(max(percent, 0), 100)
	full := percent * width / 100
	bar := make([]byte, 0, width)
	for i := 0; i < width; i++ {
		if i < full {
			bar = append(bar, '#')
		} else {
			bar = append(bar, '-')
		}
	}
	return fmt.Sprintf("[%s] %3d%%", bar, percent)
}
