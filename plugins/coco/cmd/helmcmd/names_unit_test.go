package helmcmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/cmdtest"
)

// #27 class 1: every name a command waits on or sends to the API is checked first. A name the
// API would refuse is exit 2; one that does not exist is exit 1 with did-you-mean; -n on a
// command that ignores it is exit 2. In every case nothing is created and nothing waited for.
func TestNamesCheckedBeforeAnythingIsMade(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	manifest := filepath.Join(t.TempDir(), "web.yaml")
	if err := os.WriteFile(manifest, []byte(webManifest), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"smoke-test", "--node", "snp-x", "--timeout", "5m"}, 1, `node "snp-x" does not exist; did you mean "snp-w"?`},
		{[]string{"smoke-test", "--node", "a/b"}, 2, `--node "a/b" is not a valid name`},
		{[]string{"smoke-test", "-n", "defualt"}, 1, `namespace "defualt" does not exist; did you mean "default"?`},
		{[]string{"smoke-test", "--runtime-class", "kata-qemu-snq"}, 1, `runtime class "kata-qemu-snq" does not exist; did you mean "kata-qemu-snp"?`},
		{[]string{"attest", "check", "--kbs-url", "http://10.0.0.5:8080", "--node", "snp-x"}, 1, `node "snp-x" does not exist`},
		{[]string{"attest", "check", "--kbs-url", "http://10.0.0.5:8080", "--node", "Bad_Node"}, 2, "not a valid name"},
		{[]string{"deploy", "-f", manifest, "-n", "nope", "--bind=false"}, 1, `namespace "nope" does not exist`},
		{[]string{"deploy", "-f", manifest, "--runtime-class", "a/b", "--bind=false"}, 2, `--runtime-class "a/b" is not a valid name`},
		{[]string{"deploy", "-f", manifest, "--runtime-class", "kata-qemu-snq", "--bind=false"}, 1, `did you mean "kata-qemu-snp"?`},
		{[]string{"undeploy", "-f", manifest, "-n", "nope"}, 1, `namespace "nope" does not exist`},
		{[]string{"verify", "web", "-n", "nope"}, 1, `namespace "nope" does not exist`},
		{[]string{"verify", "pod/web"}, 2, `pod name "pod/web" is not a valid name`},
		{[]string{"secret", "seal", "db", "-n", "nope", "--resource", "kbs:///default/db/password"}, 1, `namespace "nope" does not exist`},
		{[]string{"label-workers", "snp-x"}, 1, `node "snp-x" does not exist; did you mean "snp-w"?`},
		{[]string{"label-workers", "--all", "-n", "default"}, 2, "-n default does not apply"},
		{[]string{"runtimeclasses", "-n", "default"}, 2, "-n default does not apply"},
		{[]string{"preflight", "-n", "default"}, 2, "-n default does not apply"},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			f := cmdtest.OnCluster(cmdtest.SNPCluster())
			r := run(f, c.args...)
			if r.Code != c.code || !strings.Contains(r.Err, c.msg) {
				t.Fatalf("exit %d (want %d), stderr %q does not say %q", r.Code, c.code, r.Err, c.msg)
			}
			assertReadOnly(t, f)
		})
	}
}
