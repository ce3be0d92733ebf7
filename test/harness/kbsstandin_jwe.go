package harness

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	josecipher "github.com/go-jose/go-jose/v4/cipher"
)

// kbsJWE encrypts a resource to the TEE key as trustee v0.21.0's kbs/src/jwe.rs jwe() does: a
// random A256GCM content key, wrapped with RSA1_5, RSA-OAEP-256 (RSA keys) or ECDH-ES+A256KW
// (EC keys on P-256 and P-521: an ephemeral key, the Concat KDF of jwe.rs concat_kdf, AES key
// wrap), the protected header {"alg","enc"[,"epk"]} serialised as kbs-types' ProtectedHeader
// (alg, enc, then the other fields with sorted keys), the AAD its base64url, and the flattened
// JSON serialisation of kbs-types' Response. Anything else is "not supported" (a JweError).
func kbsJWE(pub kbsTeePubKey, plain []byte) (map[string]string, error) {
	cek := make([]byte, 32)
	_, _ = rand.Read(cek)
	var header string
	var wrapped []byte
	var err error
	switch {
	case pub.Kty == "RSA" && (pub.Alg == "RSA-OAEP-256" || pub.Alg == "RSA1_5"):
		header = protectedHeader(pub.Alg, "A256GCM", nil)
		wrapped, err = rsaWrap(pub, cek)
	case pub.Kty == "EC" && pub.Alg == "ECDH-ES+A256KW" && (pub.Crv == "P-256" || pub.Crv == "P-521"):
		header, wrapped, err = ecdhWrap(pub, cek)
	default:
		return nil, fmt.Errorf("algorithm %s/%s/%s is not supported", pub.Kty, pub.Crv, pub.Alg)
	}
	if err != nil {
		return nil, err
	}
	protected := kbsB64.EncodeToString([]byte(header))
	iv := make([]byte, 12)
	_, _ = rand.Read(iv)
	block, _ := aes.NewCipher(cek)
	gcm, _ := cipher.NewGCM(block)
	sealed := gcm.Seal(nil, iv, plain, []byte(protected))
	ct, tag := sealed[:len(sealed)-gcm.Overhead()], sealed[len(sealed)-gcm.Overhead():]
	return map[string]string{"protected": protected, "encrypted_key": kbsB64.EncodeToString(wrapped), "iv": kbsB64.EncodeToString(iv),
		"ciphertext": kbsB64.EncodeToString(ct), "tag": kbsB64.EncodeToString(tag)}, nil
}

func rsaWrap(pub kbsTeePubKey, cek []byte) ([]byte, error) {
	n, errN := kbsB64.DecodeString(pub.N)
	e, errE := kbsB64.DecodeString(pub.E)
	if errN != nil || errE != nil || len(e) == 0 || len(e) > 4 {
		return nil, errors.New("base64 decode k_mod/k_exp failed")
	}
	key := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
	if pub.Alg == "RSA1_5" {
		//lint:ignore SA1019 jwe.rs still answers RSA1_5 keys (deprecated there too); the stand-in does as the KBS does
		return rsa.EncryptPKCS1v15(rand.Reader, key, cek)
	}
	return rsa.EncryptOAEP(sha256.New(), rand.Reader, key, cek, nil)
}

// ecdhWrap is ecdh_es_a256kw_p256/p521: the shared secret of an ephemeral key with the TEE
// key, the KDF over it, the content key wrapped with the result.
func ecdhWrap(pub kbsTeePubKey, cek []byte) (string, []byte, error) {
	curve, size := ecdh.P256(), 32
	if pub.Crv == "P-521" {
		curve, size = ecdh.P521(), 66
	}
	x, errX := kbsB64.DecodeString(pub.X)
	y, errY := kbsB64.DecodeString(pub.Y)
	if errX != nil || errY != nil || len(x) != size || len(y) != size {
		return "", nil, errors.New("invalid bytes length of coordinates")
	}
	tee, err := curve.NewPublicKey(append(append([]byte{4}, x...), y...))
	if err != nil {
		return "", nil, errors.New("invalid TEE public key")
	}
	eph, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		return "", nil, err
	}
	z, err := eph.ECDH(tee)
	if err != nil {
		return "", nil, err
	}
	wrapped, err := josecipher.KeyWrap(mustAES(concatKDF("ECDH-ES+A256KW", 32, z)), cek)
	if err != nil {
		return "", nil, err
	}
	point := eph.PublicKey().Bytes()
	epk := map[string]string{"crv": pub.Crv, "kty": "EC", "x": kbsB64.EncodeToString(point[1 : 1+size]), "y": kbsB64.EncodeToString(point[1+size:])}
	return protectedHeader("ECDH-ES+A256KW", "A256GCM", epk), wrapped, nil
}

// protectedHeader is kbs-types' ProtectedHeader as serde_json writes it: alg, enc, then the
// other fields (epk with its keys sorted, serde_json's Map order).
func protectedHeader(alg, enc string, epk map[string]string) string {
	a, _ := json.Marshal(alg)
	e, _ := json.Marshal(enc)
	h := `{"alg":` + string(a) + `,"enc":` + string(e)
	if epk != nil {
		p, _ := json.Marshal(epk) // encoding/json sorts map keys
		h += `,"epk":` + string(p)
	}
	return h + "}"
}

// concatKDF is jwe.rs concat_kdf (NIST SP 800-56A with SHA-256): round counter, Z, the
// algorithm id with its length, empty PartyUInfo and PartyVInfo, the key length in bits.
func concatKDF(alg string, length int, z []byte) []byte {
	var out []byte
	for i := uint32(1); len(out) < length; i++ {
		h := sha256.New()
		_ = binary.Write(h, binary.BigEndian, i)
		h.Write(z)
		_ = binary.Write(h, binary.BigEndian, uint32(len(alg)))
		h.Write([]byte(alg))
		_ = binary.Write(h, binary.BigEndian, uint32(0))
		_ = binary.Write(h, binary.BigEndian, uint32(0))
		_ = binary.Write(h, binary.BigEndian, uint32(length*8))
		out = h.Sum(out)
	}
	return out[:length]
}

func mustAES(key []byte) cipher.Block {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	return b
}
