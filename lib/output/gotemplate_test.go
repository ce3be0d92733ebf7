package output

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// reportObject is a report as cli-runtime's printers take it: an object whose JSON is the report's.
type reportObject struct{ report any }

func (o reportObject) MarshalJSON() ([]byte, error)     { return json.Marshal(o.report) }
func (o reportObject) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }
func (o reportObject) DeepCopyObject() runtime.Object   { return o }

type numbers struct {
	Int    int64   `json:"int"`
	Big    uint64  `json:"big"`
	Whole  float64 `json:"whole"`
	Huge   float64 `json:"huge"`
	Half   float64 `json:"half"`
	Edge   float64 `json:"edge"`
	Negz   float64 `json:"negz"`
	Secret string  `json:"secret"`
}

type templateList struct {
	APIVersion string            `json:"apiVersion"`
	Items      []map[string]any  `json:"items"`
	Numbers    numbers           `json:"numbers"`
	Labels     map[string]string `json:"labels"`
	Nothing    *numbers          `json:"nothing"`
}

func (l templateList) ListShell() any     { l.Items = []map[string]any{}; return l }
func (l templateList) ListLen() int       { return len(l.Items) }
func (l templateList) ListItem(i int) any { return &l.Items[i] }

// -o go-template prints what cli-runtime v0.36's GoTemplatePrinter prints (the printer kubectl
// and this package used before), byte for byte, errors included: numbers as apimachinery types
// them (100000000 is not 1e+08), exists and base64decode, missing keys, files.
func TestGoTemplateAsCliRuntime(t *testing.T) {
	l := templateList{APIVersion: "v1",
		Items: []map[string]any{{"name": "a", "n": 3, "tags": []string{"x", "y"}}, {"name": "b", "n": 100000000, "ratio": 0.25, "nested": map[string]any{"k": nil}}},
		Numbers: numbers{Int: math.MaxInt64, Big: math.MaxUint64, Whole: 1e8, Huge: 1e21, Half: 2.5, Edge: 1 << 63, Negz: math.Copysign(0, -1),
			Secret: "aGVsbG8="},
		Labels: map[string]string{"app": "web"}}
	file := filepath.Join(t.TempDir(), "t.tmpl")
	if err := os.WriteFile(file, []byte(`{{range .items}}{{.name}}={{.n}};{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []Format{
		`go-template={{range .items}}{{.name}} {{.n}} {{.ratio}} {{.missing}}|{{end}}`,
		`go-template={{.numbers}}`,
		`go-template={{.numbers.int}} {{.numbers.big}} {{.numbers.whole}} {{.numbers.huge}} {{.numbers.half}} {{.numbers.edge}} {{.numbers.negz}}`,
		`go-template={{printf "%T %T %T %T" .numbers.int .numbers.big .numbers.whole .numbers.huge}}`,
		`go-template={{base64decode .numbers.secret}}`,
		`go-template={{exists . "items" 1 "nested" "k"}} {{exists . "items" 1 "nested"}} {{exists . "items" 5}} {{exists . "labels" "app"}} {{exists . "labels" "nope"}} {{exists . "nothing"}} {{exists .items 0 "tags" 1}} {{exists . "apiVersion" 0}}`,
		`go-template={{len .items}} {{index .items 0 "tags"}} {{.labels}}`,
		`template={{.apiVersion}}`,
		Format("go-template-file=" + file),
		Format("templatefile=" + file),
		`go-template={{index .items 7}}`,           // an error while executing
		`go-template={{base64decode .labels.app}}`, // an error in a function
		`go-template={{.apiVersion`,                // a parse error
		`go-template={{nosuchfunc .}}`,             // an unknown function
		`go-template=`,                             // no template
		`go-template-file=/does/not/exist`,
	} {
		allow := true
		arg := f.arg()
		want, wantErr := func() (string, error) {
			p, err := (&genericclioptions.GoTemplatePrintFlags{TemplateArgument: &arg, AllowMissingKeys: &allow}).ToPrinter(f.Kind())
			if err != nil {
				return "", err
			}
			var out bytes.Buffer
			err = p.PrintObj(reportObject{l}, &out)
			return out.String(), err
		}()
		var out bytes.Buffer
		err := printTemplate(&out, f, l)
		if out.String() != want || (err == nil) != (wantErr == nil) || err != nil && err.Error() != wantErr.Error() {
			t.Errorf("%s:\n got %q, %v\nwant %q, %v", f, out.String(), err, want, wantErr)
		}
	}
}
