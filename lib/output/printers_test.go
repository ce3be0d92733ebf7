package output

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/clierr"
)

type testItem struct {
	Name   string `json:"name"`
	Ready  bool   `json:"ready"`
	Memory string `json:"memory"`
}

type testList struct {
	APIVersion string     `json:"apiVersion"`
	Kind       string     `json:"kind"`
	Items      []testItem `json:"items"`
	Summary    struct {
		Ready int `json:"ready"`
	} `json:"summary"`
}

func sample() testList {
	l := testList{APIVersion: "test.osc-coco.io/v1alpha1", Kind: "NodeReportList",
		Items: []testItem{{"node-a", true, "16Gi"}, {"node-b", false, "24581184Ki"}}}
	l.Summary.Ready = 1
	return l
}

func render(t *testing.T, f Flags, v any) (string, error) {
	t.Helper()
	format, err := formatOf(&f)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	err = Print(&buf, format, v)
	return buf.String(), err
}

// Each machine format gives what kubectl gives for the same paths on the same JSON.
func TestMachineFormats(t *testing.T) {
	cols := filepath.Join(t.TempDir(), "cols.txt")
	if err := os.WriteFile(cols, []byte("NODE READY\n.name .ready\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tmpl := filepath.Join(t.TempDir(), "t.tmpl")
	if err := os.WriteFile(tmpl, []byte(`{{.summary.ready}} ready`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		output    string
		noHeaders bool
		want      string
	}{
		{output: "name", want: "nodereport/node-a\nnodereport/node-b\n"},
		{output: "jsonpath={.items[*].name}", want: "node-a node-b"},
		{output: "jsonpath={.summary.ready}", want: "1"},
		{output: `jsonpath={range .items[?(@.ready==false)]}{.name}{"\n"}{end}`, want: "node-b\n"},
		{output: "jsonpath={.items[0].missing}", want: ""},
		{output: "jsonpath-as-json={.items[*].name}", want: "[\n    \"node-a\",\n    \"node-b\"\n]\n"},
		{output: `go-template={{range .items}}{{.name}}={{.memory}} {{end}}`, want: "node-a=16Gi node-b=24581184Ki "},
		{output: "go-template-file=" + tmpl, want: "1 ready"},
		{output: "custom-columns=NAME:.name,READY:.ready", want: "NAME     READY\nnode-a   true\nnode-b   false\n"},
		{output: "custom-columns=NAME:.name,READY:.ready", noHeaders: true, want: "node-a   true\nnode-b   false\n"},
		{output: "custom-columns-file=" + cols, want: "NODE     READY\nnode-a   true\nnode-b   false\n"},
	} {
		got, err := render(t, Flags{Output: tc.output, NoHeaders: tc.noHeaders, Named: true}, sample())
		if err != nil || got != tc.want {
			t.Errorf("-o %s (no headers %v): %q, %v; want %q", tc.output, tc.noHeaders, got, err, tc.want)
		}
	}
}

func TestJSONAndYAMLKeepTheSchema(t *testing.T) {
	for _, o := range []string{"json", "yaml"} {
		got, err := render(t, Flags{Output: o}, sample())
		if err != nil {
			t.Fatal(err)
		}
		var back testList
		if o == "json" {
			err = json.Unmarshal([]byte(got), &back)
		} else {
			err = yaml.Unmarshal([]byte(got), &back)
		}
		if err != nil || back.Kind != "NodeReportList" || len(back.Items) != 2 || back.Items[1].Memory != "24581184Ki" || back.Summary.Ready != 1 {
			t.Fatalf("%s: %v %+v", o, err, back)
		}
	}
}

type named struct{ Kind string }

func (named) ObjectNames() []string { return []string{"node/a"} }

func TestNames(t *testing.T) {
	if got, _ := render(t, Flags{Output: "name", Named: true}, named{}); got != "node/a\n" {
		t.Fatalf("Namer: %q", got)
	}
	single := map[string]any{"apiVersion": "x/v1", "kind": "ShootStatus", "name": "eco-sbx"}
	if got, _ := render(t, Flags{Output: "name", Named: true}, single); got != "shootstatus/eco-sbx\n" {
		t.Fatalf("single: %q", got)
	}
}

func TestBadFormats(t *testing.T) {
	for o, want := range map[string]string{
		"toml":                                 "unknown output format",
		"jsonpath":                             "needs an argument",
		"jsonpath={.items[":                    "unterminated array",
		"go-template={{.x":                     "unclosed action",
		"custom-columns=NAME":                  "unexpected custom-columns spec",
		"custom-columns-file=/no":              "no such file",
		"custom-columns+no-headers=NAME:.name": "unknown output format",
	} {
		if _, err := formatOf(&Flags{Output: o}); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("-o %s: %v (want %q)", o, err, want)
		}
	}
	if _, err := formatOf(&Flags{Output: "jsonpath={.a}", Allowed: []Format{Human, Wide}}); err == nil {
		t.Error("a machine format accepted by a command without them")
	}
}

func TestNamesOfAPIObjects(t *testing.T) {
	list := map[string]any{"apiVersion": "v1", "kind": "List", "items": []any{
		map[string]any{"apiVersion": "apps/v1", "kind": "Deployment", "metadata": map[string]any{"name": "demo"}},
		map[string]any{"apiVersion": "v1", "kind": "Service", "metadata": map[string]any{"name": "demo"}},
	}}
	if got, _ := render(t, Flags{Output: "name", Named: true}, list); got != "deployment.apps/demo\nservice/demo\n" {
		t.Fatalf("%q", got)
	}
	shoot := map[string]any{"apiVersion": "core.gardener.cloud/v1beta1", "kind": "Shoot", "metadata": map[string]any{"name": "eco-sbx"}}
	if got, _ := render(t, Flags{Output: "name", Named: true}, shoot); got != "shoot.core.gardener.cloud/eco-sbx\n" {
		t.Fatalf("%q", got)
	}
}

func TestNameOfAReportWithoutOne(t *testing.T) {
	if _, err := render(t, Flags{Output: "name", Named: true}, map[string]any{"kind": "StatusReport", "healthy": true}); err == nil || !strings.Contains(err.Error(), "jsonpath") {
		t.Fatalf("%v", err)
	}
	if got, err := render(t, Flags{Output: "name", Named: true}, map[string]any{"kind": "NodeReportList", "items": []any{}}); err != nil || got != "" {
		t.Fatalf("an empty list: %q %v", got, err)
	}
}

// formatOf is -o as a command's Complete resolves it (ToPrinter: a template parsed, a file read).
func formatOf(f *Flags) (Format, error) {
	p, err := ToPrinter[any](f, nil)
	if err != nil {
		return "", err
	}
	return p.Format(), nil
}

type unnamedReport struct {
	Kind    string `json:"kind"`
	Healthy bool   `json:"healthy"`
}

// #27 class 4: -o name is offered only by commands whose report names objects; a command that
// does not offer it refuses it as a usage error, and offering it for a report type that names
// nothing is a programming error ToPrinter reports.
func TestNameOfferedOnlyWhereItPrints(t *testing.T) {
	human := func(io.Writer, unnamedReport) error { return nil }
	if _, err := ToPrinter(&Flags{Output: "name"}, human); clierr.ExitCode(err) != clierr.CodeUsage || !strings.Contains(err.Error(), `unknown output format "name"`) {
		t.Fatalf("not offered: %v", err)
	}
	f := Flags{}
	if strings.Contains(strings.Join(f.names(), ","), "name") {
		t.Fatalf("help lists name: %v", f.names())
	}
	if _, err := ToPrinter(&Flags{Output: "name", Named: true}, human); err == nil {
		t.Fatal("-o name offered for a report that names nothing")
	}
	if _, err := ToPrinter(&Flags{Output: "name", Named: true}, func(io.Writer, named) error { return nil }); err != nil {
		t.Fatalf("a Namer: %v", err)
	}
}
