package gardencmd

import (
	"errors"
	"strings"
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	corefake "github.com/gardener/gardener/pkg/client/core/clientset/versioned/fake"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	"k8s.io/utils/ptr"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/garden"
	"github.com/osc-coco/kubectl-plugins/lib/output"
)

// The shoot commands' logic on Gardener's generated fake clientset; test/shoot runs them
// against the real Gardener API server.

func fakeGarden(objs ...runtime.Object) (*gardenAccess, *clitest.Streams, *corefake.Clientset) {
	var s clitest.Streams
	core := corefake.NewSimpleClientset(objs...)
	return &gardenAccess{g: clitest.Globals(PluginName, &s), flags: garden.Flags{Project: "eco"},
		connected: &garden.Conn{Identity: "osc", Core: core, Kube: fake.NewClientset()}}, &s, core
}

func ecoProject() *gardencorev1beta1.Project {
	ns := "garden-eco"
	return &gardencorev1beta1.Project{ObjectMeta: metav1.ObjectMeta{Name: "eco"}, Spec: gardencorev1beta1.ProjectSpec{Namespace: &ns}}
}

func fakeShoot(name string, state gardencorev1beta1.LastOperationState) *gardencorev1beta1.Shoot {
	profile := "openstack"
	s := &gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "garden-eco"},
		Spec: gardencorev1beta1.ShootSpec{Region: "eu-de-2", CloudProfile: &gardencorev1beta1.CloudProfileReference{Kind: "CloudProfile", Name: profile},
			Provider: gardencorev1beta1.Provider{Type: "openstack"}, Kubernetes: gardencorev1beta1.Kubernetes{Version: "1.33.4"}}}
	s.Status.LastOperation = &gardencorev1beta1.LastOperation{Type: gardencorev1beta1.LastOperationTypeReconcile, State: state, Progress: 100}
	return s
}

func TestListOnFakes(t *testing.T) {
	a, s, _ := fakeGarden(ecoProject(), fakeShoot("eco-sbx", gardencorev1beta1.LastOperationStateSucceeded), fakeShoot("eco-dev", gardencorev1beta1.LastOperationStateFailed))
	o := &ListOptions{a: a, out: output.Flags{Output: "jsonpath={range .items[*]}{.project}/{.name} {.region} {.kubernetesVersion} {.lastOperation.state}{\"\\n\"}{end}"}}
	if code := clitest.Run(o, s); code != 0 || s.Out.String() != "eco/eco-dev eu-de-2 1.33.4 Failed\neco/eco-sbx eu-de-2 1.33.4 Succeeded\n" {
		t.Fatalf("exit %d %q %s", code, s.Out.String(), s.ErrOut.String())
	}

	a, s, _ = fakeGarden(ecoProject())
	if code := clitest.Run(&ListOptions{a: a}, s); code != 0 || s.Out.String() != "No shoots in project eco.\n" {
		t.Fatalf("empty: exit %d %q %s", code, s.Out.String(), s.ErrOut.String())
	}

	a, s, core := fakeGarden(ecoProject())
	core.PrependReactor("list", "shoots", func(k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "core.gardener.cloud", Resource: "shoots"}, "", errors.New("no"))
	})
	if code := clitest.Run(&ListOptions{a: a}, s); code != 1 || s.Out.Len() != 0 || !strings.Contains(s.ErrOut.String(), "not allowed to list shoots.core.gardener.cloud") {
		t.Fatalf("forbidden: exit %d %q %s", code, s.Out.String(), s.ErrOut.String())
	}

	a, s, _ = fakeGarden(ecoProject())
	a.flags.Project = "ecco"
	if code := clitest.Run(&ListOptions{a: a}, s); code != 2 || !strings.Contains(s.ErrOut.String(), `project "ecco" does not exist; did you mean "eco"?`) {
		t.Fatalf("a typo: exit %d %s", code, s.ErrOut.String())
	}
}

// #27 class 5: a project member may not list shoots garden-wide; -A then reads each project
// they can see, and names the projects whose shoots it could not read instead of showing
// them empty.
func TestListAllAsAProjectMember(t *testing.T) {
	forbidden := apierrors.NewForbidden(schema.GroupResource{Group: "core.gardener.cloud", Resource: "shoots"}, "", errors.New("no"))
	sec := fakeShoot("sec-a", gardencorev1beta1.LastOperationStateSucceeded)
	sec.Namespace = "garden-sec"
	secProject := ecoProject()
	secProject.Name, secProject.Spec.Namespace = "sec", ptr.To("garden-sec")
	ops := ecoProject()
	ops.Name, ops.Spec.Namespace = "ops", ptr.To("garden-ops")
	a, s, core := fakeGarden(ecoProject(), secProject, ops, fakeShoot("eco-a", gardencorev1beta1.LastOperationStateSucceeded), sec)
	a.flags.Project = ""
	core.PrependReactor("list", "shoots", func(act k8stesting.Action) (bool, runtime.Object, error) {
		if ns := act.GetNamespace(); ns == "" || ns == "garden-ops" {
			return true, nil, forbidden
		}
		return false, nil, nil
	})
	o := &ListOptions{a: a, AllNamespaces: true, out: output.Flags{Output: `jsonpath={range .items[*]}{.project}/{.name} {end}{.unreadableProjects}`}}
	if code := clitest.Run(o, s); code != 0 || !strings.HasPrefix(s.Out.String(), "eco/eco-a sec/sec-a [") || !strings.Contains(s.Out.String(), "ops (") ||
		!strings.Contains(s.ErrOut.String(), "warning: cannot read the shoots of project ops") {
		t.Fatalf("exit %d %q %s", code, s.Out.String(), s.ErrOut.String())
	}
}
