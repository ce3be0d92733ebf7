package output

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	yamlv2 "go.yaml.in/yaml/v2"
)

// yamlEmitter writes an item of a list report as go-yaml v2.4.4 (go.yaml.in/yaml/v2, which
// sigs.k8s.io/yaml v1.6.0 uses; the versions in go.mod)
// writes it inside the list, without go-yaml's per-value cost: it lays out the block
// structure itself, and takes every scalar's text and every key order from go-yaml, asked once
// per distinct string and kept. What its text would depend on the column (a line go-yaml folds
// at 80 columns, a string with line breaks), a float, or anything else it does not model makes
// it give up on the item (ok false), which go-yaml then writes whole. TestStreamedRandomItems
// holds the two to the same bytes. Its caches keep every distinct string for the whole print:
// few, for reports whose strings repeat from item to item.
type yamlEmitter struct {
	scalars sync.Map // string -> scalarText
	keys    sync.Map // string -> scalarText
	orders  sync.Map // key set -> []string
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
	return e.sequence(b, []any{v}, 0, false)
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
			} else if !e.mapping(b, t, col+2, true) {
				return false
			}
		case []any:
			if len(t) == 0 {
				b.WriteString("[]\n")
			} else if !e.sequence(b, t, col+2, true) {
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
			} else if b.WriteByte('\n'); !e.mapping(b, t, col+2, false) {
				return false
			}
		case []any:
			if len(t) == 0 {
				b.WriteString(" []\n")
			} else if b.WriteByte('\n'); !e.sequence(b, t, col, false) { // go-yaml v2 does not indent a sequence in a mapping
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

// scalarLine writes a scalar that starts at column col, and the line's end.
func (e *yamlEmitter) scalarLine(b *bytes.Buffer, v any, col int) bool {
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
	if v, ok := e.scalars.Load(s); ok {
		return v.(scalarText)
	}
	st := scalarText{}
	if out, err := yamlv2.Marshal([]string{s}); err == nil && unchangedByParse(s) {
		text := strings.TrimSuffix(strings.TrimPrefix(string(out), "- "), "\n")
		st = scalarText{text: text, ok: !hasBreak(text)}
	}
	e.scalars.Store(s, st)
	return st
}

// key is go-yaml's text of s as a mapping key.
func (e *yamlEmitter) key(s string) scalarText {
	if v, ok := e.keys.Load(s); ok {
		return v.(scalarText)
	}
	st := scalarText{}
	if out, err := yamlv2.Marshal(map[string]int{s: 0}); err == nil && unchangedByParse(s) {
		text, ok := strings.CutSuffix(string(out), ": 0\n")
		st = scalarText{text: text, ok: ok && !hasBreak(text) && !strings.HasPrefix(text, "?")}
	}
	e.keys.Store(s, st)
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
	if v, ok := e.orders.Load(set.String()); ok {
		o, _ := v.([]string)
		return o, o != nil
	}
	o := e.askOrder(keys)
	e.orders.Store(set.String(), o)
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
