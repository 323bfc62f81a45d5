package client

import (
	"encoding/json"
	"testing"
)

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal %T: %v", v, err)
	}
	return string(b)
}

func TestFieldMarshal(t *testing.T) {
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"all omitted", ServiceAccountUpdateParams{}, `{}`},
		{"explicit null", ServiceAccountUpdateParams{Description: Null[string]()}, `{"description":null}`},
		{"empty string is a value", ServiceAccountUpdateParams{Description: Set("")}, `{"description":""}`},
		{"value", ServiceAccountUpdateParams{Description: Set("d"), OrganizationRole: Set("admin")}, `{"description":"d","organization_role":"admin"}`},
		{"false is a value", FederationIssuerUpdateParams{CheckJTI: Set(false), JWKSPollingDisabled: Set(false)}, `{"check_jti":false,"jwks_polling_disabled":false}`},
		{"zero int is a value", FederationRuleUpdateParams{TokenLifetimeSeconds: Set[int64](0)}, `{"token_lifetime_seconds":0}`},
		{"union inside a field", FederationIssuerUpdateParams{JWKS: Set(JWKS{Type: JWKSTypeDiscovery})}, `{"jwks":{"type":"discovery","discovery_base":null,"ca_cert_pem":null}}`},
		{"struct value", FederationRuleUpdateParams{
			Match:  Set(RuleMatch{Claims: map[string]string{"email": "a@b"}, Audience: ptr("aud")}),
			Target: Set(RuleTarget{Type: "service_account", ServiceAccountID: "svac_1"}),
		}, `{"match":{"audience":"aud","claims":{"email":"a@b"}},"target":{"type":"service_account","service_account_id":"svac_1"}}`},
		{"null clears workspace", FederationRuleUpdateParams{WorkspaceID: Null[string](), Description: Null[string]()}, `{"description":null,"workspace_id":null}`},
		{"bare omitted field", Field[string]{}, `null`},
	}
	for _, tt := range tests {
		if got := mustJSON(t, tt.in); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestFieldAccessors(t *testing.T) {
	var omitted Field[int]
	if !omitted.IsZero() || omitted.IsNull() {
		t.Error("zero Field must be omitted, not null")
	}
	if _, ok := omitted.Value(); ok {
		t.Error("omitted has a value")
	}
	null := Null[int]()
	if null.IsZero() || !null.IsNull() {
		t.Error("Null must be present and null")
	}
	if _, ok := null.Value(); ok {
		t.Error("null has a value")
	}
	set := Set(0)
	if v, ok := set.Value(); !ok || v != 0 || set.IsZero() || set.IsNull() {
		t.Error("Set(0) must be a present zero value")
	}
}

func TestFieldUnmarshal(t *testing.T) {
	var p ServiceAccountUpdateParams
	if err := json.Unmarshal([]byte(`{"description":null,"organization_role":"admin"}`), &p); err != nil {
		t.Fatal(err)
	}
	if !p.Description.IsNull() {
		t.Error("description should be null")
	}
	if v, ok := p.OrganizationRole.Value(); !ok || v != "admin" {
		t.Error("organization_role should be admin")
	}
	var q ServiceAccountUpdateParams
	_ = json.Unmarshal([]byte(`{}`), &q)
	if !q.Description.IsZero() {
		t.Error("absent member should stay omitted")
	}
	if err := json.Unmarshal([]byte(`{"description":5}`), &q); err == nil {
		t.Error("type mismatch accepted")
	}
}

func TestJWKSMarshal(t *testing.T) {
	pem := "-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----\n"
	tests := []struct {
		name string
		in   JWKS
		want string
	}{
		{"discovery default", JWKS{Type: "discovery"}, `{"type":"discovery","discovery_base":null,"ca_cert_pem":null}`},
		{"discovery full", JWKS{Type: "discovery", DiscoveryBase: ptr("https://idp.example.com"), CACertPEM: &pem},
			`{"type":"discovery","discovery_base":"https://idp.example.com","ca_cert_pem":"-----BEGIN CERTIFICATE-----\nMII...\n-----END CERTIFICATE-----\n"}`},
		{"discovery drops foreign members", JWKS{Type: "discovery", URL: "https://x/jwks", Keys: []json.RawMessage{[]byte(`{}`)}},
			`{"type":"discovery","discovery_base":null,"ca_cert_pem":null}`},
		{"explicit_url", JWKS{Type: "explicit_url", URL: "https://idp.example.com/jwks"}, `{"type":"explicit_url","url":"https://idp.example.com/jwks","ca_cert_pem":null}`},
		{"explicit_url drops foreign members", JWKS{Type: "explicit_url", URL: "https://u", DiscoveryBase: ptr("https://d"), CACertPEM: ptr("p")},
			`{"type":"explicit_url","url":"https://u","ca_cert_pem":"p"}`},
		{"inline", JWKS{Type: "inline", Keys: []json.RawMessage{[]byte(`{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}`)}, CACertPEM: ptr("p"), URL: "https://u"},
			`{"type":"inline","keys":[{"kty":"RSA","kid":"k1","n":"AQAB","e":"AQAB"}]}`},
		{"inline without keys", JWKS{Type: "inline"}, `{"type":"inline","keys":[]}`},
		{"unknown type passes through", JWKS{Type: "spiffe_bundle", URL: "https://u"}, `{"type":"spiffe_bundle","url":"https://u"}`},
	}
	for _, tt := range tests {
		if got := mustJSON(t, tt.in); got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
		// Pointer receivers and nested use must go through the same path.
		if got := mustJSON(t, &tt.in); got != tt.want {
			t.Errorf("%s (pointer): %s", tt.name, got)
		}
	}
	if _, err := json.Marshal(JWKS{}); err == nil {
		t.Error("JWKS without a type marshalled")
	}
	create := FederationIssuerCreateParams{Name: "n", IssuerURL: "https://i", JWKS: &JWKS{Type: "discovery"}, CheckJTI: ptr(false)}
	if got := mustJSON(t, create); got != `{"name":"n","issuer_url":"https://i","jwks":{"type":"discovery","discovery_base":null,"ca_cert_pem":null},"check_jti":false}` {
		t.Errorf("create = %s", got)
	}
}

func TestJWKSUnmarshal(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want func(JWKS) bool
	}{
		{"discovery with nulls", `{"type":"discovery","discovery_base":null,"ca_cert_pem":null}`,
			func(j JWKS) bool { return j.Type == "discovery" && j.DiscoveryBase == nil && j.CACertPEM == nil }},
		{"discovery missing members", `{"type":"discovery"}`,
			func(j JWKS) bool { return j.Type == "discovery" && j.DiscoveryBase == nil }},
		{"explicit_url with extra", `{"type":"explicit_url","url":"https://u","ca_cert_pem":"p","fetched_from":"x","keys":null}`,
			func(j JWKS) bool { return j.URL == "https://u" && *j.CACertPEM == "p" && j.Keys == nil }},
		{"inline array", `{"type":"inline","keys":[{"kid":"a"},{"kid":"b"}]}`,
			func(j JWKS) bool { return len(j.Keys) == 2 && string(j.Keys[1]) == `{"kid":"b"}` }},
		{"inline wrapped", `{"type":"inline","keys":{"keys":[{"kid":"a"}]}}`,
			func(j JWKS) bool { return len(j.Keys) == 1 && string(j.Keys[0]) == `{"kid":"a"}` }},
		{"null", `null`, func(j JWKS) bool { return j.Type == "" }},
	}
	for _, tt := range tests {
		var j JWKS
		if err := json.Unmarshal([]byte(tt.in), &j); err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !tt.want(j) {
			t.Errorf("%s: got %+v", tt.name, j)
		}
	}

	var issuer FederationIssuer
	in := `{"type":"federation_issuer","id":"fdis_1","jwks":{"type":"inline","keys":[{"kid":"a"}]},"check_jti":true,
		"max_jwt_lifetime_seconds":3600,"jwks_polling_disabled_at":null,
		"poll_status":{"consecutive_failures":2,"last_fetched_at":"2026-01-01T00:00:00Z","next_poll_at":null},"archived_at":null}`
	if err := json.Unmarshal([]byte(in), &issuer); err != nil {
		t.Fatal(err)
	}
	if issuer.JWKS.Type != "inline" || len(issuer.JWKS.Keys) != 1 || issuer.PollStatus.ConsecutiveFailures != 2 ||
		issuer.PollStatus.NextPollAt != nil || issuer.IsArchived() || !issuer.CheckJTI {
		t.Errorf("issuer = %+v", issuer)
	}
	// Round trip: what we read can be sent back as an update.
	if got := mustJSON(t, FederationIssuerUpdateParams{JWKS: Set(issuer.JWKS)}); got != `{"jwks":{"type":"inline","keys":[{"kid":"a"}]}}` {
		t.Errorf("round trip = %s", got)
	}
}

func TestIsArchivedNilSafe(t *testing.T) {
	var sa *ServiceAccount
	var is *FederationIssuer
	var r *FederationRule
	if sa.IsArchived() || is.IsArchived() || r.IsArchived() {
		t.Error("nil reported archived")
	}
}
