// Package gardentest gives command unit tests a garden without a Gardener API server: Gardener's
// generated fake clientsets, and shoot kubeconfigs issued in memory (test/shoot runs the real
// Gardener API server for the same paths).
package gardentest

import (
	"context"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	corefake "github.com/gardener/gardener/pkg/client/core/clientset/versioned/fake"
	securityfake "github.com/gardener/gardener/pkg/client/security/clientset/versioned/fake"
	seedmanagementfake "github.com/gardener/gardener/pkg/client/seedmanagement/clientset/versioned/fake"
	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/garden/gardenconfig"
)

// ShootHost is the API server address of the kubeconfigs Conn issues for a shoot: the key of
// clitest.Factory.Shoots.
func ShootHost(shoot string) string { return "https://" + shoot + ".shoot.test" }

// Conn is a garden named identity whose core API holds objs. Kubeconfigs for a shoot are
// issued as the Gardener API issues them, for ShootHost(shoot); a test that plays a user
// without admin access replaces Issue.
func Conn(identity string, objs ...runtime.Object) (*garden.Conn, *corefake.Clientset) {
	core := corefake.NewSimpleClientset(objs...)
	c := &garden.Conn{Identity: identity, Core: core, Security: securityfake.NewSimpleClientset(), Kube: allowAll(fake.NewClientset()), SeedManagement: seedmanagementfake.NewSimpleClientset(),
		Namespace: "", Garden: &gardenconfig.Garden{Identity: identity}}
	c.Issue = func(ctx context.Context, namespace, shoot, access string, expiration time.Duration) (*garden.Issued, error) {
		// The subresource of a shoot that is not there, in that namespace, is a 404.
		if _, err := core.CoreV1beta1().Shoots(namespace).Get(ctx, shoot, metav1.GetOptions{}); err != nil {
			return nil, err
		}
		return issue(shoot, access, expiration)
	}
	return c, core
}

func issue(shoot, access string, expiration time.Duration) (*garden.Issued, error) {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[shoot] = &clientcmdapi.Cluster{Server: ShootHost(shoot)}
	cfg.AuthInfos[access] = &clientcmdapi.AuthInfo{Token: "fake-" + access + "-token"}
	cfg.Contexts[shoot] = &clientcmdapi.Context{Cluster: shoot, AuthInfo: access}
	cfg.CurrentContext = shoot
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return nil, err
	}
	return &garden.Issued{Kubeconfig: data, Expires: time.Now().Add(expiration), Access: access}, nil
}

// Project is project name with its namespace garden-NAME.
func Project(name string) *gardencorev1beta1.Project {
	ns := "garden-" + name
	return &gardencorev1beta1.Project{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: gardencorev1beta1.ProjectSpec{Namespace: &ns}}
}

// Shoot is a shoot of project's namespace; hibernated as its spec says.
func Shoot(project, name string, hibernated bool) *gardencorev1beta1.Shoot {
	s := &gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "garden-" + project}}
	if hibernated {
		s.Spec.Hibernation = &gardencorev1beta1.Hibernation{Enabled: &hibernated}
	}
	return s
}

// allowAll answers the garden's access reviews with allowed (as clitest.AllowAll: the fake
// says denied), so a user of the fake garden is its project's admin.
func allowAll(cs *fake.Clientset) *fake.Clientset {
	cs.PrependReactor("create", "selfsubjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
		r := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SelfSubjectAccessReview)
		r.Status.Allowed = true
		return true, r, nil
	})
	return cs
}
