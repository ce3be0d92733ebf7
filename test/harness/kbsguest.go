package harness

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// KBSGuest is a test helper that plays a guest's KBS client as guest-components v0.21's
// kbs_protocol does it (client/rcar_client.rs rcar_handshake and get_resource; keypair.rs), with
// the sample attester (attester/src/sample: {svn, report_data}): a Request of protocol 0.4.0
// with the supported hash algorithms, an Attestation whose report data is the sha384 of the
// canonical JSON of tee-pubkey, nonce and additional-evidence (get_composite_evidence), the
// initdata TOML when it has one, and resources decrypted from their JWE with go-jose.
type KBSGuest struct {
	URL      string
	Version  string // the protocol version it sends (default 0.4.0)
	InitData string // the initdata document it was started with ("" for none)
	// Evidence makes the primary evidence for the report data (default: the sample attester's).
	Evidence func(reportData []byte) any
	// Tee is the TEE it names in its Request (default "sample").
	Tee string

	http *http.Client
	ec   *ecdsa.PrivateKey
	rsa  *rsa.PrivateKey
}

// NewKBSGuest makes a guest with an EC P-256 TEE key, the guest's default
// (TeeKeyAlgorithm::EcdhEsA256KwP256).
func NewKBSGuest(url string) *KBSGuest {
	jar, _ := cookiejar.New(nil)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return &KBSGuest{URL: url, Version: KBSProtocolVersion, Tee: "sample", http: &http.Client{Jar: jar, Timeout: 10 * time.Second}, ec: key}
}

// NewKBSGuestRSA makes a guest with an RSA TEE key (TeeKeyAlgorithm::RsaOaep256).
func NewKBSGuestRSA(url string) *KBSGuest {
	g := NewKBSGuest(url)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	g.ec, g.rsa = nil, key
	return g
}

// TeePubKey is the guest's export_pubkey: {kty, crv, alg, x, y} or {kty, alg, n, e}.
func (g *KBSGuest) TeePubKey() map[string]any {
	if g.rsa != nil {
		return map[string]any{"kty": "RSA", "alg": "RSA-OAEP-256", "n": kbsB64.EncodeToString(g.rsa.N.Bytes()),
			"e": kbsB64.EncodeToString(big.NewInt(int64(g.rsa.E)).Bytes())}
	}
	pt, _ := g.ec.PublicKey.Bytes() // 0x04 || X || Y
	return map[string]any{"kty": "EC", "crv": "P-256", "alg": "ECDH-ES+A256KW", "x": kbsB64.EncodeToString(pt[1:33]), "y": kbsB64.EncodeToString(pt[33:])}
}

// Post sends body to /kbs/v0/<path>.
func (g *KBSGuest) Post(path string, body any) (int, []byte, error) {
	data, _ := json.Marshal(body)
	resp, err := g.http.Post(strings.TrimSuffix(g.URL, "/")+"/kbs/v0/"+path, "application/json", strings.NewReader(string(data)))
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, nil
}

// Challenge sends the Request and returns the nonce.
func (g *KBSGuest) Challenge() (string, error) {
	status, body, err := g.Post("auth", map[string]any{"version": g.Version, "tee": g.Tee,
		"extra-params": map[string]any{"supported-hash-algorithms": []string{"sha256", "sha384", "sha512", "sm3"}}})
	if err != nil {
		return "", err
	}
	var ch struct {
		Nonce string `json:"nonce"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &ch) != nil || ch.Nonce == "" {
		return "", fmt.Errorf("auth: %d %s", status, body)
	}
	return ch.Nonce, nil
}

// Attest runs the RCAR handshake; bind says how the report data is made from the runtime data
// (BindRuntimeData for the guest's own way).
func (g *KBSGuest) Attest(bind func(runtime map[string]any) ([]byte, error)) (int, []byte, error) {
	nonce, err := g.Challenge()
	if err != nil {
		return 0, nil, err
	}
	reportData, err := bind(map[string]any{"tee-pubkey": g.TeePubKey(), "nonce": nonce, "additional-evidence": ""})
	if err != nil {
		return 0, nil, err
	}
	evidence := any(map[string]string{"svn": "1", "report_data": base64.StdEncoding.EncodeToString(reportData)})
	if g.Evidence != nil {
		evidence = g.Evidence(reportData)
	}
	att := map[string]any{"runtime-data": map[string]any{"nonce": nonce, "tee-pubkey": g.TeePubKey()},
		"tee-evidence": map[string]any{"primary_evidence": evidence, "additional_evidence": ""}}
	if g.InitData != "" {
		att["init-data"] = map[string]string{"format": "toml", "body": g.InitData}
	}
	return g.Post("attest", att)
}

// BindRuntimeData is get_composite_evidence's binding: sha384 of the canonical JSON of
// {tee-pubkey, nonce, additional-evidence}.
func BindRuntimeData(runtime map[string]any) ([]byte, error) {
	canon, err := CanonicalJSON(runtime)
	if err != nil {
		return nil, err
	}
	d := sha512.Sum384(canon)
	return d[:], nil
}

// Get asks for a resource (REPO/TYPE/TAG) with the session.
func (g *KBSGuest) Get(path string) (int, []byte, error) {
	resp, err := g.http.Get(strings.TrimSuffix(g.URL, "/") + "/kbs/v0/resource/" + path)
	if err != nil {
		return 0, nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out, nil
}

// Fetch gets a resource and decrypts its JWE with the TEE key (go-jose, as josekit does in
// trustee's jwe.rs tests).
func (g *KBSGuest) Fetch(path string) ([]byte, error) {
	status, body, err := g.Get(path)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("get %s: %d %s", path, status, body)
	}
	return DecryptKBSResponse(body, g.privateKey())
}

func (g *KBSGuest) privateKey() any {
	if g.rsa != nil {
		return g.rsa
	}
	return g.ec
}

// DecryptKBSResponse opens a KBS Response (flattened JWE JSON) with key.
func DecryptKBSResponse(body []byte, key any) ([]byte, error) {
	obj, err := jose.ParseEncryptedJSON(string(body), []jose.KeyAlgorithm{jose.RSA_OAEP_256, jose.RSA1_5, jose.ECDH_ES_A256KW},
		[]jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		return nil, fmt.Errorf("not a JWE: %w", err)
	}
	return obj.Decrypt(key)
}
