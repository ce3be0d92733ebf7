package output

import (
	"encoding/json"
	"math"
	"math/rand"
	"reflect"
	"testing"
	"time"

	utiljson "k8s.io/apimachinery/pkg/util/json"
)

type inner struct {
	A string `json:"a"`
	B int    `json:"b,omitempty"`
}

type ptrMarshaler struct{ X int }

func (p *ptrMarshaler) MarshalJSON() ([]byte, error) { return []byte(`"pointer"`), nil }

type valMarshaler struct{ X int }

func (valMarshaler) MarshalJSON() ([]byte, error) { return []byte(`{"custom":true}`), nil }

type textKey string

func (k textKey) MarshalText() ([]byte, error) { return []byte("T" + string(k)), nil }

type embedded struct {
	inner
	C string `json:"c"`
}

type odd struct {
	Plain     string
	Renamed   string            `json:"renamed"`
	Skipped   string            `json:"-"`
	unexp     string            //nolint:unused // encoding/json skips it
	Omit      *inner            `json:"omit,omitempty"`
	OmitZero  time.Time         `json:"omitZero,omitzero"`
	Str       int               `json:"str,string"`
	Bytes     []byte            `json:"bytes"`
	NilSlice  []string          `json:"nilSlice"`
	NilMap    map[string]int    `json:"nilMap"`
	EmptyMap  map[string]int    `json:"emptyMap,omitempty"`
	IntKeys   map[int]string    `json:"intKeys"`
	TextKeys  map[textKey]int   `json:"textKeys"`
	Time      time.Time         `json:"time"`
	F32       float32           `json:"f32"`
	Big       int64             `json:"big"`
	U         uint64            `json:"u"`
	Bad       string            `json:"bad"`
	Any       any               `json:"any"`
	Ptr       ptrMarshaler      `json:"ptr"`
	PtrPtr    *ptrMarshaler     `json:"ptrPtr"`
	Val       valMarshaler      `json:"val"`
	Emb       embedded          `json:"emb"`
	Arr       [2]inner          `json:"arr"`
	Nested    map[string][]any  `json:"nested"`
	Iface     json.Marshaler    `json:"iface"`
	Unicode   string            `json:"ünï"`
	Labels    map[string]string `json:"labels,omitempty"`
	ZeroFloat float64           `json:"zeroFloat,omitempty"`
	Number    json.Number       `json:"number"` // written bare
}

// The walk gives what encoding/json's text, decoded, gives: for every rule it models and every
// one it leaves to encoding/json.
func TestJSONValueEqualsRoundTrip(t *testing.T) {
	o := odd{Plain: "p", Renamed: "r", Skipped: "s", unexp: "u", OmitZero: time.Unix(5, 0).UTC(), Str: 7, Bytes: []byte("hi"),
		EmptyMap: map[string]int{}, IntKeys: map[int]string{2: "b", 10: "a"}, TextKeys: map[textKey]int{"k": 1}, Time: time.Date(2026, 12, 7, 1, 2, 3, 4, time.UTC),
		F32: 0.1, Big: 1<<62 + 1, U: math.MaxUint64, Bad: "a\xffb", Number: "12.50", Any: []int{1, 2}, PtrPtr: &ptrMarshaler{}, Emb: embedded{inner: inner{A: "x"}, C: "c"},
		Arr: [2]inner{{A: "1"}, {B: 2}}, Nested: map[string][]any{"n": {1.5, "s", nil, map[string]any{"k": true}}}, Iface: valMarshaler{}, Unicode: "日本"}
	r := rand.New(rand.NewSource(29))
	floats := []float64{1e8, 1e20, 1e21, 2.5, math.Copysign(0, -1), 1 << 62, 1 << 63, -(1 << 63), 9007199254740993, 1e-7}
	cases := []any{o, &o, odd{}, inner{}, []inner(nil), map[string]any(nil), "x", 3, nil, randomItem(r), randomItem(r), anyList{Items: []map[string]any{randomItem(r)}},
		floats, []uint64{math.MaxInt64, math.MaxInt64 + 1, math.MaxUint64}, []int64{math.MinInt64, math.MaxInt64}}
	for i, v := range cases {
		var want any
		if err := roundTrip(v, &want); err != nil {
			t.Fatal(err)
		}
		got, err := jsonValue(v)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("case %d (%T): walked\n%#v\nround trip\n%#v\n%v", i, v, got, want, err)
		}
		// kubeValue: what apimachinery's json.Unmarshal makes of the text (integers as int64)
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var kube any
		if err := utiljson.Unmarshal(data, &kube); err != nil {
			t.Fatal(err)
		}
		if got, err := kubeValue(v); err != nil || !reflect.DeepEqual(got, kube) {
			t.Errorf("case %d (%T): walked for apimachinery\n%#v\ndecoded\n%#v\n%v", i, v, got, kube, err)
		}
	}
	if _, err := jsonValue(map[string]float64{"x": math.NaN()}); err == nil {
		t.Error("NaN: no error, as encoding/json gives")
	}
	if _, err := jsonValue(struct{ C chan int }{}); err == nil {
		t.Error("a channel: no error, as encoding/json gives")
	}
}

// roundTrip decodes v's JSON into out: what the walk must equal.
func roundTrip(v any, out any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}
