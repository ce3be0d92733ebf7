// Package progress shows what a long command is doing on stderr: steps with ✓ and ✗, and a
// spinner while waiting. It writes only to a terminal, so pipes and logs stay clean.
package progress

import (
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/osc-coco/kubectl-plugins/lib/output"
)

// Progress writes step lines to a terminal; disabled, every method does nothing.
type Progress struct {
	w       io.Writer
	enabled bool
	palette output.Palette
	mu      sync.Mutex
}

// New enables progress only when w is a terminal.
func New(w io.Writer, palette output.Palette) *Progress {
	return &Progress{w: w, enabled: output.IsTerminal(w), palette: palette}
}

// NewForced writes to w whether or not it is a terminal (tests, --progress).
func NewForced(w io.Writer, palette output.Palette) *Progress {
	return &Progress{w: w, enabled: true, palette: palette}
}

// Step is one unit of work; end it with Done or Fail.
type Step struct {
	p       *Progress
	msg     string
	stop    chan struct{}
	stopped sync.WaitGroup
	once    sync.Once
}

var frames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// Start begins a step and spins until it ends.
func (p *Progress) Start(msg string) *Step {
	s := &Step{p: p, msg: msg, stop: make(chan struct{})}
	if p == nil || !p.enabled {
		return s
	}
	s.stopped.Add(1)
	go func() {
		defer s.stopped.Done()
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for i := 0; ; i++ {
			p.mu.Lock()
			fmt.Fprintf(p.w, "\r%s %s", frames[i%len(frames)], msg)
			p.mu.Unlock()
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// Update changes the step's message while it spins.
func (s *Step) Update(msg string) {
	if s.p == nil {
		return
	}
	s.p.mu.Lock()
	s.msg = msg
	s.p.mu.Unlock()
}

func (s *Step) end(mark, detail string) {
	s.once.Do(func() {
		close(s.stop)
		s.stopped.Wait()
		if s.p == nil || !s.p.enabled {
			return
		}
		s.p.mu.Lock()
		defer s.p.mu.Unlock()
		line := s.msg
		if detail != "" {
			line += ": " + detail
		}
		fmt.Fprintf(s.p.w, "\r\033[K%s %s\n", mark, line)
	})
}

// Done ends the step with ✓.
func (s *Step) Done(detail string) { s.end(s.palette().Good("✓"), detail) }

// Fail ends the step with ✗.
func (s *Step) Fail(detail string) { s.end(s.palette().Bad("✗"), detail) }

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
