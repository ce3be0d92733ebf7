package trustee

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/osc-coco/kubectl-plugins/lib/atomicfile"
	"github.com/osc-coco/kubectl-plugins/lib/clierr"
	"github.com/osc-coco/kubectl-plugins/plugins/coco/sealed"
)

// sealingKey is the signing key of sealed secrets: the user's file, or one made under the
// user's config directory ($XDG_CONFIG_HOME/kubectl-coco) on first use.
type sealingKey struct {
	key     *ecdsa.PrivateKey
	path    string // the private key's file
	pubPath string // its public half, to put into the KBS
	created bool   // made by this run (or, in a dry run, would be)
}

// defaultSealingKeyPath is where the key lives unless --signing-key names one.
func defaultSealingKeyPath() (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", clierr.Usagef("set HOME or XDG_CONFIG_HOME, or pass --signing-key FILE", "no config directory for the signing key: %v", err)
	}
	return filepath.Join(dir, "kubectl-coco", "sealing-key.jwk"), nil
}

// loadSealingKey reads the key at path; a missing key at the default path is made in memory
// (created; write stores it once the cluster accepted the run).
func loadSealingKey(path string, isDefault bool) (*sealingKey, error) {
	k := &sealingKey{path: path, pubPath: strings.TrimSuffix(path, ".jwk") + ".pub.jwk"}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		if k.key, err = sealed.ParsePrivateJWK(data); err != nil {
			return nil, clierr.Usagef("give a P-256 private key in JWK form (or remove --signing-key to use kubectl coco's own)", "--signing-key %s: %v", path, err)
		}
		return k, nil
	case !errors.Is(err, fs.ErrNotExist) || !isDefault:
		return nil, clierr.Usagef("give a readable P-256 private JWK", "--signing-key: %v", err)
	}
	if k.key, err = sealed.NewKey(); err != nil {
		return nil, err
	}
	k.created = true
	return k, nil
}

// write stores the key 0600 and its public half beside it, each atomically.
func (k *sealingKey) write(kid string) error {
	priv, err := sealed.PrivateJWK(k.key, kid)
	if err != nil {
		return err
	}
	pub, err := sealed.PublicJWK(&k.key.PublicKey, kid)
	if err != nil {
		return err
	}
	privData, _ := json.MarshalIndent(priv, "", "  ")
	pubData, _ := json.MarshalIndent(pub, "", "  ")
	if err := atomicfile.Write(k.path, append(privData, '\n'), 0o600); err != nil {
		return fmt.Errorf("writing the signing key: %w", err)
	}
	if err := atomicfile.Write(k.pubPath, append(pubData, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the signing key's public half: %w", err)
	}
	return nil
}
