// Package shoot tests kubectl-shoot against the real Gardener API server (in-process) on a real
// kube-apiserver and etcd, seeded with our fixtures: project eco, the guide's machine types and
// the shoots eco-sbx and eco-dev. Where gardenlet would write status, the test writes it.
package shoot

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	gardencore "github.com/gardener/gardener/pkg/client/core/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/osc-coco/kubectl-plugins/plugins/shoot/cmd"
	"github.com/osc-coco/kubectl-plugins/test/gardenharness"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

const (
	ns      = "garden-eco"
	user    = "eco-user"
	caPEM   = "test-cluster-ca"
	fixture = "test/fixtures/garden"
)

var (
	garden    *gardenharness.Garden
	core      gardencore.Interface
	userKC    string // the garden kubeconfig of eco-user (context namespace garden-eco)
	gctlHome  string // GCTL_HOME with gardenctl-v2.yaml pointing at userKC
	clusterCA []byte
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	start := time.Now()
	g, err := gardenharness.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "garden:", err)
		return 1
	}
	garden = g
	defer func() {
		if err := g.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop:", err)
		}
	}()
	if err := setup(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "setup:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "garden ready in %s\n", time.Since(start).Round(time.Millisecond))
	return m.Run()
}

func setup(ctx context.Context) error {
	root, err := harness.RepoRoot()
	if err != nil {
		return err
	}
	for _, f := range []string{"cloudprofile.yaml", "project.yaml"} {
		if err := garden.Apply(ctx, filepath.Join(root, fixture, f)); err != nil {
			return err
		}
	}
	if core, err = gardencore.NewForConfig(garden.Admin); err != nil {
		return err
	}
	if err := grantProjectMember(ctx, user); err != nil {
		return err
	}
	if userKC, err = garden.UserKubeconfig(user, ns); err != nil {
		return err
	}
	gctlHome = filepath.Join(garden.Dir, "garden home")
	if err := os.MkdirAll(gctlHome, 0o700); err != nil {
		return err
	}
	os.Setenv("GCTL_HOME", gctlHome)
	os.Unsetenv("GCTL_CONFIG_NAME")
	if err := writeGardenConfig(userKC); err != nil {
		return err
	}
	caCert, caKey, err := newCA()
	if err != nil {
		return err
	}
	clusterCA = caCert
	for _, s := range []string{"eco-sbx", "eco-dev"} {
		if err := publishShoot(ctx, s, caCert, caKey); err != nil {
			return err
		}
	}
	return nil
}

func writeGardenConfig(kubeconfig string) error {
	cfg := fmt.Sprintf("gardens:\n- identity: fg1\n  kubeconfig: %q\n", kubeconfig)
	return os.WriteFile(filepath.Join(gctlHome, "gardenctl-v2.yaml"), []byte(cfg), 0o600)
}

// grantProjectMember gives the user what a Gardener project "admin" member has in garden-eco (the
// project controller would create this RBAC) plus read access to cloud profiles and projects.
func grantProjectMember(ctx context.Context, name string) error {
	rbac := garden.Kube.RbacV1()
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "test-garden-reader"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"projects", "cloudprofiles"}, Verbs: []string{"get", "list", "watch"}},
	}}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "test-project-admin", Namespace: ns}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"shoots", "namespacedcloudprofiles"}, Verbs: []string{"get", "list", "watch", "create", "patch", "update", "delete"}},
		{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"shoots/adminkubeconfig", "shoots/viewerkubeconfig"}, Verbs: []string{"create"}},
		{APIGroups: []string{"security.gardener.cloud"}, Resources: []string{"credentialsbindings"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}},
	}}
	if _, err := rbac.ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := rbac.Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return err
	}
	subj := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-garden-reader-" + name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name}, Subjects: subj}, metav1.CreateOptions{}); err != nil {
		return err
	}
	_, err := rbac.RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-project-admin-" + name, Namespace: ns},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}, Subjects: subj}, metav1.CreateOptions{})
	return err
}

// publishShoot plays gardenlet for a created shoot: status (reconciled, healthy, addresses), the
// cluster CA ConfigMap, and the client CA InternalSecret that shoots/adminkubeconfig signs with.
func publishShoot(ctx context.Context, name string, caCert, caKey []byte) error {
	if _, err := garden.Kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name + ".ca-cluster", Namespace: ns},
		Data: map[string]string{"ca.crt": string(caCert)}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := core.CoreV1beta1().InternalSecrets(ns).Create(ctx, &gardencorev1beta1.InternalSecret{ObjectMeta: metav1.ObjectMeta{Name: name + ".ca-client", Namespace: ns},
		Data: map[string][]byte{"ca.crt": caCert, "ca.key": caKey}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	return setStatus(ctx, name, func(s *gardencorev1beta1.Shoot) {
		s.Status.ObservedGeneration = s.Generation
		s.Status.LastOperation = &gardencorev1beta1.LastOperation{Type: "Reconcile", State: "Succeeded", Progress: 100,
			Description: "Shoot cluster has been successfully reconciled.", LastUpdateTime: metav1.Now()}
		s.Status.AdvertisedAddresses = []gardencorev1beta1.ShootAdvertisedAddress{
			{Name: "external", URL: "https://api." + name + ".eco.shoot.osc.test"},
			{Name: "internal", URL: "https://api." + name + ".eco.internal.osc.test"},
		}
		s.Status.Conditions = nil
		for _, t := range []gardencorev1beta1.ConditionType{"APIServerAvailable", "ControlPlaneHealthy", "ObservabilityComponentsHealthy", "EveryNodeReady", "SystemComponentsHealthy"} {
			s.Status.Conditions = append(s.Status.Conditions, gardencorev1beta1.Condition{Type: t, Status: "True", Reason: "Healthy", LastTransitionTime: metav1.Now(), LastUpdateTime: metav1.Now()})
		}
	}, map[string]string{"shoot.gardener.cloud/status": "healthy"})
}

// setStatus changes a shoot's status (and labels) as gardenlet would.
func setStatus(ctx context.Context, name string, mutate func(*gardencorev1beta1.Shoot), labels map[string]string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := core.CoreV1beta1().Shoots(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(labels) > 0 {
			if s.Labels == nil {
				s.Labels = map[string]string{}
			}
			for k, v := range labels {
				s.Labels[k] = v
			}
			if s, err = core.CoreV1beta1().Shoots(ns).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
		mutate(s)
		_, err = core.CoreV1beta1().Shoots(ns).UpdateStatus(ctx, s, metav1.UpdateOptions{})
		return err
	})
}

func newCA() (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: caPEM}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), nil
}

// shoot runs "kubectl shoot ARGS" in-process against the garden from the garden config.
func shoot(t *testing.T, args ...string) harness.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return harness.Run(ctx, cmd.NewRoot, "", args...)
}

func shootStdin(t *testing.T, stdin string, args ...string) harness.Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return harness.RunStdin(ctx, cmd.NewRoot, stdin, args...)
}

func getShoot(t *testing.T, name string) *gardencorev1beta1.Shoot {
	t.Helper()
	s, err := core.CoreV1beta1().Shoots(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}
