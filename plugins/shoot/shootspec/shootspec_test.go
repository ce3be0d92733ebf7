package shootspec_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"

	"github.com/osc-coco/kubectl-plugins/plugins/shoot/internal/fixture"
	"github.com/osc-coco/kubectl-plugins/plugins/shoot/shootspec"
)

func request(t *testing.T) shootspec.Request {
	t.Helper()
	cp, err := fixture.CloudProfile()
	if err != nil {
		t.Fatal(err)
	}
	return shootspec.Request{Name: "eco-tst", Project: "eco", Namespace: "garden-eco", MachineType: "vm-dedicated-4-16", Min: 1, Max: 2,
		CredentialsBindings: []string{"osc-eco-openstack"},
		Profile:             shootspec.Profile{Kind: "CloudProfile", Name: cp.Name, Spec: cp.Spec},
		Now:                 time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC)}
}

func TestBuildDefaults(t *testing.T) {
	s, warnings, err := shootspec.Build(request(t))
	if err != nil || len(warnings) != 0 {
		t.Fatal(err, warnings)
	}
	w := s.Spec.Provider.Workers[0]
	got := []string{s.Name, s.Namespace, s.Spec.CloudProfile.Kind, s.Spec.CloudProfile.Name, s.Spec.Region, *s.Spec.CredentialsBindingName,
		s.Spec.Kubernetes.Version, *s.Spec.Networking.Type, *s.Spec.Networking.Nodes, s.Spec.Provider.Type,
		w.Machine.Type, w.Machine.Image.Name, *w.Machine.Image.Version, *w.Machine.Architecture, strings.Join(w.Zones, ","), string(w.CRI.Name)}
	want := []string{"eco-tst", "garden-eco", "CloudProfile", "osc-openstack", "eu-de-1", "osc-eco-openstack",
		"1.34.3", "calico", "10.250.0.0/16", "openstack",
		"vm-dedicated-4-16", "gardenlinux", "1877.6.0", "amd64", "eu-de-1a", "containerd"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("got  %v\nwant %v", got, want)
	}
	if w.Minimum != 1 || w.Maximum != 2 || s.Spec.SecretBindingName != nil || s.Spec.CloudProfileName != nil {
		t.Fatalf("worker %d:%d, deprecated fields %v %v", w.Minimum, w.Maximum, s.Spec.SecretBindingName, s.Spec.CloudProfileName)
	}
	var infra map[string]any
	_ = json.Unmarshal(s.Spec.Provider.InfrastructureConfig.Raw, &infra)
	if infra["floatingPoolName"] != "FloatingIP-external-eco" || infra["kind"] != "InfrastructureConfig" ||
		infra["apiVersion"] != "openstack.provider.extensions.gardener.cloud/v1alpha1" || infra["networks"].(map[string]any)["workers"] != "10.250.0.0/16" {
		t.Fatalf("infrastructureConfig %s", s.Spec.Provider.InfrastructureConfig.Raw)
	}
	if !strings.Contains(string(s.Spec.Provider.ControlPlaneConfig.Raw), `"loadBalancerProvider":"amphora"`) {
		t.Fatalf("controlPlaneConfig %s", s.Spec.Provider.ControlPlaneConfig.Raw)
	}
}

func TestBuildMachineTypeZoneFitsTogether(t *testing.T) {
	r := request(t)
	r.MachineType = "vm-dedicated-32-64" // not offered in eu-de-1b
	s, _, err := shootspec.Build(r)
	if err != nil || s.Spec.Provider.Workers[0].Zones[0] != "eu-de-1a" {
		t.Fatalf("default zone: %v %v", err, s)
	}
	r.Zones = []string{"eu-de-1b"}
	_, _, err = shootspec.Build(r)
	if err == nil || !strings.Contains(err.Error(), "not available in zone eu-de-1b") || !strings.Contains(err.Error(), "zones that offer it: eu-de-1a") {
		t.Fatalf("zone check: %v", err)
	}
}

func TestBuildFrom(t *testing.T) {
	from, err := fixture.Shoot("eco-sbx")
	if err != nil {
		t.Fatal(err)
	}
	r := request(t)
	r.From = from
	r.CredentialsBindings = []string{"osc-eco-openstack", "other"} // --from decides, no ambiguity
	s, _, err := shootspec.Build(r)
	if err != nil {
		t.Fatal(err)
	}
	if string(s.Spec.Provider.InfrastructureConfig.Raw) != string(from.Spec.Provider.InfrastructureConfig.Raw) ||
		s.Spec.Provider.Workers[0].Zones[0] != "eu-de-1b" || string(*s.Spec.Purpose) != "evaluation" || *s.Spec.CredentialsBindingName != "osc-eco-openstack" {
		t.Fatalf("from not applied: %s zones %v", s.Spec.Provider.InfrastructureConfig.Raw, s.Spec.Provider.Workers[0].Zones)
	}
	r.FloatingPool = "other-pool"
	s, _, _ = shootspec.Build(r)
	if !strings.Contains(string(s.Spec.Provider.InfrastructureConfig.Raw), `"floatingPoolName":"other-pool"`) {
		t.Fatalf("--floating-pool did not override --from: %s", s.Spec.Provider.InfrastructureConfig.Raw)
	}
}

func TestBuildRejects(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*shootspec.Request)
		flag   string
		want   string
	}{
		{"machine type typo", func(r *shootspec.Request) { r.MachineType = "vm-dedicated-4-61" }, "--machine-type", `did you mean "vm-dedicated-4-16"`},
		{"unusable machine type", func(r *shootspec.Request) { r.MachineType = "vm-legacy-1-2" }, "--machine-type", "not usable"},
		{"zone", func(r *shootspec.Request) { r.Zones = []string{"eu-de-1z"} }, "--zones", `zone "eu-de-1z" does not exist in region eu-de-1`},
		{"region", func(r *shootspec.Request) { r.Region = "eu-de-2" }, "--region", `did you mean "eu-de-1"`},
		{"version", func(r *shootspec.Request) { r.KubernetesVersion = "1.34.9" }, "--kubernetes-version", `did you mean "1.34.3" or "1.34.2"`},
		{"expired version", func(r *shootspec.Request) { r.KubernetesVersion = "1.32.9" }, "--kubernetes-version", "expired"},
		{"bad name", func(r *shootspec.Request) { r.Name = "Eco_Tst" }, "NAME", "not valid"},
		{"double hyphen", func(r *shootspec.Request) { r.Name = "eco--tst" }, "NAME", `"--"`},
		{"too long", func(r *shootspec.Request) { r.Name = "a-very-long-shoot-name" }, "NAME", "at most 21"},
		{"workers", func(r *shootspec.Request) { r.Min, r.Max = 3, 2 }, "--workers", "MIN:MAX"},
		{"no credentials", func(r *shootspec.Request) { r.CredentialsBindings = []string{} }, "--credentials-binding", "no CredentialsBinding"},
		{"two credentials", func(r *shootspec.Request) { r.CredentialsBindings = []string{"a", "b"} }, "--credentials-binding", "pass --credentials-binding (one of a, b)"},
		{"unknown credentials", func(r *shootspec.Request) { r.CredentialsBinding = "osc-eco-openstak" }, "--credentials-binding", `did you mean "osc-eco-openstack"`},
		{"purpose", func(r *shootspec.Request) { r.Purpose = "fun" }, "--purpose", "not one of"},
		{"cidr", func(r *shootspec.Request) { r.NodesCIDR = "10.250.0.0" }, "--nodes-cidr", "not an IPv4 CIDR"},
		{"other provider", func(r *shootspec.Request) { r.Profile.Spec.Type = "aws" }, "--cloud-profile", "this command creates OpenStack shoots"},
		{"no pool", func(r *shootspec.Request) { r.Profile.Spec.ProviderConfig = nil }, "--floating-pool", "names no floating pool"},
	} {
		r := request(t)
		tc.change(&r)
		_, _, err := shootspec.Build(r)
		var ie *shootspec.InputError
		if !errors.As(err, &ie) || ie.Flag != tc.flag || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v (flag %v)", tc.name, err, ie)
		}
	}
}

func TestBuildWarnsForPreview(t *testing.T) {
	r := request(t)
	r.KubernetesVersion = "1.35"
	if _, _, err := shootspec.Build(r); err == nil {
		t.Fatal("1.35 has no supported patch version, yet it was accepted")
	}
	r.KubernetesVersion = "1.35.1"
	_, w, err := shootspec.Build(r)
	if err != nil || len(w) != 1 || !strings.Contains(w[0], "preview") {
		t.Fatal(err, w)
	}
	_ = gardencorev1beta1.Shoot{}
}
