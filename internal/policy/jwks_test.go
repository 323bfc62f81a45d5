package policy

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

type testKeys struct {
	rsa  *rsa.PrivateKey
	ec   *ecdsa.PrivateKey
	ec2  *ecdsa.PrivateKey
	p384 *ecdsa.PrivateKey
}

// RSA generation is the slow part of this suite; do it once.
var sharedKeys = sync.OnceValue(func() testKeys {
	must := func(err error) {
		if err != nil {
			panic(err)
		}
	}
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	e1, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	e2, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	must(err)
	e3, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	must(err)
	return testKeys{rsa: r, ec: e1, ec2: e2, p384: e3}
})

func jwkJSON(t testing.TB, key any, kid, alg, use string) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: alg, Use: use})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withMember adds or replaces one member of a JWK's JSON.
func withMember(t testing.TB, raw json.RawMessage, name string, value any) json.RawMessage {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	if value == nil {
		delete(m, name)
	} else {
		m[name] = value
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestValidateJWKSKeys(t *testing.T) {
	k := sharedKeys()
	rsaPub := jwkJSON(t, &k.rsa.PublicKey, "rsa-1", "RS256", "sig")
	ecPub := jwkJSON(t, &k.ec.PublicKey, "ec-1", "ES256", "")
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)

	tests := []struct {
		name    string
		keys    []json.RawMessage
		wantErr string
	}{
		{"rsa", []json.RawMessage{rsaPub}, ""},
		{"ec", []json.RawMessage{ecPub}, ""},
		{"rsa and ec", []json.RawMessage{rsaPub, ecPub}, ""},
		{"ps alg on rsa", []json.RawMessage{jwkJSON(t, &k.rsa.PublicKey, "r", "PS512", "")}, ""},
		{"es384 on p384", []json.RawMessage{jwkJSON(t, &k.p384.PublicKey, "p", "ES384", "sig")}, ""},
		{"no alg no use", []json.RawMessage{jwkJSON(t, &k.rsa.PublicKey, "r", "", "")}, ""},
		{"none", nil, "at least one key"},
		{"empty", []json.RawMessage{}, "at least one key"},
		{"missing kid", []json.RawMessage{jwkJSON(t, &k.rsa.PublicKey, "", "RS256", "")}, `keys[0]: must have a non-empty "kid"`},
		{"duplicate kid", []json.RawMessage{rsaPub, jwkJSON(t, &k.ec.PublicKey, "rsa-1", "", "")}, "keys[1]: kid \"rsa-1\" is also used by keys[0]"},
		{"rsa private", []json.RawMessage{jwkJSON(t, k.rsa, "r", "RS256", "")}, `keys[0]: contains private key material ("d")`},
		{"ec private", []json.RawMessage{ecPub, jwkJSON(t, k.ec, "e", "", "")}, `keys[1]: contains private key material ("d")`},
		{"symmetric", []json.RawMessage{json.RawMessage(`{"kty":"oct","kid":"s","k":"c2VjcmV0"}`)}, "symmetric"},
		{"ed25519", []json.RawMessage{jwkJSON(t, edPub, "ed", "", "")}, "unsupported key type"},
		{"unknown kty", []json.RawMessage{json.RawMessage(`{"kty":"XYZ","kid":"x"}`)}, "unsupported key type"},
		{"missing kty", []json.RawMessage{json.RawMessage(`{"kid":"x","n":"AQAB"}`)}, "not a valid JWK"},
		{"not an object", []json.RawMessage{json.RawMessage(`"abc"`)}, "must be a JSON object"},
		{"null", []json.RawMessage{json.RawMessage(`null`)}, "must be a JSON object"},
		{"invalid json", []json.RawMessage{json.RawMessage(`{`)}, "must be a JSON object"},
		{"jwks wrapper", []json.RawMessage{json.RawMessage(`{"keys":[]}`)}, "whole JWK Set"},
		{"enc use", []json.RawMessage{jwkJSON(t, &k.rsa.PublicKey, "r", "", "enc")}, `"use": "enc"`},
		{"hs alg", []json.RawMessage{withMember(t, rsaPub, "alg", "HS256")}, `"alg": "HS256"`},
		{"none alg", []json.RawMessage{withMember(t, rsaPub, "alg", "none")}, `"alg": "none"`},
		{"es alg on rsa", []json.RawMessage{withMember(t, rsaPub, "alg", "ES256")}, "does not fit this RSA key"},
		{"rs alg on ec", []json.RawMessage{withMember(t, ecPub, "alg", "RS256")}, "does not fit this EC P-256 key"},
		{"es384 on p256", []json.RawMessage{withMember(t, ecPub, "alg", "ES384")}, "does not fit this EC P-256 key"},
		{"bad modulus", []json.RawMessage{withMember(t, rsaPub, "n", "!!")}, "not a valid JWK"},
		{"ec point off curve", []json.RawMessage{withMember(t, ecPub, "x", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")}, "not a valid JWK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateJWKSKeys(tt.keys)
			checkErr(t, "ValidateJWKSKeys", tt.name, err, tt.wantErr)
			if err != nil {
				// Key material must never be echoed.
				for _, raw := range tt.keys {
					var m map[string]any
					_ = json.Unmarshal(raw, &m)
					for _, member := range []string{"n", "d", "x", "y", "k", "p", "q"} {
						if s, ok := m[member].(string); ok && len(s) > 8 && strings.Contains(err.Error(), s) {
							t.Errorf("error echoes member %q: %v", member, err)
						}
					}
				}
			}
		})
	}
}

func TestParsePublicJWK(t *testing.T) {
	k := sharedKeys()
	got, err := ParsePublicJWK(jwkJSON(t, &k.ec.PublicKey, "ec-1", "ES256", "sig"))
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := got.Key.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&k.ec.PublicKey) || got.KeyID != "ec-1" {
		t.Fatalf("ParsePublicJWK = %#v", got)
	}
	if _, err := ParsePublicJWK(jwkJSON(t, k.ec, "ec-1", "", "")); err == nil {
		t.Fatal("ParsePublicJWK accepted a private key")
	}
}

func TestNormalizeJWKSKeysJSON(t *testing.T) {
	k := sharedKeys()
	a := jwkJSON(t, &k.rsa.PublicKey, "a-rsa", "RS256", "sig")
	b := jwkJSON(t, &k.ec.PublicKey, "b-ec", "ES256", "")
	c := jwkJSON(t, &k.ec2.PublicKey, "b-ec", "", "") // same kid: ordered by text

	join := func(parts ...json.RawMessage) string {
		s := make([]string, len(parts))
		for i, p := range parts {
			s[i] = string(p)
		}
		return "[" + strings.Join(s, ",") + "]"
	}
	want, err := NormalizeJWKSKeysJSON(join(a, b, c))
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(want, " \n\t") {
		t.Fatalf("normalized form has whitespace: %s", want)
	}
	// Every permutation, and an indented rendering with members reordered,
	// normalizes to the same string.
	perms := [][]json.RawMessage{{a, b, c}, {a, c, b}, {b, a, c}, {b, c, a}, {c, a, b}, {c, b, a}}
	for _, p := range perms {
		got, err := NormalizeJWKSKeysJSON(join(p...))
		if err != nil || got != want {
			t.Fatalf("permutation normalized to %s, %v; want %s", got, err, want)
		}
	}
	var objs []map[string]any
	if err := json.Unmarshal([]byte(join(c, b, a)), &objs); err != nil {
		t.Fatal(err)
	}
	pretty, _ := json.MarshalIndent(objs, "", "    ")
	if got, err := NormalizeJWKSKeysJSON("\n  " + string(pretty) + "\n"); err != nil || got != want {
		t.Fatalf("indented form normalized to %s, %v", got, err)
	}
	// Idempotent.
	if again, err := NormalizeJWKSKeysJSON(want); err != nil || again != want {
		t.Fatalf("not idempotent: %s, %v", again, err)
	}
	// Sorted by kid, members sorted.
	var parsed []map[string]any
	if err := json.Unmarshal([]byte(want), &parsed); err != nil || len(parsed) != 3 {
		t.Fatalf("result is not an array of 3 objects: %v", err)
	}
	if parsed[0]["kid"] != "a-rsa" || parsed[1]["kid"] != "b-ec" || parsed[2]["kid"] != "b-ec" {
		t.Fatalf("order = %v %v %v", parsed[0]["kid"], parsed[1]["kid"], parsed[2]["kid"])
	}
	if !strings.HasPrefix(want, `[{"alg":"RS256","e":"AQAB","kid":"a-rsa","kty":"RSA","n":"`) {
		t.Fatalf("members not sorted: %.60s", want)
	}
}

func TestNormalizeJWKSKeysJSONValues(t *testing.T) {
	tests := []struct {
		in, want, wantErr string
	}{
		{`[]`, `[]`, ""},
		{` [ { "kid" : "b" , "x" : 1 } , {"kid":"a"} ] `, `[{"kid":"a"},{"kid":"b","x":1}]`, ""},
		{`[{"kid":"a","n":12345678901234567890123}]`, `[{"kid":"a","n":12345678901234567890123}]`, ""},
		{`[{"kid":"a","v":"<&>"}]`, `[{"kid":"a","v":"<&>"}]`, ""},
		{`[{"kid":"\u0061"}]`, `[{"kid":"a"}]`, ""},
		{`[{"z":{"b":1,"a":2}}]`, `[{"z":{"a":2,"b":1}}]`, ""},
		{`[{"kid":"a"},{}]`, `[{},{"kid":"a"}]`, ""},
		{``, "", "not valid JSON"},
		{`[`, "", "not valid JSON"},
		{`[] []`, "", "unexpected data"},
		{`[]]`, "", "unexpected data"},
		{`{"keys":[]}`, "", "jsonencode(jwks.keys)"},
		{`{"kid":"a"}`, "", "JSON array of JWK objects"},
		{`"x"`, "", "JSON array"},
		{`[1]`, "", "element 0 must be a JSON object"},
		{`[{"kid":"a"}, null]`, "", "element 1 must be a JSON object"},
	}
	for _, tt := range tests {
		got, err := NormalizeJWKSKeysJSON(tt.in)
		checkErr(t, "NormalizeJWKSKeysJSON", tt.in, err, tt.wantErr)
		if tt.wantErr == "" && got != tt.want {
			t.Errorf("NormalizeJWKSKeysJSON(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func selfSignedPEM(t testing.TB) string {
	t.Helper()
	k := sharedKeys()
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "test ca"},
		NotBefore:             time.Unix(0, 0),
		NotAfter:              time.Unix(4_000_000_000, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.ec.PublicKey, k.ec)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func TestValidateCACertPEM(t *testing.T) {
	cert := selfSignedPEM(t)
	keyDER, _ := x509.MarshalECPrivateKey(sharedKeys().ec)
	keyPEM := string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	garbage := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("not der")}))
	tests := []struct {
		name, pem, wantErr string
	}{
		{"one", cert, ""},
		{"two", cert + cert, ""},
		{"openssl text around", "subject=CN=test ca\n" + cert + "\ntrailing note\n", ""},
		{"empty", "", "at least one PEM certificate"},
		{"text only", "hello", "at least one PEM certificate"},
		{"private key", cert + keyPEM, "block 2 is a EC PRIVATE KEY"},
		{"public key block", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{1}})), `"PUBLIC KEY" block`},
		{"bad der", garbage, "certificate 1 does not parse"},
		{"too long", cert + strings.Repeat(" ", MaxCACertPEMLength), "at most 8192 characters"},
	}
	for _, tt := range tests {
		checkErr(t, "ValidateCACertPEM", tt.name, ValidateCACertPEM(tt.pem), tt.wantErr)
	}
}

func TestIsAllowedJWTAlg(t *testing.T) {
	for _, ok := range []string{"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"} {
		if !IsAllowedJWTAlg(ok) {
			t.Errorf("IsAllowedJWTAlg(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "none", "HS256", "EdDSA", "rs256", "ES256K"} {
		if IsAllowedJWTAlg(bad) {
			t.Errorf("IsAllowedJWTAlg(%q) = true", bad)
		}
	}
}
