package policy

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	jose "github.com/go-jose/go-jose/v4"
)

// MaxCACertPEMLength is the longest ca_cert_pem, in characters.
const MaxCACertPEMLength = 8192

// ValidateCACertPEM checks ca_cert_pem: at most 8192 characters holding one or
// more PEM CERTIFICATE blocks that parse as X.509. Text around the blocks (as
// openssl prints it) is tolerated; other block types are not, because a
// private key pasted here would be stored and echoed by the API.
func ValidateCACertPEM(s string) error {
	if n := utf8.RuneCountInString(s); n > MaxCACertPEMLength {
		return fmt.Errorf("must be at most %d characters (got %d)", MaxCACertPEMLength, n)
	}
	rest := []byte(s)
	count := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		count++
		if block.Type != "CERTIFICATE" {
			if strings.Contains(block.Type, "PRIVATE KEY") {
				return fmt.Errorf("block %d is a %s; remove it: only CA certificates belong here", count, block.Type)
			}
			return fmt.Errorf("block %d is a %q block; only CERTIFICATE blocks are allowed", count, block.Type)
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return fmt.Errorf("certificate %d does not parse: %v", count, err)
		}
	}
	if count == 0 {
		return errors.New(`must contain at least one PEM certificate ("-----BEGIN CERTIFICATE-----")`)
	}
	return nil
}

// privateJWKMembers are the JWK members that carry secret material (RFC 7518
// section 6, plus "priv" of the AKP draft). Any of them means the user pasted
// a private or symmetric key, which must never be stored in an issuer.
var privateJWKMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k", "priv"}

// jwtSigningAlgs maps each algorithm the exchange accepts to the key it needs.
var jwtSigningAlgs = map[string]struct{ kty, crv string }{
	"RS256": {"RSA", ""}, "RS384": {"RSA", ""}, "RS512": {"RSA", ""},
	"PS256": {"RSA", ""}, "PS384": {"RSA", ""}, "PS512": {"RSA", ""},
	"ES256": {"EC", "P-256"}, "ES384": {"EC", "P-384"}, "ES512": {"EC", "P-521"},
}

// IsAllowedJWTAlg reports whether the exchange accepts tokens signed with alg:
// asymmetric RSA (RS*, PS*) and ECDSA (ES*) only, never HS* or none.
func IsAllowedJWTAlg(alg string) bool {
	_, ok := jwtSigningAlgs[alg]
	return ok
}

// ValidateJWKSKeys checks the keys of an inline JWKS: at least one key, each a
// public RSA or EC signing key with a non-empty, unique kid. Errors name the
// key by index, "keys[1]: ...", so callers prefix the attribute ("jwks.").
// Messages never repeat key material.
func ValidateJWKSKeys(keys []json.RawMessage) error {
	if len(keys) == 0 {
		return errors.New("keys: must contain at least one key")
	}
	if len(keys) > MaxJWKSKeys {
		return fmt.Errorf("keys: must contain at most %d keys (got %d)", MaxJWKSKeys, len(keys))
	}
	seen := make(map[string]int, len(keys))
	for i, raw := range keys {
		kid, err := validateJWK(raw)
		if err != nil {
			return fmt.Errorf("keys[%d]: %w", i, err)
		}
		if j, dup := seen[kid]; dup {
			return fmt.Errorf("keys[%d]: kid %s is also used by keys[%d]; each key needs its own kid so tokens pick one key", i, quoteForMessage(kid), j)
		}
		seen[kid] = i
	}
	return nil
}

// ParsePublicJWK parses one inline key after the same checks as
// ValidateJWKSKeys, for callers (the emulator) that verify signatures with it.
func ParsePublicJWK(raw json.RawMessage) (jose.JSONWebKey, error) {
	if _, err := validateJWK(raw); err != nil {
		return jose.JSONWebKey{}, err
	}
	var k jose.JSONWebKey
	err := k.UnmarshalJSON(raw)
	return k, err
}

// Key bounds. The exchange verifies RS*/PS* signatures with RSA keys of
// 2048 bits or more (shorter keys are breakable, and RFC 7518 section 3.3
// requires 2048) and ES256/384/512 with keys on P-256, P-384 and P-521.
// The upper bounds keep a pasted key from being a denial of service
// (inferred: the public API material states none).
const (
	MinRSAKeyBits = 2048
	// MaxRSAKeyBits is also what go-jose, which verifies the signatures,
	// accepts (jose.MaxRSAModulusBits).
	MaxRSAKeyBits = 4096
	// MaxJWKBytes is the largest single key, as JSON: room for an RSA-4096
	// key with an x5c certificate chain.
	MaxJWKBytes = 16 * 1024
	// MaxJWKSKeys is the most keys an inline JWKS holds.
	MaxJWKSKeys = 100
)

// ecCurves are the curves of the EC keys the exchange can use, one per
// ES* algorithm.
var ecCurves = []string{"P-256", "P-384", "P-521"}

// ECCurves returns a copy of ecCurves.
func ECCurves() []string { return slices.Clone(ecCurves) }

func validateJWK(raw json.RawMessage) (kid string, err error) {
	if n := len(raw); n > MaxJWKBytes {
		return "", fmt.Errorf("is %d bytes; a key may be at most %d bytes", n, MaxJWKBytes)
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil || members == nil {
		return "", errors.New("must be a JSON object (a JWK)")
	}
	if _, ok := members["keys"]; ok {
		if _, hasKty := members["kty"]; !hasKty {
			return "", errors.New(`is a whole JWK Set ({"keys": [...]}); list the keys themselves`)
		}
	}
	// Checked on the raw members, before go-jose parses anything, so secret
	// material is refused without being decoded.
	for _, m := range privateJWKMembers {
		if _, ok := members[m]; ok {
			if m == "k" {
				return "", errors.New(`is a symmetric ("oct") key; only public RSA or EC keys can be trusted to verify tokens, and a shared secret must never be stored here`)
			}
			return "", fmt.Errorf("contains private key material (%q); use the public key only", m)
		}
	}
	var kty, crv string
	_ = json.Unmarshal(members["kty"], &kty)
	if kty == "RSA" {
		if err := checkRSAModulus(members["n"]); err != nil {
			return "", err
		}
	}
	if kty == "EC" {
		if err := json.Unmarshal(members["crv"], &crv); err == nil && !slices.Contains(ecCurves, crv) {
			return "", fmt.Errorf(`is an EC key on curve %s; the exchange verifies ES256, ES384 and ES512 signatures only, so use a key on %s`,
				quoteForMessage(crv), strings.Join(ecCurves, ", "))
		}
	}
	var k jose.JSONWebKey
	if err := k.UnmarshalJSON(raw); err != nil {
		if errors.Is(err, jose.ErrUnsupportedKeyType) {
			return "", errors.New("has an unsupported key type; use an RSA or EC (P-256, P-384, P-521) public key")
		}
		return "", fmt.Errorf("is not a valid JWK: %s", strings.TrimPrefix(err.Error(), "go-jose/go-jose: "))
	}
	if !k.Valid() || !k.IsPublic() {
		return "", errors.New("is not a valid public key")
	}
	if k.KeyID == "" {
		return "", errors.New(`must have a non-empty "kid": tokens select their verification key by kid`)
	}
	if err := ValidateText(k.KeyID, SingleLine); err != nil {
		return "", errors.New("kid " + err.Error())
	}
	switch pub := k.Key.(type) {
	case *rsa.PublicKey:
		kty = "RSA"
		if err := checkRSABits(pub.N.BitLen()); err != nil {
			return "", err
		}
	case *ecdsa.PublicKey:
		kty = "EC"
		crv = curveName(pub.Curve)
	default:
		return "", errors.New("has an unsupported key type; the exchange accepts only RS*, PS* and ES* signatures, so use an RSA or EC public key")
	}
	if k.Use != "" && k.Use != "sig" {
		return "", fmt.Errorf(`has "use": %s; only signing keys ("sig") verify tokens`, quoteForMessage(k.Use))
	}
	if k.Algorithm != "" {
		want, ok := jwtSigningAlgs[k.Algorithm]
		if !ok {
			return "", fmt.Errorf(`has "alg": %s; the exchange accepts only RS256/384/512, PS256/384/512 and ES256/384/512`, quoteForMessage(k.Algorithm))
		}
		if want.kty != kty || (want.crv != "" && want.crv != crv) {
			return "", fmt.Errorf(`has "alg": %q, which does not fit this %s key`, k.Algorithm, strings.TrimSpace(kty+" "+crv))
		}
	}
	return k.KeyID, nil
}

// checkRSAModulus checks the size of an RSA key's "n" before go-jose
// parses it (its own limit gives no numbers). A malformed n is left to
// go-jose's error.
func checkRSAModulus(raw json.RawMessage) error {
	var n string
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil //nolint:nilerr // a malformed n is go-jose's error to report
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(n, "="))
	if err != nil {
		return nil //nolint:nilerr // likewise
	}
	return checkRSABits(new(big.Int).SetBytes(b).BitLen())
}

func checkRSABits(bits int) error {
	switch {
	case bits < MinRSAKeyBits:
		return fmt.Errorf("is a %d-bit RSA key; RSA keys must have at least %d bits", bits, MinRSAKeyBits)
	case bits > MaxRSAKeyBits:
		return fmt.Errorf("is a %d-bit RSA key; RSA keys may have at most %d bits", bits, MaxRSAKeyBits)
	}
	return nil
}

func curveName(c elliptic.Curve) string {
	if c == nil || c.Params() == nil {
		return ""
	}
	return c.Params().Name
}

// NormalizeJWKSKeysJSON rewrites a JSON array of JWKs canonically: keys sorted
// by kid and then by their canonical text, object members sorted, no
// insignificant whitespace, numbers kept verbatim. Two arrays holding the
// same keys normalize to the same string, so reordering or reformatting never
// shows as drift. It checks JSON shape only; ValidateJWKSKeys checks the keys.
func NormalizeJWKSKeysJSON(s string) (string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", fmt.Errorf("is not valid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", errors.New("is not valid JSON: unexpected data after the array")
	}
	arr, ok := v.([]any)
	if !ok {
		if obj, isObj := v.(map[string]any); isObj {
			if _, hasKeys := obj["keys"]; hasKeys {
				return "", errors.New(`must be a JSON array of keys, not a JWK Set object; pass the "keys" array itself (jsonencode(jwks.keys))`)
			}
		}
		return "", errors.New("must be a JSON array of JWK objects")
	}
	type entry struct{ kid, text string }
	entries := make([]entry, len(arr))
	for i, el := range arr {
		obj, ok := el.(map[string]any)
		if !ok {
			return "", fmt.Errorf("element %d must be a JSON object (a JWK)", i)
		}
		text, err := canonicalJSON(obj)
		if err != nil {
			return "", err
		}
		kid, _ := obj["kid"].(string)
		entries[i] = entry{kid, text}
	}
	sort.Slice(entries, func(i, j int) bool {
		if entries[i].kid != entries[j].kid {
			return entries[i].kid < entries[j].kid
		}
		return entries[i].text < entries[j].text
	})
	var b strings.Builder
	b.WriteByte('[')
	for i, e := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(e.text)
	}
	b.WriteByte(']')
	return b.String(), nil
}

// canonicalJSON relies on encoding/json sorting map keys; HTML escaping is
// off so "<" in a value stays as typed.
func canonicalJSON(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}
