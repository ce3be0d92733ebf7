package trusteechart

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"slices"
	"time"
)

// The KBS's HTTPS identity when install turns on the chart's native TLS: a small CA of the
// user's (its key stays on this machine, like the admin key) and a server certificate it signs
// for the names and addresses the KBS is reached at. The guests trust the CA through initdata's
// kbs_cert; the admin commands through --kbs-cert. The chart generates no identity itself
// (values.yaml kbs.tls: "the chart does not generate endpoint identity material").

// TLSSecretName is the kubernetes.io/tls Secret install makes for a release (kbs.tls.secretName).
func TLSSecretName(release string) string { return release + "-kubectl-coco-kbs-tls" }

// CA signs the KBS's certificates.
type CA struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

// NewCA makes a CA valid for ten years.
func NewCA(now time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: "kubectl-coco Trustee KBS CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return &CA{Cert: cert, Key: key}, err
}

// PEM is the CA's certificate and key.
func (ca *CA) PEM() (cert, key []byte, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(ca.Key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw}), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParseCA reads a CA written by PEM.
func ParseCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		return nil, err
	}
	b, _ := pem.Decode(keyPEM)
	if b == nil {
		return nil, errors.New("the CA key is not PEM")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	key, ok := k.(*ecdsa.PrivateKey)
	if !ok || !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("the CA key does not belong to the CA certificate")
	}
	return &CA{Cert: cert, Key: key}, nil
}

// ParseCertificate reads the first certificate of a PEM file.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	b, _ := pem.Decode(data)
	if b == nil || b.Type != "CERTIFICATE" {
		return nil, errors.New("not a PEM certificate")
	}
	return x509.ParseCertificate(b.Bytes)
}

// Issue signs a server certificate (one year) for hosts (DNS names or IP addresses) and returns
// the Secret's data: tls.crt (the certificate, then the CA), tls.key, ca.crt.
func (ca *CA) Issue(hosts []string, now time.Time) (map[string][]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial(), Subject: pkix.Name{CommonName: hosts[0]},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.Cert, &key.PublicKey, ca.Key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
	return map[string][]byte{
		"tls.crt": append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), caPEM...),
		"tls.key": pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}),
		"ca.crt":  caPEM,
	}, nil
}

// Covers says whether a Secret's certificate is signed by ca, valid a while longer than now, and
// names every host: install keeps such a Secret and re-issues any other.
func (ca *CA) Covers(secretData map[string][]byte, hosts []string, now time.Time) error {
	cert, err := ParseCertificate(secretData["tls.crt"])
	if err != nil {
		return err
	}
	if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
		return fmt.Errorf("signed by another CA: %w", err)
	}
	if now.Add(30 * 24 * time.Hour).After(cert.NotAfter) {
		return fmt.Errorf("expires %s", cert.NotAfter.Format(time.DateOnly))
	}
	for _, h := range hosts {
		if err := cert.VerifyHostname(h); err != nil {
			return err
		}
	}
	return nil
}

// KBSHosts are the names and addresses a KBS Service is reached at: its cluster DNS names, this
// machine through a port-forward, and the addresses given (ClusterIP, node, load balancer).
func KBSHosts(service, namespace string, addresses ...string) []string {
	hosts := []string{service + "." + namespace + ".svc", service, service + "." + namespace, service + "." + namespace + ".svc.cluster.local", "localhost", "127.0.0.1"}
	for _, a := range addresses {
		if a != "" && !slices.Contains(hosts, a) {
			hosts = append(hosts, a)
		}
	}
	return hosts
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}
