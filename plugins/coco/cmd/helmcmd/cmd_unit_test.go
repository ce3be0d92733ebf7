package helmcmd

import (
	"strings"
	"testing"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/chartvalues"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
)

// run runs a kubectl coco command line on the fakes of f.
func run(f *clitest.Factory, args ...string) clitest.Result {
	return clitest.Exec(NewRootWithGlobals, f, args...)
}

// Every refusal is a usage error (exit 2) before the cluster or a KBS is reached.
func TestCocoRefusalsOnFakes(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	for _, args := range [][]string{
		{"label-workers"}, {"label-workers", "a", "--all"}, {"label-workers", "--all", "--dry-run=maybe"}, {"label-workers", "-l", "a in (b"},
		{"preflight", "extra"}, {"preflight", "--parallel", "0"}, {"runtimeclasses", "-o", "toml"},
		{"smoke-test", "--timeout", "-1s"}, {"smoke-test", "--runtime-class", "Bad_Name"}, {"smoke-test", "-o", "wide"},
		{"status", "-o", "wide"}, {"status", "-p", "eco"}, {"status", "--shoots", "all", "--parallel", "0"},
		{"install", "--method", "magic"}, {"install", "--timeout", "0s"}, {"install", "--set", "novalue"}, {"install", "--platform", "sparc"},
		{"install", "--node-selector", "a in (b"}, {"install", "--dry-run=server"},
		{"uninstall", "--timeout", "0s"}, {"uninstall", "extra"},
		{"deploy"}, {"deploy", "-f", "/does/not/exist.yaml"}, {"deploy", "-f", "-", "--agent-policy", "lax"},
		{"undeploy"}, {"undeploy", "-f", "/does/not/exist.yaml"},
		{"verify"}, {"verify", "pod/a", "-f", "x.yaml"},
		{"initdata", "--algorithm", "md5"}, {"initdata", "--kbs-url", "kbs:8080"}, {"initdata", "--agent-policy", "lax"},
		{"secret", "seal", "db"}, {"secret", "seal", "db", "--resource", "not-a-uri"}, {"secret", "seal", "Bad_Name", "--resource", "kbs:///default/db/password"},
		{"attest", "check", "--kbs-url", "kbs:8080"}, {"attest", "check", "--timeout", "0s"},
		{"trustee", "install", "--service-type", "Ingress"}, {"trustee", "install", "--timeout", "0s"}, {"trustee", "install", "--dry-run=server"},
		{"trustee", "uninstall", "--timeout", "0s"},
		{"trustee", "policy", "get"}, {"trustee", "policy", "get", "--kbs-url", "kbs:8080"},
		{"trustee", "policy", "set", "--kbs-url", "http://127.0.0.1:1", "--profile", "lax"},
		{"trustee", "policy", "set", "--kbs-url", "http://127.0.0.1:1", "--profile", "permissive", "--resource-policy", "x.rego"},
		{"trustee", "resource", "set", "default/db/password", "--kbs-url", "http://127.0.0.1:1"},
		{"trustee", "resource", "set", "no-slashes", "--kbs-url", "http://127.0.0.1:1", "--from-literal", "x"},
		{"trustee", "resource", "delete", "default/db/password"},
		{"trustee", "resource", "get-info", "a/b"},
		{"trustee", "reference-value", "set", "novalue", "--kbs-url", "http://127.0.0.1:1"},
		{"trustee", "reference-value", "set", "k=a", "--numbers", "--kbs-url", "http://127.0.0.1:1"},
		{"version", "-o", "wide"},
	} {
		f := cmdtest.OnCluster(clitest.AllowAll(fake.NewClientset()))
		r := run(f, args...)
		if r.Code != 2 || !strings.Contains(r.Err, "error: ") || r.Out != "" {
			t.Errorf("%v: exit %d, out %q, err %q", args, r.Code, r.Out, r.Err)
		}
		for _, a := range f.Kube.Actions() {
			if a.GetResource().Resource != "selfsubjectaccessreviews" {
				t.Errorf("%v: the cluster was read before the refusal: %v", args, a)
			}
		}
	}
}

// #27 class 7: the fix for a refused chart never suggests the very version refused.
func TestRefusedChartFixPointsElsewhere(t *testing.T) {
	if fix := refusedChartFix(chartvalues.ChartInfo{Version: chartvalues.DefaultVersion}); strings.Contains(fix, "use a supported chart version") ||
		!strings.Contains(fix, "differs from upstream's") || !strings.Contains(fix, "--chart "+chartvalues.DefaultChart) {
		t.Fatalf("the default version refused: %s", fix)
	}
	if fix := refusedChartFix(chartvalues.ChartInfo{Version: "0.9.0"}); !strings.Contains(fix, "--version "+chartvalues.DefaultVersion) {
		t.Fatalf("an old version refused: %s", fix)
	}
}
