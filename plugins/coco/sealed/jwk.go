package sealed

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
)

// JWK is an EC P-256 key as the CDH reads its verification key (jose_jwk; SEALED_SECRET.md
// shows kty, crv, x, y, d, use, kid, alg). D is empty in the public half.
type JWK struct {
	Kty string `json:"kty"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	D   string `json:"d,omitempty"`
	Use string `json:"use,omitempty"`
	Kid string `json:"kid,omitempty"`
	Alg string `json:"alg,omitempty"`
}

// NewKey makes a P-256 signing key.
func NewKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

// PublicJWK is the key's public half: what is put into the KBS at the kid resource.
func PublicJWK(pub *ecdsa.PublicKey, kid string) (JWK, error) {
	point, err := pub.Bytes() // 0x04 || X || Y
	if err != nil || len(point) != 65 {
		return JWK{}, errors.New("the key is not an EC P-256 key")
	}
	return JWK{Kty: "EC", Crv: "P-256", X: b64.EncodeToString(point[1:33]), Y: b64.EncodeToString(point[33:]), Use: "sig", Kid: kid, Alg: "ES256"}, nil
}

// PrivateJWK is the whole key, for the user's 0600 key file.
func PrivateJWK(key *ecdsa.PrivateKey, kid string) (JWK, error) {
	j, err := PublicJWK(&key.PublicKey, kid)
	if err != nil {
		return JWK{}, err
	}
	d, err := key.Bytes()
	if err != nil {
		return JWK{}, err
	}
	j.D = b64.EncodeToString(d)
	return j, nil
}

// ParsePrivateJWK reads a P-256 private key in JWK form and checks that d matches x and y.
func ParsePrivateJWK(data []byte) (*ecdsa.PrivateKey, error) {
	var j JWK
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("not a JWK (JSON): %w", err)
	}
	if j.Kty != "EC" || j.Crv != "P-256" {
		return nil, fmt.Errorf("the key is %s/%s: the CDH verifies EC P-256 keys only", j.Kty, j.Crv)
	}
	if j.D == "" {
		return nil, errors.New("the key has no private part (d): sealing needs the private key")
	}
	var parts [3][]byte
	for i, s := range []string{j.X, j.Y, j.D} {
		b, err := b64.DecodeString(s)
		if err != nil || len(b) != 32 {
			return nil, errors.New("the key's x, y and d must be 32 bytes each, base64url")
		}
		parts[i] = b
	}
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), parts[2])
	if err != nil {
		return nil, fmt.Errorf("the key's d: %w", err)
	}
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, parts[0]...), parts[1]...))
	if err != nil {
		return nil, fmt.Errorf("the key's x and y: %w", err)
	}
	if !key.PublicKey.Equal(pub) {
		return nil, errors.New("the key's d does not match its x and y")
	}
	return key, nil
}

// ParsePublicJWK reads the public half (as put into the KBS).
func ParsePublicJWK(data []byte) (*ecdsa.PublicKey, error) {
	var j JWK
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("not a JWK (JSON): %w", err)
	}
	x, errX := b64.DecodeString(j.X)
	y, errY := b64.DecodeString(j.Y)
	if j.Kty != "EC" || j.Crv != "P-256" || errX != nil || errY != nil || len(x) != 32 || len(y) != 32 {
		return nil, errors.New("not an EC P-256 public JWK")
	}
	return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
}
