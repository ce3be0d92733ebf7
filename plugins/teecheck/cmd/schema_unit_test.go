package cmd

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
)

// #27 class 4: every report kubectl teecheck prints with -o json keeps the collection's schema
// (docs/report-schema.md); a node that is not ready still gets its report, with exit 1.
func TestReportSchemaOnFakes(t *testing.T) {
	for _, args := range [][]string{{"nodes"}, {"node", "snp-1"}, {"node", "small-1"}, {"version"}} {
		f := onNodes(
			fakeNode("snp-1", "16", "64Gi", "containerd://1.7.22", map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}),
			fakeNode("small-1", "2", "4Gi", "containerd://1.6.20", nil))
		r := run(f, append(args, "-o", "json")...)
		what := strings.Join(args, " ")
		if (r.Code != 0 && r.Code != 1) || r.Out == "" {
			t.Errorf("%s -o json: exit %d, no report\n%s", what, r.Code, r.Err)
			continue
		}
		clitest.CheckReport(t, what, []byte(r.Out))
	}
}

// wholeList is NodeReportList without its ItemList methods: encoded at once.
type wholeList NodeReportList

// The node reports, written item by item (and by the YAML emitter), are the bytes encoding the
// whole list gives: workers and non-workers (longer fixes), every TEE, cordoned nodes.
func TestNodeReportsStreamAsWhole(t *testing.T) {
	l := benchReports(40)
	l.Items[3].Checks[0].Message = "a message long enough that go-yaml folds it when it is written at the depth of a check in the list"
	l.Items[5].Checks[1].Fix = "two\nlines"
	want := map[output.Format]func() ([]byte, error){
		output.JSON: func() ([]byte, error) {
			b, err := json.MarshalIndent(wholeList(l), "", "  ")
			return append(b, '\n'), err
		},
		output.YAML: func() ([]byte, error) { return yaml.Marshal(wholeList(l)) },
	}
	for format, whole := range want {
		w, err := whole()
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := output.Print(&got, format, l); err != nil {
			t.Fatal(err)
		}
		if got.String() != string(w) {
			t.Errorf("-o %s: item by item differs from the whole", format)
		}
	}
}
