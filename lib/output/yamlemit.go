package output

import (
	"bytes"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	yamlv2 "go.yaml.in/yaml/v2"
)

// yamlEmitter writes an item of a list report as go-yaml v2.4.4 (go.yaml.in/yaml/v2, which
// sigs.k8s.io/yaml v1.6.0 uses; the versions in go.mod)
// writes it inside the list, without go-yaml's per-value cost: it lays out the block
// structure itself, and takes every scalar's text and every key order from go-yaml, asked once
// per distinct string and kept. What its text would depend on the column (a line go-yaml folds
// at 80 columns, a string with line breaks), a float, or anything else it does not model makes
// it give up on the item (ok false), which go-yaml then writes whole. TestStreamedRandomItems
// holds the two to the same bytes.
//
// The items are walked with an interner, so what repeats from item to item (a node's checks)
// is one shared value, whose text the emitter keeps once it has written it twice. Its caches
// keep every distinct string and value until they pass maxShared, then start again. Not safe
// for concurrent use: one per goroutine.
type yamlEmitter struct {
	in      *interner
	scalars map[string]scalarText
	keys    map[string]scalarText
	orders  map[string][]string // key set -> order, nil when go-yaml's cannot be read
	blocks  blockTexts
	limit   int // forget all when more are kept
}

// maxShared bounds the distinct values and strings an emitter keeps between items.
const maxShared = 1 << 16

func newYAMLEmitter() *yamlEmitter {
	e := &yamlEmitter{limit: maxShared}
	e.forget()
	return e
}

// items writes items [from, to) of l as items of the top-level list: the emitter's, else
// go-yaml's. They are walked first, so that go-yaml is asked for their new strings at once.
func (e *yamlEmitter) items(b *bytes.Buffer, l ItemList, from, to int) error {
	values := make([]any, to-from)
	walked := make([]bool, to-from)
	for i := range values {
		v, err := e.value(l.ListItem(from + i))
		values[i], walked[i] = v, err == nil
	}
	e.prefetch()
	for i, v := range values {
		start := b.Len()
		if walked[i] && e.item(b, v) {
			continue
		}
		b.Truncate(start)
		one, err := yamlItem(l.ListItem(from + i))
		if err != nil {
			return err
		}
		b.Write(bytes.TrimPrefix(one, []byte("items:\n")))
	}
	return nil
}

// prefetch asks go-yaml for the text of every string walked since the last time, in one
// sequence: a go-yaml encoder costs more to set up than to write a short scalar. Each item of
// a top-level sequence is written as it would be alone, so when every one took a line, line i
// is string i's; otherwise each is asked alone when it is met.
func (e *yamlEmitter) prefetch() {
	var ask []string
	for _, s := range e.in.fresh {
		if _, known := e.scalars[s]; !known && unchangedByParse(s) {
			ask = append(ask, s)
		}
	}
	e.in.fresh = e.in.fresh[:0]
	if len(ask) < 2 {
		return
	}
	out, err := yamlv2.Marshal(ask)
	if err != nil {
		return
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(ask) {
		return
	}
	for i, line := range lines {
		if !strings.HasPrefix(line, "- ") {
			return
		}
		lines[i] = line[2:]
	}
	for i, s := range ask {
		e.scalars[s] = scalarText{text: lines[i], ok: !hasBreak(lines[i])}
	}
}

// forget drops every value, string and text kept.
func (e *yamlEmitter) forget() {
	e.in, e.blocks = newInterner(), blockTexts{}
	e.in.noteFresh = true
	e.scalars, e.keys, e.orders = map[string]scalarText{}, map[string]scalarText{}, map[string][]string{}
}

// value is the item as the emitter writes it: walked with integers as sigs.k8s.io/yaml's
// JSON-to-YAML step types them (int64, or uint64 beyond it; floats stay float64), and shared.
func (e *yamlEmitter) value(item any) (any, error) {
	if len(e.in.values)+len(e.in.strs)+len(e.scalars)+len(e.blocks) > e.limit {
		e.forget()
	}
	return walker{ints: true, in: e.in}.root(item)
}

// blockKey is a map or list below an item's root where it is written: its text depends on
// nothing else. The pointer keeps the value alive, so that its address is never another's.
type blockKey struct {
	p      unsafe.Pointer // the map, or the list's array
	n      int
	col    int // the column it starts at (YAML), or its nesting (JSON)
	inline bool
}

// blockText is a block's text once written twice (done); seen once, it is empty.
type blockText struct {
	text []byte
	ok   bool // the emitter wrote it: else the item is left to the library
	done bool
}

// blockTexts keeps the text of the shared maps and lists an emitter writes again and again.
type blockTexts map[blockKey]blockText

// write writes the block k with write, or its kept text; it keeps the text the second time.
func (t blockTexts) write(b *bytes.Buffer, k blockKey, write func() bool) bool {
	kept, seen := t[k]
	if kept.done {
		b.Write(kept.text)
		return kept.ok
	}
	start := b.Len()
	ok := write()
	if seen {
		t[k] = blockText{text: bytes.Clone(b.Bytes()[start:]), ok: ok, done: true}
	} else {
		t[k] = blockText{}
	}
	return ok
}

// scalarText is go-yaml's text of a string on one line; ok is false when it takes more.
type scalarText struct {
	text string
	ok   bool
}

// bestWidth is go-yaml v2's line width: plain and quoted scalars fold at a space past it.
const bestWidth = 80

// item writes v as an item of a top-level block sequence ("- " at column 0).
func (e *yamlEmitter) item(b *bytes.Buffer, v any) bool {
	b.WriteString("- ")
	switch t := v.(type) { // the root: its text is not kept
	case map[string]any:
		if len(t) == 0 {
			b.WriteString("{}\n")
			return true
		}
		return e.mapping(b, t, 2, true)
	case []any:
		if len(t) == 0 {
			b.WriteString("[]\n")
			return true
		}
		return e.sequence(b, t, 2, true)
	}
	return e.scalarLine(b, v, 2)
}

// block writes a non-empty map or list below the root, at column col (inline: its first line
// where the line is), from its kept text when there is one.
func (e *yamlEmitter) block(b *bytes.Buffer, v any, col int, inline bool) bool {
	k := blockKey{col: col, inline: inline}
	switch t := v.(type) {
	case map[string]any:
		k.p, k.n = reflect.ValueOf(t).UnsafePointer(), len(t)
	case []any:
		k.p, k.n = unsafe.Pointer(unsafe.SliceData(t)), len(t)
	}
	return e.blocks.write(b, k, func() bool {
		if m, isMap := v.(map[string]any); isMap {
			return e.mapping(b, m, col, inline)
		}
		return e.sequence(b, v.([]any), col, inline)
	})
}

// sequence writes l's items at column col; inline puts the first "- " where the line is.
func (e *yamlEmitter) sequence(b *bytes.Buffer, l []any, col int, inline bool) bool {
	for i, v := range l {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", col))
		}
		b.WriteString("- ")
		switch t := v.(type) {
		case map[string]any:
			if len(t) == 0 {
				b.WriteString("{}\n")
			} else if !e.block(b, t, col+2, true) {
				return false
			}
		case []any:
			if len(t) == 0 {
				b.WriteString("[]\n")
			} else if !e.block(b, t, col+2, true) {
				return false
			}
		default:
			if !e.scalarLine(b, v, col+2) {
				return false
			}
		}
	}
	return true
}

// mapping writes m's entries with keys at column col, in go-yaml's order; inline puts the
// first entry where the line is.
func (e *yamlEmitter) mapping(b *bytes.Buffer, m map[string]any, col int, inline bool) bool {
	keys, ok := e.order(m)
	if !ok {
		return false
	}
	for i, k := range keys {
		if i > 0 || !inline {
			b.WriteString(strings.Repeat(" ", col))
		}
		kt := e.key(k)
		if !kt.ok {
			return false
		}
		b.WriteString(kt.text)
		b.WriteByte(':')
		switch t := m[k].(type) {
		case map[string]any:
			if len(t) == 0 {
				b.WriteString(" {}\n")
			} else if b.WriteByte('\n'); !e.block(b, t, col+2, false) {
				return false
			}
		case []any:
			if len(t) == 0 {
				b.WriteString(" []\n")
			} else if b.WriteByte('\n'); !e.block(b, t, col, false) { // go-yaml v2 does not indent a sequence in a mapping
				return false
			}
		default:
			b.WriteByte(' ')
			if !e.scalarLine(b, m[k], col+utf8.RuneCountInString(kt.text)+2) {
				return false
			}
		}
	}
	return true
}

// writePlain writes the scalars whose text YAML and JSON share: null, booleans and integers;
// false for any other value.
func writePlain(b *bytes.Buffer, v any) bool {
	switch t := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		b.WriteString(strconv.FormatBool(t))
	case int64:
		b.WriteString(strconv.FormatInt(t, 10))
	case int:
		b.WriteString(strconv.Itoa(t))
	case uint64:
		b.WriteString(strconv.FormatUint(t, 10))
	default:
		return false
	}
	return true
}

// scalarLine writes a scalar that starts at column col, and the line's end.
func (e *yamlEmitter) scalarLine(b *bytes.Buffer, v any, col int) bool {
	if writePlain(b, v) {
		b.WriteByte('\n')
		return true
	}
	switch t := v.(type) {
	case string:
		st := e.scalar(t)
		if !st.ok || col+utf8.RuneCountInString(st.text) > bestWidth {
			return false
		}
		b.WriteString(st.text)
	default: // floats: go-yaml's formatting is its own
		return false
	}
	b.WriteByte('\n')
	return true
}

// scalar is go-yaml's text of s as a value.
func (e *yamlEmitter) scalar(s string) scalarText {
	if st, ok := e.scalars[s]; ok {
		return st
	}
	st := scalarText{}
	if out, err := yamlv2.Marshal([]string{s}); err == nil && unchangedByParse(s) {
		text := strings.TrimSuffix(strings.TrimPrefix(string(out), "- "), "\n")
		st = scalarText{text: text, ok: !hasBreak(text)}
	}
	e.scalars[s] = st
	return st
}

// key is go-yaml's text of s as a mapping key.
func (e *yamlEmitter) key(s string) scalarText {
	if st, ok := e.keys[s]; ok {
		return st
	}
	st := scalarText{}
	if out, err := yamlv2.Marshal(map[string]int{s: 0}); err == nil && unchangedByParse(s) {
		text, ok := strings.CutSuffix(string(out), ": 0\n")
		st = scalarText{text: text, ok: ok && !hasBreak(text) && !strings.HasPrefix(text, "?")}
	}
	e.keys[s] = st
	return st
}

// order is the order go-yaml writes m's keys in: byte order for keys of letters only (go-yaml
// compares letters as runes), else go-yaml's own order for that set of keys, asked once.
func (e *yamlEmitter) order(m map[string]any) ([]string, bool) {
	keys := make([]string, 0, len(m))
	letters := true
	for k := range m {
		keys = append(keys, k)
		letters = letters && k != "" && strings.IndexFunc(k, func(r rune) bool { return !unicode.IsLetter(r) }) < 0
	}
	sort.Strings(keys)
	if letters {
		return keys, true
	}
	var set strings.Builder
	for _, k := range keys {
		set.WriteString(strconv.Itoa(len(k)))
		set.WriteByte(':')
		set.WriteString(k)
	}
	if o, ok := e.orders[set.String()]; ok {
		return o, o != nil
	}
	o := e.askOrder(keys)
	e.orders[set.String()] = o
	return o, o != nil
}

// askOrder has go-yaml write the keys and reads their order back; nil when it cannot tell.
func (e *yamlEmitter) askOrder(keys []string) []string {
	probe := make(map[string]int, len(keys))
	byText := make(map[string]string, len(keys))
	for _, k := range keys {
		kt := e.key(k)
		if !kt.ok {
			return nil
		}
		probe[k] = 0
		byText[kt.text+": 0"] = k
	}
	out, err := yamlv2.Marshal(probe)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(keys) {
		return nil
	}
	order := make([]string, len(lines))
	for i, l := range lines {
		k, ok := byText[l]
		if !ok {
			return nil
		}
		order[i] = k
	}
	return order
}

// hasBreak says whether text holds a YAML line break (go-yaml indents what follows one as the
// column it is at asks: the text then depends on where it is).
func hasBreak(text string) bool {
	return strings.ContainsAny(text, "\n\r\u0085\u2028\u2029")
}

// unchangedByParse says whether s comes back unchanged when sigs.k8s.io/yaml parses the JSON
// text of it as YAML: Go's JSON writes DEL, the C1 controls, U+FEFF, U+FFFE and U+FFFF as they
// are, and go-yaml's reader refuses them, or folds NEL into a space (readerc.go); the whole
// report's YAML then fails or differs, which only go-yaml itself reproduces.
func unchangedByParse(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfeff || r == 0xfffe || r == 0xffff
	}) < 0
}
