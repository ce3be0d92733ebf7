package kbs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// ProtocolVersion is the RCAR protocol version kubectl coco speaks: the one Trustee's KBS accepts
// from v0.14 to v0.21 (kbs/src/attestation/backend.rs: VERSION_REQ is "=0.4.0") and the guest's
// KBS client sends (guest-components v0.21 kbs_protocol/src/client/mod.rs KBS_PROTOCOL_VERSION).
// The protocol document in Trustee's repository (kbs_attestation_protocol.md) still shows 0.1.x:
// the code is what a KBS enforces.
const ProtocolVersion = "0.4.0"

// SupportedTrustee names the Trustee releases whose KBS speaks ProtocolVersion.
const SupportedTrustee = "Trustee v0.14 to v0.21"

// AuthRequest is the RCAR Request a probe sends to /kbs/v0/auth, shaped as the guest's
// build_request makes it (rcar_client.rs): the protocol version, the TEE, and the hash
// algorithms the client supports in extra-params. The probe names the sample TEE: a KBS answers
// any TEE's Request with a Challenge, so a challenge proves the protocol endpoint answers, not
// that a TEE would pass.
var AuthRequest = mustJSON(map[string]any{"version": ProtocolVersion, "tee": "sample",
	"extra-params": map[string]any{"supported-hash-algorithms": []string{"sha256", "sha384", "sha512"}}})

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Challenge is the KBS's answer to a Request (kbs-types Challenge: nonce, extra-params).
type Challenge struct {
	Nonce       string          `json:"nonce"`
	ExtraParams json.RawMessage `json:"extra-params"`
}

// ProtocolMismatch is a KBS that refused the Request's protocol version: Trustee's KBS answers
// 401 AttestationError "KBS Client Protocol Version Mismatch: expect =X while the request is Y"
// (backend.rs __auth).
type ProtocolMismatch struct {
	Expect string // the KBS's version requirement, e.g. "=0.4.0"
	Sent   string
}

func (e *ProtocolMismatch) Error() string {
	return fmt.Sprintf("the KBS refuses RCAR protocol %s (it expects %s): kubectl coco and the guests of CoCo's current releases speak %s, as %s do; "+
		"this KBS is of another Trustee release", e.Sent, e.Expect, ProtocolVersion, SupportedTrustee)
}

var mismatch = regexp.MustCompile(`Version Mismatch: expect (\S+) while the request is (\S+)`)

// CheckChallenge reads a /kbs/v0/auth answer: a Challenge has a nonce and extra-params; a 401
// AttestationError naming a version mismatch is a ProtocolMismatch.
func CheckChallenge(status int, body []byte) error {
	if status != http.StatusOK {
		e := kbsError(status, "POST "+Prefix+"/auth", body)
		if m := mismatch.FindStringSubmatch(e.Detail); e.Kind == "AttestationError" && m != nil {
			return &ProtocolMismatch{Expect: m[1], Sent: m[2]}
		}
		return e
	}
	var ch Challenge
	if err := json.Unmarshal(body, &ch); err != nil || ch.Nonce == "" || ch.ExtraParams == nil {
		return fmt.Errorf("the answer to /kbs/v0/auth is not a KBS challenge (a nonce and extra-params)%s", detail(string(body)))
	}
	return nil
}

// Probe sends the sample Request to the KBS at url and checks the Challenge.
func Probe(ctx context.Context, hc *http.Client, url string) error {
	status, body, err := post(ctx, hc, url, "/auth", AuthRequest)
	if err != nil {
		return err
	}
	return CheckChallenge(status, body)
}

func post(ctx context.Context, hc *http.Client, url, path, body string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(url, "/")+Prefix+path, strings.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, unreachable(url, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return resp.StatusCode, data, nil
}
