package shoot

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A project viewer (may read shoots, not change them) runs every command. Reads work; each
// command that would change something is refused before it does, naming the verb and the
// resource it lacks, and the garden and the user's files stay as they were.
func TestRestrictedGardenUser(t *testing.T) {
	ctx := context.Background()
	const viewer = "eco-viewer"
	rbac := garden.Kube.RbacV1()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "test-project-viewer", Namespace: ns}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"shoots", "namespacedcloudprofiles"}, Verbs: []string{"get", "list", "watch"}},
		{APIGroups: []string{"security.gardener.cloud"}, Resources: []string{"credentialsbindings"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}},
	}}
	subj := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: viewer}}
	if _, err := rbac.Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-project-viewer", Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}, Subjects: subj}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-garden-reader-" + viewer},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "test-garden-reader"}, Subjects: subj}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	kc, err := garden.UserKubeconfig(viewer, ns)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "gardenctl-v2.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("gardens:\n- identity: fg1\n  kubeconfig: %q\n", kc)), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "admin.yaml")
	before, err := core.CoreV1beta1().Shoots(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args    []string
		code    int
		missing string
	}{
		{[]string{"list"}, 0, ""},
		{[]string{"status", "eco-sbx"}, 0, ""},
		{[]string{"machine-types"}, 0, ""},
		{[]string{"kubeconfig", "eco-sbx", "-o", filepath.Join(t.TempDir(), "gardenlogin.yaml")}, 0, ""},
		{[]string{"create", "eco-new-one", "--machine-type", "vm-dedicated-2-4"}, 1, `create shoots.core.gardener.cloud in namespace "garden-eco"`},
		{[]string{"create", "eco-new-one", "--machine-type", "vm-dedicated-2-4", "--wait"}, 1, `create shoots.core.gardener.cloud in namespace "garden-eco"`},
		{[]string{"delete", "eco-sbx", "--yes"}, 1, `patch shoots.core.gardener.cloud in namespace "garden-eco"; delete shoots.core.gardener.cloud in namespace "garden-eco"`},
		{[]string{"kubeconfig", "eco-sbx", "--admin", "-o", out}, 1, `create shoots/adminkubeconfig.core.gardener.cloud in namespace "garden-eco"`},
		{[]string{"hibernate", "eco-sbx"}, 1, `patch shoots.core.gardener.cloud in namespace "garden-eco"`},
		{[]string{"pool", "add", "eco-sbx", "extra", "--machine-type", "vm-dedicated-4-16"}, 1, `update shoots.core.gardener.cloud in namespace "garden-eco"`},
		{[]string{"reconcile", "eco-sbx", "--wait"}, 1, `patch shoots.core.gardener.cloud in namespace "garden-eco"`},
	} {
		r := shoot(t, append([]string{"--garden-config", cfg}, tc.args...)...)
		if r.Code != tc.code || !strings.Contains(r.Stderr, tc.missing) {
			t.Errorf("%v: exit %d, want %d naming %q\n%s", tc.args, r.Code, tc.code, tc.missing, r.Stderr)
		}
		if tc.code != 0 && !strings.Contains(r.Stderr, "you are not allowed to") {
			t.Errorf("%v: the refusal does not come from the preflight:\n%s", tc.args, r.Stderr)
		}
	}
	after, err := core.CoreV1beta1().Shoots(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Items) != len(before.Items) {
		t.Errorf("shoots: %d before, %d after", len(before.Items), len(after.Items))
	}
	if a := getShoot(t, "eco-sbx").Annotations["confirmation.gardener.cloud/deletion"]; a != "" {
		t.Errorf("eco-sbx was annotated for deletion: %q", a)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("an admin kubeconfig was written: %v", err)
	}
}
