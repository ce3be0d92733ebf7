package shoot

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// These tests hold kubectl shoot to gardenctl-v2 v2.16.0's and gardenlogin v0.10.0's rules (see
// lib/garden/gardenconfig for the rules and the upstream functions they follow).

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Names gardenctl refuses are refused with the rule and an example, the file left unchanged;
// what gardenctl accepts (an alias equal to its identity, a shared alias) is accepted, a shared
// alias with gardenctl's warning.
func TestGardenNamesAsGardenctl(t *testing.T) {
	start := "gardens:\n- identity: fg1\n  name: fg1\n  kubeconfig: " + userKC + "\n"
	dir := newHome(t, start)
	cfgPath := filepath.Join(dir, "gardenctl-v2.yaml")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"my.garden", "--kubeconfig", userKC}, `garden identity "my.garden" must contain only letters, digits, '_' and '-'`},
		{[]string{"fg2-", "--kubeconfig", userKC}, `garden identity "fg2-" must start and end with a letter or digit (e.g. fg2)`},
		{[]string{"fg2", "--kubeconfig", userKC, "--alias", "my.alias"}, `alias "my.alias" must contain only letters, digits`},
		{[]string{"fg2", "--kubeconfig", userKC, "--name", "osc_"}, `alias "osc_" must start and end`},
		{[]string{"fg2", "--kubeconfig", userKC, "--default-shoot-access-level", "root"}, `access level "root" is not one of admin, viewer, auto`},
		{[]string{"fg2", "--kubeconfig", userKC, "--pattern", "^(.+)$"}, `has the capturing group ""`},
	} {
		r := shoot(t, append([]string{"config", "set-garden"}, tc.args...)...)
		if r.Code != 2 || !strings.Contains(r.Stderr, tc.want) || !strings.Contains(r.Stderr, "e.g.") {
			t.Errorf("%v: %d %s", tc.args, r.Code, r.Stderr)
		}
		if got := readFile(t, cfgPath); got != start {
			t.Fatalf("%v changed the file:\n%s", tc.args, got)
		}
	}

	// The alias equal to its identity, as "gardenctl config set-garden fg1 --alias fg1" writes it.
	for _, args := range [][]string{{"config", "view"}, {"list"}, {"list", "--garden", "fg1"}} {
		if r := shoot(t, args...); r.Code != 0 || r.Stderr != "" {
			t.Errorf("%v with alias = identity: %d %s", args, r.Code, r.Stderr)
		}
	}
	// A second garden sharing the alias: accepted, with gardenctl's warning; the identity wins.
	r := shoot(t, "config", "set-garden", "fg2", "--kubeconfig", userKC, "--alias", "fg1")
	if r.Code != 0 || !strings.Contains(r.Stderr, `warning: "fg1" names gardens[0] and gardens[1]`) {
		t.Fatalf("shared alias: %d %s", r.Code, r.Stderr)
	}
	if r := shoot(t, "list", "--garden", "fg1"); r.Code != 0 || !strings.Contains(r.Stderr, "should be unique") {
		t.Fatalf("list with a shared alias: %d %s", r.Code, r.Stderr)
	}
	if r := shoot(t, "config", "view"); r.Code != 0 || !strings.Contains(r.Stdout, "identity: fg2") {
		t.Fatalf("view with a shared alias: %d %s", r.Code, r.Stderr)
	}
}

// A file with a name gardenctl refuses (written by hand, or by an older kubectl shoot) does not
// lock the user out: the other gardens work with a warning, the garden itself is refused with
// the way to rename it, and delete-garden removes it.
func TestRefusedNameInTheFile(t *testing.T) {
	dir := newHome(t, "gardens:\n- identity: my.garden\n  kubeconfig: "+userKC+"\n- identity: fg1\n  kubeconfig: "+userKC+"\n")
	if r := shoot(t, "list", "--garden", "fg1"); r.Code != 0 || !strings.Contains(r.Stderr, `gardenctl refuses`) || !strings.Contains(r.Stderr, `"my.garden"`) {
		t.Fatalf("another garden: %d %s", r.Code, r.Stderr)
	}
	r := shoot(t, "list", "--garden", "my.garden")
	if r.Code != 2 || !strings.Contains(r.Stderr, "gardenctl and gardenlogin refuse it") ||
		!strings.Contains(r.Stderr, "kubectl shoot config delete-garden 'my.garden', then kubectl shoot config set-garden my-garden") {
		t.Fatalf("the garden itself: %d %s", r.Code, r.Stderr)
	}
	tools(t, "kubectl-gardenlogin", "kubectl-oidc_login")
	rep, code := doctorWith(t, "--garden", "fg1")
	if c := rep.check("garden config"); code != 0 || c.Status != "warn" || !strings.Contains(c.Detail, "gardenctl refuses the file") {
		t.Fatalf("doctor: %d %+v", code, c)
	}
	if r := shoot(t, "config", "delete-garden", "my.garden"); r.Code != 0 {
		t.Fatalf("delete: %d %s", r.Code, r.Stderr)
	}
	if got := readFile(t, filepath.Join(dir, "gardenctl-v2.yaml")); got != "gardens:\n- identity: fg1\n  kubeconfig: "+userKC+"\n" {
		t.Fatalf("after delete:\n%s", got)
	}
	if r := shoot(t, "list"); r.Code != 0 || r.Stderr != "" {
		t.Fatalf("after the fix: %d %s", r.Code, r.Stderr)
	}
}

// gardenctlFixture is lib/garden/gardenconfig/testdata/gardenctl-written.yaml (see its README)
// with the garden kubeconfig of the test garden.
func gardenctlFixture(t *testing.T) string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data := readFile(t, filepath.Join(root, "lib/garden/gardenconfig/testdata/gardenctl-written.yaml"))
	return strings.Replace(data, "/home/user/.garden/kubeconfig-garden-eco.yaml", userKC, 1)
}

// A gardenctl-written file is edited line by line and drives the shoot kubeconfig's access level
// and the access restrictions shown.
func TestGardenctlWrittenFile(t *testing.T) {
	before := gardenctlFixture(t)
	dir := newHome(t, before)
	cfgPath := filepath.Join(dir, "gardenctl-v2.yaml")
	if r := shoot(t, "config", "set-garden", "fg1", "--context", "envtest"); r.Code != 0 {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
	want := strings.Replace(before, "  context: garden-eco\n", "  context: envtest\n", 1)
	if got := readFile(t, cfgPath); got != want {
		t.Fatalf("not only the context line changed:\n%s", got)
	}

	// kubeconfigAccessLevelDefaults.shoots: viewer, unless --access-level says otherwise.
	r := shoot(t, "kubeconfig", "eco-sbx", "--garden", "fg1", "-o", "-")
	if r.Code != 0 || !strings.Contains(r.Stdout, "- --access-level=viewer") || !strings.Contains(r.Stderr, "access level viewer, the default of garden fg1") {
		t.Fatalf("garden default: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	for level, wantArg := range map[string]string{"admin": "- --access-level=admin", "auto": "- --access-level=auto"} {
		if r := shoot(t, "kubeconfig", "eco-sbx", "--garden", "fg1", "-o", "-", "--access-level", level); r.Code != 0 || !strings.Contains(r.Stdout, wantArg) || strings.Contains(r.Stdout, "viewer") {
			t.Fatalf("--access-level %s: %d %s", level, r.Code, r.Stdout)
		}
	}
	if r := shoot(t, "config", "set-garden", "fg1", "--default-shoot-access-level", ""); r.Code != 0 || strings.Contains(readFile(t, cfgPath), "kubeconfigAccessLevelDefaults") {
		t.Fatalf("unset the default: %d %s\n%s", r.Code, r.Stderr, readFile(t, cfgPath))
	}
	if r := shoot(t, "kubeconfig", "eco-sbx", "--garden", "fg1", "-o", "-"); r.Code != 0 || strings.Contains(r.Stdout, "--access-level") {
		t.Fatalf("no default: gardenlogin's own: %d %s", r.Code, r.Stdout)
	}
}

// A shoot with the eu-access-only restriction the garden config describes: kubeconfig shows the
// messages on stderr; use asks, and needs --yes without a terminal.
func TestAccessRestrictions(t *testing.T) {
	name := "eco-eu"
	create(t, name) // with the test's garden config, before this test's own
	dir := newHome(t, gardenctlFixture(t))
	if r := shoot(t, "config", "set-garden", "fg1", "--context", "envtest"); r.Code != 0 {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
	ctx := context.Background()
	s := getShoot(t, name)
	s.Spec.AccessRestrictions = []gardencorev1beta1.AccessRestrictionWithOptions{{
		AccessRestriction: gardencorev1beta1.AccessRestriction{Name: "eu-access-only"},
		Options:           map[string]string{"support.gardener.cloud/eu-access-for-cluster-addons": "true"},
	}}
	if _, err := core.CoreV1beta1().Shoots(ns).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	publish(t, name, []gardencorev1beta1.ShootAdvertisedAddress{{Name: "external", URL: "https://api.eco-eu.eco.shoot.osc.test"}})

	r := shoot(t, "kubeconfig", name, "--garden", "fg1", "-o", "-")
	if r.Code != 0 || !strings.Contains(r.Stderr, "Access restriction of shoot eco-eu:\n  Do not access this cluster from outside the European Union, it is subject to EU data protection rules\n    * Cluster add-ons of this shoot may be supported") ||
		strings.Contains(r.Stdout, "Access restriction") {
		t.Fatalf("kubeconfig: %d %s", r.Code, r.Stderr)
	}
	path := filepath.Join(dir, "kubeconfig-gardenlogin--eco--eco-eu.yaml")
	if r := shootStdin(t, "", "use", name, "--garden", "fg1", "--shell", "bash"); r.Code != 1 || !strings.Contains(r.Stderr, "pass --yes") || r.Stdout != "" {
		t.Fatalf("use without a terminal: %d %q %s", r.Code, r.Stdout, r.Stderr)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("use wrote the kubeconfig before the restrictions were accepted")
	}
	if r := shoot(t, "use", name, "--garden", "fg1", "--shell", "bash", "--yes"); r.Code != 0 || !strings.Contains(r.Stdout, "export KUBECONFIG=") || !strings.Contains(r.Stderr, "Access restriction") {
		t.Fatalf("use --yes: %d %s %s", r.Code, r.Stdout, r.Stderr)
	}
	// A shoot without restrictions is used without a question.
	if r := shootStdin(t, "", "use", "eco-dev", "--garden", "fg1", "--shell", "bash"); r.Code != 0 || strings.Contains(r.Stderr, "Access restriction") {
		t.Fatalf("unrestricted shoot: %d %s", r.Code, r.Stderr)
	}
}

// publish plays gardenlet for a created shoot: the cluster CA ConfigMap and the addresses.
func publish(t *testing.T, name string, addrs []gardencorev1beta1.ShootAdvertisedAddress) {
	t.Helper()
	ctx := context.Background()
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name + ".ca-cluster", Namespace: ns}, Data: map[string]string{"ca.crt": string(clusterCA)}}
	if _, err := garden.Kube.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := setStatus(ctx, name, func(s *gardencorev1beta1.Shoot) { s.Status.AdvertisedAddresses = addrs }, nil); err != nil {
		t.Fatal(err)
	}
}

// Only the kube-apiserver addresses become clusters, in gardenctl's order; contexts carry
// namespace default.
func TestKubeconfigAddressesAsGardenctl(t *testing.T) {
	name := "eco-addr"
	create(t, name)
	publish(t, name, []gardencorev1beta1.ShootAdvertisedAddress{ // gardenlet's order (botanist ToAdvertisedAddresses)
		{Name: "external", URL: "https://api.eco-addr.eco.shoot.osc.test"},
		{Name: "wildcard-tls-seed-bound", URL: "https://api-eco-addr.ingress.seed.osc.test"},
		{Name: "internal", URL: "https://api.eco-addr.eco.internal.osc.test"},
		{Name: "unmanaged", URL: "https://198.51.100.10"},
		{Name: "service-account-issuer", URL: "https://discovery.osc.test/projects/eco/shoots/0000/issuer"},
	})
	r := shoot(t, "kubeconfig", name, "-o", "-")
	if r.Code != 0 {
		t.Fatalf("%d %s", r.Code, r.Stderr)
	}
	cfg, err := clientcmd.Load([]byte(r.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "garden-eco--eco-addr-external" || len(cfg.Clusters) != 3 || len(cfg.Contexts) != 3 {
		t.Fatalf("current %q, %d clusters:\n%s", cfg.CurrentContext, len(cfg.Clusters), r.Stdout)
	}
	for addr, server := range map[string]string{"external": "https://api.eco-addr.eco.shoot.osc.test", "internal": "https://api.eco-addr.eco.internal.osc.test", "unmanaged": "https://198.51.100.10"} {
		n := "garden-eco--eco-addr-" + addr
		if c := cfg.Clusters[n]; c == nil || c.Server != server {
			t.Errorf("cluster %s: %+v", n, c)
		}
		if c := cfg.Contexts[n]; c == nil || c.Namespace != "default" {
			t.Errorf("context %s: %+v", n, c)
		}
	}
	if strings.Contains(r.Stdout, "discovery.osc.test") || strings.Contains(r.Stdout, "ingress.seed") {
		t.Fatalf("a non-API-server address became a cluster:\n%s", r.Stdout)
	}
	// Only an issuer address: no kube-apiserver to point at.
	if err := setStatus(context.Background(), name, func(s *gardencorev1beta1.Shoot) {
		s.Status.AdvertisedAddresses = s.Status.AdvertisedAddresses[4:]
	}, nil); err != nil {
		t.Fatal(err)
	}
	if r := shoot(t, "kubeconfig", name, "-o", "-"); r.Code != 1 || !strings.Contains(r.Stderr, "advertises no kube-apiserver address (external, internal, unmanaged), only service-account-issuer") {
		t.Fatalf("issuer only: %d %s", r.Code, r.Stderr)
	}
}

// With --kubeconfig the identity still comes from the garden config; one gardenlogin refuses
// gives no kubeconfig.
func TestExplicitKubeconfigWithARefusedIdentity(t *testing.T) {
	newHome(t, "gardens:\n- identity: my.garden\n  kubeconfig: "+userKC+"\n")
	r := shoot(t, "kubeconfig", "eco-sbx", "--kubeconfig", userKC, "-o", "-")
	if r.Code != 2 || !strings.Contains(r.Stderr, `garden identity "my.garden"`) || r.Stdout != "" {
		t.Fatalf("%d %q %s", r.Code, r.Stdout, r.Stderr)
	}
}
