package cocoinstall

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v4/pkg/action"
	rcommon "helm.sh/helm/v4/pkg/release/common"
	release "helm.sh/helm/v4/pkg/release/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/osc-coco/kubectl-plugins/lib/helmrelease"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/cocostatus"
	"github.com/osc-coco/kubectl-plugins/test/charts"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// nothingApplied fails unless the server holds no trace of an install.
func nothingApplied(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if namespaceExists(t) {
		t.Error("namespace coco-system was created")
	}
	secrets, err := cp.Admin.CoreV1().Secrets("coco-system").List(ctx, metav1.ListOptions{LabelSelector: "owner=helm"})
	if err != nil || len(secrets.Items) != 0 {
		t.Errorf("helm release records: %v %v", secrets, err)
	}
	rcs, err := cp.Admin.NodeV1().RuntimeClasses().List(ctx, metav1.ListOptions{})
	if err != nil || len(rcs.Items) != 0 {
		t.Errorf("runtime classes: %d %v", len(rcs.Items), err)
	}
}

// cleanSlate uninstalls what a test left and plays the namespace controller for coco-system.
func cleanSlate(t *testing.T) {
	t.Helper()
	if res := coco(cp.AdminKubeconfig, "uninstall", "--remove-kept", "--timeout", "1m"); res.Code != 0 {
		t.Fatalf("clean-up uninstall: exit %d %s %s", res.Code, res.Stdout, res.Stderr)
	}
	deadline := time.Now().Add(10 * time.Second)
	for namespaceExists(t) {
		finalizeNamespaceSoon(t, "coco-system")
		if time.Now().After(deadline) {
			t.Fatal("coco-system still exists")
		}
	}
}

// The plugin refuses, before applying anything, charts whose values dialect it does not write,
// charts without a key it sets, platforms the chart builds no CoCo shim for, and clusters where
// no node matches the node selector.
func TestChartContractRefusals(t *testing.T) {
	cleanSlate(t)
	reg := harness.StartChartRegistry()
	defer reg.Close()
	mirror, err := charts.CocoChart("0.22.0")
	if err != nil {
		t.Fatal(err)
	}
	mirror.Metadata.Version = "0.22.1"
	if err := charts.EditKataDeployValues(mirror, func(v map[string]any) { delete(v, "defaultShim") }); err != nil {
		t.Fatal(err)
	}
	mirrorRef, err := reg.PushChart(mirror, "mirror")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"env.shims dialect", []string{"--chart", chartRef, "--version", "0.16.0"},
			[]string{"chart confidential-containers 0.16.0 (kata-deploy 3.22.0) reads its shims from the single value env.shims", "supported: kata-deploy 3.26.0 to 4.1.x (CoCo charts 0.19.0 to 0.22.0)", "nothing was applied"}},
		{"a key the chart lacks", []string{"--chart", mirrorRef, "--version", "0.22.1"},
			[]string{"chart confidential-containers 0.22.1 (kata-deploy 4.1.0) has no value kata-as-coco-runtime.defaultShim, which kubectl coco sets", "nothing was applied"}},
		{"no CoCo shim for arm64 in kata-deploy 3.28", []string{"--chart", chartRef, "--version", "0.19.0", "--platform", "aarch64"},
			[]string{"offers none of the CoCo shims for aarch64", "kata-deploy 3.28.0"}},
		{"no node matches", []string{"--chart", chartRef, "--version", "0.22.0", "--node-selector", "pool=coco"},
			[]string{`no node matches the node selector "pool=coco"`, "nothing was applied"}},
		{"mixed architectures, --set shims without a default", []string{"--chart", chartRef, "--version", "0.22.0",
			"--set", "kata-as-coco-runtime.defaultShim.amd64=qemu"},
			[]string{"DEFAULT_SHIM_X86_64", "kata-deploy falls back to its built-in default", "nothing was applied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := coco(cp.AdminKubeconfig, append([]string{"install", "--plain-http", "--timeout", "30s"}, tt.args...)...)
			if res.Code != 1 {
				t.Fatalf("exit %d\n%s\n%s", res.Code, res.Stdout, res.Stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(res.Stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, res.Stderr)
				}
			}
			nothingApplied(t)
		})
	}
	// The user may name the values a chart needs: with the default shim set by hand, the mirror's
	// chart installs.
	res := coco(cp.AdminKubeconfig, "install", "--plain-http", "--chart", mirrorRef, "--version", "0.22.1", "--dry-run", "-o", "yaml",
		"--set", "kata-as-coco-runtime.defaultShim.amd64=qemu-coco-dev", "--set", "kata-as-coco-runtime.defaultShim.s390x=qemu-coco-dev",
		"--set", "kata-as-coco-runtime.defaultShim.arm64=qemu-coco-dev-runtime-rs")
	if res.Code != 0 || !strings.Contains(res.Stdout, "DEFAULT_SHIM_X86_64") {
		t.Errorf("override: exit %d %s", res.Code, res.Stderr)
	}
}

// The dry run shows the release's objects and the chart's hooks, marked as such, and applies
// nothing, on a cluster where nothing exists yet.
func TestDryRunShowsHooks(t *testing.T) {
	cleanSlate(t)
	res := coco(cp.AdminKubeconfig, "install", "--plain-http", "--chart", chartRef, "--version", "0.22.0", "--dry-run", "-o", "yaml")
	if res.Code != 0 {
		t.Fatalf("exit %d %s", res.Code, res.Stderr)
	}
	for _, w := range []string{"name: kata-as-coco-runtime\n", "helm.sh/resource-policy: keep", "# Hook kata-as-coco-runtime-rb-cleanup (", "post-delete",
		`name: DEFAULT_SHIM_X86_64`, `value: "qemu-coco-dev"`} {
		if !strings.Contains(res.Stdout, w) {
			t.Errorf("dry run lacks %q", w)
		}
	}
	nothingApplied(t)
}

// A pending release is Helm's lock: a second install does not take over the release a first one
// is still applying; once its last update is older than --timeout (or with --force), it does,
// and says whose it was.
func TestPendingReleaseIsALock(t *testing.T) {
	cleanSlate(t)
	defer cleanSlate(t)
	args := []string{"install", "--plain-http", "--chart", chartRef, "--version", "0.22.0", "--timeout", "1m"}
	if res := coco(cp.AdminKubeconfig, args...); res.Code != 0 {
		t.Fatalf("install: exit %d %s", res.Code, res.Stderr)
	}
	// Another run is upgrading it right now: its revision 2 is pending-upgrade since a moment ago.
	kc := cp.AdminKubeconfig
	flags := &genericclioptions.ConfigFlags{KubeConfig: &kc}
	hc, err := helmrelease.NewClient(flags, "coco-system", false)
	if err != nil {
		t.Fatal(err)
	}
	cfg := action.NewConfiguration()
	if err := cfg.Init(flags, "coco-system", "secret"); err != nil {
		t.Fatal(err)
	}
	markPending(t, cfg, time.Now())
	res := coco(cp.AdminKubeconfig, append(args, "--set", "kata-as-coco-runtime.k8sDistribution=k3s")...)
	if res.Code != 1 || !strings.Contains(res.Stderr, "release coco revision 2 is pending-upgrade since") ||
		!strings.Contains(res.Stderr, "another run may still be applying it") || !strings.Contains(res.Stderr, "--force") {
		t.Fatalf("second install: exit %d %s", res.Code, res.Stderr)
	}
	if st := releaseStatus(t, hc); st != rcommon.StatusPendingUpgrade {
		t.Errorf("the refused install changed the release: %s", st)
	}
	// The other run started two minutes ago, longer than --timeout 1m: it is over.
	markPending(t, cfg, time.Now().Add(-2*time.Minute))
	res = coco(cp.AdminKubeconfig, append(args, "--set", "kata-as-coco-runtime.k8sDistribution=k3s", "-o", "json")...)
	var r helmcmd.InstallResult
	if err := json.Unmarshal([]byte(res.Stdout), &r); err != nil || res.Code != 0 || r.Outcome != "upgraded" {
		t.Fatalf("install after the other run's timeout: exit %d %v %s", res.Code, err, res.Stderr)
	}
	if !strings.Contains(res.Stderr, "was left pending-upgrade 2m0s ago, written by") || !strings.Contains(res.Stderr, "longer ago than --timeout 1m0s): taking it over") {
		t.Errorf("takeover not said: %s", res.Stderr)
	}
	if st := releaseStatus(t, hc); st != rcommon.StatusDeployed {
		t.Errorf("release %s after the takeover", st)
	}
}

// markPending plays another run of helm upgrade that is still applying: the release's next
// revision, pending-upgrade since since (a second call rewrites that revision's time).
func markPending(t *testing.T, cfg *action.Configuration, since time.Time) {
	t.Helper()
	ri, err := cfg.Releases.Last("coco")
	if err != nil {
		t.Fatal(err)
	}
	last := ri.(*release.Release)
	if last.Info.Status.IsPending() {
		last.Info.LastDeployed = since
		if err := cfg.Releases.Update(last); err != nil {
			t.Fatal(err)
		}
		return
	}
	next := *last
	info := *last.Info
	next.Info, next.Version = &info, last.Version+1
	next.Info.Status, next.Info.Description, next.Info.LastDeployed = rcommon.StatusPendingUpgrade, "Preparing upgrade", since
	if err := cfg.Releases.Create(&next); err != nil {
		t.Fatal(err)
	}
}

func releaseStatus(t *testing.T, hc *helmrelease.Client) rcommon.Status {
	t.Helper()
	rel, err := hc.Get(context.Background(), "coco")
	if err != nil || rel == nil {
		t.Fatalf("release: %v %v", rel, err)
	}
	return rel.Info.Status
}

// When the chart's post-delete hook Job cannot run, uninstall names it and its state, says what
// it leaves (the kept ClusterRole and ClusterRoleBinding), and --remove-kept removes them.
func TestUninstallWithAHookThatCannotRun(t *testing.T) {
	cleanSlate(t)
	if res := coco(cp.AdminKubeconfig, "install", "--plain-http", "--chart", chartRef, "--version", "0.22.0", "--timeout", "1m"); res.Code != 0 {
		t.Fatalf("install: exit %d %s", res.Code, res.Stderr)
	}
	standIn.SkipCleanupJob(true)
	defer standIn.SkipCleanupJob(false)
	res := coco(cp.AdminKubeconfig, "uninstall", "--timeout", "8s")
	if res.Code != 1 {
		t.Fatalf("uninstall: exit %d %s %s", res.Code, res.Stdout, res.Stderr)
	}
	for _, w := range []string{"post-delete hook Job coco-system/kata-as-coco-runtime-rb-cleanup", "0 active, 0 succeeded, 0 failed", "it has no pod",
		"the release is uninstalled", "ClusterRole kata-as-coco-runtime-role", "kubectl coco uninstall --remove-kept"} {
		if !strings.Contains(res.Stderr, w) {
			t.Errorf("uninstall stderr lacks %q:\n%s", w, res.Stderr)
		}
	}
	if strings.Contains(res.Stderr, "slow or unreachable") {
		t.Errorf("blamed the API server: %s", res.Stderr)
	}
	if _, err := cp.Admin.RbacV1().ClusterRoles().Get(context.Background(), "kata-as-coco-runtime-role", metav1.GetOptions{}); err != nil {
		t.Fatalf("the kept ClusterRole should still be there: %v", err)
	}
	res = coco(cp.AdminKubeconfig, "uninstall")
	if res.Code != 0 || !strings.Contains(res.Stdout, "the chart's resource policy left: ClusterRole kata-as-coco-runtime-role, ClusterRoleBinding kata-as-coco-runtime-rb") {
		t.Errorf("rerun: exit %d %s %s", res.Code, res.Stdout, res.Stderr)
	}
	res = coco(cp.AdminKubeconfig, "uninstall", "--remove-kept")
	if res.Code != 0 || !strings.Contains(res.Stdout, "Removed what CoCo's chart kept") {
		t.Errorf("--remove-kept: exit %d %s %s", res.Code, res.Stdout, res.Stderr)
	}
	for _, get := range []func() error{
		func() error {
			_, err := cp.Admin.RbacV1().ClusterRoles().Get(context.Background(), "kata-as-coco-runtime-role", metav1.GetOptions{})
			return err
		},
		func() error {
			_, err := cp.Admin.RbacV1().ClusterRoleBindings().Get(context.Background(), "kata-as-coco-runtime-rb", metav1.GetOptions{})
			return err
		},
	} {
		if err := get(); !apierrors.IsNotFound(err) {
			t.Errorf("kept object still there: %v", err)
		}
	}
}

// status says "cannot tell" instead of healthy when it may not read kata-deploy's pods.
func TestStatusCannotTell(t *testing.T) {
	cleanSlate(t)
	defer cleanSlate(t)
	if res := coco(cp.AdminKubeconfig, "install", "--plain-http", "--chart", chartRef, "--version", "0.22.0", "--timeout", "1m"); res.Code != 0 {
		t.Fatalf("install: exit %d %s", res.Code, res.Stderr)
	}
	kc := grant(t, "nopods",
		rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"secrets", "nodes"}, Verbs: []string{"get", "list"}},
		rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"daemonsets"}, Verbs: []string{"get", "list"}},
		rbacv1.PolicyRule{APIGroups: []string{"node.k8s.io"}, Resources: []string{"runtimeclasses"}, Verbs: []string{"list"}})
	res := coco(kc, "status", "-o", "json")
	var st cocostatus.Report
	if err := json.Unmarshal([]byte(res.Stdout), &st); err != nil || res.Code != 1 || st.Healthy {
		t.Fatalf("status: exit %d %v %+v %s", res.Code, err, st, res.Stderr)
	}
	if len(st.Problems) != 0 || strings.Join(st.CannotTell, "|") != `cannot tell: list pods in namespace "coco-system" forbidden` || st.DaemonSet != "kata-as-coco-runtime" {
		t.Errorf("report %+v", st)
	}
	res = coco(kc, "status")
	if res.Code != 1 || !strings.Contains(res.Stdout, "Status: cannot tell") || strings.Contains(res.Stdout, "healthy") {
		t.Errorf("table: exit %d\n%s", res.Code, res.Stdout)
	}
}
