package initdata

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// CDHSocket is where the kata agent reaches the Confidential Data Hub (guest-components
// v0.21.0 confidential-data-hub/example.config.toml).
const CDHSocket = "unix:///run/confidential-containers/cdh.sock"

// Options are what the guest components need to find the KBS, and the agent policy.
type Options struct {
	// KBSURL is the KBS as the guest reaches it.
	KBSURL string
	// KBSCert is the PEM certificate of an https KBS ("" for http).
	KBSCert string
	// Policy is the kata agent policy (Rego); "" keeps the guest image's default policy.
	Policy    string
	Algorithm string
}

// Build makes the document: aa.toml and cdh.toml point the Attestation Agent and the
// Confidential Data Hub at the KBS (the keys of guest-components v0.21.0's
// attestation-agent/config.example.toml and confidential-data-hub/example.config.toml), and
// policy.rego carries the agent policy. Without a KBS the document carries the policy alone.
func Build(o Options) (*Document, error) {
	if o.KBSURL == "" && o.Policy == "" {
		return nil, errors.New("nothing to carry: give a KBS URL or an agent policy")
	}
	if o.KBSURL != "" {
		if err := CheckKBSURL(o.KBSURL); err != nil {
			return nil, err
		}
	}
	if o.KBSCert != "" {
		if err := CheckCertificate(o.KBSCert); err != nil {
			return nil, err
		}
	}
	if o.Policy != "" {
		if err := CheckPolicy(o.Policy); err != nil {
			return nil, err
		}
	}
	d := &Document{Version: Version, Algorithm: o.Algorithm, Data: map[string]string{}}
	if u := strings.TrimSuffix(o.KBSURL, "/"); u != "" {
		d.Data[KeyAA], d.Data[KeyCDH] = aaConfig(u, o.KBSCert), cdhConfig(u, o.KBSCert)
	}
	if o.Policy != "" {
		d.Data[KeyPolicy] = o.Policy
	}
	return d, d.Check()
}

func aaConfig(kbs, cert string) string {
	s := "[token_configs]\n[token_configs.coco_as]\nurl = " + basic(kbs) + "\n\n[token_configs.kbs]\nurl = " + basic(kbs) + "\n"
	if cert != "" {
		s += "cert = " + basic(cert) + "\n"
	}
	return s
}

func cdhConfig(kbs, cert string) string {
	s := "socket = " + basic(CDHSocket) + "\ncredentials = []\n\n[kbc]\nname = \"cc_kbc\"\nurl = " + basic(kbs) + "\n"
	if cert != "" {
		s += "kbs_cert = " + basic(cert) + "\n"
	}
	return s
}

// CheckKBSURL accepts an http(s) URL with a host and no path, query or fragment: the guest
// components append the protocol's paths (/kbs/v0/...) themselves.
func CheckKBSURL(s string) error {
	if s == "" {
		return errors.New("the KBS URL is empty")
	}
	if !strings.Contains(s, "://") {
		return fmt.Errorf("the KBS URL %q must start with http:// or https://", s)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("the KBS URL %q does not parse: %v", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return fmt.Errorf("the KBS URL %q must start with http:// or https://", s)
	case u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("the KBS URL %q has no host", s)
	case strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Errorf("the KBS URL %q must be only scheme, host and port (e.g. http://10.0.0.5:8080)", s)
	}
	return nil
}

// CheckCertificate accepts PEM text of one or more certificates and nothing else.
func CheckCertificate(s string) error {
	rest, n := []byte(s), 0
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			return fmt.Errorf("the KBS certificate file has a %s block: give the server's certificate, not a key", b.Type)
		}
		if _, err := x509.ParseCertificate(b.Bytes); err != nil {
			return fmt.Errorf("the KBS certificate does not parse: %v", err)
		}
		n++
	}
	if n == 0 || strings.TrimSpace(string(rest)) != "" {
		return errors.New("the KBS certificate is not PEM (-----BEGIN CERTIFICATE-----)")
	}
	return nil
}

// CheckPolicy accepts text shaped like a Rego module: UTF-8, and its first statement is a
// package declaration (the kata agent evaluates package agent_policy). It does not evaluate
// the policy; the agent does.
func CheckPolicy(s string) error {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return errors.New("the agent policy is not UTF-8 text")
	}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "package" {
			return nil
		}
		return fmt.Errorf("the agent policy does not start with a Rego package declaration (package agent_policy), but with %q", truncate(line, 40))
	}
	return errors.New("the agent policy is empty")
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
