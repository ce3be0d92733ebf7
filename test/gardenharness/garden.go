// Package gardenharness runs the real Gardener API server (gardener/test/envtest, in-process) on
// the real kube-apiserver and etcd that hack/testbin.sh builds, and seeds it from YAML fixtures.
package gardenharness

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"

	gardenerenvtest "github.com/gardener/gardener/test/envtest"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// Garden is a running garden: kube-apiserver, etcd and gardener-apiserver.
type Garden struct {
	env    *gardenerenvtest.GardenerTestEnvironment
	Admin  *rest.Config
	Client client.Client
	Kube   kubernetes.Interface
	// Dir holds the kubeconfigs this harness writes.
	Dir string
}

// Admission plugins left out: ResourceReferenceManager and ExtensionValidator need the objects of
// a whole landscape (seeds, controller registrations). DeletionConfirmation stays on, so the
// tests prove that "kubectl shoot delete" confirms the way Gardener demands.
const disabledAdmission = "ResourceReferenceManager,ExtensionValidator"

// Start starts the garden.
func Start() (*Garden, error) {
	bin, err := harness.Binaries()
	if err != nil {
		return nil, err
	}
	os.Setenv("KUBEBUILDER_ASSETS", bin)
	dir, err := os.MkdirTemp("", "kubectl-shoot-garden-")
	if err != nil {
		return nil, err
	}
	env := &gardenerenvtest.GardenerTestEnvironment{
		Environment:       &envtest.Environment{},
		GardenerAPIServer: &gardenerenvtest.GardenerAPIServer{Args: []string{"--disable-admission-plugins=" + disabledAdmission}},
	}
	cfg, err := env.Start()
	if err != nil {
		_ = env.Stop()
		return nil, fmt.Errorf("starting the garden: %w", err)
	}
	g := &Garden{env: env, Admin: cfg, Dir: dir}
	if g.Client, err = client.New(cfg, client.Options{}); err != nil {
		return nil, err
	}
	if g.Kube, err = kubernetes.NewForConfig(cfg); err != nil {
		return nil, err
	}
	return g, nil
}

// Stop stops everything and removes the kubeconfigs.
func (g *Garden) Stop() error {
	err := g.env.Stop()
	_ = os.RemoveAll(g.Dir)
	return err
}

// Apply creates the objects of a multi-document YAML file (status is written separately).
func (g *Garden) Apply(ctx context.Context, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	for _, doc := range strings.Split(string(data), "\n---\n") {
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if err := retry.OnError(admissionLag, referenceNotSeenYet, func() error { return g.Client.Create(ctx, u) }); err != nil {
			return fmt.Errorf("create %s %s: %w", u.GetKind(), u.GetName(), err)
		}
	}
	return nil
}

// admissionLag bounds the retries of a create whose admission did not see yet what the file
// created just before it: ten tries, 25.5 s of waits in all (no Cap: apimachinery's backoff stops
// at the first wait that would pass it).
var admissionLag = wait.Backoff{Duration: 50 * time.Millisecond, Factor: 2, Steps: 10}

// referenceNotSeenYet is the error of Gardener's admission when an object refers to one created
// a moment before: it reads references through informers, which can lag behind the create. The
// ShootQuotaValidator gets a Shoot's CredentialsBinding from its lister and wraps a miss as an
// internal error (gardener v1.150.0, plugin/pkg/shoot/quotavalidator/admission.go): 'Internal
// error occurred: credentialsbinding.security.gardener.cloud "osc-eco-openstack" not found',
// seen on a cold, busy machine. Any other error fails at once.
func referenceNotSeenYet(err error) bool {
	return apierrors.IsInternalError(err) && strings.Contains(err.Error(), "not found")
}

// UserKubeconfig writes a kubeconfig for a user authenticated by a client certificate, with the
// given groups, and returns its path. namespace, if set, becomes the context's namespace (as in
// the dashboard's garden kubeconfig).
func (g *Garden) UserKubeconfig(name, namespace string, groups ...string) (string, error) {
	u, err := g.env.ControlPlane.AddUser(envtest.User{Name: name, Groups: groups}, nil)
	if err != nil {
		return "", err
	}
	data, err := u.KubeConfig()
	if err != nil {
		return "", err
	}
	if namespace != "" {
		data = []byte(strings.Replace(string(data), "cluster: envtest", "cluster: envtest\n    namespace: "+namespace, 1))
	}
	p := filepath.Join(g.Dir, "kubeconfig-garden-"+name+".yaml")
	return p, os.WriteFile(p, data, 0o600)
}
