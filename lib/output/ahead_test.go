package output

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// aheadList is streamList with items encoded ahead.
type aheadList struct {
	streamList
	ahead *Ahead
}

func (l aheadList) Ahead() *Ahead { return l.ahead }

// What was encoded while the list was read prints as what printing encodes; an encoder that
// does not cover the list, or failed on an item, is not used.
func TestAheadPrintsAsPrinting(t *testing.T) {
	l := streamList{APIVersion: "x/v1", Kind: "StreamList", Zebra: "z", Items: []streamItem{
		{Name: "n-1", Checks: []streamCheck{{ID: "a", OK: true}}, Count: 2, Message: "a message long enough to be folded by go-yaml when it is written deep in a list"},
		{Name: "n-2", Labels: map[string]string{"a": "1", "b.c/d": ""}, Ptr: &streamCheck{ID: "p"}},
	}}
	for _, f := range []Format{JSON, "custom-columns=NAME:.name,PTR:.ptr.id", "custom-columns=NAME:.name,COUNT:.count+no-headers"} {
		p, err := ToPrinter[aheadList](&Flags{Output: string(f)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a := p.Ahead()
		if a == nil {
			t.Fatalf("-o %s: no encoder ahead", f)
		}
		a.Add(&l.Items[0]) // a first read, then the snapshot expired
		a.Reset()
		for i := range l.Items {
			a.Add(&l.Items[i])
		}
		if a.Len() != len(l.Items) {
			t.Fatalf("-o %s: %d items ahead after a reset", f, a.Len())
		}
		var ahead, plain bytes.Buffer
		if err := p.Print(&ahead, aheadList{l, a}); err != nil {
			t.Fatal(err)
		}
		if err := Print(&plain, f, l); err != nil {
			t.Fatal(err)
		}
		if whole, _ := json.MarshalIndent(l, "", "  "); f == JSON && ahead.String() != string(whole)+"\n" {
			t.Errorf("-o json ahead is not MarshalIndent's:\n%s", ahead.String())
		}
		if ahead.String() != plain.String() || plain.Len() == 0 {
			t.Errorf("-o %s: ahead\n%s\nprinted\n%s", f, ahead.String(), plain.String())
		}
		// Ahead of a shorter list: not used.
		short := &Ahead{kind: a.kind, columns: a.columns}
		short.Add(&l.Items[0])
		var out bytes.Buffer
		if p2, _ := ToPrinter[aheadList](&Flags{Output: string(f)}, nil); p2.Print(&out, aheadList{l, short}) != nil || out.String() != plain.String() {
			t.Errorf("-o %s: an encoder of one item was used for two", f)
		}
	}
	for _, f := range []Format{Human, Wide, Name, YAML, "jsonpath={.items[*].name}", "go-template={{.kind}}"} {
		if p, err := ToPrinter[aheadList](&Flags{Output: string(f), Named: true}, nil); err != nil || p.Ahead() != nil {
			t.Errorf("-o %q: an encoder ahead (%v)", f, err)
		}
	}
}

type badItem struct {
	F float64 `json:"f"`
}

func TestAheadFailureIsPrintingsFailure(t *testing.T) {
	a := (&Printer[anyList]{format: JSON}).Ahead()
	a.Add(badItem{F: math.NaN()})
	a.Add(badItem{F: 1})
	if a.Len() != 1 || !a.failed {
		t.Fatalf("after a failed item: %d items, failed %v; want it to stop", a.Len(), a.failed)
	}
}

func (l aheadList) ObjectNames() []string { return nil }
