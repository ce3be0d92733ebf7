package credcache

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

// kubeconfig is a shoot kubeconfig as Gardener issues it: a client certificate valid from
// notBefore to notAfter (or a token when notAfter is zero).
func kubeconfig(t *testing.T, notBefore, notAfter time.Time) []byte {
	t.Helper()
	user := &clientcmdapi.AuthInfo{Token: "t0ken"}
	if !notAfter.IsZero() {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "admin"}, NotBefore: notBefore, NotAfter: notAfter}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		user = &clientcmdapi.AuthInfo{ClientCertificateData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ClientKeyData: []byte("key")}
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["shoot"] = &clientcmdapi.Cluster{Server: "https://api.shoot.example"}
	cfg.AuthInfos["shoot"] = user
	cfg.Contexts["shoot"] = &clientcmdapi.Context{Cluster: "shoot", AuthInfo: "shoot"}
	cfg.CurrentContext = "shoot"
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestStore(t *testing.T) {
	key := Key{ShootServer: "https://api.shoot.example", ShootName: "eco-sbx", ShootNamespace: "garden-eco", GardenClusterIdentity: "osc", AccessLevel: "admin"}
	for _, tc := range []struct {
		name          string
		notBefore     time.Time
		notAfter      time.Time
		expires       time.Time
		lookup        Key
		want, removed bool
	}{
		{name: "valid certificate", notBefore: now.Add(-time.Minute), notAfter: now.Add(9 * time.Minute), expires: now.Add(9 * time.Minute), lookup: key, want: true},
		{name: "token until expiry", expires: now.Add(5 * time.Minute), lookup: key, want: true},
		{name: "another access level is another credential", notBefore: now, notAfter: now.Add(9 * time.Minute), expires: now.Add(9 * time.Minute),
			lookup: Key{ShootServer: key.ShootServer, ShootName: key.ShootName, ShootNamespace: key.ShootNamespace, GardenClusterIdentity: key.GardenClusterIdentity, AccessLevel: "viewer"}},
		{name: "another garden is another credential", notBefore: now, notAfter: now.Add(9 * time.Minute), expires: now.Add(9 * time.Minute),
			lookup: Key{ShootServer: key.ShootServer, ShootName: key.ShootName, ShootNamespace: key.ShootNamespace, GardenClusterIdentity: "other", AccessLevel: "admin"}},
		{name: "another garden user is another credential", notBefore: now, notAfter: now.Add(9 * time.Minute), expires: now.Add(9 * time.Minute),
			lookup: Key{ShootServer: key.ShootServer, ShootName: key.ShootName, ShootNamespace: key.ShootNamespace, GardenClusterIdentity: key.GardenClusterIdentity, AccessLevel: "admin", GardenUser: "viewer's"}},
		{name: "expired", notBefore: now.Add(-time.Hour), notAfter: now.Add(-time.Minute), expires: now.Add(-time.Minute), lookup: key, removed: true},
		{name: "expires within a minute", notBefore: now.Add(-time.Hour), notAfter: now.Add(30 * time.Second), expires: now.Add(30 * time.Second), lookup: key, removed: true},
		{name: "certificate ends before the stated expiry", notBefore: now.Add(-time.Hour), notAfter: now.Add(30 * time.Second), expires: now.Add(time.Hour), lookup: key, removed: true},
		{name: "certificate not valid yet", notBefore: now.Add(time.Minute), notAfter: now.Add(time.Hour), expires: now.Add(time.Hour), lookup: key, removed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Store{Dir: filepath.Join(t.TempDir(), "cache"), Now: func() time.Time { return now }}
			kc := kubeconfig(t, tc.notBefore, tc.notAfter)
			if err := s.Put(key, kc, tc.expires); err != nil {
				t.Fatal(err)
			}
			got, ok, err := s.Get(tc.lookup)
			if err != nil || ok != tc.want || (ok && string(got) != string(kc)) {
				t.Fatalf("Get: ok %v, err %v; want ok %v", ok, err, tc.want)
			}
			_, statErr := os.Stat(filepath.Join(s.Dir, key.file()))
			if gone := os.IsNotExist(statErr); gone != tc.removed {
				t.Fatalf("file removed: %v, want %v", gone, tc.removed)
			}
		})
	}
}

func TestStoreFilesAreTheUsersAlone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Store{Dir: dir, Now: func() time.Time { return now }}
	key := Key{ShootName: "a", AccessLevel: "admin"}
	if err := s.Put(key, kubeconfig(t, now, now.Add(time.Hour)), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, key.file()))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("file: %v, %v; want mode 0600", fi.Mode(), err)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("dir: %v, %v; want mode 0700", di.Mode(), err)
	}
	if err := s.Delete(key); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(key); ok || err != nil {
		t.Fatalf("after Delete: ok %v, err %v", ok, err)
	}
	if err := s.Delete(key); err != nil {
		t.Fatalf("deleting what is gone: %v", err)
	}
}

func TestStoreDropsAnUnreadableEntry(t *testing.T) {
	s := &Store{Dir: t.TempDir(), Now: func() time.Time { return now }}
	key := Key{ShootName: "a"}
	if err := os.WriteFile(filepath.Join(s.Dir, key.file()), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Get(key); ok || err != nil {
		t.Fatalf("ok %v, err %v; want a miss", ok, err)
	}
	if _, err := os.Stat(filepath.Join(s.Dir, key.file())); !os.IsNotExist(err) {
		t.Fatalf("the broken entry stays: %v", err)
	}
}

func TestDefaultDirIsUnderTheUsersCacheDir(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", "/x/cache") // Linux; macOS and Windows have their own
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if d, err := DefaultDir(); err != nil || d != filepath.Join(base, "osc-coco", "shoot-credentials") {
		t.Fatalf("%q %v", d, err)
	}
}

func TestGardenUserTellsUsersApart(t *testing.T) {
	users := map[string]authenticationv1.UserInfo{
		"a":               {Username: "a"},
		"b":               {Username: "b"},
		"a, other uid":    {Username: "a", UID: "2"},
		"a, a group":      {Username: "a", Groups: []string{"x"}},
		"a, an extra":     {Username: "a", Extra: map[string]authenticationv1.ExtraValue{"x": nil}},
		"a, extra value":  {Username: "a", Extra: map[string]authenticationv1.ExtraValue{"x": {"1"}}},
		"a, two groups":   {Username: "a", Groups: []string{"x", "y"}},
		"a, joined group": {Username: "a", Groups: []string{"x;y"}},
	}
	seen := map[string]string{}
	for name, u := range users {
		d := GardenUser(u)
		if other, dup := seen[d]; dup {
			t.Errorf("%s and %s share a digest", name, other)
		}
		seen[d] = name
		if len(d) != 64 {
			t.Errorf("%s: digest %q", name, d)
		}
	}
	if GardenUser(authenticationv1.UserInfo{Username: "a", Groups: []string{"y", "x"}}) != GardenUser(users["a, two groups"]) {
		t.Error("the order of groups changes the digest")
	}
}
