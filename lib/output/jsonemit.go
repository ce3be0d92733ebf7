package output

import (
	"bytes"
	"encoding/json"
	"strings"
	"unsafe"
)

// jsonEmitter writes the items of a list report as json.MarshalIndent(report, "", "  ") writes
// them inside the list, walking each item into shared values (an interner in encoding/json's
// order): what repeats from item to item (a node's checks) is one value, whose text it keeps
// once written twice. Every string's and float's text is encoding/json's, asked once per
// distinct string; what the walk leaves to encoding/json (custom marshalers, strings that are
// not UTF-8) is its compact text, indented as MarshalIndent indents it. An item it cannot
// write (an encoding error) is left to encoding/json, which gives its error.
// TestJSONEmitterEqualsEncodingJSON holds the two to the same bytes. Not safe for concurrent
// use: one per goroutine.
type jsonEmitter struct {
	in     *interner
	quoted map[string][]byte
	blocks blockTexts
	limit  int // forget all when more are kept
}

func newJSONEmitter() *jsonEmitter {
	e := &jsonEmitter{limit: maxShared}
	e.forget()
	return e
}

func (e *jsonEmitter) forget() {
	e.in, e.quoted, e.blocks = newInterner(), map[string][]byte{}, blockTexts{}
	e.in.ordered = true
}

// itemLevel is the nesting of a top-level list's items in the whole report.
const itemLevel = 2

// items writes items [from, to) of l, each after ",\n    " (no comma before the first).
func (e *jsonEmitter) items(b *bytes.Buffer, l ItemList, from, to int) error {
	for i := from; i < to; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		if err := e.item(b, l.ListItem(i)); err != nil {
			return err
		}
	}
	return nil
}

func (e *jsonEmitter) item(b *bytes.Buffer, item any) error {
	v, err := e.walk(item)
	if err != nil {
		v = nil
	}
	return e.write(b, v, item)
}

// walk is the item as the emitter writes it: walked into shared values.
func (e *jsonEmitter) walk(item any) (any, error) {
	e.bound()
	return walker{ints: true, raw: true, in: e.in}.root(item)
}

// bound forgets what is kept once it passes the limit.
func (e *jsonEmitter) bound() {
	if len(e.in.values)+len(e.in.strs)+len(e.quoted)+len(e.blocks) > e.limit {
		e.forget()
	}
}

// write writes the walked item v (nil if the walk failed), else encoding/json's text of item.
func (e *jsonEmitter) write(b *bytes.Buffer, v, item any) error {
	e.bound() // items walked ahead by another emitter come here without walk
	start := b.Len()
	if v != nil && e.value(b, v, itemLevel, false) {
		return nil
	}
	b.Truncate(start)
	text, err := json.MarshalIndent(item, "    ", "  ")
	b.Write(text)
	return err
}

// value writes v at nesting level n (its closing bracket indented n times); kept says whether
// a map or list may be kept (it is below the root).
func (e *jsonEmitter) value(b *bytes.Buffer, v any, n int, kept bool) bool {
	if writePlain(b, v) {
		return true
	}
	switch t := v.(type) {
	case string:
		b.Write(e.quote(t))
	case float64: // encoding/json's own format
		text, err := json.Marshal(t)
		if err != nil {
			return false
		}
		b.Write(text)
	case json.RawMessage:
		return json.Indent(b, t, strings.Repeat("  ", n), "  ") == nil
	case *jsonObject:
		if len(t.keys) == 0 {
			b.WriteString("{}")
			return true
		}
		return e.block(b, blockKey{p: unsafe.Pointer(t), n: len(t.keys), col: n}, kept, func() bool { return e.object(b, t, n) })
	case []any:
		if len(t) == 0 {
			b.WriteString("[]")
			return true
		}
		return e.block(b, blockKey{p: unsafe.Pointer(unsafe.SliceData(t)), n: len(t), col: n}, kept, func() bool { return e.list(b, t, n) })
	default:
		return false
	}
	return true
}

func (e *jsonEmitter) object(b *bytes.Buffer, o *jsonObject, n int) bool {
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		e.newline(b, n+1)
		b.Write(e.quote(k))
		b.WriteString(": ")
		if !e.value(b, o.vals[i], n+1, true) {
			return false
		}
	}
	e.newline(b, n)
	b.WriteByte('}')
	return true
}

func (e *jsonEmitter) list(b *bytes.Buffer, l []any, n int) bool {
	b.WriteByte('[')
	for i, v := range l {
		if i > 0 {
			b.WriteByte(',')
		}
		e.newline(b, n+1)
		if !e.value(b, v, n+1, true) {
			return false
		}
	}
	e.newline(b, n)
	b.WriteByte(']')
	return true
}

func (e *jsonEmitter) newline(b *bytes.Buffer, n int) {
	b.WriteByte('\n')
	for range n {
		b.WriteString("  ")
	}
}

// block writes a map or list with write, or from its kept text when it is below the root (keep).
func (e *jsonEmitter) block(b *bytes.Buffer, k blockKey, keep bool, write func() bool) bool {
	if !keep {
		return write()
	}
	return e.blocks.write(b, k, write)
}

// quote is encoding/json's text of s (HTML characters escaped, as Marshal escapes them).
func (e *jsonEmitter) quote(s string) []byte {
	if q, ok := e.quoted[s]; ok {
		return q
	}
	q, _ := json.Marshal(s) // the walk gives only UTF-8 strings, which always encode
	e.quoted[s] = q
	return q
}
