package output

import (
	"fmt"
	"io"
	"os"

	"github.com/fatih/color"
	"golang.org/x/term"
)

// Color modes for --color.
const (
	ColorAuto   = "auto"
	ColorAlways = "always"
	ColorNever  = "never"
)

// ValidateColorMode accepts auto, always and never.
func ValidateColorMode(mode string) error {
	switch mode {
	case ColorAuto, ColorAlways, ColorNever:
		return nil
	}
	return fmt.Errorf("--color must be auto, always or never, not %q", mode)
}

// ColorEnabled decides colouring for a writer: always/never win; auto colours a terminal unless
// NO_COLOR is set (https://no-color.org) or TERM is dumb.
func ColorEnabled(mode string, w io.Writer) bool {
	switch mode {
	case ColorAlways:
		return true
	case ColorNever:
		return false
	}
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		return false
	}
	return IsTerminal(w)
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// Palette colours words by meaning. The zero value prints plain text.
type Palette struct {
	good, bad, warn, faint, bold *color.Color
}

// NewPalette returns a palette that colours only when enabled.
func NewPalette(enabled bool) Palette {
	mk := func(attrs ...color.Attribute) *color.Color {
		c := color.New(attrs...)
		if enabled {
			c.EnableColor()
		} else {
			c.DisableColor()
		}
		return c
	}
	return Palette{good: mk(color.FgGreen), bad: mk(color.FgRed, color.Bold), warn: mk(color.FgYellow), faint: mk(color.Faint), bold: mk(color.Bold)}
}

func paint(c *color.Color, s string) string {
	if c == nil {
		return s
	}
	return c.Sprint(s)
}

func (p Palette) Good(s string) string  { return paint(p.good, s) }
func (p Palette) Bad(s string) string   { return paint(p.bad, s) }
func (p Palette) Warn(s string) string  { return paint(p.warn, s) }
func (p Palette) Faint(s string) string { return paint(p.faint, s) }
func (p Palette) Bold(s string) string  { return paint(p.bold, s) }
