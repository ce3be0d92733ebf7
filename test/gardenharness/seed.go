package gardenharness

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"path/filepath"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	gardencore "github.com/gardener/gardener/pkg/client/core/clientset/versioned"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// Names of the seeded project (the guide's).
const (
	Project   = "eco"
	Namespace = "garden-eco"
	User      = "eco-user"
	// CACommonName is the common name of the shoots' test CA.
	CACommonName = "test-cluster-ca"
)

// Seeded is what SeedEco made.
type Seeded struct {
	Core gardencore.Interface
	// UserKubeconfig is eco-user's garden kubeconfig (context namespace garden-eco).
	UserKubeconfig string
	// ClusterCA is the CA bundle published for the shoots.
	ClusterCA []byte
	// ClientCAKey is its key: shoots/adminkubeconfig signs client certificates with the pair.
	ClientCAKey []byte
}

// SeedEco creates the fixtures in dir (cloudprofile.yaml, project.yaml: project eco with shoots
// eco-sbx and eco-dev), gives eco-user the rights of a project admin, and plays gardenlet for the
// two shoots: reconciled status, addresses, the cluster CA ConfigMap and the client CA that
// shoots/adminkubeconfig signs with.
func (g *Garden) SeedEco(ctx context.Context, fixtureDir string) (*Seeded, error) {
	for _, f := range []string{"cloudprofile.yaml", "project.yaml"} {
		if err := g.Apply(ctx, filepath.Join(fixtureDir, f)); err != nil {
			return nil, err
		}
	}
	core, err := gardencore.NewForConfig(g.Admin)
	if err != nil {
		return nil, err
	}
	s := &Seeded{Core: core}
	if err := g.grantProjectMember(ctx, User); err != nil {
		return nil, err
	}
	if s.UserKubeconfig, err = g.UserKubeconfig(User, Namespace); err != nil {
		return nil, err
	}
	caCert, caKey, err := newCA()
	if err != nil {
		return nil, err
	}
	s.ClusterCA, s.ClientCAKey = caCert, caKey
	for _, name := range []string{"eco-sbx", "eco-dev"} {
		if err := g.PublishShoot(ctx, core, name, caCert, caCert, caKey, "https://api."+name+".eco.shoot.osc.test"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// grantProjectMember gives the user what a Gardener project "admin" member has in the project
// namespace (the project controller would create this RBAC) plus read access to cloud profiles
// and projects.
func (g *Garden) grantProjectMember(ctx context.Context, name string) error {
	rbac := g.Kube.RbacV1()
	cr := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "test-garden-reader"}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"projects", "cloudprofiles"}, Verbs: []string{"get", "list", "watch"}},
	}}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "test-project-admin", Namespace: Namespace}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"shoots", "namespacedcloudprofiles"}, Verbs: []string{"get", "list", "watch", "create", "patch", "update", "delete"}},
		{APIGroups: []string{"core.gardener.cloud"}, Resources: []string{"shoots/adminkubeconfig", "shoots/viewerkubeconfig"}, Verbs: []string{"create"}},
		{APIGroups: []string{"security.gardener.cloud"}, Resources: []string{"credentialsbindings"}, Verbs: []string{"get", "list"}},
		{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get", "list"}},
	}}
	if _, err := rbac.ClusterRoles().Create(ctx, cr, metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := rbac.Roles(Namespace).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		return err
	}
	subj := []rbacv1.Subject{{Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: name}}
	if _, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-garden-reader-" + name},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: cr.Name}, Subjects: subj}, metav1.CreateOptions{}); err != nil {
		return err
	}
	_, err := rbac.RoleBindings(Namespace).Create(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "test-project-admin-" + name, Namespace: Namespace},
		RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name}, Subjects: subj}, metav1.CreateOptions{})
	return err
}

// PublishShoot plays gardenlet for a created shoot: its cluster CA (the API server's serving
// CA) in <name>.ca-cluster, its client CA in <name>.ca-client (what shoots/adminkubeconfig signs
// with), a reconciled status advertising external at server and internal beside it.
func (g *Garden) PublishShoot(ctx context.Context, core gardencore.Interface, name string, clusterCA, clientCACert, clientCAKey []byte, server string) error {
	if _, err := g.Kube.CoreV1().ConfigMaps(Namespace).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name + ".ca-cluster", Namespace: Namespace},
		Data: map[string]string{"ca.crt": string(clusterCA)}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	if _, err := core.CoreV1beta1().InternalSecrets(Namespace).Create(ctx, &gardencorev1beta1.InternalSecret{ObjectMeta: metav1.ObjectMeta{Name: name + ".ca-client", Namespace: Namespace},
		Data: map[string][]byte{"ca.crt": clientCACert, "ca.key": clientCAKey}}, metav1.CreateOptions{}); err != nil {
		return err
	}
	return SetStatus(ctx, core, name, func(s *gardencorev1beta1.Shoot) {
		s.Status.ObservedGeneration = s.Generation
		s.Status.LastOperation = &gardencorev1beta1.LastOperation{Type: "Reconcile", State: "Succeeded", Progress: 100,
			Description: "Shoot cluster has been successfully reconciled.", LastUpdateTime: metav1.Now()}
		s.Status.AdvertisedAddresses = []gardencorev1beta1.ShootAdvertisedAddress{
			{Name: "external", URL: server},
			{Name: "internal", URL: "https://api." + name + ".eco.internal.osc.test"},
		}
		s.Status.Conditions = nil
		for _, t := range []gardencorev1beta1.ConditionType{"APIServerAvailable", "ControlPlaneHealthy", "ObservabilityComponentsHealthy", "EveryNodeReady", "SystemComponentsHealthy"} {
			s.Status.Conditions = append(s.Status.Conditions, gardencorev1beta1.Condition{Type: t, Status: "True", Reason: "Healthy", LastTransitionTime: metav1.Now(), LastUpdateTime: metav1.Now()})
		}
	}, map[string]string{"shoot.gardener.cloud/status": "healthy"})
}

// SetStatus changes a shoot's status (and labels) as gardenlet would.
func SetStatus(ctx context.Context, core gardencore.Interface, name string, mutate func(*gardencorev1beta1.Shoot), labels map[string]string) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := core.CoreV1beta1().Shoots(Namespace).Get(ctx, name, metav1.GetOptions{})
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
			if s, err = core.CoreV1beta1().Shoots(Namespace).Update(ctx, s, metav1.UpdateOptions{}); err != nil {
				return err
			}
		}
		mutate(s)
		_, err = core.CoreV1beta1().Shoots(Namespace).UpdateStatus(ctx, s, metav1.UpdateOptions{})
		return err
	})
}

func newCA() (certPEM, keyPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: CACommonName}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), nil
}
