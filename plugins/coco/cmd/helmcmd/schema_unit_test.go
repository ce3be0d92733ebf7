package helmcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
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
		cs := cmdtest.SNPCluster()
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

// #27 class 3: warnings reach stderr whatever -o is: a deploy of an allow-all workload says
// "NOT confidential" under every output format, dry run or not.
func TestWarningsOnStderrWhateverOutput(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	manifest := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(manifest, []byte(webManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"", "json", "yaml", "name", "jsonpath={.kind}"} {
		args := []string{"deploy", "-f", manifest, "--policy", "allow-all", "--bind=false", "--dry-run"}
		if o != "" {
			args = append(args, "-o", o)
		}
		r := run(cmdtest.OnCluster(cmdtest.SNPCluster()), args...)
		if r.Code != 0 || !strings.Contains(r.Err, "warning: deployment/web: NOT confidential") || strings.Contains(r.Out, "warning:") {
			t.Errorf("-o %q: exit %d\nstdout %q\nstderr %q", o, r.Code, r.Out, r.Err)
		}
	}
}

// The exit code is the verdict whatever -o is (docs/report-schema.md): a node that is not
// ready exits 1 under every format, with its report on stdout.
func TestExitCodeIsTheVerdictWhateverOutput(t *testing.T) {
	cs := cmdtest.SNPCluster()
	n, _ := cs.CoreV1().Nodes().Get(t.Context(), "snp-w", metav1.GetOptions{})
	delete(n.Labels, tee.WorkerLabel)
	if _, err := cs.CoreV1().Nodes().Update(t.Context(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, o := range []string{"", "json", "yaml", "jsonpath={.ready}"} {
		args := []string{"preflight"}
		if o != "" {
			args = append(args, "-o", o)
		}
		if r := run(cmdtest.OnCluster(cs), args...); r.Code != 1 || r.Out == "" {
			t.Errorf("-o %q: exit %d %q %s", o, r.Code, r.Out, r.Err)
		}
	}
}
