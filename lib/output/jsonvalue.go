package output

import (
	"bytes"
	"encoding"
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

// jsonValue is what json.Unmarshal into an any gives for json.Marshal(v) (maps, []any,
// float64, string, bool, nil), built by walking v instead of writing and parsing its text:
// templates and custom columns read every item of a long list this way. What the walk does not
// model exactly (custom marshalers, embedded structs, ",string", omitzero, float32, strings
// that are not UTF-8) goes through encoding/json itself, so the result is always the same.
func jsonValue(v any) (any, error) {
	return walker{}.walk(reflect.ValueOf(v))
}

// kubeValue is jsonValue with numbers typed as k8s.io/apimachinery's JSON decoding types them
// (what cli-runtime's go-template printer reads): a number whose text is an integer that fits
// in int64 as int64, every other number as float64.
func kubeValue(v any) (any, error) {
	return walker{kube: true}.walk(reflect.ValueOf(v))
}

// walker walks a value as encoding/json writes it.
type walker struct {
	ints bool      // integers as int64 (uint64 beyond it), as sigs.k8s.io/yaml's JSON-to-YAML step types them
	kube bool      // numbers as apimachinery's json.Unmarshal gives them (kubeValue)
	in   *interner // if set, equal maps, lists and strings below the root are shared
	raw  bool      // what the walk leaves to encoding/json stays its compact text
	// depth is how many values deep the walk is.
	depth int
}

// root walks v from its top.
func (w walker) root(v any) (any, error) {
	if w.in != nil {
		w.in.startRoot()
	}
	return w.walk(reflect.ValueOf(v))
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	numberType        = reflect.TypeFor[json.Number]()
)

func (w walker) walk(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	return w.walkAs(v, infoOf(v.Type()))
}

// maxDepth is how deep the walk goes before it leaves the rest to encoding/json, which finds
// cycles (it starts looking past 1,000 levels of pointers, maps and slices).
const maxDepth = 1000

// walkAs walks v, whose type's info is known.
func (w walker) walkAs(v reflect.Value, info *typeInfo) (any, error) {
	w.depth++
	if info.marshals || w.depth > maxDepth {
		return w.viaJSON(v)
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return w.walkAs(v.Elem(), info.elemInfo())
	case reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return w.walk(v.Elem())
	case reflect.Struct:
		return w.walkStruct(v, info)
	case reflect.Map:
		return w.walkMap(v, info)
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if info.t.Elem().Kind() == reflect.Uint8 {
			return base64.StdEncoding.EncodeToString(v.Bytes()), nil
		}
		return w.walkList(v, info)
	case reflect.Array:
		return w.walkList(v, info)
	case reflect.String:
		if s := v.String(); utf8.ValidString(s) {
			if w.in != nil {
				return w.in.str(s), nil
			}
			return s, nil
		}
		return w.viaJSON(v)
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if w.ints || w.kube {
			return v.Int(), nil
		}
		return float64(v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if (w.ints || w.kube) && v.Uint() <= math.MaxInt64 {
			return int64(v.Uint()), nil
		}
		if w.ints {
			return v.Uint(), nil
		}
		return float64(v.Uint()), nil
	case reflect.Float64:
		if f := v.Float(); !math.IsNaN(f) && !math.IsInf(f, 0) {
			// encoding/json writes an integral float below 1e21 as its shortest decimal digits:
			// apimachinery reads those as an integer when they fit in int64
			if w.kube && f == math.Trunc(f) && math.Abs(f) < 1e21 {
				if i, err := strconv.ParseInt(strconv.FormatFloat(f, 'f', -1, 64), 10, 64); err == nil {
					return i, nil
				}
			}
			return f, nil
		}
	}
	return w.viaJSON(v) // float32, NaN and the kinds JSON refuses: its answer, or its error
}

func (w walker) viaJSON(v reflect.Value) (any, error) {
	x := v.Interface()
	if v.CanAddr() { // reached through a pointer: encoding/json calls pointer methods there
		x = v.Addr().Interface()
	}
	data, err := json.Marshal(x)
	if err != nil {
		return nil, err
	}
	if w.raw {
		return json.RawMessage(data), nil
	}
	var out any
	if w.kube {
		err = utiljson.Unmarshal(data, &out)
		return out, err
	}
	if !w.ints {
		err = json.Unmarshal(data, &out)
		return out, err
	}
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&out); err != nil {
		return nil, err
	}
	return typeNumbers(out), nil
}

func (w walker) walkList(v reflect.Value, info *typeInfo) (any, error) {
	elem := info.elemInfo()
	if w.in != nil {
		return w.walkListShared(v, elem)
	}
	out := make([]any, v.Len())
	for i := range out {
		var err error
		if out[i], err = w.walkAs(v.Index(i), elem); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (w walker) walkListShared(v reflect.Value, elem *typeInfo) (any, error) {
	m := w.in.enter()
	for i := range v.Len() {
		e, err := w.walkAs(v.Index(i), elem)
		if err != nil {
			return nil, err
		}
		w.in.elems = append(w.in.elems, e)
	}
	return w.in.list(m), nil
}

func (w walker) walkMap(v reflect.Value, info *typeInfo) (any, error) {
	if v.IsNil() {
		return nil, nil
	}
	if info.t.Key().Kind() != reflect.String {
		return w.viaJSON(v) // int and text-marshalled keys: JSON's rules
	}
	elem := info.elemInfo()
	o := w.newObject(v.Len())
	for it := v.MapRange(); it.Next(); {
		k := it.Key().String()
		if !utf8.ValidString(k) {
			o.drop()
			return w.viaJSON(v)
		}
		e, err := w.walkAs(it.Value(), elem)
		if err != nil {
			return nil, err
		}
		o.set(k, e)
	}
	return o.done(), nil
}

// object builds a map: directly, or with the interner on its stacks.
type object struct {
	in      *interner
	at      mark
	m       map[string]any
	inOrder bool // its entries come in encoding/json's order (a struct's fields)
}

func (w walker) newObject(n int) object {
	if w.in == nil {
		return object{m: make(map[string]any, n)}
	}
	return object{in: w.in, at: w.in.enter()}
}

func (o object) set(k string, v any) {
	if o.in == nil {
		o.m[k] = v
		return
	}
	o.in.keys = append(o.in.keys, k)
	o.in.elems = append(o.in.elems, v)
}

func (o object) done() any {
	if o.in == nil {
		return o.m
	}
	return o.in.object(o.at, o.inOrder)
}

// drop abandons the map.
func (o object) drop() {
	if o.in != nil {
		o.in.leave(o.at)
	}
}

// field is how encoding/json writes one struct field.
type field struct {
	index     int
	name      string
	omitEmpty bool
	info      *lazyInfo // of its type
}

// typeInfo is what the walk needs to know of a type, worked out once per type.
type typeInfo struct {
	t        reflect.Type
	marshals bool    // encoding/json calls its (or its pointer's) MarshalJSON or MarshalText
	fields   []field // a struct's fields as encoding/json writes them
	// walked is false for a struct the walk leaves to encoding/json (embedded fields,
	// ",string", omitzero).
	walked bool
	elem   lazyInfo // of a pointer's, list's or map's elements
}

var typeInfos sync.Map // reflect.Type -> *typeInfo

func infoOf(t reflect.Type) *typeInfo {
	ti, ok := typeInfos.Load(t)
	if !ok {
		ti, _ = typeInfos.LoadOrStore(t, computeInfo(t))
	}
	return ti.(*typeInfo)
}

func computeInfo(t reflect.Type) *typeInfo {
	ti := &typeInfo{t: t, marshals: t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) ||
		t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType) ||
		t == numberType} // encoding/json writes a json.Number bare, and refuses one that is not a number
	switch t.Kind() {
	case reflect.Struct:
		ti.fields, ti.walked = computeFields(t)
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		ti.elem.t = t.Elem()
	}
	return ti
}

// lazyInfo is the info of a type reached from another, looked up the first time: types may
// reach themselves.
type lazyInfo struct {
	p atomic.Pointer[typeInfo]
	t reflect.Type
}

func (l *lazyInfo) get() *typeInfo {
	if ti := l.p.Load(); ti != nil {
		return ti
	}
	ti := infoOf(l.t)
	l.p.Store(ti)
	return ti
}

func (ti *typeInfo) elemInfo() *typeInfo { return ti.elem.get() }

func computeFields(t reflect.Type) ([]field, bool) {
	var fs []field
	seen := map[string]bool{}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil, false
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",string,") || strings.Contains(","+opts+",", ",omitzero,") || !validTagName(name) {
			return nil, false
		}
		if name == "" {
			name = sf.Name
		}
		if seen[name] {
			return nil, false // duplicate names: JSON's rules drop both
		}
		seen[name] = true
		fs = append(fs, field{index: i, name: name, omitEmpty: strings.Contains(","+opts+",", ",omitempty,"), info: &lazyInfo{t: sf.Type}})
	}
	return fs, true
}

// validTagName is a name encoding/json accepts; it ignores others, which the walk leaves to it.
func validTagName(s string) bool {
	for _, c := range s {
		if !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func (w walker) walkStruct(v reflect.Value, info *typeInfo) (any, error) {
	if !info.walked {
		return w.viaJSON(v)
	}
	o := w.newObject(len(info.fields))
	o.inOrder = true
	for _, f := range info.fields {
		fv := v.Field(f.index)
		if f.omitEmpty && emptyValue(fv) {
			continue
		}
		e, err := w.walkAs(fv, f.info.get())
		if err != nil {
			return nil, err
		}
		o.set(f.name, e)
	}
	return o.done(), nil
}

// emptyValue is encoding/json's omitempty test.
func emptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}
