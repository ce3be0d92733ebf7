package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
)

// #27 class 4: every report kubectl coco prints with -o json keeps the collection's schema
// (docs/report-schema.md), and a negative verdict still prints it, with exit 1 (never 2).
func TestReportSchemaOnFakes(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	manifest := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(manifest, []byte(webManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"preflight"}, {"runtimeclasses"}, {"status"}, {"smoke-test"}, {"trustee", "status"},
		{"attest", "check", "--kbs-url", "http://127.0.0.1:1", "--timeout", "2s"},
		{"verify", "-f", manifest}, {"undeploy", "-f", manifest, "--dry-run"},
		{"label-workers", "snp-w", "--dry-run"}, {"label-workers", "snp-w", "--dry-run=server"}, {"version"},
	} {
		cs := snpCluster()
		if args[0] == "smoke-test" {
			cs = cmdtest.SmokeCluster("6.8.0", true)
		}
		r := run(cmdtest.OnCluster(cs), append(args, "-o", "json")...)
		what := strings.Join(args, " ")
		if (r.Code != 0 && r.Code != 1) || r.Out == "" {
			t.Errorf("%s -o json: exit %d, no report\n%s", what, r.Code, r.Err)
			continue
		}
		clitest.CheckReport(t, what, []byte(r.Out))
	}
}
