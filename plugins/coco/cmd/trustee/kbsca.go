package trustee

import (
	"os"
	"path/filepath"
)

// KBSCAFiles are where the KBS's CA is kept: its certificate (what guests and admin commands
// trust) and its key (0600, to issue a new certificate when the KBS's address changes).
func KBSCAFiles() (cert, key string, err error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", "", err
	}
	base := filepath.Join(dir, "kubectl-coco", "trustee-kbs-ca")
	return base + ".crt", base + ".key", nil
}

// DefaultKBSCert is the CA certificate trustee install made, when it exists ("" otherwise):
// what an https --kbs-url is trusted with when no --kbs-cert is given.
func DefaultKBSCert() string {
	cert, _, err := KBSCAFiles()
	if err != nil {
		return ""
	}
	if _, err := os.Stat(cert); err != nil {
		return ""
	}
	return cert
}
