package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"

	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// repeatingList is a list whose items repeat values from a small pool below their names, as
// node reports do; values that differ only in type or in the sign of zero sit side by side.
func repeatingList(r *rand.Rand, n int, floats bool) anyList {
	pool := make([]map[string]any, 12)
	for i := range pool {
		pool[i] = randomItem(r)
		if !floats { // and no string that makes the whole report's YAML fail
			for delete(pool[i], "f"); !yamlEncodes(pool[i]); delete(pool[i], "f") {
				pool[i] = randomItem(r)
			}
		}
	}
	near := []any{int64(0), 0.0, math.Copysign(0, -1), "0", false, nil, []any{}, map[string]any{}, int64(1), 1.0}
	if !floats {
		near = []any{int64(0), int64(1), "0", "1", false, nil, []any{}, map[string]any{}, []any{nil}, []any{false}}
	}
	l := anyList{APIVersion: "x/v1", Zebra: "z"}
	for i := range n {
		p := pool[r.Intn(len(pool))]
		l.Items = append(l.Items, map[string]any{
			"name":   fmt.Sprintf("node-%05d", i),
			"checks": []any{pool[r.Intn(len(pool))], pool[r.Intn(len(pool))]},
			"labels": p["labels"],
			"list":   p["list"],
			"near":   map[string]any{"v": near[r.Intn(len(near))]},
		})
	}
	return l
}

// The shared walk gives what the JSON round trip gives, text and values, and shares what
// repeats: the maps of 300 items with 12 kinds of checks are far fewer than the items'.
func TestSharedWalkEqualsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(4))
	l := repeatingList(r, 300, true)
	data, err := json.Marshal(l)
	if err != nil {
		t.Fatal(err)
	}
	var plain, kube map[string]any
	if err := json.Unmarshal(data, &plain); err != nil {
		t.Fatal(err)
	}
	if err := utiljson.Unmarshal(data, &kube); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		walk func(any) (map[string]any, error)
		want map[string]any
	}{{"json", jsonMap, plain}, {"kube", kubeMap, kube}} {
		got, err := tc.walk(l)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: the shared walk differs from the round trip", tc.name)
		}
		text, _ := json.Marshal(got) // -0 and 0 are DeepEqual, not the same JSON
		if wantText, _ := json.Marshal(tc.want); !bytes.Equal(text, wantText) {
			t.Errorf("%s: the shared walk's JSON differs from the round trip's", tc.name)
		}
		if maps := distinctMaps(got["items"]); maps > 300+2*12*8 {
			t.Errorf("%s: %d distinct maps for 300 items from a pool of 12: nothing shared", tc.name, maps)
		}
	}
}

// distinctMaps counts the maps reachable from v, each once.
func distinctMaps(v any) int {
	seen := map[uintptr]bool{}
	var visit func(any)
	visit = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			p := reflect.ValueOf(t).Pointer()
			if seen[p] {
				return
			}
			seen[p] = true
			for _, e := range t {
				visit(e)
			}
		case []any:
			for _, e := range t {
				visit(e)
			}
		}
	}
	visit(v)
	return len(seen)
}

// Items that repeat one another print as the whole report's YAML, byte for byte, across blocks
// and goroutines, with the emitter's kept texts and go-yaml asked for many strings at once; or
// fail as it fails. The emitter keeps the texts of what repeats, and starts again past its
// limit without changing a byte.
func TestStreamedRepeatsEqualWhole(t *testing.T) {
	r := rand.New(rand.NewSource(9))
	kept, compared := 0, 0
	for round := range 8 {
		l := repeatingList(r, 200, false)
		want, wantErr := yaml.Marshal(l)
		var got bytes.Buffer
		err := Print(&got, YAML, l)
		switch {
		case wantErr != nil:
			t.Fatalf("round %d: the whole fails: %v", round, wantErr)
		case err != nil:
			t.Fatalf("round %d: %v", round, err)
		case got.String() != string(want):
			t.Fatalf("round %d: the streamed YAML differs from the whole's", round)
		}
		a := &Ahead{kind: aheadJSON} // -o json walked ahead, as while pages are read
		for i := range l.Items {
			a.Add(&l.Items[i])
		}
		var ahead bytes.Buffer
		wantJSON, _ := json.MarshalIndent(l, "", "  ")
		if err := Print(&ahead, JSON, aheadAnyList{l, a}); err != nil || ahead.String() != string(wantJSON)+"\n" {
			t.Fatalf("round %d: -o json walked ahead differs from MarshalIndent's (%v)", round, err)
		}
		compared++
		for _, limit := range []int{maxShared, 40} {
			e := newYAMLEmitter()
			e.limit = limit
			var b bytes.Buffer
			if err := e.items(&b, l, 0, l.ListLen()); err != nil {
				t.Fatal(err)
			}
			if want := bytes.TrimPrefix(want, []byte("apiVersion: x/v1\nitems:\n")); !bytes.HasPrefix(want, b.Bytes()) || b.Len() == 0 {
				t.Fatalf("round %d, limit %d: the items differ from the whole's", round, limit)
			}
			if limit == maxShared {
				kept += keptTexts(e)
			}
		}
	}
	if compared != 8 || kept == 0 {
		t.Errorf("%d of 8 lists compared, %d texts kept: the test compared too little", compared, kept)
	}
}

func yamlEncodes(v any) bool {
	_, err := yaml.Marshal(v)
	return err == nil
}

func keptTexts(e *yamlEmitter) int {
	n := 0
	for _, b := range e.blocks {
		if b.done && b.ok {
			n++
		}
	}
	return n
}

// same is what lets a hash collision share values: only the same value, of the same type, and
// a shared map or list only with itself.
func TestSame(t *testing.T) {
	m1, m2 := map[string]any{"a": "x"}, map[string]any{"a": "x"}
	l1, l2 := []any{"x"}, []any{"x"}
	for _, tc := range []struct {
		a, b any
		want bool
	}{
		{0.0, math.Copysign(0, -1), false}, {1.5, 1.5, true}, {int64(1), 1.0, false}, {int64(1), uint64(1), false},
		{"x", "x", true}, {"x", "y", false}, {nil, nil, true}, {nil, false, false}, {true, true, true},
		{m1, m1, true}, {m1, m2, false}, {l1, l1, true}, {l1, l2, false}, {l1[:0], l2[:0], true},
		{[]any{}, []any{}, true}, {m1, l1, false}, {int32(1), int32(1), false},
	} {
		if got := same(tc.a, tc.b); got != tc.want {
			t.Errorf("same(%#v, %#v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}

// oddList is a list of items with everything the walk leaves to encoding/json.
type oddList struct {
	Kind  string `json:"kind"`
	Items []odd  `json:"items"`
}

func (l oddList) ListShell() any     { l.Items = []odd{}; return l }
func (l oddList) ListLen() int       { return len(l.Items) }
func (l oddList) ListItem(i int) any { return &l.Items[i] }

// The JSON emitter writes what MarshalIndent writes, byte for byte: repeated values (kept
// texts), floats, integers beyond 2^53, HTML characters, custom marshalers, embedded structs,
// strings that are not UTF-8; past its limit too; and an item encoding/json refuses fails as
// it fails.
func TestJSONEmitterEqualsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewSource(11))
	o := odd{Plain: "<p>&", Renamed: "r", Number: "1e3", Bytes: []byte("hi"), IntKeys: map[int]string{2: "b", 10: "a"}, TextKeys: map[textKey]int{"k": 1},
		F32: 0.1, Big: 1<<62 + 1, U: math.MaxUint64, Bad: "a\xffb", Any: []int{1, 2}, PtrPtr: &ptrMarshaler{}, Emb: embedded{inner: inner{A: "x"}, C: "c"},
		Arr: [2]inner{{A: "1"}, {B: 2}}, Nested: map[string][]any{"n": {1.5, "s", nil, map[string]any{"k": true}}}, Iface: valMarshaler{}, Unicode: "日本\u2028"}
	lists := []ItemList{oddList{Kind: "OddList", Items: []odd{o, {}, o, o}}}
	for range 6 {
		lists = append(lists, repeatingList(r, 150, true))
	}
	kept := 0
	for i, l := range lists {
		want, err := json.MarshalIndent(l, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := Print(&got, JSON, l); err != nil || got.String() != string(want)+"\n" {
			t.Fatalf("list %d: the streamed JSON differs from MarshalIndent's (%v)", i, err)
		}
		for _, limit := range []int{maxShared, 30} {
			e := newJSONEmitter()
			e.limit = limit
			var b bytes.Buffer
			if err := e.items(&b, l, 0, l.ListLen()); err != nil {
				t.Fatal(err)
			}
			if !bytes.Contains(want, b.Bytes()) {
				t.Fatalf("list %d, limit %d: the items differ from MarshalIndent's", i, limit)
			}
			for _, bt := range e.blocks {
				if bt.done && bt.ok && limit == maxShared {
					kept++
				}
			}
		}
	}
	if kept == 0 {
		t.Error("no text kept: the repeats were not shared")
	}
	bad := anyList{Items: []map[string]any{{"name": "fine"}, {"f": math.Inf(1)}}}
	if err := Print(&bytes.Buffer{}, JSON, bad); err == nil || !strings.Contains(err.Error(), "unsupported value") {
		t.Errorf("an infinite float: %v, want encoding/json's error", err)
	}
}

type aheadAnyList struct {
	anyList
	a *Ahead
}

func (l aheadAnyList) Ahead() *Ahead { return l.a }

type cycle struct {
	Name string `json:"name"`
	Next *cycle `json:"next"`
}

// A value that reaches itself fails as encoding/json fails (it finds the cycle), where a walk
// without end would overflow the stack; a json.Number that is not a number too.
func TestWalkRefusesWhatEncodingJSONRefuses(t *testing.T) {
	c := &cycle{Name: "a"}
	c.Next = c
	for name, v := range map[string]any{"cycle": c, "number": struct{ N json.Number }{"x"}} {
		_, want := json.Marshal(v)
		if want == nil {
			t.Fatalf("%s: encoding/json takes it", name)
		}
		if _, err := jsonValue(v); err == nil || err.Error() != want.Error() {
			t.Errorf("%s: walked: %v, want %v", name, err, want)
		}
		l := anyList{Items: []map[string]any{{"v": v}}}
		if err := Print(&bytes.Buffer{}, JSON, l); err == nil || !strings.Contains(err.Error(), want.Error()) {
			t.Errorf("%s: -o json: %v, want %v", name, err, want)
		}
	}
}

// Values that encoding/json writes (custom marshalers) are shared like the rest: by their text.
func TestMarshaledValuesShared(t *testing.T) {
	type check struct {
		Name string       `json:"name"`
		At   valMarshaler `json:"at"`
	}
	type item struct {
		Name   string  `json:"name"`
		Checks []check `json:"checks"`
	}
	e := newJSONEmitter()
	var checks []any
	for i := range 3 {
		v, err := e.walk(&item{Name: fmt.Sprint(i), Checks: []check{{Name: "ready"}}})
		if err != nil {
			t.Fatal(err)
		}
		checks = append(checks, v.(*jsonObject).vals[1])
	}
	if !same(checks[0], checks[1]) || !same(checks[1], checks[2]) {
		t.Error("equal checks with a marshalled field were not shared")
	}
}
