package output

import (
	"bytes"
	"io"
	"testing"
)

// A format printed twice in one process (two commands run in-process) prints the same both
// times: client-go's JSONPath must not be reused across runs.
func TestTheSameJSONPathTwice(t *testing.T) {
	f := Flags{Output: "jsonpath={range .items[*]}{.name} {end}"}
	report := map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}}
	for i := 0; i < 2; i++ {
		format, err := formatOf(&f)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := Print(&b, format, report); err != nil || b.String() != "a b " {
			t.Fatalf("run %d: %q %v", i, b.String(), err)
		}
	}
}

// A Printer resolved once in Complete prints a second report with a fresh template printer.
func TestAPrinterPrintsTwice(t *testing.T) {
	f := Flags{Output: "jsonpath={range .items[*]}{.name} {end}"}
	p, err := ToPrinter(&f, func(w io.Writer, r map[string]any) error { t.Fatal("the table printer for jsonpath"); return nil })
	if err != nil {
		t.Fatal(err)
	}
	report := map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{map[string]any{"name": "a"}, map[string]any{"name": "b"}}}
	for i := 0; i < 2; i++ {
		var b bytes.Buffer
		if err := p.Print(&b, report); err != nil || b.String() != "a b " {
			t.Fatalf("print %d: %q %v", i, b.String(), err)
		}
	}
	h, _ := ToPrinter(&Flags{}, func(w io.Writer, r map[string]any) error { _, err := io.WriteString(w, "table"); return err })
	var b bytes.Buffer
	if err := h.Print(&b, report); err != nil || b.String() != "table" || h.Structured() {
		t.Fatalf("human: %q %v", b.String(), err)
	}
	if _, err := ToPrinter(&Flags{Output: "jsonpath={.items[}"}, func(io.Writer, map[string]any) error { return nil }); err == nil {
		t.Fatal("a template that does not parse")
	}
}
