package output

import (
	"bytes"
	"encoding/json"
	"hash/maphash"
	"math"
	"reflect"
	"slices"
	"sort"
	"unsafe"
)

// interner makes the maps and lists a walk builds share what is equal. The items of a long list
// report repeat one another below their names (the same checks, evidence and labels on
// thousands of nodes), and as maps each repeat costs kilobytes: 5,000 node reports were 47 MB
// of maps for jsonpath and go-template, against 10 MB as structs (issue #29 item 4). The
// values it returns may be shared by many items, so they must only be read, as the printers
// do. The root of each walk (an item) is never shared. Not safe for concurrent use: one per
// goroutine.
type interner struct {
	seed   maphash.Seed
	strs   map[string]any   // each string boxed once
	values map[uint64][]any // content hash -> shared maps and lists with it
	// The entries of the maps and lists being built, as a stack: a value's own entries are
	// the top of it once its children are done.
	keys  []string
	elems []any
	depth int
	// fresh lists the strings boxed since it was last emptied, when noteFresh is set.
	fresh     []string
	noteFresh bool
	// ordered makes objects *jsonObject, in encoding/json's order, instead of maps.
	ordered bool
}

// jsonObject is an object whose entries are in the order encoding/json writes them: a
// struct's fields as declared, a map's keys sorted.
type jsonObject struct {
	keys []string
	vals []any
}

func newInterner() *interner {
	return &interner{seed: maphash.MakeSeed(), strs: map[string]any{}, values: map[uint64][]any{}}
}

// mark is where a value's entries start on the stacks.
type mark struct{ keys, elems int }

// startRoot begins a new walk: what an earlier one failed in the middle of is dropped.
func (in *interner) startRoot() {
	clear(in.elems)
	in.keys, in.elems, in.depth = in.keys[:0], in.elems[:0], 0
}

func (in *interner) enter() mark {
	in.depth++
	return mark{len(in.keys), len(in.elems)}
}

// str is s as a value; equal strings share one box.
func (in *interner) str(s string) any {
	if v, ok := in.strs[s]; ok {
		return v
	}
	v := any(s)
	in.strs[s] = v
	if in.noteFresh {
		in.fresh = append(in.fresh, s)
	}
	return v
}

// object is the map (a *jsonObject when ordered) of the entries pushed since m: a shared one
// with the same entries, or a new one. inOrder says that the entries come in encoding/json's
// order (a struct's fields); else (a Go map's) an ordered object sorts them.
func (in *interner) object(m mark, inOrder bool) any {
	keys, elems := in.keys[m.keys:], in.elems[m.elems:]
	defer in.leave(m)
	if in.ordered && !inOrder {
		sort.Sort(entries{keys, elems})
	}
	if in.depth == 1 { // the root
		return in.newObject(keys, elems)
	}
	var h uint64
	for i, k := range keys { // in any order: a Go map's entries come in any order
		h += mix(maphash.String(in.seed, k) ^ in.hash(elems[i]))
	}
	for _, c := range in.values[h] {
		if sameObject(c, keys, elems) {
			return c
		}
	}
	v := in.newObject(keys, elems)
	in.values[h] = append(in.values[h], v)
	return v
}

// list is the list of the elements pushed since m, shared or new.
func (in *interner) list(m mark) any {
	elems := in.elems[m.elems:]
	defer in.leave(m)
	if in.depth == 1 {
		return append([]any{}, elems...)
	}
	h := uint64(len(elems)) + 0x9e3779b97f4a7c15
	for _, e := range elems {
		h = mix(h ^ in.hash(e))
	}
	for _, c := range in.values[h] {
		if l, ok := c.([]any); ok && sameElems(l, elems) {
			return c
		}
	}
	v := any(append([]any{}, elems...))
	in.values[h] = append(in.values[h], v)
	return v
}

func (in *interner) leave(m mark) {
	clear(in.elems[m.elems:]) // the stack must not keep values alive
	in.keys, in.elems = in.keys[:m.keys], in.elems[:m.elems]
	in.depth--
}

// entries sorts a map's keys, and its values with them.
type entries struct {
	keys  []string
	elems []any
}

func (e entries) Len() int           { return len(e.keys) }
func (e entries) Less(i, j int) bool { return e.keys[i] < e.keys[j] }
func (e entries) Swap(i, j int) {
	e.keys[i], e.keys[j] = e.keys[j], e.keys[i]
	e.elems[i], e.elems[j] = e.elems[j], e.elems[i]
}

func (in *interner) newObject(keys []string, elems []any) any {
	if in.ordered {
		return &jsonObject{keys: slices.Clone(keys), vals: slices.Clone(elems)}
	}
	m := make(map[string]any, len(keys))
	for i, k := range keys {
		m[k] = elems[i]
	}
	return m
}

// hash of a value whose maps and lists are shared ones: those hash by identity.
func (in *interner) hash(v any) uint64 {
	switch t := v.(type) {
	case nil:
		return 1
	case bool:
		if t {
			return 2
		}
		return 3
	case string:
		return maphash.String(in.seed, t)
	case float64:
		return mix(math.Float64bits(t) ^ 4)
	case int64:
		return mix(uint64(t) ^ 5)
	case uint64:
		return mix(t ^ 6)
	case map[string]any:
		return mix(uint64(reflect.ValueOf(t).Pointer()))
	case []any:
		return mix(uint64(uintptr(unsafe.Pointer(unsafe.SliceData(t)))) ^ uint64(len(t)))
	case *jsonObject:
		return mix(uint64(uintptr(unsafe.Pointer(t))))
	case json.RawMessage: // new on every walk: by its text, else every one lands in one bucket
		return maphash.Bytes(in.seed, t)
	}
	return 7
}

func sameObject(c any, keys []string, elems []any) bool {
	if o, ok := c.(*jsonObject); ok {
		return slices.Equal(o.keys, keys) && sameElems(o.vals, elems)
	}
	m, ok := c.(map[string]any)
	if !ok || len(m) != len(keys) {
		return false
	}
	for i, k := range keys {
		if e, ok := m[k]; !ok || !same(e, elems[i]) {
			return false
		}
	}
	return true
}

func sameElems(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !same(a[i], b[i]) {
			return false
		}
	}
	return true
}

// same says whether a and b are the same value, given that equal maps and lists below the
// root are shared: those are the same only when they are one (or empty). Floats compare by their bits
// (JSON writes -0 as -0); a type the walk does not make is never the same.
func same(a, b any) bool {
	switch x := a.(type) {
	case nil, bool, string, int64, uint64:
		return a == b
	case float64:
		y, ok := b.(float64)
		return ok && math.Float64bits(x) == math.Float64bits(y)
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && reflect.ValueOf(x).Pointer() == reflect.ValueOf(y).Pointer()
	case *jsonObject:
		y, ok := b.(*jsonObject)
		return ok && x == y
	case json.RawMessage:
		y, ok := b.(json.RawMessage)
		return ok && bytes.Equal(x, y)
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || unsafe.SliceData(x) == unsafe.SliceData(y))
	}
	return false
}

// mix is splitmix64's finaliser.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
