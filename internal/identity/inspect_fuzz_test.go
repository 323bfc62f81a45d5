package identity_test

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
)

// secretLen is the length from which a part of the input counts as
// something a diagnostic must not repeat (a signature, a payload).
const secretLen = 16

func checkInspected(t *testing.T, token string, c *identity.Claims, err error) {
	t.Helper()
	if err != nil {
		if c != nil {
			t.Fatalf("Inspect returned claims and an error: %v", err)
		}
		msg := err.Error()
		if msg == "" || len(msg) > 512 {
			t.Fatalf("Inspect error of %d bytes: %q", len(msg), msg)
		}
		// The error never repeats the token, nor its payload or signature.
		for _, part := range append(strings.Split(strings.TrimSpace(token), "."), strings.TrimSpace(token)) {
			if len(part) >= secretLen && strings.Contains(msg, part) {
				t.Fatalf("Inspect error repeats part of the token: %q", msg)
			}
		}
		return
	}
	if c == nil || c.Raw == nil {
		t.Fatalf("Inspect(%q) = nil claims, nil error", token)
	}
	if !slices.Contains(identity.AsymmetricAlgorithms(), jose.SignatureAlgorithm(c.Algorithm)) {
		t.Fatalf("Inspect accepted algorithm %q", c.Algorithm)
	}
	// The typed fields are the raw claims, read once.
	for name, got := range map[string]string{"iss": c.Issuer, "sub": c.Subject, "jti": c.JTI, "email": c.Email} {
		if want, _ := c.Raw[name].(string); got != want {
			t.Fatalf("claim %s = %q, raw %v", name, got, c.Raw[name])
		}
	}
}

// FuzzInspect feeds arbitrary strings to token inspection: it never panics,
// accepts only the asymmetric algorithms the exchange takes, and its errors
// are short and never repeat the token.
func FuzzInspect(f *testing.F) {
	for _, s := range []string{
		"", "garbage", "a.b.c", "a.b.c.d.e", "..", "!!!.e30.c2ln",
		b64(`{"alg":"RS256","kid":"k"}`) + "." + b64(`{"iss":"https://i.example.com","sub":"s","aud":["a"],"exp":1e10}`) + ".c2lnbmF0dXJl",
		b64(`{"alg":"ES256"}`) + "." + b64(`{"aud":"a","email":"e@x","iat":1.5}`) + ".c2ln",
		b64(`{"alg":"none"}`) + "." + b64(`{}`) + ".",
		b64(`{"alg":"HS256"}`) + "." + b64(`{}`) + ".c2ln",
		b64(`{"alg":7}`) + "." + b64(`{}`) + ".c2ln",
		b64(`{"alg":"RS256","crit":["exp"]}`) + "." + b64(`{}`) + ".c2ln",
		b64(`{"alg":"RS256"}`) + "." + b64(`{"exp":"soon"}`) + ".c2ln",
		b64(`{"alg":"PS512"}`) + "." + b64(`null`) + ".c2ln",
		b64(`{"alg":"RS256"}`) + "==." + b64(`{"sub":{}}`) + ".c2ln",
		"  " + b64(`{"alg":"RS384"}`) + "." + b64(`{"nbf":-1e300}`) + ".c2ln\n",
		// Claim names are case-sensitive (go-jose decodes them so; encoding/json
		// would not): these are not iss, sub or aud.
		b64(`{"alg":"RS256"}`) + "." + b64(`{"ISS":"https://i.example.com","Sub":"s","AUD":"a","Exp":"x"}`) + ".c2ln",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		c, err := identity.Inspect(token)
		checkInspected(t, token, c, err)
	})
}

// FuzzInspectClaims builds a token around an arbitrary header and payload
// (with a dummy signature: Inspect does not verify) so the fuzzer explores
// the JSON rather than base64. A payload whose iss, sub and aud are strings
// reads back unchanged.
func FuzzInspectClaims(f *testing.F) {
	f.Add([]byte(`{"alg":"RS256","kid":"k1","typ":"JWT"}`), []byte(`{"iss":"https://token.actions.githubusercontent.com","sub":"repo:o/r:ref:refs/heads/main","aud":"https://api.anthropic.com","exp":1900000000}`))
	f.Add([]byte(`{"alg":"ES384"}`), []byte(`{"aud":["a","b"],"iat":1.5,"nbf":0,"email":"x@y.z","custom":{"n":[1,2,{}]}}`))
	f.Add([]byte(`{"alg":"RS256"}`), []byte(`{"exp":1e400}`))
	f.Add([]byte(`{"alg":"RS256"}`), []byte(`{"aud":[1]}`))
	f.Add([]byte(`{"alg":"RS256","b64":false}`), []byte(`{"sub":"\u0000\ud800"}`))
	f.Add([]byte(`{"alg":"PS256","jwk":{"kty":"oct","k":"AA"}}`), []byte(`{}`))
	f.Fuzz(func(t *testing.T, header, payload []byte) {
		token := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload) + ".c2lnbmF0dXJl"
		c, err := identity.Inspect(token)
		checkInspected(t, token, c, err)
		if err != nil {
			return
		}
		// A map, not a struct: claim names are case-sensitive.
		var p map[string]any
		if json.Unmarshal(payload, &p) != nil {
			return
		}
		iss, _ := p["iss"].(string)
		sub, _ := p["sub"].(string)
		if iss != c.Issuer || sub != c.Subject {
			t.Fatalf("iss/sub %q/%q read back as %q/%q", iss, sub, c.Issuer, c.Subject)
		}
		switch aud := p["aud"].(type) {
		case string:
			if len(c.Audience) != 1 || c.Audience[0] != aud {
				t.Fatalf("aud %q read back as %q", aud, c.Audience)
			}
		case nil:
			if len(c.Audience) != 0 {
				t.Fatalf("no aud read back as %q", c.Audience)
			}
		}
	})
}
