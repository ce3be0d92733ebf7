package shootkubeconfig

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	gardencorev1beta1 "github.com/gardener/gardener/pkg/apis/core/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/clientcmd"
)

func TestBuild(t *testing.T) {
	s := &gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Name: "eco-sbx", Namespace: "garden-eco"}}
	s.Status.AdvertisedAddresses = []gardencorev1beta1.ShootAdvertisedAddress{
		{Name: "external", URL: "https://api.eco-sbx.eco.shoot.example:443/path"},
		{Name: "internal", URL: "https://api.eco-sbx.eco.internal.example"},
	}
	cfg, err := Build(Request{Shoot: s, CA: []byte("CA"), GardenIdentity: "fg1", AccessLevel: "viewer"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := clientcmd.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if back.CurrentContext != "garden-eco--eco-sbx-external" || len(back.Clusters) != 2 || len(back.AuthInfos) != 1 {
		t.Fatalf("%s", data)
	}
	c := back.Clusters["garden-eco--eco-sbx-external"]
	if c.Server != "https://api.eco-sbx.eco.shoot.example:443" || string(c.CertificateAuthorityData) != "CA" {
		t.Fatalf("cluster %+v", c)
	}
	var ext ExecExtension
	if err := json.Unmarshal(c.Extensions[ExecExtensionKey].(*runtime.Unknown).Raw, &ext); err != nil {
		t.Fatal(err)
	}
	if ext.ShootRef.Namespace != "garden-eco" || ext.ShootRef.Name != "eco-sbx" || ext.GardenClusterIdentity != "fg1" {
		t.Fatalf("extension %+v", ext)
	}
	u := back.AuthInfos["garden-eco--eco-sbx"].Exec
	if u.Command != "kubectl-gardenlogin" || strings.Join(u.Args, " ") != "get-client-certificate --access-level=viewer" || !u.ProvideClusterInfo ||
		u.APIVersion != "client.authentication.k8s.io/v1" || u.InteractiveMode != "IfAvailable" || u.InstallHint == "" {
		t.Fatalf("exec %+v", u)
	}
	if ctx := back.Contexts["garden-eco--eco-sbx-internal"]; ctx.Cluster != "garden-eco--eco-sbx-internal" || ctx.AuthInfo != "garden-eco--eco-sbx" {
		t.Fatalf("context %+v", ctx)
	}
	// client-go turns the exec extension into the ExecCredential's cluster config.
	rc, err := clientcmd.NewNonInteractiveClientConfig(*back, "", nil, nil).ClientConfig()
	if err != nil || rc.ExecProvider == nil || rc.ExecProvider.Config == nil || !strings.Contains(string(rc.ExecProvider.Config.(*runtime.Unknown).Raw), `"gardenClusterIdentity":"fg1"`) {
		t.Fatalf("rest config %v %+v", err, rc)
	}
	if !strings.Contains(string(data), "--access-level=viewer") {
		t.Fatal("access level missing")
	}
}

func TestBuildRejects(t *testing.T) {
	s := &gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Name: "eco-sbx", Namespace: "garden-eco"}}
	if _, err := Build(Request{Shoot: s, CA: []byte("CA"), GardenIdentity: "fg1"}); !errors.Is(err, ErrNoAddress) {
		t.Fatal(err)
	}
	s.Status.AdvertisedAddresses = []gardencorev1beta1.ShootAdvertisedAddress{{Name: "external", URL: "not a url"}}
	if _, err := Build(Request{Shoot: s, CA: []byte("CA"), GardenIdentity: "fg1"}); err == nil {
		t.Fatal("bad URL accepted")
	}
	s.Status.AdvertisedAddresses[0].URL = "https://x"
	if _, err := Build(Request{Shoot: s, CA: []byte("CA"), GardenIdentity: "fg1", AccessLevel: "root"}); err == nil {
		t.Fatal("bad access level accepted")
	}
	if FileName("eco", "eco-sbx") != "kubeconfig-gardenlogin--eco--eco-sbx.yaml" || CAName("eco-sbx") != "eco-sbx.ca-cluster" {
		t.Fatal("names")
	}
}

// Only kube-apiserver addresses become clusters, in the order of the status, as gardenctl does;
// contexts carry namespace default; "" writes no --access-level, "auto" writes it.
func TestBuildKeepsOnlyAPIServerAddresses(t *testing.T) {
	s := &gardencorev1beta1.Shoot{ObjectMeta: metav1.ObjectMeta{Name: "eco-sbx", Namespace: "garden-eco"}}
	s.Status.AdvertisedAddresses = []gardencorev1beta1.ShootAdvertisedAddress{
		{Name: "service-account-issuer", URL: "https://discovery.osc.test/projects/eco/shoots/uid/issuer"},
		{Name: "external", URL: "https://api.eco-sbx.eco.shoot.example"},
		{Name: "wildcard-tls-seed-bound", URL: "https://api-eco-sbx.ingress.seed.example"},
		{Name: "internal", URL: "https://api.eco-sbx.eco.internal.example"},
		{Name: "unmanaged", URL: "https://203.0.113.7"},
	}
	cfg, err := Build(Request{Shoot: s, CA: []byte("CA"), GardenIdentity: "fg1"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.CurrentContext != "garden-eco--eco-sbx-external" || len(cfg.Clusters) != 3 || len(cfg.Contexts) != 3 {
		t.Fatalf("current %q, clusters %v", cfg.CurrentContext, cfg.Clusters)
	}
	for _, name := range []string{"external", "internal", "unmanaged"} {
		ctx := cfg.Contexts["garden-eco--eco-sbx-"+name]
		if ctx == nil || ctx.Namespace != "default" {
			t.Fatalf("context %s: %+v", name, ctx)
		}
	}
	if args := cfg.AuthInfos["garden-eco--eco-sbx"].Exec.Args; strings.Join(args, " ") != "get-client-certificate" {
		t.Fatalf("no access level: %v", args)
	}
	cfg, _ = Build(Request{Shoot: s, CA: []byte("CA"), GardenIdentity: "fg1", AccessLevel: "auto"})
	if args := cfg.AuthInfos["garden-eco--eco-sbx"].Exec.Args; strings.Join(args, " ") != "get-client-certificate --access-level=auto" {
		t.Fatalf("auto: %v", args)
	}
	s.Status.AdvertisedAddresses = s.Status.AdvertisedAddresses[:1]
	if _, err := Build(Request{Shoot: s, CA: []byte("CA"), GardenIdentity: "fg1"}); !errors.Is(err, ErrNoAddress) {
		t.Fatalf("only an issuer address: %v", err)
	}
}
