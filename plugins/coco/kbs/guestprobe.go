package kbs

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
)

// ProbeResource is the resource the untrusted-guest probe asks for: one nobody provisions, so a
// KBS whose policy lets the request through answers "plugin error" (no such resource) rather than
// handing out a secret.
const ProbeResource = "kubectl-coco/probe/absent"

// GuestVerdict is what a KBS did with a guest that proves nothing.
type GuestVerdict string

const (
	// GuestRefused: the resource policy refused the guest (PolicyDeny).
	GuestRefused GuestVerdict = "refused"
	// GuestReleased: the policy let the guest through to the resource plugin.
	GuestReleased GuestVerdict = "released"
)

// ProbeUntrustedGuest plays a guest without a TEE: the sample TEE of Trustee's verifiers, whose
// evidence any host can make (deps/verifier/src/sample: only report_data is checked). It attests
// over RCAR 0.4.0 as the guest's KBS client does (rcar_client.rs: the report data is the sha384
// of the canonical JSON of tee-pubkey, nonce and additional-evidence; an EC P-256 TEE key,
// keypair.rs's default) and asks for ProbeResource. A KBS that lets such a guest reach its
// resources releases them to anyone.
func ProbeUntrustedGuest(ctx context.Context, hc *http.Client, url string) (GuestVerdict, error) {
	c := *hc
	c.Jar, _ = cookiejar.New(nil)
	status, body, err := post(ctx, &c, url, "/auth", AuthRequest)
	if err != nil {
		return "", err
	}
	if err := CheckChallenge(status, body); err != nil {
		return "", err
	}
	var ch Challenge
	_ = json.Unmarshal(body, &ch)
	attestation, err := sampleAttestation(ch.Nonce, selectedHash(ch.ExtraParams))
	if err != nil {
		return "", err
	}
	if status, body, err = post(ctx, &c, url, "/attest", attestation); err != nil {
		return "", err
	}
	if status != http.StatusOK {
		return "", fmt.Errorf("the KBS did not attest the sample TEE (its attestation service may not verify it): %w", kbsError(status, "POST "+Prefix+"/attest", body))
	}
	return askResource(ctx, &c, url)
}

func askResource(ctx context.Context, hc *http.Client, url string) (GuestVerdict, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(url, "/")+Prefix+"/resource/"+ProbeResource, nil)
	if err != nil {
		return "", err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return "", unreachable(url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusOK {
		return GuestReleased, nil
	}
	// The KBS verifies the token, evaluates the resource policy, then asks the plugin
	// (api_server.rs): PolicyDeny comes before the plugin is asked.
	switch e := kbsError(resp.StatusCode, "GET "+Prefix+"/resource/"+ProbeResource, body); e.Kind {
	case "PolicyDeny":
		return GuestRefused, nil
	case "PluginInternalError":
		return GuestReleased, nil
	default:
		return "", e
	}
}

// selectedHash is the challenge's selected-hash-algorithm, sha384 when it names none (the
// guest's get_hash_algorithm, rcar_client.rs: DEFAULT_HASH_ALGORITHM).
func selectedHash(extra json.RawMessage) func([]byte) []byte {
	var p map[string]any
	_ = json.Unmarshal(extra, &p)
	switch strings.ToLower(fmt.Sprint(p["selected-hash-algorithm"])) {
	case "sha256":
		return func(b []byte) []byte { d := sha256.Sum256(b); return d[:] }
	case "sha512":
		return func(b []byte) []byte { d := sha512.Sum512(b); return d[:] }
	}
	return func(b []byte) []byte { d := sha512.Sum384(b); return d[:] }
}

// sampleAttestation is the Attestation message of a sample guest for nonce.
func sampleAttestation(nonce string, hash func([]byte) []byte) (string, error) {
	key, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	pub := key.PublicKey().Bytes() // 0x04 || X || Y
	teePubKey := map[string]any{"kty": "EC", "crv": "P-256", "alg": "ECDH-ES+A256KW",
		"x": b64.EncodeToString(pub[1:33]), "y": b64.EncodeToString(pub[33:])}
	canon, err := canonicalJSON(map[string]any{"tee-pubkey": teePubKey, "nonce": nonce, "additional-evidence": ""})
	if err != nil {
		return "", err
	}
	digest := hash(canon)
	return mustJSON(map[string]any{
		"runtime-data": map[string]any{"nonce": nonce, "tee-pubkey": teePubKey},
		"tee-evidence": map[string]any{
			"primary_evidence":    map[string]string{"svn": "1", "report_data": base64.StdEncoding.EncodeToString(digest)},
			"additional_evidence": "",
		},
	}), nil
}

// canonicalJSON is RFC 8785 JSON (serde_json_canonicalizer, as the guest and the attestation
// service use) for what runtime data holds here: objects of ASCII strings, whose canonical form
// is sorted keys, no whitespace, no HTML escaping.
func canonicalJSON(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
