package gardencmd

import (
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
)

// #27 class 4: every report kubectl shoot prints with -o json keeps the collection's schema
// (docs/report-schema.md).
func TestReportSchemaOnFakes(t *testing.T) {
	for _, args := range [][]string{
		{"status", "eco-a"}, {"list"}, {"list", "-A"}, {"doctor", "--timeout", "2s"}, {"pool", "list", "eco-a"},
		{"machine-types", "--cloud-profile", "osc-openstack"}, {"hibernate", "eco-a", "--dry-run"}, {"version"},
	} {
		f, _ := ecoGarden(t, reconciled("eco-a"), osProfile(t))
		r := run(f, append(args, "-o", "json")...)
		what := strings.Join(args, " ")
		if (r.Code != 0 && r.Code != 1) || r.Out == "" {
			t.Errorf("%s -o json: exit %d, no report\n%s", what, r.Code, r.Err)
			continue
		}
		clitest.CheckReport(t, what, []byte(r.Out))
	}
}
