// Package sealed makes and reads the sealed secrets the Confidential Data Hub unseals in a CoCo
// guest after attestation (guest-components v0.21.0 confidential-data-hub/docs/SEALED_SECRET.md
// and hub/src/secret/mod.rs).
//
// A sealed secret is "sealed." followed by a compact JWS: base64url (no padding) of the
// protected header {"alg":"ES256","kid":...}, of the secret's JSON, and of the ES256 signature
// (P-256, r||s) over the first two. The CDH fetches the verification key named by kid (a KBS
// resource URI) from the KBS, checks the signature, and for a vault secret fetches the resource
// its name points to. Only vault secrets with the kbs provider are made here.
package sealed

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/url"
	"strings"
)

const (
	// Prefix marks a sealed secret; the kata agent hands such env values to the CDH.
	Prefix = "sealed."
	// Version is the sealed secret format version the CDH accepts (secret/mod.rs VERSION).
	Version = "0.1.0"
	// MaxBytes bounds what Parse reads.
	MaxBytes = 64 << 10
)

var b64 = base64.RawURLEncoding // the CDH's URL_SAFE_NO_PAD

// Secret is the JSON payload of a vault sealed secret (secret/layout/vault.rs VaultSecret).
type Secret struct {
	Version          string         `json:"version"`
	Type             string         `json:"type"`
	Name             string         `json:"name"`
	Provider         string         `json:"provider"`
	ProviderSettings map[string]any `json:"provider_settings"`
	Annotations      map[string]any `json:"annotations"`
}

// Header is the JWS protected header the CDH reads (alg, kid).
type Header struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
}

// Vault is a vault secret that points at a KBS resource.
func Vault(resource string) (Secret, error) {
	if err := CheckResourceURI(resource); err != nil {
		return Secret{}, err
	}
	return Secret{Version: Version, Type: "vault", Name: resource, Provider: "kbs",
		ProviderSettings: map[string]any{}, Annotations: map[string]any{}}, nil
}

// CheckResourceURI accepts kbs://[host[:port]]/REPO/TYPE/TAG as the guest's ResourceUri and
// ResourcePluginPath take it (attestation-agent/deps/resource_uri): scheme kbs and three
// non-empty path segments.
func CheckResourceURI(s string) error {
	const form = "a KBS resource is kbs:///REPO/TYPE/TAG (e.g. kbs:///default/db/password)"
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "kbs" || u.Opaque != "" {
		return fmt.Errorf("%q is not a KBS resource URI: %s", s, form)
	}
	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if len(segs) != 3 || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q does not name REPO/TYPE/TAG: %s", s, form)
	}
	for _, seg := range segs {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%q has an empty or relative segment: %s", s, form)
		}
	}
	return nil
}

// Seal signs s with key under kid and returns the sealed secret.
func Seal(s Secret, key *ecdsa.PrivateKey, kid string) (string, error) {
	if key.Curve != elliptic.P256() {
		return "", errors.New("the signing key must be an EC P-256 key (the CDH verifies ES256 only)")
	}
	if err := CheckResourceURI(kid); err != nil {
		return "", fmt.Errorf("the signing key id: %w", err)
	}
	header, err := json.Marshal(Header{Alg: "ES256", Kid: kid})
	if err != nil {
		return "", err
	}
	payload, err := json.Marshal(s)
	if err != nil {
		return "", err
	}
	input := b64.EncodeToString(header) + "." + b64.EncodeToString(payload)
	digest := sha256.Sum256([]byte(input))
	r, sv, err := ecdsa.Sign(rand.Reader, key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64) // JWS ES256 is r||s, 32 bytes each (RFC 7518 3.4), not ASN.1
	r.FillBytes(sig[:32])
	sv.FillBytes(sig[32:])
	return Prefix + input + "." + b64.EncodeToString(sig), nil
}

// Parsed is a sealed secret taken apart.
type Parsed struct {
	Header    Header
	Secret    Secret
	input     string
	signature []byte
}

// Parse takes a sealed secret apart without verifying it.
func Parse(sealed string) (*Parsed, error) {
	if len(sealed) > MaxBytes {
		return nil, fmt.Errorf("a sealed secret is at most %d bytes", MaxBytes)
	}
	rest, ok := strings.CutPrefix(strings.TrimSpace(sealed), Prefix)
	if !ok {
		return nil, errors.New("not a sealed secret: it does not start with \"sealed.\"")
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("a sealed secret has three dot-separated parts after \"sealed.\", not %d", len(parts))
	}
	p := &Parsed{input: parts[0] + "." + parts[1]}
	if err := decodeJSON(parts[0], &p.Header); err != nil {
		return nil, fmt.Errorf("its header: %w", err)
	}
	if err := decodeJSON(parts[1], &p.Secret); err != nil {
		return nil, fmt.Errorf("its payload: %w", err)
	}
	sig, err := b64.DecodeString(parts[2])
	if err != nil {
		return nil, fmt.Errorf("its signature is not base64url: %w", err)
	}
	p.signature = sig
	return p, p.check()
}

func decodeJSON(part string, v any) error {
	raw, err := b64.DecodeString(part)
	if err != nil {
		return fmt.Errorf("not base64url: %w", err)
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return nil
}

// check holds the parts to what the CDH accepts.
func (p *Parsed) check() error {
	switch {
	case p.Header.Alg != "ES256":
		return fmt.Errorf("its algorithm is %q: the CDH verifies ES256 only", p.Header.Alg)
	case p.Header.Kid == "":
		return errors.New("its header has no kid: the CDH cannot find the verification key")
	case p.Secret.Version != Version:
		return fmt.Errorf("its version is %q: the CDH accepts %s", p.Secret.Version, Version)
	case p.Secret.Type != "vault" && p.Secret.Type != "envelope":
		return fmt.Errorf("its type is %q: vault or envelope", p.Secret.Type)
	}
	return nil
}

// Verify checks the ES256 signature with pub.
func (p *Parsed) Verify(pub *ecdsa.PublicKey) error {
	if len(p.signature) != 64 {
		return fmt.Errorf("an ES256 signature has 64 bytes, not %d", len(p.signature))
	}
	digest := sha256.Sum256([]byte(p.input))
	r, s := new(big.Int).SetBytes(p.signature[:32]), new(big.Int).SetBytes(p.signature[32:])
	if !ecdsa.Verify(pub, digest[:], r, s) { // JWS ES256 is r||s, not ASN.1
		return errors.New("the signature does not verify with this key")
	}
	return nil
}
