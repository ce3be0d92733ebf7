package output

import (
	"strings"
)

// Ahead encodes the items of a list report while the list is still being read: a command that
// reads pages hands over each item as it is judged, and the work hides behind the reads that
// follow; printing at the end only finishes what is ready. Measured (BENCHMARKS.md): for -o
// json (the items walked into shared values ahead, written when printed) and custom-columns
// (the rows ahead) it takes time off; -o yaml and jsonpath gained nothing from it, and would
// hold more memory. Other formats have none (nil, whose methods do nothing).
type Ahead struct {
	kind    aheadKind
	items   []any // the walked item (-o json), or a custom-columns row (string)
	failed  bool  // an item did not encode: printing encodes again and says why
	columns *columnsPrinter
	in      *interner    // rows: what repeats from item to item is walked into one value
	json    *jsonEmitter // -o json: its walk
}

type aheadKind int

const (
	aheadJSON aheadKind = iota
	aheadRows
)

// Ahead returns the printer's encoder ahead of printing, nil when its format has none.
func (p *Printer[R]) Ahead() *Ahead {
	if p.format == JSON {
		return &Ahead{kind: aheadJSON}
	}
	if cp, ok := p.tmpl.(*columnsPrinter); ok {
		return &Ahead{kind: aheadRows, columns: cp}
	}
	return nil
}

// Add encodes the next item, given as the list will give it (ItemList.ListItem).
func (a *Ahead) Add(item any) {
	if a == nil || a.failed {
		return
	}
	var v any
	var err error
	switch a.kind {
	case aheadJSON:
		if a.json == nil {
			a.json = newJSONEmitter()
		}
		v, err = a.json.walk(item)
	case aheadRows:
		v, err = a.row(item)
	}
	a.failed = err != nil
	a.items = append(a.items, v)
}

// Len is the number of items encoded.
func (a *Ahead) Len() int {
	if a == nil {
		return 0
	}
	return len(a.items)
}

// Reset forgets every item: the list is read again from its start.
func (a *Ahead) Reset() {
	if a != nil {
		a.items, a.failed = a.items[:0], false
	}
}

// ready returns what was encoded ahead for l, nil when it does not cover l's items.
func ready(l ItemList, kind aheadKind) []any {
	h, ok := l.(interface{ Ahead() *Ahead })
	if !ok {
		return nil
	}
	a := h.Ahead()
	if a == nil || a.kind != kind || a.failed || len(a.items) != l.ListLen() {
		return nil
	}
	return a.items
}

// row is the item's custom-columns row, "" for an item that is not an object (no row).
func (a *Ahead) row(item any) (string, error) {
	if a.in == nil || len(a.in.values)+len(a.in.strs) > maxShared {
		a.in = newInterner()
	}
	v, err := walker{in: a.in}.root(item)
	content, ok := v.(map[string]any)
	if err != nil || !ok {
		return "", err
	}
	row, err := a.columns.rowOf(content)
	return strings.Join(row, "\t") + "\n", err
}
