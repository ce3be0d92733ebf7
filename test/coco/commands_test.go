package coco

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/catalog"
	cmd "github.com/osc-coco/kubectl-plugins/plugins/coco/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/preflight"
)

func TestPreflightOnAMixedCluster(t *testing.T) {
	res := run(context.Background(), cp.AdminKubeconfig, "preflight")
	if res.Code != 0 {
		t.Fatalf("exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	for _, want := range []string{"Cluster: API server v1.36.4", "kubernetes-version", "worker-nodes", "ready-workers", "tee-hardware",
		"sev-snp on snp-w", "tdx on tdx-w", "plain-cp", "label a worker: kubectl coco label-workers plain-cp", "the cluster is ready for CoCo"} {
		if !strings.Contains(res.Stdout, want) {
			t.Errorf("output lacks %q\n%s", want, res.Stdout)
		}
	}
	res = run(context.Background(), cp.AdminKubeconfig, "preflight", "-o", "json")
	var r preflight.Report
	if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil {
		t.Fatal(err)
	}
	if r.Kind != "PreflightReport" || r.APIVersion != preflight.APIVersion || !r.Ready || len(r.Nodes) != len(clusterNodes) || len(r.Checks) != 4 {
		t.Errorf("report %+v", r)
	}
}

func TestPreflightDeepTimesOutOnKwokAndCleansUp(t *testing.T) {
	ns := newNamespace(t, "preflight-deep")
	res := run(context.Background(), cp.AdminKubeconfig, "preflight", "--deep", "-n", ns, "--timeout", "2s", "-o", "json")
	if res.Code != 1 {
		t.Fatalf("exit %d\n%s", res.Code, res.Stderr)
	}
	var r preflight.Report
	if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil {
		t.Fatal(err)
	}
	probed := 0
	for _, n := range r.Nodes {
		for _, c := range n.Checks {
			if c.ID == "host-probe" {
				probed++
			}
		}
	}
	if probed != 3 { // the three workers, not the others
		t.Errorf("%d nodes probed, want the 3 workers", probed)
	}
	pods, _ := cp.Admin.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if len(pods.Items) != 0 {
		t.Errorf("%d probe pods left", len(pods.Items))
	}
}

func TestLabelWorkers(t *testing.T) {
	ctx := context.Background()
	res := run(ctx, cp.AdminKubeconfig, "label-workers", "spare-1", "--dry-run")
	if res.Code != 0 || !strings.Contains(res.Stdout, "node/spare-1 would be labelled (dry run: client)") {
		t.Fatalf("client dry run: exit %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
	res = run(ctx, cp.AdminKubeconfig, "label-workers", "spare-1", "--dry-run=server")
	if res.Code != 0 || !strings.Contains(res.Stdout, "would be labelled (dry run: server)") {
		t.Fatalf("server dry run: exit %d %q %q", res.Code, res.Stdout, res.Stderr)
	}
	if _, has := nodeLabels(t, "spare-1")[tee.WorkerLabel]; has {
		t.Fatal("a dry run labelled the node")
	}
	// A missing node among the names: nothing changes.
	res = run(ctx, cp.AdminKubeconfig, "label-workers", "spare-1", "no-such-node")
	if res.Code != 1 || !strings.Contains(res.Stderr, `node "no-such-node" does not exist`) || !strings.Contains(res.Stderr, "nodes: nolabel-w") {
		t.Fatalf("missing node: exit %d %q", res.Code, res.Stderr)
	}
	if _, has := nodeLabels(t, "spare-1")[tee.WorkerLabel]; has {
		t.Fatal("spare-1 was labelled although the command failed")
	}
	res = run(ctx, cp.AdminKubeconfig, "label-workers", "spare-1", "snp-w", "-o", "json")
	var l cmd.LabelResultList
	if err := json.Unmarshal([]byte(res.Stdout), &l); err != nil || res.Code != 0 {
		t.Fatalf("exit %d %v %s", res.Code, err, res.Stderr)
	}
	if len(l.Items) != 2 || l.Items[0].Result != "labelled" || l.Items[1].Result != "unchanged" {
		t.Errorf("results %+v", l.Items)
	}
	if _, has := nodeLabels(t, "spare-1")[tee.WorkerLabel]; !has {
		t.Error("spare-1 not labelled")
	}
	res = run(ctx, cp.AdminKubeconfig, "label-workers", "spare-1")
	if res.Code != 0 || !strings.Contains(res.Stdout, "node/spare-1 unchanged (already a worker)") {
		t.Errorf("second run: %q", res.Stdout)
	}
}

func TestLabelWorkersForbiddenChangesNothing(t *testing.T) {
	kc := grant(t, "node-reader", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}})
	res := run(context.Background(), kc, "label-workers", "spare-2")
	if res.Code != 1 || !strings.Contains(res.Stderr, "not allowed to patch nodes at cluster scope") {
		t.Fatalf("exit %d %q", res.Code, res.Stderr)
	}
	if _, has := nodeLabels(t, "spare-2")[tee.WorkerLabel]; has {
		t.Error("spare-2 labelled without permission")
	}
}

func TestRuntimeClasses(t *testing.T) {
	res := run(context.Background(), cp.AdminKubeconfig, "runtimeclasses", "-o", "json")
	if res.Code != 0 {
		t.Fatalf("exit %d %s", res.Code, res.Stderr)
	}
	var l catalog.RuntimeClassList
	if err := json.Unmarshal([]byte(res.Stdout), &l); err != nil {
		t.Fatal(err)
	}
	got := map[string]catalog.RuntimeClassReport{}
	for _, r := range l.Items {
		got[r.Name] = r
	}
	if n := got["kata-qemu-snp"]; strings.Join(n.Nodes, ",") != "snp-w" || strings.Join(n.UnknownNodes, ",") != "nolabel-w" {
		t.Errorf("snp: %+v", n)
	}
	if n := got["kata-qemu-se"]; len(n.Nodes)+len(n.UnknownNodes) != 0 {
		t.Errorf("se has nodes: %+v", n)
	}
	if n := got["kata-qemu-coco-dev"]; len(n.Nodes) != 3 || !n.Known || n.Class.Confidential {
		t.Errorf("coco-dev: %+v", n)
	}
	table := run(context.Background(), cp.AdminKubeconfig, "runtimeclasses")
	for _, want := range []string{"NAME", "kata-qemu-snp", "1 (+1 unknown)", "no node can run kata-qemu-se", "for testing only"} {
		if !strings.Contains(table.Stdout, want) {
			t.Errorf("table lacks %q\n%s", want, table.Stdout)
		}
	}
}

// Under kwok the smoke-test pod never finishes: the timeout path reports the pod's state and
// deletes it. The default class is the best one the hardware fits.
func TestSmokeTestDefaultClassTimesOutAndCleansUp(t *testing.T) {
	ns := newNamespace(t, "smoke-kwok")
	w, err := cp.Admin.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	res := run(context.Background(), cp.AdminKubeconfig, "smoke-test", "-n", ns, "--node", "snp-w", "--timeout", "2s")
	if res.Code != 1 || !strings.Contains(res.Stderr, `smoke test of runtime class "kata-qemu-snp"`) || !strings.Contains(res.Stderr, "did not finish within 2s") {
		t.Fatalf("exit %d %q", res.Code, res.Stderr)
	}
	select {
	case ev := <-w.ResultChan():
		p := ev.Object.(*corev1.Pod)
		if ev.Type != watch.Added || *p.Spec.RuntimeClassName != "kata-qemu-snp" || p.Spec.NodeName != "snp-w" || p.Spec.Containers[0].Command[0] != "uname" {
			t.Errorf("pod %s %+v", ev.Type, p.Spec)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no pod was created")
	}
	pods, _ := cp.Admin.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if len(pods.Items) != 0 {
		t.Errorf("smoke-test pod left behind")
	}
	res = run(context.Background(), cp.AdminKubeconfig, "smoke-test", "-n", ns, "--runtime-class", "kata-qemu-nope")
	if res.Code != 1 || !strings.Contains(res.Stderr, `runtime class "kata-qemu-nope" does not exist`) {
		t.Errorf("missing class: exit %d %q", res.Code, res.Stderr)
	}
}

func TestCocoUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"label-workers"}, {"label-workers", "a", "--all"}, {"label-workers", "--all", "--dry-run=maybe"}, {"label-workers", "-l", "a in (b"},
		{"preflight", "extra"}, {"preflight", "--parallel", "0"}, {"runtimeclasses", "-o", "toml"},
		{"smoke-test", "--timeout", "-1s"}, {"smoke-test", "--runtime-class", "Bad_Name"}, {"smoke-test", "-o", "wide"},
	} {
		res := run(context.Background(), cp.AdminKubeconfig, args...)
		if res.Code != 2 || !strings.HasPrefix(res.Stderr, "error: ") {
			t.Errorf("%v: exit %d %q", args, res.Code, res.Stderr)
		}
	}
}

// runtimeclasses in the formats scripts use, on the schema of -o json.
func TestRuntimeClassesOutputFormats(t *testing.T) {
	ctx := context.Background()
	var l catalog.RuntimeClassList
	if err := json.Unmarshal([]byte(run(ctx, cp.AdminKubeconfig, "runtimeclasses", "-o", "json").Stdout), &l); err != nil {
		t.Fatal(err)
	}
	var names, objects []string
	for _, r := range l.Items {
		names = append(names, r.Name)
		objects = append(objects, "runtimeclass.node.k8s.io/"+r.Name)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-o", "name"}, strings.Join(objects, "\n") + "\n"},
		{[]string{"-o", "jsonpath={.items[*].name}"}, strings.Join(names, " ")},
		{[]string{"-o", `go-template={{range .items}}{{.name}} {{end}}`}, strings.Join(names, " ") + " "},
		{[]string{"-o", "custom-columns=CLASS:.name", "--no-headers"}, strings.Join(names, "\n") + "\n"},
	} {
		r := run(ctx, cp.AdminKubeconfig, append([]string{"runtimeclasses"}, tc.args...)...)
		if r.Code != 0 || r.Stdout != tc.want {
			t.Errorf("%v: exit %d %q, want %q\n%s", tc.args, r.Code, r.Stdout, tc.want, r.Stderr)
		}
	}
	with, without := run(ctx, cp.AdminKubeconfig, "runtimeclasses"), run(ctx, cp.AdminKubeconfig, "runtimeclasses", "--no-headers")
	header, rest, _ := strings.Cut(with.Stdout, "\n")
	rows, note, _ := strings.Cut(rest, "\n\n") // the note under the table goes to stderr
	if !strings.HasPrefix(header, "NAME") || without.Stdout != rows+"\n" || !strings.Contains(without.Stderr, strings.TrimSpace(note)) {
		t.Fatalf("--no-headers:\n%s\nvs\n%s", without.Stdout, with.Stdout)
	}
}

// preflight and status in the formats scripts use.
func TestPreflightAndStatusOutputFormats(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"preflight", "-o", "jsonpath={.kind} {.ready}"}, -1, "PreflightReport "},
		{[]string{"preflight", "-o", `go-template={{range .nodes}}{{.name}} {{end}}`}, -1, "snp-w "},
		{[]string{"status", "-o", "jsonpath={.kind} {.installed} {.healthy}"}, 1, "StatusReport false false"},
	} {
		r := run(ctx, cp.AdminKubeconfig, tc.args...)
		if (tc.code >= 0 && r.Code != tc.code) || !strings.Contains(r.Stdout, tc.want) || strings.Contains(r.Stdout, "CHECK") {
			t.Errorf("%v: exit %d %q (want %q)\n%s", tc.args, r.Code, r.Stdout, tc.want, r.Stderr)
		}
	}
	if r := run(ctx, cp.AdminKubeconfig, "status", "-o", "name"); r.Code != 2 || r.Stdout != "" || !strings.Contains(r.Stderr, `unknown output format "name"`) {
		t.Errorf("status -o name: %d %q %s", r.Code, r.Stdout, r.Stderr)
	}
}
