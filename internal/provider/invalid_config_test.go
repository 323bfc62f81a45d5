package provider

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// The invalid-configuration suite: one table of mistakes across every
// resource, data source, the ephemeral resource and the provider block.
// Each row must fail with a diagnostic on its own block (terraform's
// "with <address>," line) that names the attribute to fix, and the whole
// suite must cost zero requests to the API, except the rows that take the
// issuer or the target to judge: those warn at plan, fail at apply, and
// may read but never write.
//
// Terraform reports every diagnostic of a phase at once, so the rows run
// grouped by the phase that catches them: one terraform run per phase
// instead of one per row.

// invalidPhase is when terraform reports a row's mistake.
type invalidPhase int

const (
	// atValidate: schema validators and ValidateConfig; `terraform
	// validate` (and so every plan) reports them.
	atValidate invalidPhase = iota
	// atApply: checks that need the issuer or the target (GETs only).
	atApply
)

type invalidRow struct {
	name string
	// block is one resource, data source, ephemeral resource or provider
	// block; its label "test" (or provider alias "test") is replaced by
	// the row's own.
	block string
	// attr is the attribute the diagnostic must name.
	attr string
	// want matches the diagnostic's text; spaces match any white space
	// (terraform wraps long lines).
	want  string
	phase invalidPhase
}

var blockHeader = regexp.MustCompile(`^\s*(resource|data|ephemeral|provider) "([a-z_]+)"(?: "test")? \{`)

// labelled gives a row's block its unique label and returns it with the
// address terraform names it by in diagnostics ("with <addr>,") and, for
// blocks that have one, the source location terraform shows for type
// errors of its own, which carry no address ("in <kind> "<type>" "<label>":").
func (r invalidRow) labelled(label string) (config, addr, where string) {
	m := blockHeader.FindStringSubmatch(r.block)
	if m == nil {
		panic("row " + r.name + ": no block header in " + r.block)
	}
	switch m[1] {
	case "provider":
		// An aliased provider block, with a resource that uses it so it is
		// part of the graph.
		cfg := strings.Replace(r.block, `provider "anthropic" {`, fmt.Sprintf("provider \"anthropic\" {\n  alias = %q", label), 1) +
			fmt.Sprintf("resource \"anthropic_service_account\" %q {\n  provider = anthropic.%s\n  name = \"never-created\"\n}\n", "uses_"+label, label)
		return cfg, fmt.Sprintf(`provider["registry.terraform.io/hashicorp/anthropic"].%s`, label), ""
	case "resource":
		addr = m[2] + "." + label
	default:
		addr = m[1] + "." + m[2] + "." + label
	}
	where = fmt.Sprintf("in %s %q %q:", m[1], m[2], label)
	return strings.Replace(r.block, `"`+m[2]+`" "test" {`, `"`+m[2]+`" "`+label+`" {`, 1), addr, where
}

// diagnosticBlocks splits terraform's error output into its diagnostics.
func diagnosticBlocks(out string) []string {
	parts := strings.Split(out, "Error: ")
	if len(parts) > 0 {
		parts = parts[1:]
	}
	return parts
}

// runInvalidGroup runs rows as one terraform configuration and checks that
// each has its own diagnostic.
func runInvalidGroup(t *testing.T, env *testEnv, rows []invalidRow, apply bool) {
	t.Helper()
	var b strings.Builder
	b.WriteString(env.providerConfig())
	addrs, wheres := make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		cfg, addr, where := r.labelled(fmt.Sprintf("r%d", i))
		b.WriteString(cfg)
		addrs[i], wheres[i] = addr, where
	}
	var checked atomic.Bool
	resource.Test(t, resource.TestCase{
		TerraformVersionChecks:   ephemeralVersions,
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		ErrorCheck: func(err error) error {
			checked.Store(true)
			blocks := diagnosticBlocks(err.Error())
			var missing []string
			for i, r := range rows {
				want := wrapTolerant(r.want)
				attr := regexp.MustCompile(`\b` + regexp.QuoteMeta(r.attr) + `\b`)
				found := false
				for _, d := range blocks {
					located := strings.Contains(d, "with "+addrs[i]+",") || (wheres[i] != "" && strings.Contains(d, wheres[i]))
					if located && want.MatchString(d) && attr.MatchString(d) {
						found = true
						break
					}
				}
				if !found {
					missing = append(missing, fmt.Sprintf("%q (%s, attribute %s, /%s/)", r.name, addrs[i], r.attr, r.want))
				}
			}
			if len(missing) > 0 {
				return fmt.Errorf("%d row(s) without their diagnostic:\n  %s\nterraform said:\n%w", len(missing), strings.Join(missing, "\n  "), err)
			}
			return nil
		},
		Steps: []resource.TestStep{{Config: b.String(), PlanOnly: !apply}},
	})
	if !checked.Load() {
		t.Errorf("terraform accepted %d invalid configurations", len(rows))
	}
}

func TestAccInvalidConfigurations(t *testing.T) {
	t.Parallel()
	rows := invalidConfigRows(t)
	if len(rows) < 60 {
		t.Fatalf("only %d invalid configurations", len(rows))
	}
	types := map[string]bool{}
	for _, r := range rows {
		m := blockHeader.FindStringSubmatch(r.block)
		types[m[1]+" "+m[2]] = true
	}
	for _, want := range []string{
		"provider anthropic", "ephemeral anthropic_federation_token",
		"resource anthropic_service_account", "resource anthropic_service_account_workspace", "resource anthropic_federation_issuer",
		"resource anthropic_federation_rule", "resource anthropic_federation_rule_workspace",
		"data anthropic_service_account", "data anthropic_federation_issuer", "data anthropic_federation_rule",
		"data anthropic_federation_rules", "data anthropic_google_service_account", "data anthropic_workspace", "data anthropic_workspaces",
		"data anthropic_service_accounts", "data anthropic_federation_issuers",
	} {
		if !types[want] {
			t.Errorf("no invalid configuration of %s", want)
		}
	}
	t.Run("validate", func(t *testing.T) {
		t.Parallel()
		env := newTestEnv(t)
		for _, r := range rows {
			if r.phase != atValidate {
				t.Fatalf("row %q is not caught at validate", r.name)
			}
		}
		runInvalidGroup(t, env, rows, false)
		if n := env.emu.TotalRequests(); n != 0 {
			t.Errorf("invalid configurations reached the API: %d requests", n)
		}
	})
	t.Run("apply", func(t *testing.T) {
		t.Parallel()
		env := newTestEnv(t)
		rows := issuerDependentRows(t, env)
		env.emu.ResetCounters()
		runInvalidGroup(t, env, rows, true)
		for _, route := range emulator.Routes() {
			if n := env.emu.RequestCount(route); n > 0 && !strings.HasPrefix(route, "GET ") {
				t.Errorf("invalid configurations made %d write requests to %s", n, route)
			}
		}
		if env.emu.RequestCount(emulator.RouteGetIssuer) == 0 {
			t.Errorf("the tenant-pinning checks never read the issuer")
		}
	})
}

// invalidConfigRows are the mistakes the configuration alone shows.
func invalidConfigRows(t *testing.T) []invalidRow {
	key := testPublicJWK(t, 0, "k")
	inline := func(keys string) string {
		return fmt.Sprintf("  jwks = {\n    type = \"inline\"\n    keys = %q\n  }\n", keys)
	}
	okURL := "https://idp.example.com"
	iss := "fdis_01" + strings.Repeat("A", 24)
	sa := "svac_01" + strings.Repeat("B", 24)
	rule := "fdrl_01" + strings.Repeat("C", 24)
	ws := "wrkspc_01" + strings.Repeat("D", 24)
	okRule := ruleCfg{issuerID: iss, saID: sa, workspaces: fmt.Sprintf("workspace_ids = [%q]", ws)}
	with := func(mod func(*ruleCfg)) string {
		c := okRule
		mod(&c)
		return c.hcl()
	}
	withMatch := func(match string) string { return with(func(c *ruleCfg) { c.match = match }) }
	pinned := `sub = "` + testGoogleSub + `", email = "` + testGoogleEmail + `"`
	membership := func(saID, ws, role string) string {
		return fmt.Sprintf("resource \"anthropic_service_account_workspace\" \"test\" {\n  service_account_id = %q\n  workspace_id = %q\n  workspace_role = %q\n}\n", saID, ws, role)
	}
	enable := func(ruleID, ws string) string {
		return fmt.Sprintf("resource \"anthropic_federation_rule_workspace\" \"test\" {\n  federation_rule_id = %q\n  workspace_id = %q\n}\n", ruleID, ws)
	}
	token := func(lines string) string {
		return fmt.Sprintf("ephemeral \"anthropic_federation_token\" \"test\" {\n  federation_rule_id = %q\n  service_account_id = %q\n  %s\n}\n", rule, sa, lines)
	}
	data := func(typ, body string) string { return fmt.Sprintf("data %q \"test\" {\n%s\n}\n", typ, body) }
	prov := func(attrs string) string {
		return "provider \"anthropic\" {\n" + attrs + "\n}\n"
	}
	const localURL = `base_url = "http://127.0.0.1:1"`
	const oauth = `auth_token = "sk-ant-oat01-test"`
	fed := fmt.Sprintf(`rule_id = %q, service_account_id = %q`, "fdrl_01"+strings.Repeat("a", 24), "svac_01"+strings.Repeat("b", 24))

	return []invalidRow{
		// ---- provider block: all at validate, where the value is known.
		{"plain http to a remote base_url", prov(`base_url = "http://api.example.com"` + "\n" + oauth), "base_url", `(?s)Unsafe or invalid base_url.*refuses to send a bearer token`, atValidate},
		{"ftp base_url", prov(`base_url = "ftp://api.anthropic.com"` + "\n" + oauth), "base_url", `(?s)must use https`, atValidate},
		{"relative base_url", prov(`base_url = "api.anthropic.com"` + "\n" + oauth), "base_url", `(?s)not an absolute URL`, atValidate},
		{"Admin API key as auth_token", prov(localURL + "\n" + `auth_token = "sk-ant-admin01-xyz"`), "auth_token", `(?s)Admin API key cannot manage.*OAuth`, atValidate},
		{"API key as auth_token", prov(localURL + "\n" + `auth_token = "sk-ant-api03-xyz"`), "auth_token", `(?s)API key cannot manage workload identity federation`, atValidate},
		{"empty auth_token", prov(localURL + "\n" + `auth_token = ""`), "auth_token", `(?s)Missing Anthropic credential`, atValidate},
		{"organization_id not a UUID", prov(localURL + "\n" + oauth + "\n" + `organization_id = "not-a-uuid"`), "organization_id", `(?s)must be a UUID`, atValidate},
		{"request_timeout not a duration", prov(localURL + "\n" + oauth + "\n" + `request_timeout = "soon"`), "request_timeout", `(?s)request_timeout.*not a duration`, atValidate},
		{"request_timeout of an hour", prov(localURL + "\n" + oauth + "\n" + `request_timeout = "1h"`), "request_timeout", `(?s)request_timeout`, atValidate},
		{"max_retries 99", prov(localURL + "\n" + oauth + "\n" + `max_retries = 99`), "max_retries", `(?s)max_retries.*between 0 and 10`, atValidate},
		{"max_retries -1", prov(localURL + "\n" + oauth + "\n" + `max_retries = -1`), "max_retries", `(?s)max_retries.*between 0 and 10`, atValidate},
		{"auth_token and federation", prov(localURL + "\n" + oauth + "\nfederation = { " + fed + `, identity_token_file = "/t" }`), "federation", `(?s)Conflicting Anthropic credentials.*auth_token and federation are both set`, atValidate},
		{"two identity sources in federation", prov(localURL + "\nfederation = { " + fed + `, identity_token_file = "/t", gce_metadata = {} }`), "federation", `(?s)Conflicting identity sources`, atValidate},
		{"federation.rule_id of the wrong shape", prov(localURL + "\n" + fmt.Sprintf(`federation = { rule_id = "fdrl_bad", service_account_id = %q, gce_metadata = {} }`, sa)), "rule_id", `(?s)federation\.rule_id.*fdrl_01`, atValidate},
		{"federation.service_account_id of the wrong shape", prov(localURL + "\n" + fmt.Sprintf(`federation = { rule_id = %q, service_account_id = "user_1", gce_metadata = {} }`, rule)), "service_account_id", `(?s)federation\.service_account_id.*svac_01`, atValidate},
		{"two organization ids", prov(localURL + "\n" + `organization_id = "00000000-0000-4000-8000-000000000001"` + "\nfederation = { " + fed + `, organization_id = "00000000-0000-4000-8000-000000000000", gce_metadata = {} }`), "organization_id", `(?s)Conflicting organization IDs`, atValidate},

		{"google.credentials and google.access_token", prov(localURL + "\n" + oauth + "\n" + `google = {
  credentials = "/tmp/key.json"
  access_token = "ya29.x"
}`), "access_token", `(?s)google\.access_token.*cannot be specified`, atValidate},
		{"plain http Google IAM endpoint", prov(localURL + "\n" + oauth + "\n" + `google = { iam_custom_endpoint = "http://iam.example.com/v1/" }`), "iam_custom_endpoint", `(?s)iam_custom_endpoint.*plain http`, atValidate},
		{"relative Google IAM Credentials endpoint", prov(localURL + "\n" + oauth + "\n" + `google = { iam_credentials_custom_endpoint = "iamcredentials.googleapis.com" }`), "iam_credentials_custom_endpoint", `(?s)iam_credentials_custom_endpoint.*absolute`, atValidate},
		{"impersonation of a non-email", prov(localURL + "\n" + oauth + "\n" + `google = { impersonate_service_account = "terraform" }`), "impersonate_service_account", `(?s)impersonate_service_account.*not a service account email`, atValidate},
		{"delegates without impersonation", prov(localURL + "\n" + oauth + "\n" + `google = { impersonate_service_account_delegates = ["a@p-123456.iam.gserviceaccount.com"] }`), "impersonate_service_account", `(?s)google\.impersonate_service_account.*must be specified`, atValidate},

		// ---- anthropic_service_account
		{"uppercase service account name", serviceAccountConfig("CI_Deployer", ""), "name", `(?s)name.*lowercase letters, digits and hyphens`, atValidate},
		{"empty service account name", serviceAccountConfig("", ""), "name", `(?s)name.*must not be empty`, atValidate},
		{"service account name too long", serviceAccountConfig(strings.Repeat("a", 256), ""), "name", `(?s)name.*255`, atValidate},
		{"empty service account description", serviceAccountConfig("ok", `  description = ""`), "description", `(?s)description.*length`, atValidate},
		{"service account description too long", serviceAccountConfig("ok", fmt.Sprintf("  description = %q", strings.Repeat("d", 2001))), "description", `(?s)description.*2000`, atValidate},
		{"unknown organization_role", serviceAccountConfig("ok", `  organization_role = "owner"`), "organization_role", `(?s)organization_role.*value must be one of`, atValidate},
		{"ANSI escape in a description", serviceAccountConfig("ok", `  description = "deploy \u001b[31mred"`), "description", `(?s)description: must not contain control characters \(character 8 is U\+001B ESC\)`, atValidate},
		{"right-to-left override in a description", serviceAccountConfig("ok", `  description = "invoice\u202egpj.exe"`), "description", `(?s)description: must not contain bidirectional formatting characters.*\(character 8 is U\+202E RIGHT-TO-LEFT OVERRIDE\)`, atValidate},
		{"NUL in a multi-line description", serviceAccountConfig("ok", "  description = <<-EOT\n    first line\n    second ${\"\\u0000\"}\n  EOT"), "description", `(?s)description: must not contain control characters \(character 19 is U\+0000 NUL\)`, atValidate},
		{"bidirectional character in a name", serviceAccountConfig("ci\u202e", ""), "name", `(?s)name.*character 3 is U\+202E`, atValidate},

		// ---- anthropic_service_account_workspace
		{"membership role", membership(sa, ws, "workspace_owner"), "workspace_role", `(?s)workspace_role.*value must be one of`, atValidate},
		{"membership service account id", membership("user_01ABCDEFGHIJKLMNOPQRSTUVWX", ws, "workspace_user"), "service_account_id", `(?s)service_account_id.*svac_`, atValidate},
		{"membership in the literal default workspace", membership(sa, "default", "workspace_user"), "workspace_id", `(?s)workspace_id.*"default" is not stored by the API`, atValidate},
		{"membership workspace name for id", membership(sa, "production", "workspace_user"), "workspace_id", `(?s)workspace_id.*wrkspc_`, atValidate},

		// ---- anthropic_federation_issuer
		{"issuer name", issuerConfig("Corp_IdP", okURL, ""), "name", `(?s)name: must contain only lowercase letters`, atValidate},
		{"http issuer_url", issuerConfig("x", "http://idp.example.com", ""), "issuer_url", `(?s)issuer_url: url must use https`, atValidate},
		{"IP literal issuer_url fetched by discovery", issuerConfig("x", "https://203.0.113.10", ""), "issuer_url", `(?s)issuer_url: url host must be a DNS name, not an IP`, atValidate},
		{"port 8443 fetched by discovery", issuerConfig("x", "https://idp.example.com:8443", ""), "issuer_url", `(?s)issuer_url: url must use the default https port 443`, atValidate},
		{"localhost fetched by discovery", issuerConfig("x", "https://localhost", ""), "issuer_url", `(?s)issuer_url: url host must be a public DNS name`, atValidate},
		{"issuer_url with a query", issuerConfig("x", "https://idp.example.com/?tenant=1", inline("["+key+"]")), "issuer_url", `(?s)issuer_url: url must not have a query`, atValidate},
		{"inline jwks without keys", issuerConfig("x", okURL, "  jwks = { type = \"inline\" }\n"), "keys", `(?s)jwks.keys is required when jwks.type is "inline"`, atValidate},
		{"inline jwks with a url", issuerConfig("x", okURL, fmt.Sprintf("  jwks = {\n    type = \"inline\"\n    keys = %q\n    url = \"https://idp.example.com/k\"\n  }\n", "["+key+"]")), "url", `(?s)jwks.url is not allowed when jwks.type is "inline"`, atValidate},
		{"inline jwks with ca_cert_pem", issuerConfig("x", okURL, fmt.Sprintf("  jwks = {\n    type = \"inline\"\n    keys = %q\n    ca_cert_pem = %q\n  }\n", "["+key+"]", testCACertPEM(t))), "ca_cert_pem", `(?s)jwks.ca_cert_pem is not allowed`, atValidate},
		{"discovery jwks with keys", issuerConfig("x", okURL, fmt.Sprintf("  jwks = {\n    type = \"discovery\"\n    keys = %q\n  }\n", "["+key+"]")), "keys", `(?s)jwks.keys is not allowed when jwks.type is "discovery"`, atValidate},
		{"explicit_url jwks without url", issuerConfig("x", okURL, "  jwks = { type = \"explicit_url\" }\n"), "url", `(?s)jwks.url is required when jwks.type is "explicit_url"`, atValidate},
		{"explicit_url jwks on an IP", issuerConfig("x", okURL, "  jwks = {\n    type = \"explicit_url\"\n    url = \"https://[2001:db8::1]/keys\"\n  }\n"), "url", `(?s)jwks.url: url host must be a DNS name, not an IP`, atValidate},
		{"http discovery_base", issuerConfig("x", okURL, "  jwks = {\n    type = \"discovery\"\n    discovery_base = \"http://idp.example.com\"\n  }\n"), "discovery_base", `(?s)jwks.discovery_base: url must use https`, atValidate},
		{"jwks keys not JSON", issuerConfig("x", okURL, inline("[{not json")), "keys", `(?s)jwks.keys is not valid JSON`, atValidate},
		{"jwks keys as a JWK Set", issuerConfig("x", okURL, inline(`{"keys":[`+key+`]}`)), "keys", `(?s)jwks.keys must be a JSON array of keys, not a JWK Set`, atValidate},
		{"private key in jwks", issuerConfig("x", okURL, inline("["+testPrivateJWK(t, "p")+"]")), "keys", `(?s)jwks.keys\[0\]: contains private key material`, atValidate},
		{"symmetric key in jwks", issuerConfig("x", okURL, inline(`[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]`)), "keys", `(?s)jwks.keys\[0\]: is a symmetric`, atValidate},
		{"duplicate kid", issuerConfig("x", okURL, inline("["+key+","+testPublicJWK(t, 1, "k")+"]")), "keys", `(?s)jwks.keys\[1\]: kid "k" is also used`, atValidate},
		{"max_jwt_lifetime_seconds 0", issuerConfig("x", okURL, "  max_jwt_lifetime_seconds = 0\n"), "max_jwt_lifetime_seconds", `(?s)between 1 and 176400`, atValidate},
		{"max_jwt_lifetime_seconds 176401", issuerConfig("x", okURL, "  max_jwt_lifetime_seconds = 176401\n"), "max_jwt_lifetime_seconds", `(?s)between 1 and 176400`, atValidate},
		{"unknown jwks.type", issuerConfig("x", okURL, "  jwks = { type = \"jwks_uri\" }\n"), "type", `(?s)jwks.type.*value must be one of`, atValidate},
		{"jwks_polling_disabled set", issuerConfig("x", okURL, "  jwks_polling_disabled = true\n"), "jwks_polling_disabled", `(?s)jwks_polling_disabled can only be false`, atValidate},
		{"100 KB issuer_url", issuerConfig("x", "https://idp.example.com/"+strings.Repeat("a", 100*1024), ""), "issuer_url", `(?s)issuer_url: url must be at most 2048 bytes \(got 102424\)`, atValidate},
		{"bidirectional character in issuer_url", issuerConfig("x", "https://idp.example.com/\u202e", inline("["+key+"]")), "issuer_url", `(?s)issuer_url: url must not contain bidirectional formatting characters`, atValidate},
		{"RSA key with a 1-byte modulus", issuerConfig("x", okURL, inline(`[{"kty":"RSA","kid":"tiny","e":"AQAB","n":"-w"}]`)), "keys", `(?s)jwks.keys\[0\]: is a 8-bit RSA key; RSA keys must have at least 2048 bits`, atValidate},
		{"EC key on secp256k1", issuerConfig("x", okURL, inline(`[{"kty":"EC","crv":"secp256k1","kid":"k1","x":"AA","y":"AA"}]`)), "keys", `(?s)jwks.keys\[0\]: is an EC key on curve "secp256k1"`, atValidate},
		{"ANSI escape in a kid", issuerConfig("x", okURL, inline("["+strings.Replace(key, `"kid":"k"`, `"kid":"k\u001b[31m"`, 1)+"]")), "keys", `(?s)jwks.keys\[0\]: kid must not contain control characters`, atValidate},
		{"ca_cert_pem garbage", issuerConfig("x", okURL, "  jwks = {\n    type = \"discovery\"\n    ca_cert_pem = \"not a certificate\"\n  }\n"), "ca_cert_pem", `(?s)jwks.ca_cert_pem: must contain at least one PEM certificate`, atValidate},

		// ---- anthropic_federation_rule: what the configuration alone shows.
		{"CEL syntax error", withMatch(`{ claims = { ` + pinned + ` }, condition = "claims.email ==" }`), "condition", `(?s)match\.condition:.*Syntax error`, atValidate},
		{"CEL type error", withMatch(`{ claims = { ` + pinned + ` }, condition = "size(claims) + \"x\" == \"y\"" }`), "condition", `(?s)match\.condition:.*no matching overload`, atValidate},
		{"CEL non-bool result", withMatch(`{ claims = { ` + pinned + ` }, condition = "size(claims.email)" }`), "condition", `(?s)match\.condition: condition must evaluate to a bool`, atValidate},
		{"CEL constant true", withMatch(`{ claims = { ` + pinned + ` }, condition = "1 == 1" }`), "condition", `(?s)match\.condition: condition is always true`, atValidate},
		{"CEL empty", withMatch(`{ claims = { ` + pinned + ` }, condition = "" }`), "condition", `(?s)match\.condition: condition must not be empty`, atValidate},
		{"CEL bare sub", withMatch(`{ claims = { ` + pinned + ` }, condition = "claims.sub" }`), "condition", `(?s)match\.condition: condition must evaluate to a bool, but it is claims\.sub, which is a string`, atValidate},
		{"CEL tautology", withMatch(`{ claims = { ` + pinned + ` }, condition = "has(claims.sub) || !has(claims.sub)" }`), "condition", `(?s)match\.condition: condition is always true in effect`, atValidate},
		{"audience-only match", withMatch(`{ audience = "` + testAudience + `" }`), "match", `(?s)match: audience alone does not identify a workload`, atValidate},
		{"empty match", withMatch(`{}`), "match", `(?s)match: must set at least one of subject_prefix, claims or condition`, atValidate},
		{"empty claims map", withMatch(`{ claims = {}, subject_prefix = "x" }`), "claims", `(?s)match\.claims.*at least 1`, atValidate},
		{"empty claim value", withMatch(`{ claims = { sub = "` + testGoogleSub + `", email = "" } }`), "email", `(?s)match\.claims\.email: must not be empty`, atValidate},
		{"empty audience", withMatch(`{ audience = "", claims = { ` + pinned + ` } }`), "audience", `(?s)match\.audience: must not be empty`, atValidate},
		{"subject_prefix star only", withMatch(`{ subject_prefix = "*" }`), "subject_prefix", `(?s)match\.subject_prefix: "\*" alone matches every subject`, atValidate},
		{"subject_prefix inner star", withMatch(`{ subject_prefix = "repo:*/x*" }`), "subject_prefix", `(?s)match\.subject_prefix: "\*" is only allowed at the end`, atValidate},
		{"rule name", with(func(c *ruleCfg) { c.name = "Cloud_Run" }), "name", `(?s)name.*must contain only lowercase letters, digits and hyphens`, atValidate},
		{"issuer_id of a rule", with(func(c *ruleCfg) { c.issuerID = rule }), "issuer_id", `(?s)issuer_id.*fdis_01`, atValidate},
		{"target service_account_id", with(func(c *ruleCfg) { c.saID = "user_01ABCDEFGHIJKLMNOPQRSTUVWX" }), "service_account_id", `(?s)target\.service_account_id.*svac_01`, atValidate},
		{"workspace name for id", with(func(c *ruleCfg) { c.workspaces = `workspace_ids = ["production"]` }), "workspace_ids", `(?s)workspace_ids.*wrkspc_`, atValidate},
		{"literal default workspace", with(func(c *ruleCfg) { c.workspaces = `workspace_ids = ["default"]` }), "workspace_ids", `(?s)workspace_ids.*"default" is not stored by the API.*data.anthropic_workspace.default.id`, atValidate},
		{"no workspace", with(func(c *ruleCfg) { c.workspaces = `applies_to_all_workspaces = false` }), "workspace_ids", `(?s)Missing workspaces`, atValidate},
		{"empty workspace_ids", with(func(c *ruleCfg) { c.workspaces = `workspace_ids = []` }), "workspace_ids", `(?s)workspace_ids.*at least 1`, atValidate},
		{"token lifetime 59", with(func(c *ruleCfg) { c.extra = `token_lifetime_seconds = 59` }), "token_lifetime_seconds", `(?s)between 60 and 86400`, atValidate},
		{"token lifetime 86401", with(func(c *ruleCfg) { c.extra = `token_lifetime_seconds = 86401` }), "token_lifetime_seconds", `(?s)between 60 and 86400`, atValidate},
		{"oauth_scope", with(func(c *ruleCfg) { c.scope = "workspace:admin" }), "oauth_scope", `(?s)oauth_scope.*must be one of`, atValidate},
		{"duplicate oauth_scope", with(func(c *ruleCfg) { c.scope = "workspace:developer workspace:developer" }), "oauth_scope", `(?s)oauth_scope.*names workspace:developer more than once`, atValidate},
		{"oauth_scope with a double space", with(func(c *ruleCfg) { c.scope = "workspace:developer  workspace:inference" }), "oauth_scope", `(?s)oauth_scope.*single spaces`, atValidate},
		{"empty rule description", with(func(c *ruleCfg) { c.extra = `description = ""` }), "description", `(?s)description.*length`, atValidate},
		{"rule description too long", with(func(c *ruleCfg) { c.extra = fmt.Sprintf("description = %q", strings.Repeat("d", 2001)) }), "description", `(?s)description.*2000`, atValidate},
		{"BEL in a rule description", with(func(c *ruleCfg) { c.extra = `description = "bell\u0007"` }), "description", `(?s)character 5 is U\+0007 BEL`, atValidate},
		{"right-to-left override in a rule name", with(func(c *ruleCfg) { c.name = "robot\u202e" }), "name", `(?s)character 6 is U\+202E`, atValidate},
		{"ANSI escape in a claim", withMatch(`{ claims = { sub = "` + testGoogleSub + `", email = "agent\u001b[31m@example.com" } }`), "email", `(?s)match\.claims\.email: must not contain control characters`, atValidate},
		{"NUL in a claim name", withMatch(`{ claims = { sub = "` + testGoogleSub + `", "email\u0000" = "a@example.com" } }`), "claims", `(?s)claim name must not contain control characters`, atValidate},
		{"right-to-left override in audience", withMatch(`{ audience = "https://api.anthropic.com\u202e", claims = { ` + pinned + ` } }`), "audience", `(?s)match\.audience: must not contain bidirectional formatting characters`, atValidate},
		{"BEL in subject_prefix", withMatch(`{ subject_prefix = "repo:acme/\u0007*" }`), "subject_prefix", `(?s)match\.subject_prefix: must not contain control characters`, atValidate},
		{"right-to-left override in a condition", withMatch(`{ claims = { ` + pinned + ` }, condition = "claims.email_verified == true // \u202e" }`), "condition", `(?s)match\.condition: must not contain bidirectional formatting characters`, atValidate},

		// ---- anthropic_federation_rule_workspace
		{"enablement of a service account id", enable(sa, "default"), "federation_rule_id", `(?s)federation_rule_id.*fdrl_01`, atValidate},
		{"enablement of a workspace name", enable(rule, "production"), "workspace_id", `(?s)workspace_id.*wrkspc_`, atValidate},

		// ---- data sources
		{"service account lookup by nothing", data("anthropic_service_account", ""), "name", `(?s)Exactly one of these attributes must be configured: \[id,name\]`, atValidate},
		{"service account lookup by id and name", data("anthropic_service_account", fmt.Sprintf("id = %q\nname = \"x\"", sa)), "name", `(?s)Invalid Attribute Combination`, atValidate},
		{"service account lookup by an issuer id", data("anthropic_service_account", fmt.Sprintf("id = %q", iss)), "id", `(?s)id.*svac_01`, atValidate},
		{"service account lookup by a display name", data("anthropic_service_account", `name = "CI Deployer"`), "name", `(?s)name: must contain only lowercase letters`, atValidate},
		{"issuer lookup by nothing", data("anthropic_federation_issuer", ""), "issuer_url", `(?s)\[id,name,issuer_url\]`, atValidate},
		{"issuer lookup by id of a service account", data("anthropic_federation_issuer", fmt.Sprintf("id = %q", sa)), "id", `(?s)id: must look like fdis_`, atValidate},
		{"issuer lookup by an uppercase name", data("anthropic_federation_issuer", `name = "Google"`), "name", `(?s)name: must contain only lowercase letters`, atValidate},
		{"issuer lookup by an empty issuer_url", data("anthropic_federation_issuer", `issuer_url = ""`), "issuer_url", `(?s)issuer_url.*length`, atValidate},
		{"rule lookup by id and name", data("anthropic_federation_rule", fmt.Sprintf("id = %q\nname = \"x\"", rule)), "name", `(?s)Invalid Attribute Combination.*\[id,name\]`, atValidate},
		{"rule lookup by an uppercase name", data("anthropic_federation_rule", `name = "Rule"`), "name", `(?s)name: must contain only lowercase letters`, atValidate},
		{"rules filtered by a rule id", data("anthropic_federation_rules", fmt.Sprintf("issuer_id = %q", rule)), "issuer_id", `(?s)issuer_id.*fdis_01`, atValidate},
		{"workspace lookup by nothing", data("anthropic_workspace", ""), "default", `(?s)Exactly one of these attributes must be configured: \[id,name,default\]`, atValidate},
		{"workspace lookup by name and default", data("anthropic_workspace", "name = \"production\"\ndefault = true"), "default", `(?s)Invalid Attribute Combination`, atValidate},
		{"workspace lookup by default = false", data("anthropic_workspace", "default = false"), "default", `(?s)default = false selects no workspace`, atValidate},
		{"workspace lookup by the literal default", data("anthropic_workspace", `id = "default"`), "id", `(?s)id.*wrkspc_01`, atValidate},
		// The list data sources take booleans only: terraform itself refuses
		// anything else, on the attribute.
		{"service accounts include_archived not a bool", data("anthropic_service_accounts", `include_archived = "maybe"`), "include_archived", `(?s)Incorrect attribute value type`, atValidate},
		{"issuers include_archived not a bool", data("anthropic_federation_issuers", `include_archived = "maybe"`), "include_archived", `(?s)Incorrect attribute value type`, atValidate},
		{"workspaces include_default not a bool", data("anthropic_workspaces", `include_default = "maybe"`), "include_default", `(?s)Incorrect attribute value type`, atValidate},
		{"Google account without a domain", googleSADataSource("test", "ci-runner@", ""), "account_id", `(?s)Invalid Google service account email.*account_id`, atValidate},
		{"Google resource name without an email", googleSADataSource("test", "projects/p/serviceAccounts", ""), "account_id", `(?s)Invalid Google service account name`, atValidate},
		{"Google email with a space", googleSADataSource("test", "a b@example.iam.gserviceaccount.com", ""), "account_id", `(?s)Invalid Google service account email`, atValidate},
		{"Google resource name of a non-email", googleSADataSource("test", "projects/wif-demo-project/serviceAccounts/not-an-email", ""), "account_id", `(?s)Invalid Google service account name`, atValidate},
		{"Google short name with a project", googleSADataSource("test", "ci", "wif-demo-project"), "account_id", `(?s)account_id.*"ci" is neither an email`, atValidate},
		{"Google resource name and another project", googleSADataSource("test", "projects/wif-demo-project/serviceAccounts/ci@wif-demo-project.iam.gserviceaccount.com", "other-project"), "project", `(?s)Conflicting Google project.*remove project`, atValidate},
		{"Google project id", googleSADataSource("test", "ci@wif-demo-project.iam.gserviceaccount.com", "Not_A_Project"), "project", `(?s)Invalid Google project ID`, atValidate},

		// ---- ephemeral anthropic_federation_token
		{"two identity sources", token("identity_token_file = \"/a\"\n  gce_metadata = {}"), "gce_metadata", `(?s)Conflicting identity sources`, atValidate},
		{"no identity source", token(""), "identity_token_file", `(?s)Missing identity source`, atValidate},
		{"token workspace name for id", token("gce_metadata = {}\n  workspace_id = \"prod\""), "workspace_id", `(?s)workspace_id`, atValidate},
		{"impersonation of a non-email", token(`google_impersonation = { service_account = "not-an-email" }`), "service_account", `(?s)google_impersonation\.service_account.*not a service account email`, atValidate},
		{"executable without a command", token(`executable = { command = [] }`), "command", `(?s)executable\.command`, atValidate},
		{"executable timeout not a duration", token(`executable = { command = ["/bin/true"], timeout = "forever" }`), "timeout", `(?s)executable\.timeout.*not a duration`, atValidate},
	}
}

// issuerDependentRows need the issuer or the target to judge: the rule
// warns at plan and fails at apply, reading them but writing nothing.
func issuerDependentRows(t *testing.T, env *testEnv) []invalidRow {
	google := env.issuer(t, "google", policy.GoogleIssuer)
	github := env.issuer(t, "github", policy.GitHubActionsIssuer)
	gitlab := env.issuer(t, "gitlab", policy.GitLabIssuer)
	buildkite := env.issuer(t, "buildkite", policy.BuildkiteIssuer)
	tfc := env.issuer(t, "terraform-cloud", policy.TerraformCloudIssuer)
	sa := env.serviceAccount(t, "developer-robot")
	ok := ruleCfg{issuerID: google.ID, saID: sa.ID, workspaces: fmt.Sprintf("workspace_ids = [%q]", env.workspaceID(t, "production"))}
	with := func(mod func(*ruleCfg)) string {
		c := ok
		mod(&c)
		return c.hcl()
	}
	withMatch := func(issuerID, match string) string {
		return with(func(c *ruleCfg) { c.issuerID, c.match = issuerID, match })
	}
	pinned := `sub = "` + testGoogleSub + `", email = "` + testGoogleEmail + `"`
	return []invalidRow{
		{"Google subject_prefix", withMatch(google.ID, `{ audience = "`+testAudience+`", subject_prefix = "1122*", claims = { `+pinned+` } }`), "subject_prefix", `(?s)match\.subject_prefix: Google sub values are numeric uniqueIds`, atApply},
		{"Google email in claims.sub", withMatch(google.ID, `{ audience = "`+testAudience+`", claims = { sub = "`+testGoogleEmail+`", email = "`+testGoogleEmail+`" } }`), "sub", `(?s)match\.claims\.sub: Google's sub is the account's numeric uniqueId, not its email`, atApply},
		{"Google short claims.sub", withMatch(google.ID, `{ audience = "`+testAudience+`", claims = { sub = "12345" } }`), "sub", `(?s)match\.claims\.sub: must be the Google account's 21-digit numeric uniqueId`, atApply},
		{"Google without a pin", withMatch(google.ID, `{ audience = "`+testAudience+`", condition = "claims.email_verified == true" }`), "condition", `(?s)match\.condition: a rule on Google's shared issuer must pin the Google account, and its condition does not`, atApply},
		{"Google condition that any sub passes", withMatch(google.ID, `{ audience = "`+testAudience+`", condition = "claims.sub != \"\"" }`), "condition", `(?s)match\.condition: a rule on Google's shared issuer must pin the Google account, and its condition does not: .claims\.sub != "". is also true when claims\.sub is "109876543210987654321"`, atApply},
		{"GitHub condition with contains", withMatch(github.ID, `{ condition = "claims.repository.contains(\"my-org\")" }`), "condition", `(?s)match\.condition: GitHub Actions's issuer is shared by every GitHub repository, so this rule must pin yours, and its condition does not`, atApply},
		{"GitHub condition pin or ref", withMatch(github.ID, `{ condition = "claims.repository == \"my-org/app\" || claims.ref == \"refs/heads/main\"" }`), "condition", `(?s)match\.condition: GitHub Actions's issuer is shared.*the \|\| makes the pin .claims\.repository == "my-org/app". optional`, atApply},
		{"GitLab condition on size", withMatch(gitlab.ID, `{ condition = "claims.namespace_path.size() > 0" }`), "condition", `(?s)match\.condition: GitLab's issuer is shared.*claims\.namespace_path`, atApply},
		{"GitHub without a repository pin", withMatch(github.ID, `{ claims = { ref = "refs/heads/main" } }`), "match", `(?s)match: GitHub Actions's issuer is shared by every GitHub repository`, atApply},
		{"GitHub open-ended repo prefix", withMatch(github.ID, `{ subject_prefix = "repo:my-org*" }`), "match", `(?s)match: GitHub Actions's issuer is shared`, atApply},
		{"GitLab without a tenant pin", withMatch(gitlab.ID, `{ claims = { ref = "main" } }`), "match", `(?s)match: GitLab's issuer is shared.*claims\.namespace_path`, atApply},
		{"Buildkite without a tenant pin", withMatch(buildkite.ID, `{ claims = { pipeline_slug = "deploy" } }`), "match", `(?s)match: Buildkite's issuer is shared.*claims\.organization_slug`, atApply},
		{"Terraform Cloud without a tenant pin", withMatch(tfc.ID, `{ subject_prefix = "organization:*" }`), "match", `(?s)match: Terraform Cloud's issuer is shared`, atApply},
		{"org:admin on a developer service account", with(func(c *ruleCfg) { c.scope = "org:admin" }), "oauth_scope", `(?s)oauth_scope org:admin needs an admin service account`, atApply},
		{"unknown issuer", with(func(c *ruleCfg) { c.issuerID = "fdis_01ABCDEFGHIJKLMNOPQRSTUVWX" }), "issuer_id", `(?s)Federation issuer not found.*issuer_id: no federation issuer`, atApply},
		{"unknown target", with(func(c *ruleCfg) { c.saID = "svac_01ABCDEFGHIJKLMNOPQRSTUVWX" }), "service_account_id", `(?s)Target service account not found.*target\.service_account_id`, atApply},
	}
}

// The provider-block mistakes whose values are known are refused by
// ValidateProviderConfig itself, the RPC behind `terraform validate`, with
// their attribute path: before any Configure, so before any request.
func TestProviderValidateConfig(t *testing.T) {
	ctx := context.Background()
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	sch, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || sch.Provider == nil {
		t.Fatalf("schema: %v", err)
	}
	typ, ok := sch.Provider.ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("provider schema type %T", sch.Provider.ValueType())
	}
	config := func(set map[string]tftypes.Value) *tfprotov6.DynamicValue {
		vals := map[string]tftypes.Value{}
		for name, at := range typ.AttributeTypes {
			vals[name] = tftypes.NewValue(at, nil)
		}
		for k, v := range set {
			vals[k] = v
		}
		dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
		if err != nil {
			t.Fatal(err)
		}
		return &dv
	}
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	fedType := typ.AttributeTypes["federation"].(tftypes.Object) //nolint:forcetypeassert // the schema's
	federation := func(set map[string]tftypes.Value) tftypes.Value {
		vals := map[string]tftypes.Value{}
		for name, at := range fedType.AttributeTypes {
			vals[name] = tftypes.NewValue(at, nil)
		}
		for k, v := range set {
			vals[k] = v
		}
		return tftypes.NewValue(fedType, vals)
	}
	fed := map[string]tftypes.Value{
		"rule_id":             str("fdrl_01" + strings.Repeat("a", 24)),
		"service_account_id":  str("svac_01" + strings.Repeat("b", 24)),
		"identity_token_file": str("/t"),
	}
	fedWithOrg := map[string]tftypes.Value{"organization_id": str("00000000-0000-4000-8000-000000000000")}
	for k, v := range fed {
		fedWithOrg[k] = v
	}
	for _, tc := range []struct {
		name    string
		set     map[string]tftypes.Value
		attr    string
		summary string
	}{
		{"plain http base_url", map[string]tftypes.Value{"base_url": str("http://api.example.com")}, "base_url", "Unsafe or invalid base_url"},
		{"admin key", map[string]tftypes.Value{"auth_token": str("sk-ant-admin01-x")}, "auth_token", "Admin API key cannot manage workload identity federation"},
		{"API key", map[string]tftypes.Value{"auth_token": str("sk-ant-api03-x")}, "auth_token", "API key cannot manage workload identity federation"},
		{"auth_token and federation", map[string]tftypes.Value{"auth_token": str("tok"), "federation": federation(fed)}, "federation", "Conflicting Anthropic credentials"},
		{"two organization ids", map[string]tftypes.Value{"organization_id": str("00000000-0000-4000-8000-000000000001"), "federation": federation(fedWithOrg)}, "federation.organization_id", "Conflicting organization IDs"},
		{"unknown values are left to Configure", map[string]tftypes.Value{"base_url": tftypes.NewValue(tftypes.String, tftypes.UnknownValue), "auth_token": tftypes.NewValue(tftypes.String, tftypes.UnknownValue)}, "", ""},
		{"an OAuth token and a loopback emulator are fine", map[string]tftypes.Value{"base_url": str("http://127.0.0.1:8787"), "auth_token": str("sk-ant-oat01-x")}, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := srv.ValidateProviderConfig(ctx, &tfprotov6.ValidateProviderConfigRequest{Config: config(tc.set)})
			if err != nil {
				t.Fatal(err)
			}
			if tc.summary == "" {
				if len(resp.Diagnostics) != 0 {
					t.Fatalf("diagnostics for a valid configuration: %+v", resp.Diagnostics[0])
				}
				return
			}
			if len(resp.Diagnostics) != 1 {
				t.Fatalf("%d diagnostics, want 1: %+v", len(resp.Diagnostics), resp.Diagnostics)
			}
			d := resp.Diagnostics[0]
			if d.Severity != tfprotov6.DiagnosticSeverityError || d.Summary != tc.summary || d.Attribute == nil {
				t.Fatalf("diagnostic = %+v", d)
			}
			var steps []string
			for _, s := range d.Attribute.Steps() {
				steps = append(steps, string(s.(tftypes.AttributeName))) //nolint:forcetypeassert // attribute paths only
			}
			if got := strings.Join(steps, "."); got != tc.attr {
				t.Fatalf("diagnostic on %s, want %s", got, tc.attr)
			}
			if strings.Contains(d.Summary+d.Detail, "sk-ant-admin01-x") || strings.Contains(d.Summary+d.Detail, "sk-ant-api03-x") {
				t.Fatalf("diagnostic repeats the credential: %q", d.Detail)
			}
		})
	}
}
