package trusteechart

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"time"

	"github.com/osc-coco/kubectl-plugins/plugins/coco/kbs"
)

// SecretData is the user-keys Secret for an administrator: the admin public key the KBS
// verifies tokens with, and the attestation service's token signing key with its certificate
// chain (leaf, then CA), made the way the chart's bootstrap job makes them (an EC P-256 token
// key, a certificate for it with SAN localhost, signed by a CA of its own). The admin's private
// key does not go into the cluster: KBS_ADMIN_PRIVATE_KEY is empty (the chart mounts the key as
// a file, but the KBS reads only public.pub, kbs-config.toml.template).
func SecretData(admin ed25519.PrivateKey, now time.Time) (map[string][]byte, error) {
	_, pub, err := kbs.MarshalKeys(admin)
	if err != nil {
		return nil, err
	}
	tokenKey, chain, err := tokenCertificate(now)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"KBS_ADMIN_PRIVATE_KEY": {}, "KBS_ADMIN_PUBKEY": pub,
		"AS_TOKEN_SIGNING_PRIVATE_KEY": tokenKey, "AS_TOKEN_VERIFICATION_PUBLIC_KEY_CERT_CHAIN": chain}, nil
}

func tokenCertificate(now time.Time) (keyPEM, chainPEM []byte, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{Organization: []string{"CNCF"}, OrganizationalUnit: []string{"CoCo"}, CommonName: "trustee-root"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{Organization: []string{"CNCF"}, OrganizationalUnit: []string{"CoCo"}, CommonName: "CoCo-AS"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(10, 0, 0), DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, err
	}
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	chainPEM = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leafDER}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), chainPEM, nil
}
