package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// noNetwork is the fetch transport of fuzzed emulators: nothing a fuzzed
// body names is ever fetched.
type noNetwork struct{}

func (noNetwork) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("fuzzing: no network")
}

// fuzzTarget is one request the fuzzer fills with a body.
type fuzzTarget struct {
	method, path string
	token        string
}

// fuzzEmulator is an emulator with one service account, issuer and rule, and
// the write routes whose bodies the fuzzer sends.
func fuzzEmulator(f *testing.F) (*Emulator, []fuzzTarget) {
	f.Helper()
	emu := New(Options{Seed: 7, FetchClient: &http.Client{Transport: noNetwork{}}})
	post := func(path string, body string) map[string]any {
		rec := serveFuzz(emu, "POST", path, emu.AdminToken(), []byte(body))
		var out map[string]any
		if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
			f.Fatalf("POST %s: %d %s", path, rec.Code, rec.Body)
		}
		return out
	}
	sa, _ := post(saPath, `{"name":"fuzz-sa"}`)["id"].(string)
	iss, _ := post(issPath, `{"name":"fuzz-iss","issuer_url":"https://fuzz.example.com"}`)["id"].(string)
	rule, _ := post(rulesPath, `{"name":"fuzz-rule","issuer_id":"`+iss+`","match":{"subject_prefix":"ci:*"},`+
		`"target":{"type":"service_account","service_account_id":"`+sa+`"},"oauth_scope":"workspace:developer","workspace_id":"default"}`)["id"].(string)
	admin := emu.AdminToken()
	return emu, []fuzzTarget{
		{"POST", saPath, admin},
		{"POST", saPath + "/" + sa, admin},
		{"POST", saPath + "/" + sa + "/workspaces", admin},
		{"POST", issPath, admin},
		{"POST", issPath + "/" + iss, admin},
		{"POST", rulesPath, admin},
		{"POST", rulesPath + "/" + rule, admin},
		{"POST", rulesPath + "/" + rule + "/workspaces", admin},
		{"POST", "/v1/oauth/token", ""},
		{"POST", saPath, emu.ConsoleToken()},
	}
}

func serveFuzz(emu *Emulator, method, path, token string, body []byte) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("anthropic-version", "2023-06-01")
	req.Header.Set("content-type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	emu.ServeHTTP(rec, req)
	return rec
}

// FuzzRequestBodies sends arbitrary bodies to every write route: the
// emulator decodes strictly and never answers 5xx; every refusal is a 4xx in
// the API's error envelope with a type and a message.
func FuzzRequestBodies(f *testing.F) {
	emu, targets := fuzzEmulator(f)
	for i, body := range []string{
		`{"name":"a-b-c","description":"d"}`,
		`{"name":"x","organization_role":"admin"}`,
		`{"workspace_id":"default","workspace_role":"workspace_developer"}`,
		`{"name":"i","issuer_url":"https://issuer.example.com","jwks_source":{"type":"discovery"}}`,
		`{"name":null,"description":null,"jwks_source":{"type":"explicit_url","url":"https://k.example.com/jwks"}}`,
		`{"name":"r","issuer_id":"fdis_01AAAAAAAAAAAAAAAAAAAAAAAA","match":{"claims":{"a":"b"},"condition":"claims.a == \"b\""},"target":{"type":"service_account","service_account_id":"svac_01AAAAAAAAAAAAAAAAAAAAAAAA"},"oauth_scope":"workspace:inference","token_lifetime_seconds":600}`,
		`{"match":{"subject_prefix":"*","audience":"","condition":"1 +"},"token_lifetime_seconds":1e99}`,
		`{"workspace_id":"wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA"}`,
		`{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer","assertion":"a.b.c","federation_rule_id":"fdrl_01AAAAAAAAAAAAAAAAAAAAAAAA","organization_id":"00000000-0000-0000-0000-000000000000"}`,
		`{"name":"adm","organization_role":"admin","extra":1}`,
		``, `null`, `[]`, `{}`, `{"name":7}`, `{"name":"a"} {}`, `{"match":{"claims":{"a":{"b":1}}}}`, "{\"name\":\"\xff\"}",
		`{"description":"` + strings.Repeat("x", 3000) + `"}`, `{"jwks_source":{"type":"jwks","keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}}`,
	} {
		f.Add(uint8(i), []byte(body))
	}
	f.Fuzz(func(t *testing.T, sel uint8, body []byte) {
		tg := targets[int(sel)%len(targets)]
		rec := serveFuzz(emu, tg.method, tg.path, tg.token, body)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", tg.method, tg.path, body, rec.Code, rec.Body)
		}
		var out struct {
			Type  string `json:"type"`
			Error *struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s %q: %d answer is not JSON: %v", tg.method, tg.path, body, rec.Code, err)
		}
		if rec.Code == http.StatusOK {
			return
		}
		if rec.Code < 400 || out.Type != "error" || out.Error == nil || out.Error.Type == "" || out.Error.Message == "" {
			t.Fatalf("%s %s %q: %d without the error envelope: %s", tg.method, tg.path, body, rec.Code, rec.Body)
		}
	})
}

// FuzzCheckMatch evaluates a rule's matchers on arbitrary claims, as the
// token exchange does: it never panics, answers "" or a documented reason,
// and a rule built from a token's own claims (its subject, its first
// audience, its string claims, a condition on its subject) matches it.
func FuzzCheckMatch(f *testing.F) {
	emu := New(Options{Seed: 7, FetchClient: &http.Client{Transport: noNetwork{}}})
	f.Add([]byte(`{"sub":"repo:octo/app:ref:refs/heads/main","aud":"https://api.anthropic.com","repository_owner":"octo"}`), "repo:octo/*", "", "repository_owner", "octo", `claims.ref.startsWith("refs/")`)
	f.Add([]byte(`{"sub":"1234","aud":["x","y"],"email":"r@p.iam.gserviceaccount.com","n":1.5,"b":false}`), "1234", "y", "n", "1.5", `claims.email.endsWith(".gserviceaccount.com")`)
	f.Add([]byte(`{"sub":"s\n\"\\\u00e9\u2028","aud":[null,2,"a"],"groups":["g"]}`), "", "a", "", "", `"g" in claims.groups`)
	f.Add([]byte(`{}`), "*", "", "x", "", `claims.missing == 1`)
	f.Add([]byte(`{"sub":7}`), "", "", "", "", `1 +`)
	f.Fuzz(func(t *testing.T, raw []byte, subjectPrefix, audience, claimName, claimValue, condition string) {
		var claims map[string]any
		if json.Unmarshal(raw, &claims) != nil {
			return
		}
		m := policy.Match{}
		if subjectPrefix != "" {
			m.SubjectPrefix = &subjectPrefix
		}
		if audience != "" {
			m.Audience = &audience
		}
		if claimName != "" {
			m.Claims = map[string]string{claimName: claimValue}
		}
		if condition != "" {
			m.Condition = &condition
		}
		switch reason := emu.checkMatch(m, claims); {
		case reason == "", reason == ReasonMatchAudience, reason == ReasonMatchSubjectPrefix, reason == ReasonMatchCondition,
			reason == ReasonMatchClaims+":"+claimName:
		default:
			t.Fatalf("checkMatch = %q", reason)
		}

		auds := policy.ClaimAudiences(claims)
		sub, isString := claims["sub"].(string)
		if len(auds) == 0 || !isString {
			return
		}
		own := policy.Match{SubjectPrefix: &sub, Audience: &auds[0], Claims: map[string]string{}}
		if strings.HasSuffix(sub, "*") {
			p := strings.TrimSuffix(sub, "*") + "*"
			own.SubjectPrefix = &p
		}
		for k, v := range claims {
			if s, ok := v.(string); ok {
				own.Claims[k] = s
			}
		}
		cond := "claims.sub == " + strconv.Quote(sub)
		own.Condition = &cond
		if reason := emu.checkMatch(own, claims); reason != "" {
			t.Fatalf("a rule built from the token's own claims does not match it: %s (condition %s)", reason, cond)
		}
	})
}

// FuzzRequestFields sends well-formed JSON with arbitrary field values, so
// the fuzzer reaches the validation behind decoding: never a 5xx, a 4xx
// always in the envelope, and what is accepted reads back as sent.
func FuzzRequestFields(f *testing.F) {
	emu, targets := fuzzEmulator(f)
	iss, sa := "", ""
	for _, tg := range targets {
		if id, ok := strings.CutPrefix(tg.path, issPath+"/"); ok && iss == "" {
			iss = id
		}
		if id, ok := strings.CutPrefix(tg.path, saPath+"/"); ok && sa == "" && !strings.Contains(id, "/") {
			sa = id
		}
	}
	f.Add(uint8(0), "ci-deployer", "deploys", "https://idp.example.com", "repo:octo/*", "email", "a@b.c", `claims.ref == "main"`, int64(600))
	f.Add(uint8(1), "Bad Name", "\x1b[31m", "http://10.0.0.1", "*", "", "", "true", int64(0))
	f.Add(uint8(2), "", "\u202e", "https://idp.example.com/?q=1#f", "a*b", "sub", "", "", int64(86401))
	f.Add(uint8(3), "x", "", "https://localhost", "", "\x00", "v", "claims.", int64(-1))
	f.Fuzz(func(t *testing.T, sel uint8, name, description, url, subject, claimName, claimValue, condition string, lifetime int64) {
		var method, path string
		var body map[string]any
		match := map[string]any{}
		if subject != "" {
			match["subject_prefix"] = subject
		}
		if claimName != "" || claimValue != "" {
			match["claims"] = map[string]string{claimName: claimValue}
		}
		if condition != "" {
			match["condition"] = condition
		}
		switch sel % 4 {
		case 0:
			method, path, body = "POST", saPath, map[string]any{"name": name, "description": description}
		case 1:
			method, path, body = "POST", issPath, map[string]any{"name": name, "issuer_url": url, "max_jwt_lifetime_seconds": lifetime}
		case 2:
			method, path, body = "POST", rulesPath, map[string]any{
				"name": name, "description": description, "issuer_id": iss, "match": match, "oauth_scope": "workspace:developer",
				"target": map[string]any{"type": "service_account", "service_account_id": sa}, "workspace_id": "default", "token_lifetime_seconds": lifetime,
			}
		case 3:
			method, path, body = "POST", issPath, map[string]any{"name": name, "issuer_url": "https://idp.example.com",
				"jwks_source": map[string]any{"type": "explicit_url", "url": url}}
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return
		}
		rec := serveFuzz(emu, method, path, emu.AdminToken(), raw)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %s: %d %s", method, path, raw, rec.Code, rec.Body)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s %s: %d answer is not JSON: %v", method, path, raw, rec.Code, err)
		}
		if rec.Code != http.StatusOK {
			e, _ := out["error"].(map[string]any)
			if rec.Code < 400 || out["type"] != "error" || e == nil || e["type"] == "" || e["message"] == "" {
				t.Fatalf("%s %s %s: %d without the error envelope: %s", method, path, raw, rec.Code, rec.Body)
			}
			return
		}
		// json.Marshal replaced invalid UTF-8; compare with what was sent.
		var sent map[string]any
		_ = json.Unmarshal(raw, &sent)
		if out["name"] != sent["name"] {
			t.Fatalf("created %q, read back %q", sent["name"], out["name"])
		}
		if policy.ValidateName(name) != nil {
			t.Fatalf("accepted the invalid name %q", name)
		}
	})
}
