package output

import (
	"bytes"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kubectl's -o custom-columns behaviour, as its documentation and output show it.
func TestCustomColumns(t *testing.T) {
	list := &unstructured.UnstructuredList{Object: map[string]any{}, Items: []unstructured.Unstructured{
		{Object: map[string]any{"name": "a", "tees": []any{"snp", "tdx"}, "note": "x\x1b[31mred"}},
		{Object: map[string]any{"name": "bb"}},
	}}
	for _, tc := range []struct{ spec, want string }{
		{"NAME:.name", "NAME\na\nbb\n"},
		{"NAME:name,TEES:{.tees[*]}", "NAME   TEES\na      snp,tdx\nbb     <none>\n"},
		{"NOTE:.note", "NOTE\nx^[[31mred\n<none>\n"},
	} {
		p, err := columnsFromSpec(tc.spec, false)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := p.PrintObj(list, &b); err != nil || b.String() != tc.want {
			t.Errorf("%s: %q %v, want %q", tc.spec, b.String(), err, tc.want)
		}
	}
	for spec, want := range map[string]string{"": "no custom columns", "NAME": "expected <header>:<json-path-expr>", ":.a": "expected <header>", "A:{.x": "custom-columns: A"} {
		if _, err := columnsFromSpec(spec, false); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", spec, err)
		}
	}
	if _, err := columnsFromFile(strings.NewReader("A B\n.a\n")); err == nil {
		t.Error("a file with fewer paths than headers must be refused")
	}
	p, err := columnsFromFile(strings.NewReader("\nNAME TEES\n.name .tees[0]\n"))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := p.PrintObj(&list.Items[0], &b); err != nil || b.String() != "NAME   TEES\na      snp\n" {
		t.Errorf("file, one object: %q %v", b.String(), err)
	}
}
