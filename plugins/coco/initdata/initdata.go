// Package initdata builds, encodes and measures the initdata document a CoCo pod carries: the
// Attestation Agent's and Confidential Data Hub's configuration and the kata agent policy,
// bound to the TEE's launch evidence by its digest.
//
// It follows Trustee's initdata specification (trustee v0.21.0 kbs/docs/initdata.md) and how
// kata-containers 4.1.0 consumes it: the pod annotation io.katacontainers.config.hypervisor.cc_init_data
// holds the TOML document gzipped then standard-base64 encoded (src/runtime/pkg/oci/utils.go
// addHypervisorInitdataOverrides); the digest is the document's hash with its own algorithm over
// the decompressed bytes, cut or zero-padded to the TEE's field (src/libs/kata-types/src/initdata.rs
// adjust_digest; src/runtime/pkg/govmm/qemu/qemu.go adjustProperLength).
package initdata

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

const (
	// Annotation is the pod annotation kata-containers reads the initdata from (kata-types
	// annotations/mod.rs KATA_ANNO_CFG_HYPERVISOR_INIT_DATA, 3.22.0 to 4.1.0).
	Annotation = "io.katacontainers.config.hypervisor.cc_init_data"
	// Version is the only initdata version kata-types accepts (INITDATA_VERSION).
	Version = "0.1.0"
	// Keys of [data] the guest components read.
	KeyAA     = "aa.toml"
	KeyCDH    = "cdh.toml"
	KeyPolicy = "policy.rego"
	// MaxDecodedBytes bounds what Decode inflates (a pod annotation is far smaller).
	MaxDecodedBytes = 1 << 20
)

// Algorithms are the digest algorithms kata-types accepts (SUPPORTED_ALGORITHMS).
var Algorithms = []string{"sha256", "sha384", "sha512"}

// Document is an initdata document.
type Document struct {
	Version   string            `toml:"version" json:"version"`
	Algorithm string            `toml:"algorithm" json:"algorithm"`
	Data      map[string]string `toml:"data" json:"data"`
}

// Binding is where a TEE carries the digest and how long that field is.
type Binding struct {
	TEE   string `json:"tee"`
	Field string `json:"field"`
	Bytes int    `json:"bytes"`
}

// Bindings are the TEE fields of the specification ("Integrity Binding for Different TEEs") with
// the lengths kata-types' adjust_digest uses.
var Bindings = []Binding{
	{TEE: "snp", Field: "HOSTDATA", Bytes: 32},
	{TEE: "tdx", Field: "MRCONFIGID", Bytes: 48},
	{TEE: "cca", Field: "REALM_PERSONALIZATION_VALUE", Bytes: 64},
	{TEE: "se", Field: "user_data", Bytes: 256},
}

// Check holds a document to what kata-types' validate accepts.
func (d *Document) Check() error {
	if d.Version != Version {
		return fmt.Errorf("unsupported initdata version %q: kata-containers accepts %s", d.Version, Version)
	}
	if !slices.Contains(Algorithms, d.Algorithm) {
		return fmt.Errorf("unsupported algorithm %q: use %s", d.Algorithm, strings.Join(Algorithms, ", "))
	}
	return nil
}

// Marshal writes the document as TOML in the layout of the specification's examples: the
// metadata, then [data] with each value as a multi-line literal string, keys sorted so that
// the same input always gives the same bytes (the digest is over the bytes).
func (d *Document) Marshal() ([]byte, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "version = %q\nalgorithm = %q\n\n[data]\n", d.Version, d.Algorithm)
	keys := make([]string, 0, len(d.Data))
	for k := range d.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s = %s\n", quoteKey(k), multiline(d.Data[k]))
	}
	return b.Bytes(), nil
}

// quoteKey writes a key as a TOML basic string ("aa.toml" would otherwise be a dotted key).
func quoteKey(k string) string { return basic(k) }

// multiline is a multi-line literal string when the value allows one (no ”' and no control
// characters other than tab and newline), else a basic string with escapes.
func multiline(v string) string {
	if !strings.Contains(v, "'''") && !strings.HasSuffix(v, "'") && printable(v) {
		return "'''\n" + v + "'''"
	}
	return basic(v)
}

func printable(s string) bool {
	for _, r := range s {
		if (r < 0x20 && r != '\t' && r != '\n') || r == 0x7f {
			return false
		}
	}
	return true
}

// basic is a TOML basic string: JSON's escapes are TOML's, except that TOML has no \/ and
// needs \u for control characters, which strconv-style %q would write as \x.
func basic(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Parse reads a TOML initdata document as kata-containers does and checks it.
func Parse(doc []byte) (*Document, error) {
	var d Document
	if _, err := toml.Decode(string(doc), &d); err != nil {
		return nil, fmt.Errorf("initdata is not valid TOML: %w", err)
	}
	if err := d.Check(); err != nil {
		return nil, err
	}
	return &d, nil
}

// Encode is the annotation value: gzip, then standard base64.
func Encode(doc []byte) (string, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(doc); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b.Bytes()), nil
}

// Decode is the inverse of Encode, bounded to MaxDecodedBytes.
func Decode(annotation string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(annotation))
	if err != nil {
		return nil, fmt.Errorf("the annotation is not standard base64: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("the annotation is not gzip data: %w", err)
	}
	doc, err := io.ReadAll(io.LimitReader(zr, MaxDecodedBytes+1))
	if err != nil {
		return nil, fmt.Errorf("the annotation does not inflate: %w", err)
	}
	if len(doc) > MaxDecodedBytes {
		return nil, errors.New("the annotation inflates to more than 1 MiB")
	}
	return doc, nil
}

// Digest is the document's hash with its algorithm, over the exact bytes.
func Digest(algorithm string, doc []byte) ([]byte, error) {
	var h hash.Hash
	switch algorithm {
	case "sha256":
		h = sha256.New()
	case "sha384":
		h = sha512.New384()
	case "sha512":
		h = sha512.New()
	default:
		return nil, fmt.Errorf("unsupported algorithm %q: use %s", algorithm, strings.Join(Algorithms, ", "))
	}
	h.Write(doc)
	return h.Sum(nil), nil
}

// Measured is the digest as a TEE carries it.
type Measured struct {
	Binding
	Hex    string `json:"hex"`
	Base64 string `json:"base64"`
}

// Measure fits the digest to every TEE's field: cut at the end when longer, zero-padded when
// shorter (the specification's rule, kata-types' adjust_digest).
func Measure(digest []byte) []Measured {
	out := make([]Measured, 0, len(Bindings))
	for _, b := range Bindings {
		field := make([]byte, b.Bytes)
		copy(field, digest)
		out = append(out, Measured{Binding: b, Hex: hex.EncodeToString(field), Base64: base64.StdEncoding.EncodeToString(field)})
	}
	return out
}

func tomlDecode(s string, v any) error {
	_, err := toml.Decode(s, v)
	return err
}
