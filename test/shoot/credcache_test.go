package shoot

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/osc-coco/kubectl-plugins/lib/cli"
	"github.com/osc-coco/kubectl-plugins/lib/tee"
	teecheck "github.com/osc-coco/kubectl-plugins/plugins/teecheck/cmd/fleetcmd"
	"github.com/osc-coco/kubectl-plugins/test/harness"
)

// issuing counts the kubeconfig requests (POST shoots/adminkubeconfig, viewerkubeconfig) a
// command sends to the garden.
type issuing struct {
	next http.RoundTripper
	mu   *sync.Mutex
	n    *int
}

func (c issuing) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method == http.MethodPost && (strings.HasSuffix(r.URL.Path, "/adminkubeconfig") || strings.HasSuffix(r.URL.Path, "/viewerkubeconfig")) {
		c.mu.Lock()
		*c.n++
		c.mu.Unlock()
	}
	return c.next.RoundTrip(r)
}

// fleetRun runs teecheck nodes --shoots in-process and returns what it printed and how many
// kubeconfigs it had issued.
func fleetRun(t *testing.T, args ...string) (stdout, stderr string, code, issued int) {
	t.Helper()
	var out, errOut bytes.Buffer
	streams := genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut}
	root, g := teecheck.NewRootWithGlobals(streams)
	var mu sync.Mutex
	g.WrapConfig = func(cfg *rest.Config) {
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return issuing{next: rt, mu: &mu, n: &issued} })
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	root.SetArgs(append([]string{"--kubeconfig", userKC, "nodes", "--shoots", "eco-c1", "-p", "eco", "-o", "jsonpath={.items[0].status} {.items[0].access}"}, args...))
	code = cli.ExecuteContext(ctx, root, streams)
	return out.String(), errOut.String(), code, issued
}

// cacheEntry is one file of the credential cache (lib/garden/credcache).
type cacheEntry struct {
	Kubeconfig []byte    `json:"kubeconfig"`
	Expires    time.Time `json:"expirationTimestamp"`
}

func cacheFiles(t *testing.T, dir string) map[string]cacheEntry {
	t.Helper()
	out := map[string]cacheEntry{}
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		path := filepath.Join(dir, e.Name())
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: mode %v, %v; want 0600", path, fi.Mode(), err)
		}
		data, _ := os.ReadFile(path)
		var ce cacheEntry
		if err := json.Unmarshal(data, &ce); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out[path] = ce
	}
	return out
}

// selfSigned is a certificate of its own key, valid from a minute ago for an hour, in PEM,
// and that key in PEM.
func selfSigned(t *testing.T, tmpl *x509.Certificate) (certPEM, keyPEM []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl.SerialNumber, tmpl.NotBefore, tmpl.NotAfter = big.NewInt(time.Now().UnixNano()), time.Now().Add(-time.Minute), time.Now().Add(time.Hour)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
}

// edited is the kubeconfig changed by edit.
func edited(t *testing.T, kubeconfig []byte, edit func(*clientcmdapi.Config)) []byte {
	t.Helper()
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	edit(cfg)
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// strangerCredential is the kubeconfig with its client certificate replaced by one no shoot
// trusts (a rotated client CA): valid in time, refused by the API server.
func strangerCredential(t *testing.T, kubeconfig []byte) []byte {
	cert, key := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "stranger"}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	return edited(t, kubeconfig, func(cfg *clientcmdapi.Config) {
		user := cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo]
		user.ClientCertificateData, user.ClientKeyData = cert, key
	})
}

// strangerCA is the kubeconfig trusting another CA for the shoot's API server (the shoot's CA
// rotated since it was issued).
func strangerCA(t *testing.T, kubeconfig []byte) []byte {
	ca, _ := selfSigned(t, &x509.Certificate{Subject: pkix.Name{CommonName: "another CA"}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign})
	return edited(t, kubeconfig, func(cfg *clientcmdapi.Config) {
		for _, c := range cfg.Clusters {
			c.CertificateAuthorityData = ca
		}
	})
}

// #29 item 3: a second fleet read within the credentials' validity issues nothing, as
// gardenlogin reuses its certificates; --no-cache issues and keeps nothing; a credential the
// shoot refuses, or that no longer trusts the shoot, is dropped, replaced and named; an expired
// one is replaced quietly.
func TestFleetCredentialCache(t *testing.T) {
	cl := shootCluster(t, harness.Node{Name: "c-1", CPU: "16", Memory: "64Gi", Labels: map[string]string{tee.WorkerLabel: "", tee.NFDPrefix + "cpu-security.sev.snp.enabled": "true"}})
	create(t, "eco-c1")
	if err := garden.PublishShoot(context.Background(), core, "eco-c1", servingCA(t, cl), clusterCA, clientCAKey, cl.Server); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "osc-coco", "shoot-credentials")
	step := func(name string, wantIssued int, wantNote string, args ...string) map[string]cacheEntry {
		t.Helper()
		out, errOut, code, issued := fleetRun(t, args...)
		if code != 0 || out != "pass admin" || issued != wantIssued {
			t.Fatalf("%s: exit %d %q, %d kubeconfigs issued (want %d)\n%s", name, code, out, issued, wantIssued, errOut)
		}
		if (wantNote == "") != !strings.Contains(errOut, "no longer works") || !strings.Contains(errOut, wantNote) {
			t.Fatalf("%s: stderr %q, want note %q", name, errOut, wantNote)
		}
		return cacheFiles(t, dir)
	}

	first := step("first read", 1, "")
	if len(first) != 1 {
		t.Fatalf("cache: %v, want one credential", first)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir: %v %v", di.Mode(), err)
	}
	var path string
	var entry cacheEntry
	for path, entry = range first {
	}
	if until := time.Until(entry.Expires); until < 9*time.Minute || until > 11*time.Minute {
		t.Errorf("cached credential expires in %s, want the fleet's 10 minutes", until)
	}
	step("second read", 0, "")
	if again := step("--no-cache", 1, "", "--no-cache"); string(again[path].Kubeconfig) != string(entry.Kubeconfig) {
		t.Error("--no-cache changed the cache")
	}

	write := func(e cacheEntry) {
		data, _ := json.Marshal(e)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(cacheEntry{Kubeconfig: strangerCredential(t, entry.Kubeconfig), Expires: entry.Expires})
	renewed := step("refused credential", 1, "the cached admin kubeconfig of shoot eco-c1 no longer works")
	if string(renewed[path].Kubeconfig) == string(entry.Kubeconfig) || len(renewed) != 1 {
		t.Fatal("the refused credential was not replaced by a new one")
	}
	step("after the renewal", 0, "")

	write(cacheEntry{Kubeconfig: strangerCA(t, renewed[path].Kubeconfig), Expires: renewed[path].Expires})
	renewed = step("the shoot's CA rotated", 1, "the cached admin kubeconfig of shoot eco-c1 no longer works")
	step("after the second renewal", 0, "")

	write(cacheEntry{Kubeconfig: renewed[path].Kubeconfig, Expires: time.Now().Add(-time.Minute)})
	step("expired credential", 1, "")

	// A cache that cannot be written is said once; the read goes on.
	blocker := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("XDG_CACHE_HOME", blocker)
	out, errOut, code, issued := fleetRun(t)
	if code != 0 || out != "pass admin" || issued != 1 || strings.Count(errOut, "cannot be used") != 1 {
		t.Fatalf("unusable cache: exit %d %q, issued %d\n%s", code, out, issued, errOut)
	}
}
