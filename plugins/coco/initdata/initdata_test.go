package initdata

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"flag"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const testPolicy = "# the test's own policy\npackage agent_policy\n\ndefault CreateContainerRequest := true\ndefault ExecProcessRequest := false\n"

// The golden files are this package's output for one input per algorithm, with the digest as
// the last line; testdata/README.md says how the digests were checked outside Go.
func TestGoldenPerAlgorithm(t *testing.T) {
	for _, alg := range Algorithms {
		t.Run(alg, func(t *testing.T) {
			d, err := Build(Options{KBSURL: "http://10.0.0.5:8080", Policy: testPolicy, Algorithm: alg})
			if err != nil {
				t.Fatal(err)
			}
			doc, err := d.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			sum, _ := Digest(alg, doc)
			got := append(append([]byte{}, doc...), []byte("# digest "+hex.EncodeToString(sum)+"\n")...)
			path := filepath.Join("testdata", "initdata-"+alg+".toml")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("differs from %s:\n%s", path, got)
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	for _, alg := range Algorithms {
		d, err := Build(Options{KBSURL: "https://kbs.example.com:8443/", KBSCert: testCert(t), Policy: testPolicy, Algorithm: alg})
		if err != nil {
			t.Fatal(err)
		}
		d.Data["odd.txt"] = "ends with a quote'\r\nand ''' inside\x01"
		doc, err := d.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		ann, err := Encode(doc)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Decode(ann)
		if err != nil || !bytes.Equal(back, doc) {
			t.Fatalf("%s: decode: %v", alg, err)
		}
		parsed, err := Parse(back)
		if err != nil {
			t.Fatalf("%s: %v\n%s", alg, err, back)
		}
		for k, v := range d.Data {
			if parsed.Data[k] != v {
				t.Errorf("%s: %s = %q, want %q", alg, k, parsed.Data[k], v)
			}
		}
		if parsed.Algorithm != alg || parsed.Version != Version || !strings.Contains(parsed.Data[KeyCDH], `url = "https://kbs.example.com:8443"`) {
			t.Errorf("%s: %+v", alg, parsed)
		}
		// The configs inside are TOML the guest components parse.
		for _, k := range []string{KeyAA, KeyCDH} {
			var m map[string]any
			if err := tomlDecode(parsed.Data[k], &m); err != nil {
				t.Errorf("%s: %s is not TOML: %v", alg, k, err)
			}
		}
		sum, _ := Digest(alg, back)
		want := map[string]int{"sha256": 32, "sha384": 48, "sha512": 64}[alg]
		if len(sum) != want {
			t.Errorf("%s digest has %d bytes", alg, len(sum))
		}
	}
}

func TestMeasureCutsAndPads(t *testing.T) {
	d384 := bytes.Repeat([]byte{0xab}, 48)
	m := Measure(d384)
	byTEE := map[string]Measured{}
	for _, x := range m {
		byTEE[x.TEE] = x
	}
	if h := byTEE["snp"].Hex; h != strings.Repeat("ab", 32) {
		t.Errorf("snp HOSTDATA is the first 32 bytes: %s", h)
	}
	if h := byTEE["tdx"].Hex; h != strings.Repeat("ab", 48) {
		t.Errorf("tdx MRCONFIGID is the whole sha384: %s", h)
	}
	if h := byTEE["cca"].Hex; h != strings.Repeat("ab", 48)+strings.Repeat("00", 16) {
		t.Errorf("cca is zero-padded to 64 bytes: %s", h)
	}
	if len(byTEE["se"].Hex) != 512 {
		t.Errorf("se user_data is 256 bytes: %d hex digits", len(byTEE["se"].Hex))
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"no URL and no policy", Options{Algorithm: "sha256"}, "nothing to carry"},
		{"not a URL", Options{KBSURL: "http://[::1", Algorithm: "sha256"}, "does not parse"},
		{"no scheme", Options{KBSURL: "10.0.0.5:8080", Algorithm: "sha256"}, "must start with http:// or https://"},
		{"a path", Options{KBSURL: "http://10.0.0.5:8080/kbs/v0", Algorithm: "sha256"}, "only scheme, host and port"},
		{"no host", Options{KBSURL: "http:///x", Algorithm: "sha256"}, "has no host"},
		{"an algorithm kata refuses", Options{KBSURL: "http://kbs:8080", Algorithm: "sha-384"}, `unsupported algorithm "sha-384"`},
		{"a policy that is not Rego", Options{KBSURL: "http://kbs:8080", Algorithm: "sha256", Policy: "{\"allow\": true}"}, "does not start with a Rego package declaration"},
		{"an empty policy", Options{KBSURL: "http://kbs:8080", Algorithm: "sha256", Policy: "# nothing\n\n"}, "the agent policy is empty"},
		{"binary policy", Options{KBSURL: "http://kbs:8080", Algorithm: "sha256", Policy: "package x\x00"}, "not UTF-8 text"},
		{"a key for a certificate", Options{KBSURL: "https://kbs:8443", Algorithm: "sha256", KBSCert: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, "PRIVATE KEY block"},
		{"not PEM", Options{KBSURL: "https://kbs:8443", Algorithm: "sha256", KBSCert: "hello"}, "is not PEM"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Build(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
		})
	}
	for in, want := range map[string]string{
		"%%%":      "not standard base64",
		"aGVsbG8=": "not gzip data",
		"":         "not gzip data",
	} {
		if _, err := Decode(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Decode(%q): %v, want %q", in, err, want)
		}
	}
	for in, want := range map[string]string{
		"version = \"0.2.0\"\nalgorithm = \"sha256\"\n": "unsupported initdata version",
		"algorithm = \"md5\"\nversion = \"0.1.0\"\n":    `unsupported algorithm "md5"`,
		"version = [": "not valid TOML",
	} {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q): %v, want %q", in, err, want)
		}
	}
}

func TestDecodeIsBounded(t *testing.T) {
	ann, err := Encode(bytes.Repeat([]byte("a"), MaxDecodedBytes+10))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Decode(ann); err == nil || !strings.Contains(err.Error(), "more than 1 MiB") {
		t.Fatalf("%v", err)
	}
}

func FuzzDecodeParse(f *testing.F) {
	d, _ := Build(Options{KBSURL: "http://10.0.0.5:8080", Policy: testPolicy, Algorithm: "sha384"})
	doc, _ := d.Marshal()
	ann, _ := Encode(doc)
	f.Add(ann)
	f.Add(string(doc))
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		if raw, err := Decode(in); err == nil {
			_, _ = Parse(raw) // must not panic
		}
		if parsed, err := Parse([]byte(in)); err == nil {
			// What parses marshals again and parses to the same data.
			out, err := parsed.Marshal()
			if err != nil {
				t.Fatalf("marshal of a parsed document: %v", err)
			}
			again, err := Parse(out)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for k, v := range parsed.Data {
				if again.Data[k] != v {
					t.Fatalf("%q changed: %q -> %q", k, v, again.Data[k])
				}
			}
		}
	})
}

func testCert(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kbs.example.com"},
		NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour), DNSNames: []string{"kbs.example.com"}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// kata-containers' own vector (src/runtime/pkg/oci/utils_test.go at 4.1.0, the initdata case of
// the remote hypervisor annotations): the annotation value, the document it decodes to, and its
// sha256 digest; each TEE's field as govmm's adjustProperLength (qemu.go) fills it, the sha256
// zero-padded to TDX's 48-byte MRCONFIGID and CCA's 64 bytes, SNP's HOSTDATA the digest itself.
func TestKataContainersVector(t *testing.T) {
	const annotation = "H4sIAFlC92cAAytLLSrOzM9TsFVQMtAz1DNQ4krMSc8vyizJyAWJFWckGpmaKXFFpySWJMZyKSUm6pXk5+YoAeXU1dW5QJhLKTklA4toQX5OZnKlXlFqej6yBABS/5JkcQAAAA=="
	const document = "version = \"0.1.0\"\nalgorithm = \"sha256\"\n[data]\n\"aa.toml\" = '''\n'''\n\n\"cdh.toml\" = '''\n'''\n\n\"policy.rego\" = '''\n'''\n"
	const digest = "c6694bb7a29d6f37ec72a15582e004b9f3142159682db8509a304407419a49e5"
	doc, err := Decode(annotation)
	if err != nil || string(doc) != document {
		t.Fatalf("decoded %q %v", doc, err)
	}
	d, err := Digest("sha256", doc)
	if err != nil || hex.EncodeToString(d) != digest {
		t.Fatalf("digest %x %v", d, err)
	}
	fields := map[string]string{}
	for _, m := range Measure(d) {
		fields[m.TEE] = m.Hex
	}
	if fields["snp"] != digest || fields["tdx"] != digest+strings.Repeat("00", 16) || fields["cca"] != digest+strings.Repeat("00", 32) {
		t.Fatalf("fields %v", fields)
	}
}
