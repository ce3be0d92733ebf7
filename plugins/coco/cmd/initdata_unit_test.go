package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/output"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
)

func runInitdata(t *testing.T, o *InitdataOptions, stdin string) (string, string, int) {
	t.Helper()
	var s clitest.Streams
	o.g = clitest.Globals(PluginName, &s)
	o.g.Streams.In = bytes.NewBufferString(stdin)
	if o.Algorithm == "" {
		o.Algorithm = "sha384"
	}
	code := clitest.Run(o, &s)
	return s.Out.String(), s.ErrOut.String(), code
}

func TestInitdataCommand(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.rego")
	if err := os.WriteFile(policy, []byte("package agent_policy\ndefault ExecProcessRequest := false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notRego := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(notRego, []byte(`{"allow": true}`), 0o600); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := runInitdata(t, &InitdataOptions{KBSURL: "http://10.0.0.5:8080", Policy: policy, out: output.Flags{Output: "json"}}, "")
	var r InitdataReport
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
		t.Fatalf("exit %d %v\n%s", code, err, errOut)
	}
	if r.Kind != "Initdata" || r.Annotation.Key != initdata.Annotation || strings.Join(r.Keys, ",") != "aa.toml,cdh.toml,policy.rego" ||
		len(r.Digest) != 96 || len(r.Measurements) != 4 || r.Measurements[0].TEE != "snp" || r.Measurements[0].Hex != r.Digest[:64] {
		t.Fatalf("report %+v", r)
	}

	// The annotation read back from a pod gives the same document and digest.
	out, errOut, code = runInitdata(t, &InitdataOptions{DecodeFrom: "-", out: output.Flags{Output: "jsonpath={.digest} {.document}"}}, r.Annotation.Value+"\n")
	if code != 0 || out != r.Digest+" "+r.Document {
		t.Fatalf("decode: exit %d %q %s", code, out, errOut)
	}

	// The table for people; without a policy it says the image's default applies.
	out, errOut, code = runInitdata(t, &InitdataOptions{KBSURL: "http://10.0.0.5:8080", Algorithm: "sha256"}, "")
	if code != 0 || !strings.Contains(out, "Annotation "+initdata.Annotation+":\nH4sI") || !strings.Contains(out, "tdx  MRCONFIGID") ||
		!strings.Contains(out, "+ 16 zero bytes") || !strings.Contains(errOut, "default agent policy applies") {
		t.Fatalf("human: exit %d\n%s\n%s", code, out, errOut)
	}

	for _, tc := range []struct {
		name string
		o    *InitdataOptions
		code int
		want string
	}{
		{"no KBS URL", &InitdataOptions{}, 2, "--kbs-url is required"},
		{"a policy that is not Rego", &InitdataOptions{KBSURL: "http://kbs:8080", Policy: notRego}, 2, "does not start with a Rego package declaration"},
		{"a missing file", &InitdataOptions{KBSURL: "http://kbs:8080", KBSCert: filepath.Join(dir, "none.crt")}, 2, "--kbs-cert: open"},
		{"a URL with a path", &InitdataOptions{KBSURL: "http://kbs:8080/kbs/v0"}, 2, "only scheme, host and port"},
		{"an unknown algorithm", &InitdataOptions{KBSURL: "http://kbs:8080", Algorithm: "md5"}, 2, `unsupported algorithm "md5"`},
		{"decode with build flags", &InitdataOptions{DecodeFrom: "x", KBSURL: "http://kbs:8080"}, 2, "--decode reads a document back"},
		{"decode of something else", &InitdataOptions{DecodeFrom: "aGVsbG8="}, 1, "not gzip data"},
		{"-o wide", &InitdataOptions{KBSURL: "http://kbs:8080", out: output.Flags{Output: "wide", Allowed: []output.Format{output.Human, output.JSON}}}, 2, "unknown output format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runInitdata(t, tc.o, "")
			if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d (want %d) %q\n%s", code, tc.code, out, errOut)
			}
		})
	}
}
