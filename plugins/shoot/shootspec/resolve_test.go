package shootspec

import (
	"strings"
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	"k8s.io/utils/ptr"
)

func TestResolveCredentials(t *testing.T) {
	from := &gardencorev1beta1.Shoot{}
	from.Spec.CredentialsBindingName = ptr.To("from-binding")
	for _, tc := range []struct {
		name string
		r    Request
		want string
		err  string
	}{
		{"the only binding", Request{CredentialsBindings: []string{"os"}}, "os", ""},
		{"flag", Request{CredentialsBinding: "b", CredentialsBindings: []string{"a", "b"}}, "b", ""},
		{"from the --from shoot", Request{From: from, CredentialsBindings: []string{"from-binding", "x"}}, "from-binding", ""},
		{"flag not in the project", Request{Project: "eco", CredentialsBinding: "c", CredentialsBindings: []string{"a", "b"}}, "", `"c"`},
		{"none", Request{Project: "eco"}, "", "has no CredentialsBinding"},
		{"two and no flag", Request{Project: "eco", CredentialsBindings: []string{"a", "b"}}, "", "pass --credentials-binding (one of a, b)"},
		{"flag, bindings unknown", Request{CredentialsBinding: "z"}, "z", ""},
	} {
		got, err := resolveCredentials(tc.r)
		if got != tc.want || (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: %q %v", tc.name, got, err)
		}
	}
}

func TestResolveNetworking(t *testing.T) {
	from := &gardencorev1beta1.Shoot{}
	from.Spec.Networking = &gardencorev1beta1.Networking{Type: ptr.To("cilium"), Nodes: ptr.To("10.1.0.0/16")}
	for _, tc := range []struct {
		r              Request
		netType, nodes string
		err            bool
	}{
		{Request{}, "calico", "10.250.0.0/16", false},
		{Request{From: from}, "cilium", "10.1.0.0/16", false},
		{Request{From: from, NodesCIDR: "10.9.0.0/16"}, "cilium", "10.9.0.0/16", false},
		{Request{NodesCIDR: "10.9.0.0"}, "", "", true},
	} {
		n, c, err := resolveNetworking(tc.r)
		if n != tc.netType || c != tc.nodes || (err != nil) != tc.err {
			t.Errorf("%+v: %q %q %v", tc.r, n, c, err)
		}
	}
}
