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

// yamlValue is jsonValue with numbers typed as sigs.k8s.io/yaml's JSON-to-YAML step types
// them: integers as int64, or uint64 beyond it; floats stay float64.
func yamlValue(v any) (any, error) {
	return walker{ints: true}.walk(reflect.ValueOf(v))
}

// kubeValue is jsonValue with numbers typed as k8s.io/apimachinery's JSON decoding types them
// (what cli-runtime's go-template printer reads): a number whose text is an integer that fits
// in int64 as int64, every other number as float64.
func kubeValue(v any) (any, error) {
	return walker{kube: true}.walk(reflect.ValueOf(v))
}

// walker walks a value as encoding/json writes it.
type walker struct {
	ints bool // integers as int64, not float64
	kube bool // numbers as apimachinery's json.Unmarshal gives them (kubeValue)
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
)

func (w walker) walk(v reflect.Value) (any, error) {
	if !v.IsValid() {
		return nil, nil
	}
	t := v.Type()
	if t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType) ||
		t.Implements(textMarshalerType) || reflect.PointerTo(t).Implements(textMarshalerType) {
		return w.viaJSON(v)
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return w.walk(v.Elem())
	case reflect.Struct:
		return w.walkStruct(v)
	case reflect.Map:
		return w.walkMap(v)
	case reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if t.Elem().Kind() == reflect.Uint8 {
			return base64.StdEncoding.EncodeToString(v.Bytes()), nil
		}
		return w.walkList(v)
	case reflect.Array:
		return w.walkList(v)
	case reflect.String:
		if s := v.String(); utf8.ValidString(s) {
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

func (w walker) walkList(v reflect.Value) (any, error) {
	out := make([]any, v.Len())
	for i := range out {
		var err error
		if out[i], err = w.walk(v.Index(i)); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (w walker) walkMap(v reflect.Value) (any, error) {
	if v.IsNil() {
		return nil, nil
	}
	if v.Type().Key().Kind() != reflect.String {
		return w.viaJSON(v) // int and text-marshalled keys: JSON's rules
	}
	out := make(map[string]any, v.Len())
	for it := v.MapRange(); it.Next(); {
		k := it.Key().String()
		if !utf8.ValidString(k) {
			return w.viaJSON(v)
		}
		e, err := w.walk(it.Value())
		if err != nil {
			return nil, err
		}
		out[k] = e
	}
	return out, nil
}

// field is how encoding/json writes one struct field.
type field struct {
	index     int
	name      string
	omitEmpty bool
}

// fieldsOf lists the fields of a struct type as encoding/json writes them; ok is false for a
// struct the walk leaves to encoding/json (embedded fields, ",string", omitzero).
var fieldCache sync.Map // reflect.Type -> []field, or nil when not walked

func fieldsOf(t reflect.Type) ([]field, bool) {
	if f, ok := fieldCache.Load(t); ok {
		fs, walked := f.([]field)
		return fs, walked
	}
	fs, ok := computeFields(t)
	if ok {
		fieldCache.Store(t, fs)
	} else {
		fieldCache.Store(t, false)
	}
	return fs, ok
}

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
		fs = append(fs, field{index: i, name: name, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
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

func (w walker) walkStruct(v reflect.Value) (any, error) {
	fs, ok := fieldsOf(v.Type())
	if !ok {
		return w.viaJSON(v)
	}
	out := make(map[string]any, len(fs))
	for _, f := range fs {
		fv := v.Field(f.index)
		if f.omitEmpty && emptyValue(fv) {
			continue
		}
		e, err := w.walk(fv)
		if err != nil {
			return nil, err
		}
		out[f.name] = e
	}
	return out, nil
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
