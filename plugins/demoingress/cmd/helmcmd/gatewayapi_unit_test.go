package helmcmd

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"

	"github.com/osc-coco/kubectl-plugins/lib/cli/clitest"
	"github.com/osc-coco/kubectl-plugins/lib/kube"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/cmd"
	"github.com/osc-coco/kubectl-plugins/plugins/demoingress/controllers"
)

// gatewayCRD is a Gateway API CRD as the API server returns it, written by manager.
func gatewayCRD(name, manager, channel string) runtime.Object {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apiextensions.k8s.io/v1")
	u.SetKind("CustomResourceDefinition")
	u.SetName(name)
	u.SetAnnotations(map[string]string{controllers.BundleVersionAnnotation: controllers.GatewayAPIVersion, controllers.ChannelAnnotation: channel})
	u.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: manager, Operation: metav1.ManagedFieldsOperationApply}})
	return u
}

// TestGatewayAPIReads: what install decides from the Gateway API it finds, and that a read it
// may not make is no verdict.
func TestGatewayAPIReads(t *testing.T) {
	file := filepath.Join("..", "..", "..", "..", "test", "fixtures", "gateway-api", "crds.yaml")
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: controllers.SafeUpgrades}}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: controllers.SafeUpgrades}}
	channelCRDs := func(channel, manager string, names ...string) []runtime.Object {
		var objs []runtime.Object
		for _, n := range names {
			objs = append(objs, gatewayCRD(n, manager, channel))
		}
		return objs
	}
	crds := func(manager string, names ...string) []runtime.Object {
		return channelCRDs("standard", manager, names...)
	}
	forbidPolicies := func(cs *fake.Clientset) *fake.Clientset {
		cs.PrependReactor("get", "validatingadmissionpolicies", func(k8stesting.Action) (bool, runtime.Object, error) {
			return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "admissionregistration.k8s.io", Resource: "validatingadmissionpolicies"}, controllers.SafeUpgrades, errors.New("no"))
		})
		return cs
	}
	for _, tc := range []struct {
		name      string
		crds      []runtime.Object
		kube      *fake.Clientset
		objects   int    // what would be applied
		note, err string // parts of the note and the error, "" for none
	}{
		{"absent: the whole file", nil, fake.NewClientset(), 12, "", ""},
		{"ours, complete: nothing", crds(FieldManager, controllers.GatewayAPIBundle...), fake.NewClientset(policy, binding), 0, "", ""},
		{"someone else's three: nothing, the rest is not read", crds("helm", controllers.GatewayAPINeeded...), forbidPolicies(fake.NewClientset()), 0, "", ""},
		{"ours, the rest missing: the rest", crds(FieldManager, controllers.GatewayAPINeeded...), fake.NewClientset(policy), 8,
			"install applies what is missing (backendtlspolicies.gateway.networking.k8s.io, grpcroutes", ""},
		{"ours, the binding missing: the binding", crds(FieldManager, controllers.GatewayAPIBundle...), fake.NewClientset(policy), 1,
			"(validatingadmissionpolicybindings.admissionregistration.k8s.io/safe-upgrades.gateway.networking.k8s.io)", ""},
		{"ours, the policy may not be read", crds(FieldManager, controllers.GatewayAPIBundle...), forbidPolicies(fake.NewClientset()), 0, "",
			"cannot tell whether the Gateway API is completely installed"},
		{"ours, cut short early: all but the first", crds(FieldManager, controllers.GatewayAPINeeded[0]), fake.NewClientset(), 11,
			"(gateways.gateway.networking.k8s.io, httproutes.gateway.networking.k8s.io, backendtlspolicies", ""},
		{"ours, moved to the experimental channel: nothing, the rest is not read", channelCRDs("experimental", FieldManager, controllers.GatewayAPINeeded...),
			forbidPolicies(fake.NewClientset()), 0, "", ""},
		{"someone else's, partial: refused", crds("kubectl", controllers.GatewayAPINeeded[0]), fake.NewClientset(), 0, "", "written by kubectl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var s clitest.Streams
			dyn := dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
				map[schema.GroupVersionResource]string{crdResource: "CustomResourceDefinitionList"}, tc.crds...)
			o := &InstallOptions{g: clitest.Globals(cmd.PluginName, &s), clients: &kube.Clients{Kube: tc.kube, Dynamic: dyn}, GatewayAPICRDs: file}
			objs, err := o.gatewayAPIToInstall(context.Background())
			switch {
			case tc.err == "" && err != nil:
				t.Fatal(err)
			case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
				t.Fatalf("%v, want %q", err, tc.err)
			}
			if len(objs) != tc.objects {
				t.Errorf("%d objects to apply, want %d", len(objs), tc.objects)
			}
			note := s.ErrOut.String()
			if (tc.note == "") != (note == "") || !strings.Contains(note, tc.note) {
				t.Errorf("note %q, want %q", note, tc.note)
			}
		})
	}
}
