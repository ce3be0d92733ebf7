package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/agentpolicy"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/imagepin"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/initdata"
)

// runInitdata runs the initdata command with the command's defaults, then mod's fields.
func runInitdata(t *testing.T, mod func(o *InitdataOptions), stdin string) (string, string, int) {
	t.Helper()
	var s clitest.Streams
	o := newInitdataOptions(clitest.Globals(PluginName, &s))
	o.g.Streams.In = bytes.NewBufferString(stdin)
	// The image's config, as a registry would serve it (restricted pins the process from it).
	o.pf.config = func(context.Context, name.Reference) (*imagepin.ImageConfig, error) {
		return &imagepin.ImageConfig{Cmd: []string{"/web"}, Env: []string{"PATH=/bin"}}, nil
	}
	mod(o)
	code := clitest.Run(o, &s)
	return s.Out.String(), s.ErrOut.String(), code
}

const workloadYAML = `apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
  - name: web
    image: ghcr.io/example/web@sha256:bdbb485bb9e3baf381a2957b9369b6051c6113097a5f8dcee27faff17624a2c0
    readinessProbe: {exec: {command: [cat, /tmp/ready]}}
`

func TestInitdataCommand(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A user's policy: allow-all but for exec, stdin, copying files, a new policy and containers.
	mine := strings.Replace(agentpolicy.AllowAll(), agentpolicy.Marker+"allow-all\n", "# mine\n", 1)
	for _, r := range []string{"ExecProcessRequest", "WriteStreamRequest", "CopyFileRequest", "SetPolicyRequest", "CreateContainerRequest"} {
		mine = strings.Replace(mine, "default "+r+" := true", "default "+r+" := false", 1)
	}
	policy, notRego, workload := write("policy.rego", mine), write("policy.json", `{"allow": true}`), write("web.yaml", workloadYAML)

	out, errOut, code := runInitdata(t, func(o *InitdataOptions) {
		o.KBSURL, o.pf.Mode, o.out.Output = "http://10.0.0.5:8080", policy, "json"
	}, "")
	var r InitdataReport
	if err := json.Unmarshal([]byte(out), &r); err != nil || code != 0 {
		t.Fatalf("exit %d %v\n%s", code, err, errOut)
	}
	if r.Kind != "Initdata" || r.Annotation.Key != initdata.Annotation || strings.Join(r.Keys, ",") != "aa.toml,cdh.toml,policy.rego" ||
		len(r.Digest) != 96 || len(r.Measurements) != 4 || r.Measurements[0].TEE != "snp" || r.Measurements[0].Hex != r.Digest[:64] ||
		r.Policy != agentpolicy.KindFile || !r.Allows.ShutsHostOut() || !strings.Contains(errOut, "kubectl coco cannot tell: your policy refused") {
		t.Fatalf("report %+v\n%s", r, errOut)
	}

	// The annotation read back from a pod gives the same document, digest and policy.
	out, errOut, code = runInitdata(t, func(o *InitdataOptions) {
		o.DecodeFrom, o.out.Output = "-", "jsonpath={.digest} {.policy} {.document}"
	}, r.Annotation.Value+"\n")
	if code != 0 || out != r.Digest+" file "+r.Document {
		t.Fatalf("decode: exit %d %q %s", code, out, errOut)
	}

	// restricted for -f's workload: the host is shut out, the probe allowed; the table for people.
	out, errOut, code = runInitdata(t, func(o *InitdataOptions) {
		o.KBSURL, o.Algorithm, o.Files.Files = "http://10.0.0.5:8080", "sha256", []string{workload}
	}, "")
	if code != 0 || !strings.Contains(out, "Annotation "+initdata.Annotation+":\nH4sI") || !strings.Contains(out, "tdx  MRCONFIGID") ||
		!strings.Contains(out, "+ 16 zero bytes") || !strings.Contains(out, "Agent policy: restricted; the host is shut out") ||
		!strings.Contains(out, `"/tmp/ready"`) || errOut != "" {
		t.Fatalf("restricted: exit %d\n%s\n%s", code, out, errOut)
	}

	// allow-all, asked for by name, without a KBS: a document with the policy alone, and a warning.
	out, errOut, code = runInitdata(t, func(o *InitdataOptions) { o.pf.Mode, o.out.Output = policyAllowAll, "jsonpath={.keys}" }, "")
	if code != 0 || out != `["policy.rego"]` || !strings.Contains(errOut, "warning: NOT confidential: the agent policy (allow-all) lets the host can exec") {
		t.Fatalf("allow-all: exit %d %q\n%s", code, out, errOut)
	}

	for _, tc := range []struct {
		name string
		mod  func(o *InitdataOptions)
		code int
		want string
	}{
		{"restricted without a workload", func(o *InitdataOptions) { o.KBSURL = "http://kbs:8080" }, 2, "-f is required"},
		{"a policy that is not Rego", func(o *InitdataOptions) { o.KBSURL, o.pf.Mode = "http://kbs:8080", notRego }, 2, "does not parse as Rego"},
		{"a policy that starves the pod", func(o *InitdataOptions) {
			o.KBSURL, o.pf.Mode = "http://kbs:8080", write("starve.rego", "package agent_policy\ndefault ExecProcessRequest := false\n")
		}, 2, "no rule for CreateContainerRequest"},
		{"a missing file", func(o *InitdataOptions) {
			o.KBSURL, o.Files.Files, o.KBSCert = "http://kbs:8080", []string{workload}, filepath.Join(dir, "none.crt")
		}, 2, "--kbs-cert: open"},
		{"a URL with a path", func(o *InitdataOptions) { o.KBSURL, o.Files.Files = "http://kbs:8080/kbs/v0", []string{workload} }, 2, "only scheme, host and port"},
		{"an unknown algorithm", func(o *InitdataOptions) {
			o.KBSURL, o.Files.Files, o.Algorithm = "http://kbs:8080", []string{workload}, "md5"
		}, 2, `unsupported algorithm "md5"`},
		{"decode with build flags", func(o *InitdataOptions) { o.DecodeFrom, o.KBSURL = "x", "http://kbs:8080" }, 2, "--decode reads a document back"},
		{"decode of something else", func(o *InitdataOptions) { o.DecodeFrom = "aGVsbG8=" }, 1, "not gzip data"},
		{"-o wide", func(o *InitdataOptions) {
			o.KBSURL, o.Files.Files, o.out.Output = "http://kbs:8080", []string{workload}, "wide"
		}, 2, "unknown output format"},
		{"genpolicy missing", func(o *InitdataOptions) {
			o.Files.Files, o.pf.Mode, o.pf.Genpolicy = []string{workload}, policyGenpolicy, filepath.Join(dir, "no-genpolicy")
		}, 1, "genpolicy ships in kata-containers' release tarball"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runInitdata(t, tc.mod, "")
			if code != tc.code || out != "" || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d (want %d) %q\n%s", code, tc.code, out, errOut)
			}
		})
	}
}
