// Package rbac runs every command of teecheck, coco and demoingress as restricted users against a
// real kube-apiserver with RBAC: a viewer that may read everything and change nothing, and a
// user with no permissions at all. Each refusal names the verb and the resource that are
// missing, and the server holds exactly what it held before.
package rbac

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	nodev1 "k8s.io/api/node/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	coco "github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	demoingress "github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd/helmcmd"
	teecheck "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd/fleetcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

var (
	cp        *harness.ControlPlane
	cocoChart string
	nginxRepo string
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	reg := harness.StartChartRegistry()
	defer reg.Close()
	var err error
	if cocoChart, err = reg.PushCocoCharts(); err != nil {
		fmt.Fprintln(os.Stderr, "push charts:", err)
		return 1
	}
	nginxDir, err := harness.TestChart("ingress-nginx")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	repo, err := harness.StartChartRepo(nginxDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer repo.Close()
	nginxRepo = repo.URL
	return harness.Main(m, &cp, func(ctx context.Context, cp *harness.ControlPlane) error {
		if _, err := harness.KataDeployStandIn(ctx, cp.Admin, "coco-system"); err != nil {
			return err
		}
		rc := &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "kata-rbac-test"}, Handler: "kata-rbac-test"}
		if _, err := cp.Admin.NodeV1().RuntimeClasses().Create(ctx, rc, metav1.CreateOptions{}); err != nil {
			return err
		}
		return cp.AddNodes(ctx,
			harness.Node{Name: "w1", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}},
			harness.Node{Name: "w2"})
	})
}

// snapshot is what the server holds that a command could change: every object's kind,
// namespace, name and labels for the kinds our commands create, delete or label.
func snapshot(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	var lines []string
	nss, err := cp.Admin.CoreV1().Namespaces().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nss.Items {
		lines = append(lines, "namespace "+n.Name)
	}
	must := func(what string, err error) {
		if err != nil {
			t.Fatalf("snapshot: listing %s: %v", what, err)
		}
	}
	nodes, err := cp.Admin.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	must("nodes", err)
	for _, n := range nodes.Items {
		lines = append(lines, fmt.Sprintf("node %s %v", n.Name, n.Labels))
	}
	pods, err := cp.Admin.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
	must("pods", err)
	for _, p := range pods.Items {
		lines = append(lines, "pod "+p.Namespace+"/"+p.Name)
	}
	secrets, err := cp.Admin.CoreV1().Secrets("").List(ctx, metav1.ListOptions{})
	must("secrets", err)
	for _, s := range secrets.Items {
		lines = append(lines, "secret "+s.Namespace+"/"+s.Name)
	}
	rcs, err := cp.Admin.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{})
	must("runtimeclasses", err)
	for _, r := range rcs.Items {
		lines = append(lines, "runtimeclass "+r.Name)
	}
	deps, err := cp.Admin.AppsV1().Deployments("").List(ctx, metav1.ListOptions{})
	must("deployments", err)
	for _, d := range deps.Items {
		lines = append(lines, "deployment "+d.Namespace+"/"+d.Name)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

type plugin func(genericiooptions.IOStreams) *cobra.Command

// TestRestrictedUsers is the table: who, which command, the exit code, and the permission the
// message must name.
func TestRestrictedUsers(t *testing.T) {
	viewer, err := cp.Grant("viewer", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}})
	if err != nil {
		t.Fatal(err)
	}
	nobody, err := cp.UserKubeconfig("nobody")
	if err != nil {
		t.Fatal(err)
	}
	cocoInstall := []string{"install", "--chart", cocoChart, "--version", "0.21.0", "--plain-http", "--timeout", "20s"}
	nginxInstall := []string{"install", "--controller", "ingress-nginx", "--chart-repo", nginxRepo, "--timeout", "20s"}
	for _, tc := range []struct {
		user    string
		plugin  plugin
		args    []string
		code    int
		missing []string
	}{
		// reads
		{nobody, teecheck.NewRoot, []string{"nodes"}, 1, []string{"list nodes at cluster scope"}},
		{nobody, teecheck.NewRoot, []string{"node", "w1"}, 1, []string{"get nodes at cluster scope"}},
		{nobody, coco.NewRoot, []string{"preflight"}, 1, []string{"list nodes at cluster scope"}},
		{nobody, coco.NewRoot, []string{"runtimeclasses"}, 1, []string{"list runtimeclasses.node.k8s.io at cluster scope"}},
		{nobody, coco.NewRoot, []string{"status"}, 1, []string{"secrets", "coco-system"}},
		{nobody, demoingress.NewRoot, []string{"status"}, 1, []string{"not allowed to"}},
		{nobody, demoingress.NewRoot, []string{"verify"}, 1, []string{"not allowed to"}},
		{viewer, teecheck.NewRoot, []string{"nodes"}, 1, nil}, // w2 is not ready for CoCo: exit 1 is the verdict
		{viewer, coco.NewRoot, []string{"runtimeclasses"}, 0, nil},
		// changes: refused by the preflight, before anything is created
		{viewer, teecheck.NewRoot, []string{"node", "w1", "--deep", "--timeout", "10s"}, 1, []string{`create pods in namespace "default"`, `delete pods in namespace "default"`}},
		{viewer, coco.NewRoot, cocoInstall, 1, []string{`create secrets in namespace "coco-system"`, "create namespaces at cluster scope",
			`create daemonsets.apps in namespace "coco-system"`, "create runtimeclasses.node.k8s.io at cluster scope"}},
		{viewer, coco.NewRoot, []string{"label-workers", "w2"}, 1, []string{"patch nodes at cluster scope"}},
		{viewer, coco.NewRoot, []string{"smoke-test", "--runtime-class", "kata-rbac-test", "--timeout", "10s"}, 1, []string{`create pods in namespace "default"`}},
		{viewer, demoingress.NewRoot, nginxInstall, 1, []string{`create secrets in namespace "ingress-nginx"`, "create namespaces at cluster scope",
			`create services in namespace "ingress-nginx"`, "create ingressclasses.networking.k8s.io at cluster scope"}},
		{viewer, demoingress.NewRoot, []string{"deploy"}, 1, []string{`create deployments.apps in namespace "demo"`, `patch ingresses.networking.k8s.io in namespace "demo"`}},
		{viewer, demoingress.NewRoot, []string{"delete"}, 1, []string{`delete deployments.apps in namespace "demo"`, "delete namespaces at cluster scope"}},
	} {
		name := strings.Join(tc.args, " ")
		before := snapshot(t)
		r := harness.Run(context.Background(), tc.plugin, tc.user, tc.args...)
		if r.Code != tc.code {
			t.Errorf("%s as %s: exit %d, want %d\n%s", name, tc.user, r.Code, tc.code, r.Stderr)
		}
		for _, m := range tc.missing {
			if !strings.Contains(r.Stderr, m) {
				t.Errorf("%s as %s: the message does not name %q:\n%s", name, tc.user, m, r.Stderr)
			}
		}
		if after := snapshot(t); after != before {
			t.Errorf("%s as %s changed the server:\nbefore:\n%s\nafter:\n%s", name, tc.user, before, after)
		}
	}
}

// With CoCo installed (by an admin), the viewer may neither uninstall it nor install the
// operator beside it; the server keeps the release exactly as it was.
func TestRestrictedUserWithARelease(t *testing.T) {
	ctx := context.Background()
	if r := harness.Run(ctx, coco.NewRoot, cp.AdminKubeconfig, "install", "--chart", cocoChart, "--version", "0.21.0", "--plain-http", "--timeout", "1m"); r.Code != 0 {
		t.Fatalf("install as admin: %d\n%s", r.Code, r.Stderr)
	}
	viewer, err := cp.Grant("viewer2", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"get", "list", "watch"}})
	if err != nil {
		t.Fatal(err)
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args    []string
		missing []string
	}{
		{[]string{"uninstall", "--timeout", "20s"}, []string{`delete secrets in namespace "coco-system"`, `delete daemonsets.apps in namespace "coco-system"`,
			"delete runtimeclasses.node.k8s.io at cluster scope", "delete namespaces at cluster scope"}},
		{[]string{"install", "--method", "operator", "--version", "v0.10.0", "--source", filepath.Join(root, "test", "fixtures", "operator-src"), "--timeout", "20s"},
			[]string{"create namespaces at cluster scope", "create customresourcedefinitions.apiextensions.k8s.io at cluster scope"}},
	} {
		before := snapshot(t)
		r := harness.Run(ctx, coco.NewRoot, viewer, tc.args...)
		if r.Code != 1 {
			t.Errorf("%v: exit %d\n%s", tc.args, r.Code, r.Stderr)
		}
		for _, m := range tc.missing {
			if !strings.Contains(r.Stderr, m) {
				t.Errorf("%v: the message does not name %q:\n%s", tc.args, m, r.Stderr)
			}
		}
		if after := snapshot(t); after != before {
			t.Errorf("%v changed the server:\nbefore:\n%s\nafter:\n%s", tc.args, before, after)
		}
	}
	if r := harness.Run(ctx, coco.NewRoot, cp.AdminKubeconfig, "uninstall", "--timeout", "1m"); r.Code != 0 {
		t.Fatalf("uninstall as admin: %d\n%s", r.Code, r.Stderr)
	}
}
