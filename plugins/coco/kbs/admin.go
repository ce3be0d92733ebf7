// Package kbs talks to Trustee's Key Broker Service as its administrator: resources, the
// resource and attestation policies, and sample reference values, through the admin API of
// trustee v0.21.0 (kbs/docs/kbs.yaml; kbs/src/api_server.rs; tools/kbs-client/src/lib.rs).
//
// The KBS authenticates the administrator with a bearer JWT (kbs/src/admin/authentication/
// bearer_jwt.rs): verified with the configured public key (EdDSA with the Helm chart's Ed25519
// key), its iss matched against the identity provider's issuer, exp required (jsonwebtoken's
// default validation with the algorithm the token's header names), and a role claim the regex
// ACL allows for the endpoint. Trustee's Helm chart configures issuer "TrusteeInHelm" and role
// "admin" (deployment/helm-chart/values.yaml kbs.config.admin); its kbs-config.toml names no
// audience, so the "KBS" audience the chart's bootstrap token carries is not checked.
package kbs

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Prefix is the KBS API's path prefix.
const Prefix = "/kbs/v0"

// Claims are the admin token's identity; the defaults are the Helm chart's.
type Claims struct {
	Issuer   string
	Audience string
	Role     string
	Subject  string
}

// ChartClaims are Trustee's Helm chart defaults (kbs.config.admin).
var ChartClaims = Claims{Issuer: "TrusteeInHelm", Audience: "KBS", Role: "admin", Subject: "kubectl-coco"}

// TokenLifetime is how long a minted admin token is valid: one command's calls.
const TokenLifetime = 5 * time.Minute

var b64 = base64.RawURLEncoding

// MintToken signs an EdDSA admin JWT with the administrator's private key, in the form the
// chart's bootstrap job writes (header {"alg":"EdDSA","typ":"JWT"}; iss, sub, aud list, role,
// iat, exp).
func MintToken(key ed25519.PrivateKey, c Claims, now time.Time) string {
	header := b64.EncodeToString([]byte(`{"alg":"EdDSA","typ":"JWT"}`))
	payload, _ := json.Marshal(map[string]any{"iss": c.Issuer, "sub": c.Subject, "aud": []string{c.Audience}, "role": c.Role,
		"iat": now.Unix(), "exp": now.Add(TokenLifetime).Unix()})
	input := header + "." + b64.EncodeToString(payload)
	return input + "." + b64.EncodeToString(ed25519.Sign(key, []byte(input)))
}

// ParsePrivateKey reads the administrator's Ed25519 private key (PKCS#8 PEM, as openssl genpkey
// -algorithm ed25519 writes it).
func ParsePrivateKey(data []byte) (ed25519.PrivateKey, error) {
	b, _ := pem.Decode(data)
	if b == nil {
		return nil, errors.New("not a PEM private key")
	}
	k, err := x509.ParsePKCS8PrivateKey(b.Bytes)
	if err != nil {
		return nil, fmt.Errorf("not a PKCS#8 private key: %w", err)
	}
	ed, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("the key is %T: Trustee's chart verifies Ed25519 admin tokens", k)
	}
	return ed, nil
}

// MarshalKeys is the PEM of a key pair: the private key (PKCS#8) and the public key (PKIX), as
// the chart's KBS_ADMIN_PRIVATE_KEY and KBS_ADMIN_PUBKEY hold them.
func MarshalKeys(key ed25519.PrivateKey) (private, public []byte, err error) {
	p8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	pkix, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}), nil
}

// Client calls one KBS's admin API.
type Client struct {
	// URL is the KBS's base URL (scheme, host, port).
	URL  string
	HTTP *http.Client
	// Token returns the bearer token for a call.
	Token func() (string, error)
}

// Error is a refusal or failure of the KBS. The KBS answers 401 for every error but an unknown
// path (404), and says which in its ErrorInformation's type (kbs/src/error.rs): Kind is that
// type's last segment.
type Error struct {
	Status int
	Call   string
	Kind   string
	Detail string
}

// AdminRefused: the token was not accepted (the KBS reports admin failures of plugin calls as
// AdminAuthInitialization, of its own endpoints as AdminAuthAccess).
func (e *Error) AdminRefused() bool {
	return e.Kind == "AdminAuthAccess" || e.Kind == "AdminAuthInitialization"
}

func (e *Error) Error() string {
	switch {
	case e.AdminRefused():
		return fmt.Sprintf("the KBS refused the admin token for %s: the key does not match the KBS's admin public key, or the token's issuer, role or expiry is not accepted%s", e.Call, detail(e.Detail))
	case e.Kind == "PluginInternalError":
		return fmt.Sprintf("the KBS's resource plugin failed on %s (for a delete: the resource may not exist)%s", e.Call, detail(e.Detail))
	case e.Kind == "ParsePolicyError":
		return fmt.Sprintf("the KBS did not accept the policy%s", detail(e.Detail))
	case e.Status == http.StatusNotFound:
		return fmt.Sprintf("%s: the KBS has no such endpoint (404; is the URL a Trustee KBS v0.21?)%s", e.Call, detail(e.Detail))
	}
	return fmt.Sprintf("%s: the KBS answered %d %s%s", e.Call, e.Status, e.Kind, detail(e.Detail))
}

func detail(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return ""
	}
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return ": " + s
}

// kbsError reads the KBS's ErrorInformation ({"type": ".../errors/<Kind>", "detail": ...}).
func kbsError(status int, call string, body []byte) *Error {
	e := &Error{Status: status, Call: call}
	var info struct {
		Type   string `json:"type"`
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &info) == nil && info.Type != "" {
		e.Kind, e.Detail = info.Type[strings.LastIndex(info.Type, "/")+1:], info.Detail
	} else {
		e.Detail = string(body)
	}
	return e
}

// SetResource stores data at repo/type/tag.
func (c *Client) SetResource(ctx context.Context, p Path, data []byte) error {
	return c.call(ctx, http.MethodPost, "/resource/"+p.String(), "application/octet-stream", data, nil)
}

// DeleteResource removes repo/type/tag.
func (c *Client) DeleteResource(ctx context.Context, p Path) error {
	return c.call(ctx, http.MethodDelete, "/resource/"+p.String(), "", nil, nil)
}

// SetResourcePolicy replaces the resource policy (Rego); the body is {"policy": base64url}.
func (c *Client) SetResourcePolicy(ctx context.Context, rego []byte) error {
	body, _ := json.Marshal(map[string]string{"policy": b64.EncodeToString(rego)})
	return c.call(ctx, http.MethodPost, "/resource-policy", "application/json", body, nil)
}

// ResourcePolicyIDs lists the ids of the policies the KBS's policy engine holds: GET
// /resource-policy answers list_policies() (api_server.rs), a JSON array that always holds
// "resource-policy", the default loaded at start. The policy text cannot be read back.
func (c *Client) ResourcePolicyIDs(ctx context.Context) ([]string, error) {
	var raw json.RawMessage
	if err := c.call(ctx, http.MethodGet, "/resource-policy", "", nil, &raw); err != nil {
		return nil, err
	}
	var ids []string
	if err := json.Unmarshal(raw, &ids); err != nil {
		return nil, fmt.Errorf("GET %s/resource-policy: the KBS's answer is not a list of policy ids (Trustee v0.21's shape)%s", Prefix, detail(string(raw)))
	}
	return ids, nil
}

// SetAttestationPolicy sets the attestation service's policy policyID (SetPolicyInput of
// kbs-client: type, policy_id, policy as base64url).
func (c *Client) SetAttestationPolicy(ctx context.Context, policyID string, rego []byte) error {
	body, _ := json.Marshal(map[string]string{"type": "rego", "policy_id": policyID, "policy": b64.EncodeToString(rego)})
	return c.call(ctx, http.MethodPost, "/attestation-policy", "application/json", body, nil)
}

// SetSampleReferenceValue registers string reference values through the RVPS's sample extractor
// (kbs-client set_sample_rv: version 0.1.0, type sample, payload base64 of {key: values}).
func (c *Client) SetSampleReferenceValue(ctx context.Context, key string, values []string) error {
	vals := make([]any, 0, len(values))
	for _, v := range values {
		vals = append(vals, v)
	}
	return c.SetReferenceValues(ctx, key, vals)
}

// SetReferenceValues registers values of any JSON type: the extractor keeps them as given, and a
// policy compares them with claims of the same type (SNP's reported_tcb_* are numbers,
// deps/verifier/src/snp; the sample TEE's svn a string).
func (c *Client) SetReferenceValues(ctx context.Context, key string, vals []any) error {
	prov, _ := json.Marshal(map[string][]any{key: vals})
	body, _ := json.Marshal(map[string]string{"version": "0.1.0", "type": "sample", "payload": base64.StdEncoding.EncodeToString(prov)})
	return c.call(ctx, http.MethodPost, "/reference-value", "application/json", body, nil)
}

// ReferenceValue reads a reference value the RVPS holds (GET /reference-value/<id>, admin);
// found is false when it holds none under id (the KBS answers RvpsError "No reference value
// found").
func (c *Client) ReferenceValue(ctx context.Context, id string) (values []string, found bool, err error) {
	var raw json.RawMessage
	err = c.call(ctx, http.MethodGet, "/reference-value/"+id, "", nil, &raw)
	var ke *Error
	if errors.As(err, &ke) && ke.Kind == "RvpsError" && strings.Contains(ke.Detail, "No reference value found") {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	var list []any
	if err := json.Unmarshal(raw, &list); err != nil {
		return nil, true, fmt.Errorf("reference value %s is not a list: %s", id, detail(string(raw)))
	}
	for _, v := range list {
		values = append(values, strings.Trim(fmt.Sprint(v), `"`))
	}
	return values, true, nil
}

func (c *Client) call(ctx context.Context, method, path, contentType string, body []byte, out *json.RawMessage) error {
	token, err := c.Token()
	if err != nil {
		return err
	}
	u := strings.TrimSuffix(c.URL, "/") + Prefix + path
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return unreachable(c.URL, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return kbsError(resp.StatusCode, method+" "+Prefix+path, data)
	}
	if out != nil {
		*out = data
	}
	return nil
}

// Unreachable is a KBS that did not answer.
type Unreachable struct {
	URL string
	Err error
}

func (e *Unreachable) Error() string {
	return fmt.Sprintf("the KBS at %s does not answer: %v", e.URL, e.Err)
}
func (e *Unreachable) Unwrap() error { return e.Err }

func unreachable(u string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return &Unreachable{URL: u, Err: err}
}
