package provider

import (
	"encoding/json"
	"testing"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// A same-name rule that differs from the create in anything the create sent
// (someone else's, made while the create was uncertain) is never adopted:
// adopting it would put its looser match under this configuration.
func TestRecoveryAdoptsOnlyTheRequestedRule(t *testing.T) {
	cond := `claims.repository_owner_id == "1"`
	params := client.FederationRuleCreateParams{
		Name: "deploy", IssuerID: "fdis_01a", OAuthScope: "workspace:developer workspace:inference",
		Match:       client.RuleMatch{Condition: &cond, Audience: ptr("https://api.anthropic.com")},
		Target:      client.RuleTarget{Type: "service_account", ServiceAccountID: "svac_01a"},
		WorkspaceID: ptr("wrkspc_01a"), TokenLifetimeSeconds: ptr(int64(600)),
	}
	ours := func() *client.FederationRule {
		c := cond
		return &client.FederationRule{
			ID: "fdrl_01a", Name: "deploy", IssuerID: "fdis_01a", OAuthScope: "workspace:inference workspace:developer",
			Match:        client.RuleMatch{Condition: &c, Audience: ptr("https://api.anthropic.com")},
			Target:       client.RuleTarget{Type: "service_account", ServiceAccountID: "svac_01a"},
			WorkspaceIDs: []string{"wrkspc_01a"}, TokenLifetimeSeconds: 600,
		}
	}
	if !ruleDefinedAs(ours(), params) {
		t.Fatal("the rule the create asked for (scopes in another order) must be adopted")
	}
	looser := `claims.repository_owner_id in ["1", "666"]`
	for name, mutate := range map[string]func(*client.FederationRule){
		"looser condition":   func(r *client.FederationRule) { r.Match.Condition = &looser },
		"no audience":        func(r *client.FederationRule) { r.Match.Audience = nil },
		"extra claim":        func(r *client.FederationRule) { r.Match.Claims = map[string]string{"ref": "main"} },
		"wider scope":        func(r *client.FederationRule) { r.OAuthScope = "org:admin" },
		"longer lifetime":    func(r *client.FederationRule) { r.TokenLifetimeSeconds = 3600 },
		"all workspaces":     func(r *client.FederationRule) { r.AppliesToAllWorkspaces = true },
		"another workspace":  func(r *client.FederationRule) { r.WorkspaceIDs = []string{"wrkspc_01b"} },
		"another target":     func(r *client.FederationRule) { r.Target.ServiceAccountID = "svac_01b" },
		"with a description": func(r *client.FederationRule) { r.Description = ptr("theirs") },
	} {
		r := ours()
		mutate(r)
		if ruleDefinedAs(r, params) {
			t.Errorf("%s: a rule that differs from the create was adopted", name)
		}
	}
}

func TestRecoveryAdoptsOnlyTheRequestedIssuer(t *testing.T) {
	key := json.RawMessage(`{"kty":"RSA","kid":"a","n":"xyz","e":"AQAB"}`)
	params := client.FederationIssuerCreateParams{Name: "ci", IssuerURL: "https://ci.example.com",
		JWKS: &client.JWKS{Type: client.JWKSTypeInline, Keys: []json.RawMessage{key}}, CheckJTI: ptr(true)}
	ours := func() *client.FederationIssuer {
		return &client.FederationIssuer{ID: "fdis_01a", Name: "ci", IssuerURL: "https://ci.example.com", CheckJTI: true,
			MaxJWTLifetimeSeconds: 3600, JWKS: client.JWKS{Type: client.JWKSTypeInline,
				Keys: []json.RawMessage{json.RawMessage(`{ "e":"AQAB", "kid":"a", "kty":"RSA", "n":"xyz" }`)}}}
	}
	if !issuerDefinedAs(ours(), params) {
		t.Fatal("the issuer the create asked for (keys spelled differently) must be adopted")
	}
	for name, mutate := range map[string]func(*client.FederationIssuer){
		"another key": func(i *client.FederationIssuer) {
			i.JWKS.Keys = []json.RawMessage{json.RawMessage(`{"kty":"RSA","kid":"evil","n":"abc","e":"AQAB"}`)}
		},
		"extra key":    func(i *client.FederationIssuer) { i.JWKS.Keys = append(i.JWKS.Keys, key) },
		"discovery":    func(i *client.FederationIssuer) { i.JWKS = client.JWKS{Type: client.JWKSTypeDiscovery} },
		"no jti check": func(i *client.FederationIssuer) { i.CheckJTI = false },
		"another url":  func(i *client.FederationIssuer) { i.IssuerURL = "https://evil.example.com" },
	} {
		i := ours()
		mutate(i)
		if issuerDefinedAs(i, params) {
			t.Errorf("%s: an issuer that differs from the create was adopted", name)
		}
	}
	// Defaults: a create without jwks asks for discovery.
	plain := client.FederationIssuerCreateParams{Name: "g", IssuerURL: "https://accounts.google.com"}
	if !issuerDefinedAs(&client.FederationIssuer{IssuerURL: "https://accounts.google.com", JWKS: client.JWKS{Type: client.JWKSTypeDiscovery}}, plain) {
		t.Error("a discovery issuer must match a create without jwks")
	}
}
