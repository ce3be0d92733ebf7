// Package credcache keeps the short-lived shoot kubeconfigs the Gardener API issued for fleet
// reads, so that a second read within their validity issues nothing: the way gardenlogin keeps
// its client certificates (gardenlogin v0.10.0 internal/certificatecache: one file per key,
// named by a SHA-256 of shoot server, shoot name, namespace, garden identity and access level;
// used only while the certificate's NotBefore..NotAfter holds). Files are 0600 in a 0700
// directory and written atomically: they hold credentials.
package credcache

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/osc-coco/kubectl-plugins/lib/atomicfile"
)

// Key names one credential: gardenlogin's fields (certificatecache.Key), the shoot's UID (a
// shoot deleted and made again under its name is another cluster) and the garden user.
// gardenlogin's cache belongs to the one garden kubeconfig it is configured with; ours serves
// whoever runs a fleet read from this account, and a viewer must never find an admin's
// credential.
type Key struct {
	ShootServer           string `json:"shootServer"`
	ShootName             string `json:"shootName"`
	ShootNamespace        string `json:"shootNamespace"`
	ShootUID              string `json:"shootUID"`
	GardenClusterIdentity string `json:"gardenClusterIdentity"`
	AccessLevel           string `json:"accessLevel"`
	// GardenUser is a digest of who the garden says the user is (GardenUser).
	GardenUser string `json:"gardenUser"`
}

// GardenUser is a digest of the user the garden authenticated (a SelfSubjectReview's
// answer): name, UID, groups and extra, so that two people behind one kubeconfig (the same
// OIDC login command) are two users.
func GardenUser(u authenticationv1.UserInfo) string {
	h := sha256.New()
	write := func(parts ...string) {
		for _, p := range parts {
			fmt.Fprintf(h, "%d:%s;", len(p), p)
		}
	}
	groups := slices.Clone(u.Groups)
	sort.Strings(groups)
	write(u.Username, u.UID)
	fmt.Fprintf(h, "groups %d;", len(groups))
	write(groups...)
	keys := make([]string, 0, len(u.Extra))
	for k := range u.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Fprintf(h, "extra %d;", len(keys))
	for _, k := range keys {
		fmt.Fprintf(h, "%d values;", len(u.Extra[k]))
		write(k)
		write(u.Extra[k]...)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// file is the name of the key's file.
func (k Key) file() string {
	data, _ := json.Marshal(k) // a struct of strings always marshals
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]) + ".json"
}

// MinValidity is how long a cached credential must still be valid to be used: a read started
// with it must not outlive it.
const MinValidity = time.Minute

// Store is a credential cache in a directory.
type Store struct {
	Dir string
	// Now is the clock (tests set it).
	Now func() time.Time
}

// DefaultDir is the cache's directory under the user's cache directory ($XDG_CACHE_HOME or
// ~/.cache on Linux, ~/Library/Caches on macOS).
func DefaultDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "osc-coco", "shoot-credentials"), nil
}

// entry is a cached kubeconfig and when the Gardener API said it expires.
type entry struct {
	Kubeconfig []byte    `json:"kubeconfig"`
	Expires    time.Time `json:"expirationTimestamp"`
}

// Get returns the key's kubeconfig when it is cached and valid for at least MinValidity more;
// ok is false when there is none or it expired (an expired file is removed). An error is a
// cache that cannot be read, never a credential.
func (s *Store) Get(k Key) (kubeconfig []byte, ok bool, err error) {
	path := filepath.Join(s.Dir, k.file())
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var e entry
	if json.Unmarshal(data, &e) != nil || !s.valid(e) {
		return nil, false, s.remove(path)
	}
	return e.Kubeconfig, true, nil
}

// Put caches a kubeconfig the Gardener API issued, valid until expires.
func (s *Store) Put(k Key, kubeconfig []byte, expires time.Time) error {
	data, err := json.Marshal(entry{Kubeconfig: kubeconfig, Expires: expires})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return err
	}
	if fi, err := os.Stat(s.Dir); err != nil {
		return err
	} else if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(s.Dir, 0o700); err != nil { // credentials: the user's alone
			return err
		}
	}
	return atomicfile.Write(filepath.Join(s.Dir, k.file()), data, 0o600)
}

// Delete forgets the key's credential (one the shoot refused).
func (s *Store) Delete(k Key) error { return s.remove(filepath.Join(s.Dir, k.file())) }

func (s *Store) remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// valid checks the expiry the Gardener API gave and, as gardenlogin does, the validity of the
// client certificate itself.
func (s *Store) valid(e entry) bool {
	now := s.now()
	deadline := now.Add(MinValidity)
	if len(e.Kubeconfig) == 0 || !e.Expires.After(deadline) {
		return false
	}
	cert, err := clientCertificate(e.Kubeconfig)
	if err != nil {
		return false
	}
	return cert == nil || (!now.Before(cert.NotBefore) && cert.NotAfter.After(deadline))
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// clientCertificate is the client certificate of the kubeconfig's current context, nil when
// it authenticates otherwise (a token).
func clientCertificate(kubeconfig []byte) (*x509.Certificate, error) {
	cfg, err := clientcmd.Load(kubeconfig)
	if err != nil {
		return nil, err
	}
	ctx, ok := cfg.Contexts[cfg.CurrentContext]
	if !ok {
		return nil, fmt.Errorf("no current context")
	}
	user, ok := cfg.AuthInfos[ctx.AuthInfo]
	if !ok {
		return nil, fmt.Errorf("no user %q", ctx.AuthInfo)
	}
	if len(user.ClientCertificateData) == 0 {
		return nil, nil
	}
	block, _ := pem.Decode(user.ClientCertificateData)
	if block == nil {
		return nil, fmt.Errorf("client certificate is not PEM")
	}
	return x509.ParseCertificate(block.Bytes)
}
