package sealed

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
)

func TestSealParseVerify(t *testing.T) {
	key, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Vault("kbs:///default/db/password")
	if err != nil {
		t.Fatal(err)
	}
	sealedText, err := Seal(s, key, "kbs:///default/sealing-key/public")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(sealedText, "sealed.") || strings.Count(sealedText, ".") != 3 || strings.ContainsAny(sealedText, "+/=") {
		t.Fatalf("not sealed.<b64url>.<b64url>.<b64url>: %s", sealedText)
	}
	p, err := Parse(sealedText)
	if err != nil {
		t.Fatal(err)
	}
	if p.Header != (Header{Alg: "ES256", Kid: "kbs:///default/sealing-key/public"}) || p.Secret.Name != "kbs:///default/db/password" ||
		p.Secret.Provider != "kbs" || p.Secret.Type != "vault" || len(p.signature) != 64 {
		t.Fatalf("%+v", p)
	}
	if err := p.Verify(&key.PublicKey); err != nil {
		t.Fatal(err)
	}
	other, _ := NewKey()
	if err := p.Verify(&other.PublicKey); err == nil {
		t.Fatal("verified with another key")
	}
	// The payload is the CDH's VaultSecret JSON, with its fields.
	var m map[string]any
	raw, _ := b64.DecodeString(strings.Split(sealedText, ".")[2])
	if err := json.Unmarshal(raw, &m); err != nil || len(m) != 6 || m["version"] != "0.1.0" || m["provider_settings"] == nil || m["annotations"] == nil {
		t.Fatalf("payload %s", raw)
	}
	// A changed payload no longer verifies.
	parts := strings.Split(sealedText, ".")
	s.Name = "kbs:///default/db/other"
	forged, _ := json.Marshal(s)
	parts[2] = b64.EncodeToString(forged)
	if p2, err := Parse(strings.Join(parts, ".")); err != nil || p2.Verify(&key.PublicKey) == nil {
		t.Fatalf("a forged payload verified (or did not parse: %v)", err)
	}
}

func TestJWKRoundTrip(t *testing.T) {
	key, _ := NewKey()
	priv, err := PrivateJWK(key, "kbs:///default/sealing-key/public")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(priv)
	back, err := ParsePrivateJWK(data)
	if err != nil || !back.Equal(key) {
		t.Fatalf("%v", err)
	}
	pub, _ := PublicJWK(&key.PublicKey, "k")
	if pub.D != "" {
		t.Fatal("the public JWK carries d")
	}
	pubData, _ := json.Marshal(pub)
	if p, err := ParsePublicJWK(pubData); err != nil || !p.Equal(&key.PublicKey) {
		t.Fatalf("%v", err)
	}
	if _, err := ParsePrivateJWK(pubData); err == nil || !strings.Contains(err.Error(), "no private part") {
		t.Fatalf("public JWK as private: %v", err)
	}
	other, _ := NewKey()
	mixed := priv
	od, _ := PrivateJWK(other, "")
	mixed.D = od.D
	data, _ = json.Marshal(mixed)
	if _, err := ParsePrivateJWK(data); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("mismatched d: %v", err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Seal(Secret{}, p384, "kbs:///a/b/c"); err == nil || !strings.Contains(err.Error(), "P-256") {
		t.Fatalf("sealed with a P-384 key: %v", err)
	}
}

func TestResourceURIs(t *testing.T) {
	for _, ok := range []string{"kbs:///default/db/password", "kbs://kbs.example.com:8080/default/key/1"} {
		if err := CheckResourceURI(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for bad, want := range map[string]string{
		"default/db/password":            "not a KBS resource URI",
		"https://kbs/default/db/pw":      "not a KBS resource URI",
		"kbs:///default/db":              "does not name REPO/TYPE/TAG",
		"kbs:///default/db/pw/extra":     "does not name REPO/TYPE/TAG",
		"kbs:///default//pw":             "empty or relative segment",
		"kbs:///default/../pw":           "empty or relative segment",
		"kbs:///default/db/pw?version=1": "does not name REPO/TYPE/TAG",
	} {
		if err := CheckResourceURI(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", bad, err, want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	h := b64.EncodeToString([]byte(`{"alg":"ES256","kid":"kbs:///a/b/c"}`))
	pl := b64.EncodeToString([]byte(`{"version":"0.1.0","type":"vault","name":"kbs:///a/b/c","provider":"kbs","provider_settings":{},"annotations":{}}`))
	for in, want := range map[string]string{
		"hello":      `does not start with "sealed."`,
		"sealed.a.b": "three dot-separated parts",
		"sealed.fakejwsheader." + pl + ".fakesignature": "its header: not base64url",
		"sealed." + h + ".%%%.sig":                      "its payload: not base64url",
		"sealed." + b64.EncodeToString([]byte(`{"alg":"HS256","kid":"k"}`)) + "." + pl + ".c2ln":         `its algorithm is "HS256"`,
		"sealed." + b64.EncodeToString([]byte(`{"alg":"ES256"}`)) + "." + pl + ".c2ln":                   "no kid",
		"sealed." + h + "." + b64.EncodeToString([]byte(`{"version":"0.2.0","type":"vault"}`)) + ".c2ln": `its version is "0.2.0"`,
		"sealed." + strings.Repeat("a", MaxBytes):                                                        "at most",
	} {
		if _, err := Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%.40q): %v, want %q", in, err, want)
		}
	}
	p, err := Parse("sealed." + h + "." + pl + ".c2ln")
	if err != nil {
		t.Fatal(err)
	}
	key, _ := NewKey()
	if err := p.Verify(&key.PublicKey); err == nil || !strings.Contains(err.Error(), "64 bytes") {
		t.Fatalf("short signature: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	key, _ := NewKey()
	s, _ := Vault("kbs:///default/db/password")
	good, _ := Seal(s, key, "kbs:///default/sealing-key/public")
	f.Add(good)
	f.Add("sealed.a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Parse(in)
		if err != nil {
			return
		}
		_ = p.Verify(&key.PublicKey) // must not panic
		if p.Header.Alg != "ES256" || p.Header.Kid == "" || p.Secret.Version != Version {
			t.Fatalf("Parse accepted %+v", p)
		}
	})
}
