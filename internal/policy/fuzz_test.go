package policy

import (
	"encoding/json"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets of the validators and matchers every layer shares (the
// provider's plan-time checks and the emulator's 400s). Their seeds, here
// and in testdata/fuzz/<Name>/, run as ordinary tests; `make fuzz` explores
// further for a bounded time.

// maxMessage bounds an error message: a rejected value is quoted back
// truncated (quoteForMessage), so a pasted blob never floods a diagnostic.
const maxMessage = 512

var (
	uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	nameRE = regexp.MustCompile(`^[a-z0-9-]{1,255}$`)
)

var idPrefixes = []string{PrefixServiceAccount, PrefixIssuer, PrefixRule, PrefixWorkspace, PrefixUser, PrefixRequest}

func checkMessage(t *testing.T, what, input string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	msg := err.Error()
	if msg == "" || len(msg) > maxMessage {
		t.Fatalf("%s(%q): message of %d bytes: %q", what, input, len(msg), msg)
	}
	if !utf8.ValidString(msg) {
		t.Fatalf("%s(%q): message is not UTF-8: %q", what, input, msg)
	}
	// Quoted with %q: a control character of the input never reaches a
	// terminal raw.
	for _, r := range msg {
		if _, bad := forbiddenRune(r); bad {
			t.Fatalf("%s(%q): message carries %U raw: %q", what, input, r, msg)
		}
	}
}

// FuzzValidateID: the fast hand-written check agrees with the documented
// anchored pattern for every prefix, and the workspace, UUID and name
// validators accept exactly their grammars.
func FuzzValidateID(f *testing.F) {
	for _, s := range []string{
		"svac_01" + strings.Repeat("A", 24), "fdis_01abcdefghijklmnopqrstuvwx", "fdrl_01" + strings.Repeat("9", 24),
		"wrkspc_01" + strings.Repeat("z", 24), "default", "fdrl_02" + strings.Repeat("a", 24), "fdrl_01" + strings.Repeat("a", 23) + "é",
		"", "svac_", "123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-42661417400G", "my-rule-1", "My_Rule",
		strings.Repeat("x", 256), "ci\x00", "a\u202eb", "fdrl_01" + strings.Repeat("a", 24) + "\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range idPrefixes {
			err := ValidateID(p, s)
			if want := IDRegexp(p).MatchString(s); (err == nil) != want {
				t.Fatalf("ValidateID(%q, %q) = %v, pattern says %v", p, s, err, want)
			}
			checkMessage(t, "ValidateID", s, err)
		}
		err := ValidateWorkspaceID(s)
		if want := s == DefaultWorkspaceID || IDRegexp(PrefixWorkspace).MatchString(s); (err == nil) != want {
			t.Fatalf("ValidateWorkspaceID(%q) = %v, want ok=%v", s, err, want)
		}
		checkMessage(t, "ValidateWorkspaceID", s, err)

		err = ValidateUUID(s)
		if (err == nil) != uuidRE.MatchString(s) {
			t.Fatalf("ValidateUUID(%q) = %v", s, err)
		}
		checkMessage(t, "ValidateUUID", s, err)

		err = ValidateName(s)
		if (err == nil) != nameRE.MatchString(s) {
			t.Fatalf("ValidateName(%q) = %v", s, err)
		}
		checkMessage(t, "ValidateName", s, err)

		// A description is text: what it accepts has no forbidden rune
		// outside tab and line breaks, and at most 2000 characters.
		if err := ValidateDescription(s); err == nil {
			if utf8.RuneCountInString(s) > MaxDescriptionLength {
				t.Fatalf("ValidateDescription accepted %d characters", utf8.RuneCountInString(s))
			}
			for _, r := range s {
				if _, bad := forbiddenRune(r); bad && r != '\t' && r != '\n' && r != '\r' {
					t.Fatalf("ValidateDescription(%q) accepted %U", s, r)
				}
			}
		} else {
			checkMessage(t, "ValidateDescription", s, err)
		}
	})
}

// FuzzValidateURL: what the URL validators accept parses as an https URL
// with a host and without userinfo or fragment, stays accepted when parsed
// and re-serialised, and a fetchable URL without a query is also a valid
// issuer_url. Rejections are short, one-line messages.
func FuzzValidateURL(f *testing.F) {
	for _, s := range []string{
		"https://token.actions.githubusercontent.com", "https://accounts.google.com/", "https://gitlab.example.com:443/x",
		"https://issuer.example.com/path?q=1", "http://issuer.example.com", "https://127.0.0.1", "https://localhost",
		"https://user:pw@issuer.example.com", "https://issuer.example.com#", "https://example", "https://10.0.0.300",
		"https://a.0x1", "https://[::1]:8443", "http://localhost:8080/x", "https://issuer.example.com:8443",
		" https://issuer.example.com", "https://issuer.example.com/\u202e", "https://%zz", "//issuer.example.com",
		"mailto:a@b.c", "https://-bad-.example.com", "https://a..b.com", "https://xn--bcher-kva.example/",
		"https://issuer.example.com./", "https://ISSUER.Example.COM/Path",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		fetchErr := ValidateFetchURL(raw)
		issuerErr := ValidateIssuerURL(raw)
		loopErr := ValidateFetchURLWithOptions(raw, FetchURLOptions{AllowLoopback: true})
		for name, err := range map[string]error{"ValidateFetchURL": fetchErr, "ValidateIssuerURL": issuerErr, "ValidateFetchURLWithOptions": loopErr} {
			checkMessage(t, name, raw, err)
		}
		if fetchErr == nil && loopErr != nil {
			t.Fatalf("AllowLoopback rejects %q, which the strict check accepts: %v", raw, loopErr)
		}
		for name, err := range map[string]error{"ValidateFetchURL": fetchErr, "ValidateIssuerURL": issuerErr} {
			if err != nil {
				continue
			}
			u, perr := url.Parse(raw)
			if perr != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil || strings.Contains(raw, "#") || len(raw) > MaxURLLength {
				t.Fatalf("%s accepted %q (parse: %+v, %v)", name, raw, u, perr)
			}
			if ValidateText(raw, SingleLine) != nil || strings.TrimSpace(raw) != raw {
				t.Fatalf("%s accepted text with control characters or padding: %q", name, raw)
			}
		}
		if fetchErr == nil {
			u, _ := url.Parse(raw)
			host := u.Hostname()
			if !strings.Contains(host, ".") || strings.EqualFold(host, "localhost") || (u.Port() != "" && u.Port() != "443") {
				t.Fatalf("ValidateFetchURL accepted host %q port %q in %q", host, u.Port(), raw)
			}
			if again := u.String(); len(again) <= MaxURLLength {
				if err := ValidateFetchURL(again); err != nil {
					t.Fatalf("ValidateFetchURL(%q) accepted, its re-serialisation %q is not: %v", raw, again, err)
				}
			}
			if u.RawQuery == "" && !u.ForceQuery && issuerErr != nil {
				t.Fatalf("%q is fetchable but not a valid issuer_url: %v", raw, issuerErr)
			}
		}
	})
}

// FuzzMatchers evaluates the matchers the token exchange applies (subject
// prefix, audience, claims) on arbitrary claims, and checks the
// equivalences that define them: a subject matches itself and any prefix
// pattern of itself; a rule's claims built from a token's own string claims
// match that token; adding a differing value makes it fail, naming the claim.
func FuzzMatchers(f *testing.F) {
	f.Add([]byte(`{"sub":"repo:octo/app:ref:refs/heads/main","aud":"https://api.anthropic.com","repository_owner":"octo","run":7,"ok":true}`), "repo:octo/", "x")
	f.Add([]byte(`{"sub":"1234","aud":["a","b"],"email":"r@p.iam.gserviceaccount.com","email_verified":true}`), "", "")
	f.Add([]byte(`{"aud":[1,"x",null],"n":1e21,"f":0.1}`), "*", "*")
	f.Add([]byte(`{"sub":"é\u0000*","aud":{}}`), "é", "\xff")
	f.Add([]byte(`[]`), "a", "b")
	f.Fuzz(func(t *testing.T, raw []byte, prefix, other string) {
		var claims map[string]any
		if json.Unmarshal(raw, &claims) != nil {
			return
		}
		sub, _ := claims["sub"].(string)
		if !MatchSubject(sub, sub) && !strings.HasSuffix(sub, "*") {
			t.Fatalf("subject %q does not match itself", sub)
		}
		if !MatchSubject(sub+"*", sub) || !MatchSubject(sub+"*", sub+other) {
			t.Fatalf("prefix pattern %q* does not match %q / %q", sub, sub, sub+other)
		}
		if MatchSubject(prefix+"*", sub) != strings.HasPrefix(sub, prefix) {
			t.Fatalf("MatchSubject(%q*, %q) disagrees with HasPrefix", prefix, sub)
		}

		auds := ClaimAudiences(claims)
		for _, a := range auds {
			if !MatchAudience(a, auds) && a != "" {
				t.Fatalf("audience %q of %v does not match", a, auds)
			}
		}
		if MatchAudience("", auds) != MatchAudience(DefaultAudience, auds) {
			t.Fatalf("an unset audience is not the default audience for %v", auds)
		}

		want := map[string]string{}
		for k, v := range claims {
			if s, ok := claimText(v); ok {
				want[k] = s
			}
		}
		if name, ok := MatchClaims(want, claims); !ok {
			t.Fatalf("claims %v built from the token do not match it (claim %q)", want, name)
		}
		if len(want) > 0 {
			var first string
			for k := range want {
				if first == "" || k < first {
					first = k
				}
			}
			want[first] += "\x00" + other
			if name, ok := MatchClaims(want, claims); ok || name != first {
				t.Fatalf("a changed claim %q still matches (or names %q)", first, name)
			}
		}
		if name, ok := MatchClaims(map[string]string{"\x00missing" + other: ""}, claims); ok || name == "" {
			if _, present := claims["\x00missing"+other]; !present {
				t.Fatalf("a claim the token lacks matched")
			}
		}
	})
}
