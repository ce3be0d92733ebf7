package shoot

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/spf13/cobra"

	"github.com/osc-coco/kubectl-plugins/lib/tee"
	coco "github.com/osc-coco/kubectl-plugins/plugins/coco/cmd/helmcmd"
	teecheck "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd/fleetcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// shootCluster is a real kube-apiserver (with kwok nodes) that trusts the shoots' client CA,
// so that the kubeconfigs Gardener's adminkubeconfig signs work on it, and makes eco-user's
// admin identity cluster-admin there (Gardener's admin kubeconfigs are, on a real shoot).
func shootCluster(t testing.TB, nodes ...harness.Node) *harness.ControlPlane {
	t.Helper()
	cp, err := harness.Start(harness.Options{ExtraClientCAs: clusterCA})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { // stops it and removes its directory (Stop alone left 62 MB per call in /tmp)
		if err := cp.Cleanup(); err != nil {
			t.Errorf("shoot cluster: %v", err)
		}
	})
	ctx := context.Background()
	if err := cp.AddNodes(ctx, nodes...); err != nil {
		t.Fatal(err)
	}
	rbac := cp.Admin.RbacV1()
	// Gardener's viewer kubeconfigs read the shoot; here any authenticated identity may read nodes.
	if _, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "node-reader"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes"}, Verbs: []string{"get", "list"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "authenticated-node-reader"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "node-reader"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "system:authenticated"}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "eco-user-admin"},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "gardener.cloud:admin:" + user}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return cp
}

// viewerOnly is a garden user of project eco who may read shoots and create viewer, not admin,
// kubeconfigs.
func viewerOnly(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	const name = "eco-fleet-viewer"
	rbac := garden.Kube.RbacV1()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "test-fleet-viewer", Namespace: ns}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"shoots"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"shoots/viewerkubeconfig"}, Verbs: []string{"create"}},
	}}
	subj := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}}
	if _, err := rbac.Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-fleet-viewer", Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}, Subjects: subj}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-garden-reader-" + name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-garden-reader"}, Subjects: subj}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc, err := garden.UserKubeconfig(name, ns)
	if err != nil {
		t.Fatal(err)
	}
	return kc
}

// servingCA is the CA the cluster's kubeconfig trusts for its API server.
func servingCA(t testing.TB, cp *harness.ControlPlane) []byte {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(cp.AdminKubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Clusters {
		return c.CertificateAuthorityData
	}
	t.Fatal("no cluster in the admin kubeconfig")
	return nil
}

func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// Three shoots on two real API servers of the harness (kwok nodes with different TEEs), one
// hibernated, one whose API server does not answer: one table and one JSON list, through the
// real adminkubeconfig subresource, with no kubeconfig written.
func TestFleetNodes(t *testing.T) {
	ctx := context.Background()
	snp := shootCluster(t, harness.Node{Name: "snp-1", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}})
	tdx := shootCluster(t, harness.Node{Name: "tdx-1", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", "intel.feature.node.kubernetes.io/tdx": "true"}},
		harness.Node{Name: "small-1", CPU: "2", Memory: "4Gi", Labels: map[string]string{tee.WorkerLabel: ""}})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "https://" + l.Addr().String()
	_ = l.Close()
	for name, server := range map[string]string{"eco-f1": snp.Server, "eco-f2": tdx.Server, "eco-f3": tdx.Server, "eco-f4": down} {
		create(t, name)
		ca := servingCA(t, snp)
		if name != "eco-f1" {
			ca = servingCA(t, tdx)
		}
		if err := garden.PublishShoot(ctx, core, name, ca, clusterCA, clientCAKey, server); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := core.CoreV1beta1().Shoots(ns).Patch(ctx, "eco-f3", types.MergePatchType, []byte(`{"spec":{"hibernation":{"enabled":true}}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(garden.Dir, "home")
	before := files(t, home)
	run := func(args ...string) harness.Result {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return harness.Run(ctx, teecheck.NewRoot, userKC, append([]string{"nodes", "--shoots", "eco-f1,eco-f2,eco-f3,eco-f4", "-p", "eco"}, args...)...)
	}

	r := run("-o", "json")
	var rep teecheck.FleetReport
	if err := json.Unmarshal([]byte(r.Stdout), &rep); err != nil {
		t.Fatalf("%v\n%s\n%s", err, r.Stdout, r.Stderr)
	}
	status := map[string]string{}
	for _, it := range rep.Items {
		status[it.Shoot] = it.Status
		if it.Shoot == "eco-f1" && (it.Value == nil || len(it.Value.Items) != 1 || it.Value.Items[0].Name != "snp-1" || !it.Value.Items[0].Ready || it.Access != "admin") {
			t.Errorf("eco-f1: %+v", it)
		}
		if it.Shoot == "eco-f2" && (it.Value == nil || len(it.Value.Items) != 2 || it.Value.Summary.NotReady != 1) {
			t.Errorf("eco-f2: %+v", it)
		}
	}
	if r.Code != 1 || status["eco-f1"] != "pass" || status["eco-f2"] != "pass" || status["eco-f3"] != "skip" || status["eco-f4"] != "unknown" {
		t.Fatalf("exit %d statuses %v\n%s", r.Code, status, r.Stderr)
	}
	if s := rep.Summary; s.Shoots != 4 || s.Ready != 1 || s.NotReady != 1 || s.Hibernated != 1 || s.CannotTell != 1 {
		t.Errorf("summary %+v", s)
	}

	r = run()
	for _, want := range []string{`(?m)^eco-f1\s+snp-1\s+amd64\s+sev-snp\s+yes\s+ready`, `(?m)^eco-f2\s+small-1\s.*not ready`, `(?m)^eco-f2\s+tdx-1\s+amd64\s+tdx`,
		`(?m)^eco-f3\s+-\s+-\s+hibernated`, `(?m)^eco-f4\s+-\s+-\s+unreachable\s+-\s+reading the shoot: cannot reach`, `4 shoots: 1 ready, 1 with nodes not ready, 1 hibernated, 1 cannot tell`} {
		if !regexp.MustCompile(want).MatchString(r.Stdout) {
			t.Errorf("the table lacks %s:\n%s", want, r.Stdout)
		}
	}
	if after := files(t, home); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("files written under HOME: %v", after)
	}

	// coco status over the same shoots: CoCo is installed on none of them.
	ctxc, cancelc := context.WithTimeout(context.Background(), time.Minute)
	defer cancelc()
	rc := harness.Run(ctxc, coco.NewRoot, userKC, "status", "--shoots", "eco-f1,eco-f3,eco-f4", "-p", "eco", "-o", "json")
	var cs coco.FleetStatus
	if err := json.Unmarshal([]byte(rc.Stdout), &cs); err != nil || rc.Code != 1 || len(cs.Items) != 3 {
		t.Fatalf("coco status --shoots: exit %d %v\n%s\n%s", rc.Code, err, rc.Stdout, rc.Stderr)
	}
	if it := cs.Items[0]; it.Status != "pass" || it.Value == nil || it.Value.Installed || it.Value.Healthy || cs.Items[1].Status != "skip" || cs.Items[2].Status != "unknown" {
		t.Fatalf("coco status --shoots: %+v", cs.Items)
	}

	// A shoot made for CoCo (its pool labelled node.kubernetes.io/worker, which Gardener puts on
	// the pool's nodes, as snp-1 carries it here) passes coco preflight without label-workers.
	kc := filepath.Join(t.TempDir(), "f1.yaml")
	if r := shoot(t, "kubeconfig", "eco-f1", "--admin", "--expiration", "10m", "-o", kc); r.Code != 0 {
		t.Fatalf("admin kubeconfig: exit %d %s", r.Code, r.Stderr)
	}
	if r := harness.Run(ctxc, coco.NewRoot, kc, "preflight"); r.Code != 0 || !strings.Contains(r.Stdout, "snp-1") {
		t.Errorf("preflight on the shoot: exit %d\n%s\n%s", r.Code, r.Stdout, r.Stderr)
	}

	// A project member who may not have admin kubeconfigs gets viewer ones.
	viewerKC := viewerOnly(t)
	rv := harness.Run(ctxc, teecheck.NewRoot, viewerKC, "nodes", "--shoots", "eco-f1", "-p", "eco", "-o", "jsonpath={.items[0].status} {.items[0].access} {.items[0].value.items[0].name}")
	if rv.Code != 0 || rv.Stdout != "pass viewer snp-1" {
		t.Errorf("viewer: exit %d %q %s", rv.Code, rv.Stdout, rv.Stderr)
	}

	// --shoots finds the garden as kubectl shoot does: here from the garden config (GCTL_HOME),
	// with no kubeconfig flag at all.
	for _, root := range []func(genericiooptions.IOStreams) *cobra.Command{teecheck.NewRoot, coco.NewRoot} {
		verb := map[bool]string{true: "nodes", false: "status"}[reflect.ValueOf(root).Pointer() == reflect.ValueOf(teecheck.NewRoot).Pointer()]
		rg := harness.Run(ctxc, root, "", verb, "--shoots", "eco-f1", "-p", "eco", "--garden", "fg1", "-o", "jsonpath={.items[0].shoot} {.items[0].status} {.items[0].access}")
		if rg.Stdout != "eco-f1 pass admin" {
			t.Errorf("%s --shoots --garden fg1: exit %d %q %s", verb, rg.Code, rg.Stdout, rg.Stderr)
		}
		if rg := harness.Run(ctxc, root, "", verb, "--shoots", "eco-f1", "-p", "eco", "--garden", "nope"); rg.Code != 2 || !strings.Contains(rg.Stderr, `garden "nope" is not in`) {
			t.Errorf("%s --garden nope: exit %d %s", verb, rg.Code, rg.Stderr)
		}
		if rg := harness.Run(ctxc, root, "", verb, "--garden", "fg1"); rg.Code != 2 || !strings.Contains(rg.Stderr, "--garden and --garden-config name the garden of --shoots") {
			t.Errorf("%s --garden without --shoots: exit %d %s", verb, rg.Code, rg.Stderr)
		}
	}

	// With no garden config at all, --shoots takes the kubeconfig ($KUBECONFIG) as the garden.
	t.Run("kubeconfig as the garden", func(t *testing.T) {
		t.Setenv("GCTL_HOME", t.TempDir())
		t.Setenv("KUBECONFIG", userKC)
		rk := harness.Run(ctxc, teecheck.NewRoot, "", "nodes", "--shoots", "eco-f1", "-p", "eco", "-o", "jsonpath={.items[0].shoot} {.items[0].status}")
		if rk.Stdout != "eco-f1 pass" {
			t.Errorf("exit %d %q %s", rk.Code, rk.Stdout, rk.Stderr)
		}
	})

	if r := run("--parallel", "0"); r.Code != 2 {
		t.Errorf("--parallel 0: exit %d", r.Code)
	}
	ctx2, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if r := harness.Run(ctx2, teecheck.NewRoot, userKC, "nodes", "--shoots", "eco-nope", "-p", "eco"); r.Code != 2 || !strings.Contains(r.Stderr, `shoot "eco-nope" does not exist`) {
		t.Errorf("unknown shoot: exit %d %s", r.Code, r.Stderr)
	}
}
