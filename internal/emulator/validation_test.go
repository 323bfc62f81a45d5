package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestValidation drives every refusal the service documents through the HTTP
// surface: status, error type and the field-first message.
func TestValidation(t *testing.T) {
	h := newHarness(t)
	f := h.fixture("base")
	adminSA := h.createAdminSA("admin-sa")
	google := h.createIssuer("google", "https://accounts.google.com")
	github := h.createIssuer("github", "https://token.actions.githubusercontent.com")
	archivedSA := h.createSA("gone-sa")
	must(t, h.admin("POST", saPath+"/"+archivedSA+"/archive", nil))
	archivedIss := h.createIssuer("gone-iss", "https://gone.example.com")
	must(t, h.admin("POST", issPath+"/"+archivedIss+"/archive", nil))
	consoleRule := must(t, h.consolePost(rulesPath, withRule(ruleBody("admin-rule", f.issuer, adminSA), "oauth_scope", "org:admin"))).str("id")
	jwk := testJWK(t, "k1")

	rule := func(kv ...any) map[string]any { return withRule(ruleBody("new-rule", f.issuer, f.sa), kv...) }
	type tc struct {
		name     string
		console  bool
		method   string
		path     string
		body     any
		status   int
		typ      string
		contains string
	}
	bad := func(name, method, path string, body any, contains string) tc {
		return tc{name: name, method: method, path: path, body: body, status: 400, typ: "invalid_request_error", contains: contains}
	}
	// The issuer backs consoleRule (org:admin): only a Console session may update it.
	consoleBad := func(name, method, path string, body any, contains string) tc {
		c := bad(name, method, path, body, contains)
		c.console = true
		return c
	}
	tests := []tc{
		// Request decoding.
		bad("invalid json", "POST", saPath, `{"name":`, "not valid JSON"),
		bad("trailing data", "POST", saPath, `{"name":"a"} {}`, "not valid JSON"),
		bad("not an object", "POST", saPath, `[1]`, "must be a JSON object"),
		bad("unknown field", "POST", saPath, map[string]any{"name": "x", "color": "red"}, "color: unknown field"),
		bad("read-only field", "POST", saPath, map[string]any{"name": "x", "id": "svac_01"}, "id: unknown field"),
		bad("wrong type", "POST", saPath, map[string]any{"name": 5}, "name: must be a string"),
		bad("nested unknown field", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "discovery", "foo": 1}}, "jwks.foo: unknown field"),
		bad("nested wrong type", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": 1}}, "jwks.type: must be a string"),

		// Service accounts.
		bad("sa name missing", "POST", saPath, map[string]any{}, "name: required"),
		bad("sa name null", "POST", saPath, map[string]any{"name": nil}, "name: must not be null"),
		bad("sa name slug", "POST", saPath, map[string]any{"name": "Bad_Name"}, "name: must contain only lowercase"),
		bad("sa name too long", "POST", saPath, map[string]any{"name": strings.Repeat("a", 256)}, "name: must be at most 255"),
		bad("sa description too long", "POST", saPath, map[string]any{"name": "x", "description": strings.Repeat("d", 2001)}, "description: must be at most 2000"),
		bad("sa role invalid", "POST", saPath, map[string]any{"name": "x", "organization_role": "owner"}, "organization_role: must be one of developer, admin"),
		{name: "sa duplicate name", method: "POST", path: saPath, body: map[string]any{"name": "base-sa"}, status: 409, typ: "conflict_error", contains: "name: "},
		bad("sa rename", "POST", saPath+"/"+f.sa, map[string]any{"name": "other"}, "name: cannot be changed"),
		bad("sa update archived", "POST", saPath+"/"+archivedSA, map[string]any{"description": "x"}, "archived"),
		{name: "sa unknown id", method: "GET", path: saPath + "/svac_01AAAAAAAAAAAAAAAAAAAAAAAA", status: 404, typ: "not_found_error", contains: "not found"},
		{name: "sa garbage id", method: "GET", path: saPath + "/nope", status: 404, typ: "not_found_error", contains: "not found"},
		bad("sa archive referenced", "POST", saPath+"/"+f.sa+"/archive", nil, f.rule),

		// Memberships.
		bad("member role invalid", "POST", saPath+"/"+f.sa+"/workspaces", map[string]any{"workspace_id": "default", "workspace_role": "owner"}, "workspace_role: must be one of"),
		bad("member role missing", "POST", saPath+"/"+f.sa+"/workspaces", map[string]any{"workspace_id": "default"}, "workspace_role: required"),
		bad("member workspace malformed", "POST", saPath+"/"+f.sa+"/workspaces", map[string]any{"workspace_id": "prod", "workspace_role": "workspace_user"}, "workspace_id: must be"),
		{name: "member workspace unknown", method: "POST", path: saPath + "/" + f.sa + "/workspaces", body: map[string]any{"workspace_id": "wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA", "workspace_role": "workspace_user"}, status: 404, typ: "not_found_error", contains: "workspace_id:"},
		bad("member archived sa", "POST", saPath+"/"+archivedSA+"/workspaces", map[string]any{"workspace_id": "default", "workspace_role": "workspace_user"}, "archived"),
		// Removing the implicit default membership is a 200 no-op (TestMemberships).
		bad("member page garbage", "GET", saPath+"/"+f.sa+"/workspaces?page=!!!", nil, "page: the cursor does not match"),
		bad("member page from another list", "GET", saPath+"/"+f.sa+"/workspaces?page="+encodeCursor("svac", 1), nil, "page: the cursor does not match"),
		bad("member limit too big", "GET", saPath+"/"+f.sa+"/workspaces?limit=101", nil, "limit: must be an integer between 1 and 100"),

		// Issuers.
		bad("issuer url missing", "POST", issPath, map[string]any{"name": "x"}, "issuer_url: required"),
		bad("issuer url http", "POST", issPath, map[string]any{"name": "x", "issuer_url": "http://x.example.com"}, "issuer_url: url must use https scheme"),
		bad("issuer url ip (fetched)", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://10.0.0.1"}, "issuer_url: url host must be a DNS name"),
		bad("issuer url port (fetched)", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com:8443"}, "issuer_url: url must use the default https port"),
		bad("issuer url localhost (fetched)", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://localhost"}, "issuer_url:"),
		bad("issuer url query", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com?a=b", "jwks": map[string]any{"type": "inline", "keys": []any{jwk}}}, "issuer_url: url must not have a query"),
		bad("discovery_base ip", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "discovery", "discovery_base": "https://192.168.1.1"}}, "jwks.discovery_base:"),
		bad("explicit url port", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "explicit_url", "url": "https://keys.example.com:444/jwks"}}, "jwks.url: url must use the default https port"),
		bad("explicit url missing", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "explicit_url"}}, "jwks.url: required"),
		bad("jwks type missing", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{}}, "jwks.type: required"),
		bad("jwks type invalid", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "file"}}, "jwks.type: must be one of"),
		bad("jwks null", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": nil}, "jwks: must not be null"),
		bad("keys on discovery", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "discovery", "keys": []any{jwk}}}, "jwks.keys: not allowed when jwks.type is discovery"),
		bad("url on inline", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "inline", "keys": []any{jwk}, "url": "https://k.example.com"}}, "jwks.url: not allowed when jwks.type is inline"),
		bad("ca on inline", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "inline", "keys": []any{jwk}, "ca_cert_pem": "x"}}, "jwks.ca_cert_pem: not allowed"),
		bad("discovery_base on explicit", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "explicit_url", "url": "https://k.example.com", "discovery_base": "https://d.example.com"}}, "jwks.discovery_base: not allowed"),
		bad("inline keys missing", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "inline"}}, "jwks.keys: required"),
		bad("inline keys empty", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "inline", "keys": []any{}}}, "jwks.keys: must contain at least one key"),
		bad("inline private key", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "inline", "keys": []any{jwk, map[string]any{"kty": "EC", "kid": "p", "d": "secret"}}}}, "jwks.keys[1]: contains private key material"),
		bad("inline wrapper object", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "inline", "keys": map[string]any{"keys": []any{jwk}}}}, "jwks.keys: must be an array"),
		// Input hygiene (shared with the provider's plan-time checks).
		bad("issuer url 100 KB", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com/" + strings.Repeat("a", 100*1024)}, "issuer_url: url must be at most 2048 bytes"),
		bad("inline RSA 1-byte modulus", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "inline", "keys": []any{map[string]any{"kty": "RSA", "kid": "tiny", "e": "AQAB", "n": "-w"}}}}, "jwks.keys[0]: is a 8-bit RSA key; RSA keys must have at least 2048 bits"),
		bad("inline EC secp256k1", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "inline", "keys": []any{map[string]any{"kty": "EC", "crv": "secp256k1", "kid": "k", "x": "AA", "y": "AA"}}}}, `jwks.keys[0]: is an EC key on curve "secp256k1"`),
		bad("inline kid with ESC", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "inline", "keys": []any{withJWKMember(t, jwk, "kid", "k\x1b[31m")}}}, "jwks.keys[0]: kid must not contain control characters (character 2 is U+001B ESC)"),
		bad("sa description with BEL", "POST", saPath, map[string]any{"name": "x", "description": "bell\a"}, "description: must not contain control characters (character 5 is U+0007 BEL)"),
		bad("rule description with right-to-left override", "POST", rulesPath, rule("description", "a\u202eb"), "description: must not contain bidirectional formatting characters"),
		bad("rule claim with NUL", "POST", rulesPath, rule("match", map[string]any{"claims": map[string]any{"sub": "a\x00"}}), "match.claims.sub: must not contain control characters (character 2 is U+0000 NUL)"),
		bad("ca cert garbage", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks": map[string]any{"type": "discovery", "ca_cert_pem": "not a pem"}}, "jwks.ca_cert_pem:"),
		bad("jwt lifetime zero", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "max_jwt_lifetime_seconds": 0}, "max_jwt_lifetime_seconds: must be between 1 and 176400"),
		bad("jwt lifetime too long", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "max_jwt_lifetime_seconds": 176401}, "max_jwt_lifetime_seconds:"),
		bad("jwt lifetime fraction", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "max_jwt_lifetime_seconds": 1.5}, "max_jwt_lifetime_seconds: must be an integer"),
		bad("check_jti null", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "check_jti": nil}, "check_jti: must not be null"),
		// Only the service pauses polling: create has no such field, update takes only false.
		bad("polling on create", "POST", issPath, map[string]any{"name": "x", "issuer_url": "https://x.example.com", "jwks_polling_disabled": false}, "jwks_polling_disabled: unknown field"),
		bad("polling disabled by a client", "POST", issPath+"/"+google, map[string]any{"jwks_polling_disabled": true}, "jwks_polling_disabled: only false is accepted (it resumes polling); the service disables polling by itself after repeated JWKS fetch failures"),
		bad("polling null", "POST", issPath+"/"+google, map[string]any{"jwks_polling_disabled": nil}, "jwks_polling_disabled: must not be null"),
		{name: "polling resumed by oauth on a privileged rule's issuer", method: "POST", path: issPath + "/" + f.issuer, body: map[string]any{"jwks_polling_disabled": false}, status: 403, typ: "permission_error", contains: consoleRule},
		{name: "issuer duplicate name", method: "POST", path: issPath, body: map[string]any{"name": "base-iss", "issuer_url": "https://x.example.com"}, status: 409, typ: "conflict_error", contains: "name:"},
		{name: "issuer rename to taken", method: "POST", path: issPath + "/" + google, body: map[string]any{"name": "github"}, status: 409, typ: "conflict_error", contains: "name:"},
		bad("issuer archive referenced", "POST", issPath+"/"+f.issuer+"/archive", nil, f.rule),
		bad("issuer update archived", "POST", issPath+"/"+archivedIss, map[string]any{"check_jti": false}, "archived"),
		consoleBad("issuer switch to fetched ip", "POST", issPath+"/"+f.issuer, map[string]any{"issuer_url": "https://10.1.1.1"}, "issuer_url:"),
		consoleBad("issuer move unpins rule", "POST", issPath+"/"+f.issuer, map[string]any{"issuer_url": "https://token.actions.githubusercontent.com"}, f.rule),

		// Rules.
		bad("rule name null", "POST", rulesPath, withRule(rule(), "name", nil), "name: must not be null"),
		bad("rule issuer missing", "POST", rulesPath, without(rule(), "issuer_id"), "issuer_id: required"),
		bad("rule issuer malformed", "POST", rulesPath, rule("issuer_id", "iss-1"), "issuer_id: must look like fdis_01"),
		// The SDK documents invalid references in a rule create or update as 400s.
		bad("rule issuer unknown", "POST", rulesPath, rule("issuer_id", "fdis_01AAAAAAAAAAAAAAAAAAAAAAAA"), "issuer_id: federation issuer \"fdis_01AAAAAAAAAAAAAAAAAAAAAAAA\" not found"),
		bad("rule issuer archived", "POST", rulesPath, rule("issuer_id", archivedIss), "issuer_id:"),
		bad("rule match missing", "POST", rulesPath, without(rule(), "match"), "match: required"),
		bad("rule match empty", "POST", rulesPath, rule("match", map[string]any{}), "match: must set at least one"),
		bad("rule audience only", "POST", rulesPath, rule("match", map[string]any{"audience": "https://api.anthropic.com"}), "match: audience alone"),
		bad("rule subject star", "POST", rulesPath, rule("match", map[string]any{"subject_prefix": "*"}), "match.subject_prefix:"),
		bad("rule subject inner star", "POST", rulesPath, rule("match", map[string]any{"subject_prefix": "a*b"}), "match.subject_prefix:"),
		bad("rule claim empty value", "POST", rulesPath, rule("match", map[string]any{"claims": map[string]any{"email": ""}}), "match.claims.email:"),
		bad("rule claim not string", "POST", rulesPath, rule("match", map[string]any{"claims": map[string]any{"n": 1}}), "must be a string"),
		bad("rule match unknown member", "POST", rulesPath, rule("match", map[string]any{"subject": "x"}), "match.subject: unknown field"),
		bad("rule condition syntax", "POST", rulesPath, rule("match", map[string]any{"condition": "claims.email =="}), "match.condition:"),
		bad("rule condition constant true", "POST", rulesPath, rule("match", map[string]any{"condition": "1 == 1"}), "match.condition:"),
		bad("rule google unpinned", "POST", rulesPath, rule("issuer_id", google, "match", map[string]any{"claims": map[string]any{"hd": "example.com"}, "audience": "x"}), "match"),
		bad("rule google subject prefix", "POST", rulesPath, rule("issuer_id", google, "match", map[string]any{"subject_prefix": "1234*"}), "match"),
		bad("rule github unpinned", "POST", rulesPath, rule("issuer_id", github, "match", map[string]any{"claims": map[string]any{"ref": "refs/heads/main"}}), "match"),
		bad("rule github condition mentions tenant", "POST", rulesPath, rule("issuer_id", github, "match", map[string]any{"condition": `claims.repository_owner != "nobody"`}), "match.condition: GitHub Actions's issuer is shared by every GitHub repository, so this rule must pin yours, and its condition does not"),
		bad("rule github condition optional pin", "POST", rulesPath, rule("issuer_id", github, "match", map[string]any{"condition": `claims.repository == "acme/app" || claims.ref == "refs/heads/main"`}), "the || makes the pin"),
		bad("rule condition bare sub", "POST", rulesPath, rule("match", map[string]any{"condition": "claims.sub"}), "match.condition: condition must evaluate to a bool"),
		bad("rule condition tautology", "POST", rulesPath, rule("match", map[string]any{"condition": "has(claims.sub) || !has(claims.sub)"}), "match.condition: condition is always true"),
		bad("rule target missing", "POST", rulesPath, without(rule(), "target"), "target: required"),
		bad("rule target type", "POST", rulesPath, rule("target", map[string]any{"type": "user", "service_account_id": f.sa}), "target.type: must be service_account"),
		// target.service_account_name is ignored on writes (TestRuleTargetNameIgnored), but typed.
		bad("rule target name not a string", "POST", rulesPath, rule("target", map[string]any{"type": "service_account", "service_account_id": f.sa, "service_account_name": 5}), "target.service_account_name: must be a string"),
		bad("rule target unknown", "POST", rulesPath, rule("target", map[string]any{"type": "service_account", "service_account_id": "svac_01AAAAAAAAAAAAAAAAAAAAAAAA"}), "target.service_account_id: service account \"svac_01AAAAAAAAAAAAAAAAAAAAAAAA\" not found"),
		bad("rule update target unknown", "POST", rulesPath+"/"+f.rule, map[string]any{"target": map[string]any{"type": "service_account", "service_account_id": "svac_01AAAAAAAAAAAAAAAAAAAAAAAA"}}, "target.service_account_id:"),
		bad("rule target archived", "POST", rulesPath, rule("target", map[string]any{"type": "service_account", "service_account_id": archivedSA}), "target.service_account_id:"),
		bad("rule scope missing", "POST", rulesPath, without(rule(), "oauth_scope"), "oauth_scope: required"),
		bad("rule scope invalid", "POST", rulesPath, rule("oauth_scope", "org:owner"), "oauth_scope: must be one of"),
		{name: "rule org:admin by oauth", method: "POST", path: rulesPath, body: rule("oauth_scope", "org:admin", "target", map[string]any{"type": "service_account", "service_account_id": adminSA}), status: 403, typ: "permission_error", contains: "oauth_scope:"},
		{name: "rule tunnels by oauth", method: "POST", path: rulesPath, body: rule("oauth_scope", "workspace:manage_tunnels"), status: 403, typ: "permission_error", contains: "oauth_scope:"},
		{name: "rule org:admin on developer sa", console: true, method: "POST", path: rulesPath, body: rule("oauth_scope", "org:admin"), status: 400, typ: "invalid_request_error", contains: "organization_role admin"},
		bad("rule no workspace choice", "POST", rulesPath, without(rule(), "workspace_id"), "workspace_id: required unless applies_to_all_workspaces"),
		bad("rule all false", "POST", rulesPath, rule("workspace_id", nil, "applies_to_all_workspaces", false), "workspace_id: required"),
		bad("rule both workspace choices", "POST", rulesPath, rule("applies_to_all_workspaces", true), "workspace_id: cannot be combined"),
		bad("rule workspace malformed", "POST", rulesPath, rule("workspace_id", "production"), "workspace_id: must be"),
		bad("rule workspace unknown", "POST", rulesPath, rule("workspace_id", "wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA"), "workspace_id: workspace \"wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA\" not found"),
		bad("rule update workspace unknown", "POST", rulesPath+"/"+f.rule, map[string]any{"workspace_id": "wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA"}, "workspace_id: workspace"),
		bad("rule lifetime low", "POST", rulesPath, rule("token_lifetime_seconds", 59), "token_lifetime_seconds: must be between 60 and 86400"),
		bad("rule lifetime high", "POST", rulesPath, rule("token_lifetime_seconds", 86401), "token_lifetime_seconds:"),
		bad("rule attributes", "POST", rulesPath, rule("attributes", map[string]any{"team": "a"}), "attributes: must be null or empty"),
		bad("rule description too long", "POST", rulesPath, rule("description", strings.Repeat("x", 2001)), "description:"),
		{name: "rule duplicate name", method: "POST", path: rulesPath, body: rule("name", "base-rule"), status: 409, typ: "conflict_error", contains: "name:"},
		bad("rule issuer change", "POST", rulesPath+"/"+f.rule, map[string]any{"issuer_id": google}, "issuer_id: cannot be changed"),
		bad("rule update both workspace choices", "POST", rulesPath+"/"+f.rule, map[string]any{"workspace_id": "default", "applies_to_all_workspaces": true}, "workspace_id: cannot be combined"),
		bad("rule update bad match", "POST", rulesPath+"/"+f.rule, map[string]any{"match": map[string]any{"audience": "a"}}, "match: audience alone"),
		{name: "rule update console rule by oauth", method: "POST", path: rulesPath + "/" + consoleRule, body: map[string]any{"description": "x"}, status: 403, typ: "permission_error", contains: "oauth_scope:"},
		{name: "rule archive console rule by oauth", method: "POST", path: rulesPath + "/" + consoleRule + "/archive", status: 403, typ: "permission_error", contains: "oauth_scope:"},
		{name: "rule scope raise by oauth", method: "POST", path: rulesPath + "/" + f.rule, body: map[string]any{"oauth_scope": "workspace:manage_tunnels"}, status: 403, typ: "permission_error", contains: "oauth_scope:"},
		{name: "rule workspace enable unknown", method: "POST", path: rulesPath + "/" + f.rule + "/workspaces", body: map[string]any{"workspace_id": "wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA"}, status: 404, typ: "not_found_error", contains: "workspace_id:"},
		{name: "rule workspace disable unknown", method: "DELETE", path: rulesPath + "/" + f.rule + "/workspaces/wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA", status: 404, typ: "not_found_error", contains: "workspace_id:"},
		{name: "rule unknown id", method: "GET", path: rulesPath + "/fdrl_01AAAAAAAAAAAAAAAAAAAAAAAA", status: 404, typ: "not_found_error", contains: "not found"},

		// Lists.
		bad("limit zero", "GET", saPath+"?limit=0", nil, "limit: must be an integer between 1 and 100"),
		bad("limit too big", "GET", issPath+"?limit=101", nil, "limit:"),
		bad("limit not a number", "GET", rulesPath+"?limit=ten", nil, "limit:"),
		bad("page garbage", "GET", saPath+"?page=!!!", nil, "page: invalid page cursor"),
		bad("page from another list", "GET", saPath+"?page="+encodeCursor("fdrl", 1), nil, "page: invalid page cursor"),
		bad("include_archived garbage", "GET", saPath+"?include_archived=maybe", nil, "include_archived:"),
		bad("rules issuer filter malformed", "GET", rulesPath+"?issuer_id=x", nil, "issuer_id:"),
		bad("workspaces limit too big", "GET", wsPath+"?limit=1001", nil, "limit: must be an integer between 1 and 1000"),
		bad("workspaces after_id unknown", "GET", wsPath+"?after_id=wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA", nil, "after_id: no workspace"),
		bad("workspaces before_id literal default", "GET", wsPath+"?before_id=default", nil, "before_id: no workspace"),
		bad("workspaces both cursors", "GET", wsPath+"?after_id=a&before_id=b", nil, "before_id: cannot be combined with after_id"),
		bad("workspaces include_default garbage", "GET", wsPath+"?include_default=maybe", nil, "include_default:"),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := h.emu.AdminToken()
			if tt.console {
				token = h.emu.ConsoleToken()
			}
			wantError(t, h.call(tt.method, tt.path, token, tt.body), tt.status, tt.typ, tt.contains)
		})
	}
}

// withRule sets (or, for a nil value, deletes) keys of a copy of body.
func withRule(body map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range body {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		k := fmt.Sprint(kv[i])
		if kv[i+1] == nil && k != "name" {
			delete(out, k)
			continue
		}
		out[k] = kv[i+1]
	}
	return out
}

func without(body map[string]any, key string) map[string]any {
	out := withRule(body)
	delete(out, key)
	return out
}

// TestOAuthCallerMaySetAllowedValues pins the positive side of the
// permission checks, so the 403s above are not simply "everything refused".
func TestOAuthCallerMaySetAllowedValues(t *testing.T) {
	h := newHarness(t)
	f := h.fixture("ok")
	must(t, h.admin("POST", rulesPath+"/"+f.rule, map[string]any{"oauth_scope": "workspace:inference"}))
	must(t, h.admin("POST", saPath+"/"+f.sa, map[string]any{"organization_role": "developer"}))
	adminSA := h.createAdminSA("boss")
	// Not re-sending organization_role leaves an admin account editable.
	must(t, h.admin("POST", saPath+"/"+adminSA, map[string]any{"description": "ops"}))
	r := must(t, h.consolePost(rulesPath, withRule(ruleBody("tunnels", f.issuer, f.sa), "oauth_scope", "workspace:manage_tunnels")))
	if r.str("oauth_scope") != "workspace:manage_tunnels" {
		t.Fatalf("oauth_scope = %q", r.str("oauth_scope"))
	}
	// Reading privileged rules is fine for an OAuth caller.
	must(t, h.admin("GET", rulesPath+"/"+r.str("id"), nil))
	// organization_role null leaves the role unchanged (the SDK documents
	// it), so it needs no Console session even on an admin account.
	if r := must(t, h.admin("POST", saPath+"/"+adminSA, map[string]any{"organization_role": nil})); r.str("organization_role") != "admin" {
		t.Fatalf("organization_role after null = %q", r.str("organization_role"))
	}
}

// TestRuleTargetNameIgnored: target.service_account_name is read-only and
// ignored on writes, so a target read back from the API round-trips.
func TestRuleTargetNameIgnored(t *testing.T) {
	h := newHarness(t)
	f := h.fixture("named")
	other := h.createSA("other")
	r := must(t, h.admin("POST", rulesPath+"/"+f.rule, map[string]any{"target": map[string]any{"type": "service_account", "service_account_id": other, "service_account_name": "not-its-name"}}))
	if r.str("target.service_account_id") != other || r.str("target.service_account_name") != "other" {
		t.Fatalf("target = %v", r.get("target"))
	}
	body := withRule(ruleBody("named-2", f.issuer, f.sa), "target", map[string]any{"type": "service_account", "service_account_id": f.sa, "service_account_name": nil})
	if r := must(t, h.admin("POST", rulesPath, body)); r.str("target.service_account_name") != "named-sa" {
		t.Fatalf("target = %v", r.get("target"))
	}
}

func TestTenantPinnedGoogleRuleAccepted(t *testing.T) {
	h := newHarness(t)
	google := h.createIssuer("google", "https://accounts.google.com")
	sa := h.createSA("runner")
	body := withRule(ruleBody("cloud-run", google, sa), "match", map[string]any{
		"claims":   map[string]any{"sub": "123456789012345678901", "email": "runner@proj.iam.gserviceaccount.com"},
		"audience": "https://api.anthropic.com",
	})
	r := must(t, h.admin("POST", rulesPath, body))
	if r.get("match.subject_prefix") != nil || r.str("match.claims.sub") != "123456789012345678901" {
		t.Fatalf("match = %v", r.get("match"))
	}
	// Warnings never block: Google without audience is only advice.
	body = withRule(ruleBody("cloud-run-2", google, sa), "match", map[string]any{
		"claims": map[string]any{"sub": "123456789012345678901", "email": "runner@proj.iam.gserviceaccount.com"},
	})
	must(t, h.admin("POST", rulesPath, body))
}

func TestDecodingEdges(t *testing.T) {
	h := newHarness(t)
	// Empty body is {}: the missing field is named rather than "invalid JSON".
	wantError(t, h.admin("POST", saPath, ""), 400, "invalid_request_error", "name: required")

	big := `{"name":"x","description":"` + strings.Repeat("a", maxBodyBytes) + `"}`
	wantError(t, h.admin("POST", saPath, big), http.StatusRequestEntityTooLarge, "request_too_large", "exceeds")

	// Attributes: null, {} and [] are all "empty".
	f := h.fixture("attr")
	for _, v := range []string{`null`, `{}`, `[]`} {
		r := h.admin("POST", rulesPath+"/"+f.rule, json.RawMessage(`{"attributes":`+v+`}`))
		must(t, r)
		// Accepted on writes, never rendered: the SDK's FederationRule has no such member.
		if v, ok := r.body["attributes"]; ok {
			t.Fatalf("attributes rendered: %v", v)
		}
	}
}

// withJWKMember sets one member of a JWK.
func withJWKMember(t *testing.T, raw json.RawMessage, name string, value any) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m[name] = value
	return m
}
