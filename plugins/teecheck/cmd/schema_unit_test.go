package cmd

import (
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
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
