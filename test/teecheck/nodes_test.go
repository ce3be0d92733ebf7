package teecheck

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	cmd "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd"
)

func TestNodesOnAMixedCluster(t *testing.T) {
	res := run(context.Background(), cp.AdminKubeconfig, "nodes")
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1 (small-1 is not ready)\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	for _, want := range []string{"NAME", "snp-1", "sev-snp,sev", "tdx,nvidia-cc", "se-1", "s390x", "sgx-1", "sgx", "plain-1", "none",
		"small-1", "unknown", "6 node(s): 3 ready for CoCo, 2 ready without a TEE (coco-dev only: not confidential), 1 not ready",
		"✗ container-runtime: containerd 1.6.20 < 1.7", "fix: kubectl label node small-1 node.kubernetes.io/worker="} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.Stdout)
		}
	}
	t.Log(res.Stdout)
	if strings.Contains(res.Stdout, "\x1b[") {
		t.Error("coloured output to a non-terminal")
	}
}

func TestNodesJSONSchema(t *testing.T) {
	res := run(context.Background(), cp.AdminKubeconfig, "nodes", "-l", tee.WorkerLabel, "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	var l cmd.NodeReportList
	if err := json.Unmarshal([]byte(res.Stdout), &l); err != nil {
		t.Fatal(err)
	}
	if l.APIVersion != cmd.APIVersion || l.Kind != "NodeReportList" || l.Summary.Nodes != 5 || l.Summary.Ready != 3 || l.Summary.ReadyNoTEE != 2 {
		t.Fatalf("list header/summary: %+v", l.Summary)
	}
	byName := map[string]string{}
	for _, r := range l.Items {
		byName[r.Name] = r.TEE.String()
		if len(r.Checks) == 0 || r.KubeletVersion != "v1.33.2" || r.Allocatable.CPU == "" {
			t.Errorf("%s: incomplete report %+v", r.Name, r)
		}
	}
	want := map[string]string{"snp-1": "sev-snp,sev", "tdx-1": "tdx,nvidia-cc", "se-1": "se", "sgx-1": "sgx", "plain-1": "none"}
	for n, w := range want {
		if byName[n] != w {
			t.Errorf("%s: tee %q, want %q", n, byName[n], w)
		}
	}
	// The raw JSON uses the documented field names.
	for _, key := range []string{`"apiVersion"`, `"items"`, `"runtimeClasses"`, `"kubeletVersion"`, `"containerRuntime"`, `"tee"`, `"checks"`, `"notReady"`} {
		if !strings.Contains(res.Stdout, key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	yres := run(context.Background(), cp.AdminKubeconfig, "nodes", "-l", tee.WorkerLabel, "-o", "yaml")
	var fromYAML cmd.NodeReportList
	if err := yaml.Unmarshal([]byte(yres.Stdout), &fromYAML); err != nil || len(fromYAML.Items) != 5 {
		t.Fatalf("yaml: %v, %d items", err, len(fromYAML.Items))
	}
}

func TestNodesRequire(t *testing.T) {
	res := run(context.Background(), cp.AdminKubeconfig, "nodes", "-l", tee.WorkerLabel, "--require", "snp", "-o", "json")
	if res.Code != 1 {
		t.Fatalf("exit %d, want 1", res.Code)
	}
	var l cmd.NodeReportList
	if err := json.Unmarshal([]byte(res.Stdout), &l); err != nil {
		t.Fatal(err)
	}
	for _, r := range l.Items {
		if r.Ready != (r.Name == "snp-1") {
			t.Errorf("%s ready=%v with --require snp", r.Name, r.Ready)
		}
	}
}

func TestNodesWideAndNoMatch(t *testing.T) {
	res := run(context.Background(), cp.AdminKubeconfig, "nodes", "-l", "kubernetes.io/arch=s390x", "-o", "wide")
	if res.Code != 0 || !strings.Contains(res.Stdout, "kata-qemu-se") {
		t.Errorf("wide: exit %d\n%s", res.Code, res.Stdout)
	}
	res = run(context.Background(), cp.AdminKubeconfig, "nodes", "-l", "pool=none")
	if res.Code != 1 || !strings.Contains(res.Stderr, `no nodes match selector "pool=none"`) {
		t.Errorf("no match: exit %d, stderr %q", res.Code, res.Stderr)
	}
}

func TestNodesForbidden(t *testing.T) {
	kc := grant(t, "pod-reader", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}})
	res := run(context.Background(), kc, "nodes")
	if res.Code != 1 {
		t.Fatalf("exit %d", res.Code)
	}
	for _, want := range []string{"not allowed to list nodes at cluster scope", `grant verb "list" on resource "nodes"`} {
		if !strings.Contains(res.Stderr, want) {
			t.Errorf("stderr lacks %q: %s", want, res.Stderr)
		}
	}
}

func TestUsageErrors(t *testing.T) {
	tests := [][]string{
		{"nodes", "extra"},
		{"nodes", "-o", "toml"},
		{"nodes", "-l", "a in (b"},
		{"nodes", "--require", "sev-xyz"},
		{"nodes", "--color", "sometimes"},
		{"nodes", "--no-such-flag"},
		{"node"},
		{"node", "a", "--all-nodes"},
		{"node", "Not_A_Node"},
		{"node", "a", "--parallel", "0"},
		{"node", "a", "--timeout", "0s"},
		{"node", "a", "--image-pull-policy", "Sometimes"},
		{"node", "a", "-l", "x=y"},
		{"local", "--host-root", "/does/not/exist"},
		{"local", "--dmesg", "/does/not/exist"},
		{"no-such-command"},
		{"nodes", "--context", "no-such-context"},
	}
	for _, args := range tests {
		res := run(context.Background(), cp.AdminKubeconfig, args...)
		if res.Code != 2 {
			t.Errorf("%v: exit %d, want 2 (stderr %q)", args, res.Code, res.Stderr)
		}
		if !strings.HasPrefix(res.Stderr, "error: ") {
			t.Errorf("%v: stderr %q has no error line", args, res.Stderr)
		}
	}
}

// The machine formats scripts use, on the schema -o json documents: the values they print are
// those of the JSON output.
func TestNodesOutputFormats(t *testing.T) {
	ctx := context.Background()
	res := run(ctx, cp.AdminKubeconfig, "nodes", "-l", tee.WorkerLabel, "-o", "json")
	var l cmd.NodeReportList
	if err := json.Unmarshal([]byte(res.Stdout), &l); err != nil {
		t.Fatal(err)
	}
	var names, nodeNames []string
	for _, r := range l.Items {
		names = append(names, r.Name)
		nodeNames = append(nodeNames, "node/"+r.Name)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "name"}, strings.Join(nodeNames, "\n") + "\n"},
		{[]string{"-o", "jsonpath={.items[*].name}"}, strings.Join(names, " ")},
		{[]string{"-o", "jsonpath={.summary.ready}"}, "3"},
		{[]string{"-o", `go-template={{range .items}}{{.name}}{{"\n"}}{{end}}`}, strings.Join(names, "\n") + "\n"},
		{[]string{"-o", "custom-columns=NAME:.name,ARCH:.architecture", "--no-headers"}, alignRows(l)},
	} {
		r := run(ctx, cp.AdminKubeconfig, append([]string{"nodes", "-l", tee.WorkerLabel}, tc.args...)...)
		if r.Code != 0 || r.Stdout != tc.want {
			t.Errorf("%v: exit %d\n%q\nwant\n%q\n%s", tc.args, r.Code, r.Stdout, tc.want, r.Stderr)
		}
	}
	// --no-headers drops exactly the header line of the table, and the notes below it.
	with := run(ctx, cp.AdminKubeconfig, "nodes", "-l", tee.WorkerLabel)
	without := run(ctx, cp.AdminKubeconfig, "nodes", "-l", tee.WorkerLabel, "--no-headers")
	table := strings.SplitN(with.Stdout, "\n\n", 2)[0] + "\n"
	if !strings.HasPrefix(table, "NAME") || without.Stdout != strings.SplitN(table, "\n", 2)[1] {
		t.Fatalf("--no-headers:\n%s\nvs\n%s", without.Stdout, with.Stdout)
	}
	if r := run(ctx, cp.AdminKubeconfig, "nodes", "-o", "jsonpath"); r.Code != 2 || !strings.Contains(r.Stderr, "needs an argument") {
		t.Fatalf("bad -o: %d %s", r.Code, r.Stderr)
	}
}

func alignRows(l cmd.NodeReportList) string {
	w := len("NAME")
	for _, r := range l.Items {
		w = max(w, len(r.Name))
	}
	var b strings.Builder
	for _, r := range l.Items {
		b.WriteString(r.Name + strings.Repeat(" ", w-len(r.Name)+3) + r.Architecture + "\n")
	}
	return b.String()
}

// node and local in the formats scripts use.
func TestNodeAndLocalOutputFormats(t *testing.T) {
	ctx := context.Background()
	if r := run(ctx, cp.AdminKubeconfig, "node", "snp-1", "-o", "name"); r.Stdout != "node/snp-1\n" {
		t.Errorf("node -o name: %d %q %s", r.Code, r.Stdout, r.Stderr)
	}
	if r := run(ctx, cp.AdminKubeconfig, "node", "snp-1", "-o", "jsonpath={.items[0].tee.kinds[0]}"); r.Code != 0 || r.Stdout != "sev-snp" {
		t.Errorf("node -o jsonpath: %d %q %s", r.Code, r.Stdout, r.Stderr)
	}
	if r := run(ctx, "", "local", "-o", "jsonpath={.kind} {.root}"); r.Stdout != "HostReport /" {
		t.Errorf("local -o jsonpath: %d %q %s", r.Code, r.Stdout, r.Stderr)
	}
}
