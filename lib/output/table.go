package output

import (
	"io"
	"strings"
	"unicode/utf8"
)

// Cell is one table cell: its text, and how to colour it once padded.
type Cell struct {
	Text  string
	Paint func(string) string
}

// C makes a plain cell.
func C(s string) Cell { return Cell{Text: s} }

// Table is a kubectl-style table: upper-case headers, columns separated by three spaces.
type Table struct {
	Headers []string
	Rows    [][]Cell
	// NoHeaders leaves out the header line (--no-headers); the widths still count the headers,
	// as kubectl's do.
	NoHeaders bool
}

// Add appends a row.
func (t *Table) Add(cells ...Cell) { t.Rows = append(t.Rows, cells) }

// Render writes the table. Widths are measured on the plain text, so colour codes never break
// the alignment (text/tabwriter would count them).
func (t *Table) Render(w io.Writer) error {
	widths := make([]int, len(t.Headers))
	for i, h := range t.Headers {
		widths[i] = utf8.RuneCountInString(h)
	}
	for _, r := range t.Rows {
		for i, c := range r {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c.Text))
			}
		}
	}
	var b strings.Builder
	writeRow := func(cells []Cell) {
		for i, c := range cells {
			if i >= len(widths) {
				break
			}
			text := c.Text
			if c.Paint != nil {
				text = c.Paint(text)
			}
			b.WriteString(text)
			if i < len(cells)-1 {
				b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.Text)+3))
			}
		}
		b.WriteString("\n")
	}
	hdr := make([]Cell, len(t.Headers))
	for i, h := range t.Headers {
		hdr[i] = C(strings.ToUpper(h))
	}
	if !t.NoHeaders {
		writeRow(hdr)
	}
	for _, r := range t.Rows {
		writeRow(r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
