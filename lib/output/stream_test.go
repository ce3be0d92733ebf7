package output

import (
	"bytes"
	"encoding/json"
	"math/rand"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

type streamItem struct {
	Name    string            `json:"name"`
	Message string            `json:"message,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	Checks  []streamCheck     `json:"checks"`
	Count   int               `json:"count"`
	Ptr     *streamCheck      `json:"ptr,omitempty"`
	// Marshal has a pointer-receiver MarshalJSON: encoding/json calls it on slice elements.
	Marshal ptrMarshaler `json:"marshal"`
}

type streamCheck struct {
	ID string `json:"id"`
	OK bool   `json:"ok"`
}

type streamList struct {
	APIVersion string       `json:"apiVersion"`
	Kind       string       `json:"kind"`
	Items      []streamItem `json:"items"`
	Summary    struct {
		Total int            `json:"total"`
		ByKey map[string]int `json:"byKey"`
	} `json:"summary"`
	Zebra string `json:"zebra"` // sorts after items in YAML, comes after them in JSON
}

func (l streamList) ListShell() any     { l.Items = []streamItem{}; return l }
func (l streamList) ListLen() int       { return len(l.Items) }
func (l streamList) ListItem(i int) any { return &l.Items[i] }

// The streamed text is the text of the whole report, byte for byte, whatever the items hold:
// long lines (YAML folds at 80 columns), several lines, characters JSON escapes, empty lists.
func TestStreamedListEqualsWhole(t *testing.T) {
	long := strings.Repeat("a rather long message that YAML may fold ", 5)
	items := []streamItem{
		{Name: "n-1", Checks: []streamCheck{{ID: "a", OK: true}}},
		{Name: "n-2", Message: long, Labels: map[string]string{"b": "2", "a": "1", "k8s.io/x": ""}, Checks: []streamCheck{}},
		{Name: "n-3", Message: "two\nlines: and a colon\n", Checks: nil, Count: -3, Ptr: &streamCheck{ID: "p"}},
		{Name: "<html> & \"quotes\" ünïcode \t tab", Message: "- starts like a list", Checks: []streamCheck{{ID: "yes"}, {ID: "null"}}},
		{Name: "123", Message: "true"},
	}
	for _, n := range []int{0, 1, 2, len(items)} {
		l := streamList{APIVersion: "x/v1", Kind: "StreamList", Items: items[:n], Zebra: "z"}
		l.Summary.Total, l.Summary.ByKey = n, map[string]int{"snp": 1}
		if n == 0 {
			l.Items = []streamItem{}
		}
		wantJSON, _ := json.MarshalIndent(l, "", "  ")
		wantYAML, _ := yaml.Marshal(l)
		for _, tc := range []struct {
			format Format
			want   string
		}{{JSON, string(wantJSON) + "\n"}, {YAML, string(wantYAML)}} {
			var got bytes.Buffer
			if err := Print(&got, tc.format, l); err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("%d items, -o %s: streamed\n%s\nwhole\n%s", n, tc.format, got.String(), tc.want)
			}
		}
	}
}

type noItems struct {
	ListField []int `json:"list"`
}

func (noItems) ListShell() any   { return noItems{ListField: []int{}} }
func (noItems) ListLen() int     { return 1 }
func (noItems) ListItem(int) any { return 1 }

func TestStreamedListWithoutItemsFieldIsAnError(t *testing.T) {
	for _, f := range []Format{JSON, YAML} {
		var out bytes.Buffer
		if err := Print(&out, f, noItems{}); err == nil || !strings.Contains(err.Error(), "no top-level items field") {
			t.Errorf("-o %s: got %v", f, err)
		}
	}
}

// plainList is streamList without the ItemList methods: printed whole.
type plainList streamList

// Templates and custom columns see the same object whether the list is converted whole or
// item by item.
func TestItemListTemplatesEqualWhole(t *testing.T) {
	l := streamList{APIVersion: "x/v1", Kind: "StreamList", Zebra: "z", Items: []streamItem{
		{Name: "n-1", Checks: []streamCheck{{ID: "a", OK: true}}, Count: 2},
		{Name: "n-2", Labels: map[string]string{"a": "1"}, Ptr: &streamCheck{ID: "p"}},
	}}
	l.Summary.Total = 2
	for _, f := range []Format{
		"custom-columns=NAME:.name,COUNT:.count,CHECKS:.checks[*].id,PTR:.ptr.id",
		"custom-columns=NAME:.name" + noHeadersSuffix,
		"jsonpath={.items[*].name} {.summary.total}",
		"go-template={{range .items}}{{.name}}:{{.count}} {{end}}{{.zebra}}",
	} {
		var streamed, whole bytes.Buffer
		if err := Print(&streamed, f, l); err != nil {
			t.Fatal(err)
		}
		if err := Print(&whole, f, plainList(l)); err != nil {
			t.Fatal(err)
		}
		if streamed.String() != whole.String() || streamed.Len() == 0 {
			t.Errorf("-o %s: item by item\n%s\nwhole\n%s", f, streamed.String(), whole.String())
		}
	}
}

// randomItem builds an item of strings YAML treats specially: ones that read as other types
// (true, 1:20, 0x1F, 2006-01-02, ~), that start with indicators, carry ": " or " #", run past
// 80 columns, or hold line breaks and non-ASCII; numbers of every sign and size; nulls.
func randomItem(r *rand.Rand) map[string]any {
	pieces := []string{"true", "no", "y", "null", "~", "1:20", "0x1F", "0o17", "1e3", ".5", "-", "? ", ": ", " #", "#", "&a", "*b",
		"!t", "|", ">", "'", "\"", "%", "@", "`", "[", "]", "{", "}", ",", "2006-01-02", "12:30:00", "\n", "\t", " ", "  ", "ü", "日本",
		"\u2028", "\u0085", "\ufeff", "\x01", "word", "node is Ready", "kubectl label node osc-node-00001 node.kubernetes.io/worker=", "---", "...", "<>&"}
	str := func() string {
		var b strings.Builder
		for range r.Intn(6) {
			b.WriteString(pieces[r.Intn(len(pieces))])
		}
		if r.Intn(5) == 0 {
			b.WriteString(strings.Repeat("long words to fold ", r.Intn(8)))
		}
		return b.String()
	}
	m := map[string]any{"name": str(), "n": r.Intn(2000) - 1000, "f": r.Float64() * 1e6, "big": int64(r.Uint64() >> 1), "ubig": r.Uint64(), "ok": r.Intn(2) == 0, "nil": nil}
	labels := map[string]any{}
	for range r.Intn(5) {
		labels[str()] = str()
	}
	m["labels"] = labels
	m["list"] = []any{str(), r.Intn(10), map[string]any{"k" + str(): str()}, []any{}, map[string]any{}}
	return m
}

// Characters Go's JSON leaves raw and go-yaml's reader refuses fail the whole report's YAML,
// and so the streamed one; the items before are not taken for a complete report.
func TestStreamedYAMLRefusesWhatTheWholeRefuses(t *testing.T) {
	for _, bad := range []string{"a\x7fb", "a\u0080b", "a\uffffb"} {
		l := anyList{Items: []map[string]any{{"name": "fine"}, {"name": bad}}}
		if _, err := yaml.Marshal(l); err == nil {
			t.Fatalf("%q: the whole encodes", bad)
		}
		var out bytes.Buffer
		if err := Print(&out, YAML, l); err == nil {
			t.Errorf("%q: streamed without an error:\n%s", bad, out.String())
		}
	}
}

type anyList struct {
	APIVersion string           `json:"apiVersion"`
	Items      []map[string]any `json:"items"`
	Zebra      string           `json:"zebra"`
}

func (l anyList) ListShell() any     { l.Items = []map[string]any{}; return l }
func (l anyList) ListLen() int       { return len(l.Items) }
func (l anyList) ListItem(i int) any { return &l.Items[i] }

// Lists of random items print as their whole encoding does, or fail as it fails (go-yaml's
// reader refuses some raw characters in the JSON it is given).
func TestStreamedRandomItemsEqualWhole(t *testing.T) {
	r := rand.New(rand.NewSource(29))
	encoded := 0
	for range 60 {
		l := anyList{APIVersion: "x/v1", Zebra: "z"}
		for range 10 {
			l.Items = append(l.Items, randomItem(r))
		}
		wantJSON, _ := json.MarshalIndent(l, "", "  ")
		wantYAML, yamlErr := yaml.Marshal(l)
		for _, tc := range []struct {
			format Format
			want   string
			fails  bool
		}{{JSON, string(wantJSON) + "\n", false}, {YAML, string(wantYAML), yamlErr != nil}} {
			var got bytes.Buffer
			err := Print(&got, tc.format, l)
			switch {
			case tc.fails && err == nil:
				t.Fatalf("-o %s: the whole fails (%v), the stream does not", tc.format, yamlErr)
			case tc.fails:
				continue
			case err != nil:
				t.Fatal(err)
			case got.String() != tc.want:
				g, w := strings.Split(got.String(), "\n"), strings.Split(tc.want, "\n")
				for i := range min(len(g), len(w)) {
					if g[i] != w[i] {
						t.Fatalf("-o %s differs at line %d:\nstreamed %q\nwhole    %q", tc.format, i+1, g[i], w[i])
					}
				}
				t.Fatalf("-o %s: %d lines streamed, %d whole", tc.format, len(g), len(w))
			}
			if tc.format == YAML {
				encoded++
			}
		}
	}
	if encoded < 15 {
		t.Errorf("the whole YAML encoded %d of 60 random lists: too few compared", encoded)
	}
}

// Item by item, the emitter writes what go-yaml writes, or gives up: on random items with
// strings YAML treats specially, and on plain ones, where it must not give up.
func TestYAMLEmitterEqualsGoYAML(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	e := newYAMLEmitter()
	check := func(item any) bool {
		t.Helper()
		want, goyamlErr := yamlItem(item)
		v, err := e.value(item)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if !e.item(&b, v) {
			return false
		}
		if goyamlErr != nil {
			t.Fatalf("the emitter wrote an item go-yaml refuses (%v):\n%s", goyamlErr, b.String())
		}
		if got := "items:\n" + b.String(); got != string(want) {
			t.Fatalf("emitter\n%q\ngo-yaml\n%q", got, want)
		}
		return true
	}
	fast := 0
	for i := range 3000 {
		item := randomItem(r)
		if i%2 == 0 {
			delete(item, "f") // floats are go-yaml's alone
		}
		if check(item) {
			fast++
		}
	}
	if fast < 100 {
		t.Errorf("the emitter wrote %d of 3000 random items, want at least 100", fast)
	}
	plain := []any{
		streamItem{Name: "n-1", Labels: map[string]string{"feature.node.kubernetes.io/cpu-security.sev.snp.enabled": "true", "a": ""}, Checks: []streamCheck{{ID: "x", OK: true}}, Count: 3},
		streamList{APIVersion: "v1", Items: []streamItem{{Name: "in a list"}}},
		map[string]any{"nested": []any{[]any{"a", "b"}, []any{}, map[string]any{}, nil, true, int64(-5)}, "z9": "v", "z10": "w", "Z": "x"},
	}
	for i, item := range plain {
		if !check(item) {
			t.Errorf("plain item %d: the emitter gave up", i)
		}
	}
}
