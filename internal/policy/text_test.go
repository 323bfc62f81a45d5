package policy

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"strings"
	"testing"
)

func TestValidateText(t *testing.T) {
	cases := []struct {
		name, in  string
		multiline bool
		want      string // substring of the error; "" for none
	}{
		{"plain", "Cloud Run agent — prod ✓", SingleLine, ""},
		{"empty", "", SingleLine, ""},
		{"NUL", "ab\x00c", SingleLine, "control characters (character 3 is U+0000 NUL)"},
		{"BEL", "\a", SingleLine, "character 1 is U+0007 BEL"},
		{"ANSI escape", "ok \x1b[31mred", SingleLine, "character 4 is U+001B ESC"},
		{"DEL", "x\x7f", SingleLine, "U+007F DEL"},
		{"C1", "x\u0085", SingleLine, "character 2 is U+0085 (control)"},
		{"right-to-left override", "admin\u202Etxt.exe", SingleLine, "bidirectional formatting characters, which make text display differently from what it is (character 6 is U+202E RIGHT-TO-LEFT OVERRIDE)"},
		{"isolate", "\u2067", SingleLine, "U+2067 RIGHT-TO-LEFT ISOLATE"},
		{"position counts characters, not bytes", "ééé\x07", SingleLine, "character 4 is U+0007"},
		{"newline in a single line", "a\nb", SingleLine, "character 2 is U+000A LINE FEED"},
		{"tab in a single line", "a\tb", SingleLine, "U+0009 TAB"},
		{"lines in a multi-line text", "first line\n\tsecond\r\nthird", MultiLine, ""},
		{"control in a multi-line text", "first\n\x1b[2J", MultiLine, "character 7 is U+001B ESC"},
	}
	for _, tc := range cases {
		err := ValidateText(tc.in, tc.multiline)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: unexpected error %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: error %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// Every field people name or the exchange compares refuses such characters,
// with the position.
func TestTextHygieneEverywhere(t *testing.T) {
	if err := ValidateName("robot\x00"); err == nil || !strings.Contains(err.Error(), "character 6 is U+0000") {
		t.Errorf("name: %v", err)
	}
	if err := ValidateDescription("line one\nline two"); err != nil {
		t.Errorf("multi-line description refused: %v", err)
	}
	if err := ValidateDescription("bell\a"); err == nil || !strings.Contains(err.Error(), "character 5 is U+0007 BEL") {
		t.Errorf("description: %v", err)
	}
	s := func(v string) *string { return &v }
	ok := map[string]string{"sub": "123"}
	for _, tc := range []struct {
		name string
		m    Match
		path string
	}{
		{"claim value", Match{Claims: map[string]string{"email": "a@b.c\u202E"}}, "match.claims.email"},
		{"claim name", Match{Claims: map[string]string{"em\x1bail": "a@b.c"}}, "match.claims.em\x1bail"},
		{"audience", Match{Audience: s("https://x\x00"), Claims: ok}, "match.audience"},
		{"subject_prefix", Match{SubjectPrefix: s("repo:acme/\x07*")}, "match.subject_prefix"},
		{"condition", Match{Condition: s("claims.sub == \"a\u202E\"")}, "match.condition"},
	} {
		err := FirstError(ValidateMatch(tc.m))
		f, isFinding := err.(Finding)
		if !isFinding || strings.Join(f.Path, ".") != tc.path || !strings.Contains(f.Summary, "character") {
			t.Errorf("%s: %v, want an error at %s naming the character", tc.name, err, tc.path)
		}
	}
	if err := ValidateIssuerURL("https://issuer.example.com/\u202Eevil"); err == nil || !strings.Contains(err.Error(), "character 28 is U+202E") {
		t.Errorf("issuer_url: %v", err)
	}
}

func TestURLLengthCap(t *testing.T) {
	long := "https://issuer.example.com/" + strings.Repeat("a", 100*1024)
	for name, check := range map[string]func(string) error{"issuer": ValidateIssuerURL, "fetch": ValidateFetchURL} {
		if err := check(long); err == nil || !strings.Contains(err.Error(), "at most 2048 bytes") {
			t.Errorf("%s: 100 KB url: %v", name, err)
		}
		if err := check("https://issuer.example.com/" + strings.Repeat("a", MaxURLLength-len("https://issuer.example.com/"))); err != nil {
			t.Errorf("%s: url of exactly %d bytes refused: %v", name, MaxURLLength, err)
		}
	}
}

func TestJWKKeyBounds(t *testing.T) {
	b64 := func(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
	rsaJWK := func(n *big.Int) json.RawMessage {
		raw, _ := json.Marshal(map[string]string{"kty": "RSA", "kid": "k", "e": "AQAB", "n": b64(n.Bytes())})
		return raw
	}
	small, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // the point: a key too small to accept
	if err != nil {
		t.Fatal(err)
	}
	huge := new(big.Int).Lsh(big.NewInt(1), 8192) // 8193 bits
	huge.Add(huge, big.NewInt(1))
	k := sharedKeys()
	ec := jwkJSON(t, &k.ec.PublicKey, "ec", "", "")
	cases := []struct {
		name string
		keys []json.RawMessage
		want string
	}{
		{"1-byte modulus", []json.RawMessage{rsaJWK(big.NewInt(251))}, "keys[0]: is a 8-bit RSA key; RSA keys must have at least 2048 bits"},
		{"RSA-1024", []json.RawMessage{rsaJWK(small.N)}, "is a 1024-bit RSA key; RSA keys must have at least 2048 bits"},
		{"RSA over 4096 bits", []json.RawMessage{rsaJWK(huge)}, "is a 8193-bit RSA key; RSA keys may have at most 4096 bits"},
		{"secp256k1", []json.RawMessage{withMember(t, ec, "crv", "secp256k1")}, `is an EC key on curve "secp256k1"; the exchange verifies ES256, ES384 and ES512 signatures only, so use a key on P-256, P-384, P-521`},
		{"kid with a control character", []json.RawMessage{withMember(t, ec, "kid", "key\x1b[0m")}, "keys[0]: kid must not contain control characters (character 4 is U+001B ESC)"},
		{"oversized key", []json.RawMessage{withMember(t, ec, "x5u", "https://example.com/"+strings.Repeat("a", MaxJWKBytes))}, "a key may be at most 16384 bytes"},
		{"too many keys", func() []json.RawMessage {
			out := make([]json.RawMessage, MaxJWKSKeys+1)
			for i := range out {
				out[i] = ec
			}
			return out
		}(), "keys: must contain at most 100 keys (got 101)"},
	}
	for _, tc := range cases {
		err := ValidateJWKSKeys(tc.keys)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
	if err := ValidateJWKSKeys([]json.RawMessage{jwkJSON(t, &k.rsa.PublicKey, "rsa-2048", "RS256", "sig"), withMember(t, ec, "crv", "P-256")}); err != nil {
		t.Errorf("RSA-2048 and P-256 refused: %v", err)
	}
}
