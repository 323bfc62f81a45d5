package provider

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// testPrivateJWK includes the private exponent: the provider must refuse it.
func testPrivateJWK(t *testing.T, kid string) string {
	t.Helper()
	b, err := jose.JSONWebKey{Key: testRSAKey(t, 0), KeyID: kid, Algorithm: "RS256", Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// prettyJWKS renders keys as an indented JSON array, the way a user pastes
// a file into a heredoc.
func prettyJWKS(t *testing.T, keys ...string) string {
	t.Helper()
	raw := make([]json.RawMessage, len(keys))
	for i, k := range keys {
		raw[i] = json.RawMessage(k)
	}
	b, err := json.MarshalIndent(raw, "", "    ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestJWKSKeysSemanticEquality(t *testing.T) {
	k1, k2 := testPublicJWK(t, 0, "a"), testPublicJWK(t, 1, "b")
	compact := "[" + k1 + "," + k2 + "]"
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{"identical", compact, compact, true},
		{"indented", compact, prettyJWKS(t, k1, k2), true},
		{"reordered", compact, "[" + k2 + "," + k1 + "]", true},
		{"reordered and indented", compact, prettyJWKS(t, k2, k1) + "\n", true},
		{"members reordered", `[{"kty":"RSA","kid":"a","n":"x","e":"AQAB"}]`, `[{"e":"AQAB","n":"x","kid":"a","kty":"RSA"}]`, true},
		{"key missing", compact, "[" + k1 + "]", false},
		{"other key under the same kid", "[" + k1 + "]", "[" + testPublicJWK(t, 1, "a") + "]", false},
		{"kid changed", "[" + k1 + "]", "[" + testPublicJWK(t, 0, "z") + "]", false},
		{"duplicate is not the same set", "[" + k1 + "]", "[" + k1 + "," + k1 + "]", false},
		{"invalid JSON equals only itself", "[nope", "[nope", true},
		{"invalid JSON differs", "[nope", "[ nope", false},
		{"object is not an array", `{"keys":[` + k1 + `]}`, "[" + k1 + "]", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := jwksKeysSemanticallyEqual(tc.a, tc.b); got != tc.want {
				t.Errorf("jwksKeysSemanticallyEqual = %t, want %t", got, tc.want)
			}
			// The framework calls it on values, both ways round.
			got, diags := jwksKeysString(tc.b).StringSemanticEquals(context.Background(), jwksKeysString(tc.a))
			if diags.HasError() || got != tc.want {
				t.Errorf("StringSemanticEquals = %t (%v), want %t", got, diags, tc.want)
			}
		})
	}
}

func TestJWKSKeysTypeRoundTrip(t *testing.T) {
	ctx := context.Background()
	typ := jwksKeysType{}
	v, err := typ.ValueFromTerraform(ctx, mustTerraformString(t, `[{"kid":"a"}]`))
	if err != nil {
		t.Fatal(err)
	}
	kv, ok := v.(jwksKeysValue)
	if !ok || kv.ValueString() != `[{"kid":"a"}]` {
		t.Fatalf("ValueFromTerraform = %#v", v)
	}
	if !kv.Type(ctx).Equal(typ) || typ.Equal(types.StringType) {
		t.Error("type equality is wrong")
	}
	if kv.Equal(types.StringValue(`[{"kid":"a"}]`)) {
		t.Error("a jwksKeysValue must not equal a plain string value")
	}
	if !jwksKeysNull().IsNull() {
		t.Error("jwksKeysNull is not null")
	}
}

func TestKeepEquivalentJWKSKeys(t *testing.T) {
	k1, k2 := testPublicJWK(t, 0, "a"), testPublicJWK(t, 1, "b")
	state := "[" + k1 + "," + k2 + "]"
	cases := []struct {
		name        string
		state, plan types.String
		want        types.String
	}{
		{"reformatted keeps state", types.StringValue(state), types.StringValue(prettyJWKS(t, k2, k1)), types.StringValue(state)},
		{"changed keys plan the config", types.StringValue(state), types.StringValue("[" + k1 + "]"), types.StringValue("[" + k1 + "]")},
		{"no state", types.StringNull(), types.StringValue(state), types.StringValue(state)},
		{"removed", types.StringValue(state), types.StringNull(), types.StringNull()},
		{"unknown", types.StringValue(state), types.StringUnknown(), types.StringUnknown()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := planmodifier.StringRequest{StateValue: tc.state, PlanValue: tc.plan, ConfigValue: tc.plan}
			resp := &planmodifier.StringResponse{PlanValue: tc.plan}
			keepEquivalentJWKSKeys{}.PlanModifyString(context.Background(), req, resp)
			if !resp.PlanValue.Equal(tc.want) {
				t.Errorf("planned %s, want %s", resp.PlanValue, tc.want)
			}
		})
	}
}

func TestJWKSKeysMapping(t *testing.T) {
	k1, k2 := testPublicJWK(t, 0, "b"), testPublicJWK(t, 1, "a")
	wire, err := jwksKeysToAPI(prettyJWKS(t, k1, k2))
	if err != nil {
		t.Fatal(err)
	}
	if len(wire) != 2 || strings.ContainsAny(string(wire[0]), " \n") {
		t.Fatalf("wire keys not compact: %s", wire)
	}
	back, err := jwksKeysFromAPI(wire)
	if err != nil {
		t.Fatal(err)
	}
	if !jwksKeysSemanticallyEqual(back, "["+k2+","+k1+"]") {
		t.Errorf("round trip changed the keys: %s", back)
	}
	if _, err := jwksKeysToAPI(`{"keys":[]}`); err == nil {
		t.Error("a JWK Set object was accepted as the keys array")
	}
	if s, err := jwksKeysFromAPI(nil); err != nil || s != "[]" {
		t.Errorf("no keys render as %q, %v", s, err)
	}
}

func TestIssuerJWKSModelMapping(t *testing.T) {
	base, pemText := "https://discovery.example.com", testCACertPEM(t)
	k := testPublicJWK(t, 0, "a")
	models := []issuerJWKSModel{
		{Type: types.StringValue("discovery"), DiscoveryBase: types.StringNull(), URL: types.StringNull(), CACertPEM: types.StringNull(), Keys: jwksKeysNull()},
		{Type: types.StringValue("discovery"), DiscoveryBase: types.StringValue(base), URL: types.StringNull(), CACertPEM: types.StringValue(pemText), Keys: jwksKeysNull()},
		{Type: types.StringValue("explicit_url"), DiscoveryBase: types.StringNull(), URL: types.StringValue("https://idp.example.com/keys"), CACertPEM: types.StringNull(), Keys: jwksKeysNull()},
		{Type: types.StringValue("inline"), DiscoveryBase: types.StringNull(), URL: types.StringNull(), CACertPEM: types.StringNull(), Keys: jwksKeysString(prettyJWKS(t, k))},
	}
	for _, m := range models {
		t.Run(m.Type.ValueString(), func(t *testing.T) {
			wire, err := expandJWKS(&m)
			if err != nil {
				t.Fatal(err)
			}
			// Through JSON, as the API would echo it.
			b, err := json.Marshal(wire)
			if err != nil {
				t.Fatal(err)
			}
			var wireBack client.JWKS
			if err := json.Unmarshal(b, &wireBack); err != nil {
				t.Fatal(err)
			}
			back, err := flattenJWKS(wireBack)
			if err != nil {
				t.Fatal(err)
			}
			if !back.equivalent(&m) {
				t.Errorf("round trip through %s gave %+v, want %+v", b, back, m)
			}
		})
	}
	if models[0].equivalent(&models[1]) || models[2].equivalent(&models[3]) {
		t.Error("different jwks compare as equivalent")
	}
}

func TestValidateIssuerJWKS(t *testing.T) {
	ctx := context.Background()
	jwksTypes := nestedTypes(jwksAttribute())
	k := testPublicJWK(t, 0, "a")
	obj := func(typ attr.Value, members map[string]attr.Value) types.Object {
		vals := map[string]attr.Value{
			"type": typ, "discovery_base": types.StringNull(), "url": types.StringNull(), "ca_cert_pem": types.StringNull(), "keys": jwksKeysNull(),
		}
		for name, v := range members {
			vals[name] = v
		}
		return types.ObjectValueMust(jwksTypes, vals)
	}
	str, unknown := types.StringValue, types.StringUnknown()
	cases := []struct {
		name      string
		issuerURL types.String
		jwks      types.Object
		want      []string // attribute paths with errors
	}{
		{"default discovery", str("https://idp.example.com"), types.ObjectNull(jwksTypes), nil},
		{"default discovery fetches issuer_url", str("https://idp.example.com:8443"), types.ObjectNull(jwksTypes), []string{"issuer_url"}},
		{"discovery_base lifts the fetch rule", str("https://idp.example.com:8443"), obj(str("discovery"), map[string]attr.Value{"discovery_base": str("https://d.example.com")}), nil},
		{"issuer_url is still compared exactly", str("https://idp.example.com?x=1"), obj(str("discovery"), map[string]attr.Value{"discovery_base": str("https://d.example.com")}), []string{"issuer_url"}},
		{"unknown discovery_base", str("https://10.0.0.1"), obj(str("discovery"), map[string]attr.Value{"discovery_base": unknown}), nil},
		{"unknown discovery_base still needs https", str("http://idp.example.com"), obj(str("discovery"), map[string]attr.Value{"discovery_base": unknown}), []string{"issuer_url"}},
		{"discovery with url", str("https://idp.example.com"), obj(str("discovery"), map[string]attr.Value{"url": str("https://idp.example.com/k")}), []string{"jwks.url"}},
		{"discovery with keys", str("https://idp.example.com"), obj(str("discovery"), map[string]attr.Value{"keys": jwksKeysString("[" + k + "]")}), []string{"jwks.keys"}},
		{"explicit_url", str("https://10.0.0.1:8443/issuer"), obj(str("explicit_url"), map[string]attr.Value{"url": str("https://idp.example.com/k"), "ca_cert_pem": str("x")}), nil},
		{"explicit_url without url", str("https://idp.example.com"), obj(str("explicit_url"), nil), []string{"jwks.url"}},
		{"explicit_url with unknown url", str("https://idp.example.com"), obj(str("explicit_url"), map[string]attr.Value{"url": unknown}), nil},
		{"explicit_url with discovery_base", str("https://idp.example.com"), obj(str("explicit_url"), map[string]attr.Value{"url": str("https://a.example.com"), "discovery_base": str("https://b.example.com")}), []string{"jwks.discovery_base"}},
		{"inline", str("https://internal.corp:8443"), obj(str("inline"), map[string]attr.Value{"keys": jwksKeysString("[" + k + "]")}), nil},
		{"inline without keys", str("https://idp.example.com"), obj(str("inline"), nil), []string{"jwks.keys"}},
		{"inline with unknown keys", str("https://idp.example.com"), obj(str("inline"), map[string]attr.Value{"keys": jwksKeysValue{StringValue: unknown}}), nil},
		{"inline with everything else", str("https://idp.example.com"), obj(str("inline"), map[string]attr.Value{
			"keys": jwksKeysString("[" + k + "]"), "url": str("https://a.example.com"), "discovery_base": str("https://b.example.com"), "ca_cert_pem": str("pem"),
		}), []string{"jwks.ca_cert_pem", "jwks.discovery_base", "jwks.url"}},
		{"inline with unknown url is tolerated", str("https://idp.example.com"), obj(str("inline"), map[string]attr.Value{"keys": jwksKeysString("[" + k + "]"), "url": unknown}), nil},
		{"inline issuer_url must be https", str("http://idp.example.com"), obj(str("inline"), map[string]attr.Value{"keys": jwksKeysString("[" + k + "]")}), []string{"issuer_url"}},
		{"unknown type", str("https://10.0.0.1"), obj(unknown, map[string]attr.Value{"url": str("https://a.example.com")}), nil},
		{"unknown jwks", str("https://10.0.0.1"), types.ObjectUnknown(jwksTypes), nil},
		{"unknown jwks, no https", str("ftp://idp.example.com"), types.ObjectUnknown(jwksTypes), []string{"issuer_url"}},
		{"unknown issuer_url", unknown, types.ObjectNull(jwksTypes), nil},
		{"bad type left to the type validator", str("https://idp.example.com"), obj(str("jwks_uri"), nil), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var diags diag.Diagnostics
			validateIssuerJWKS(ctx, tc.issuerURL, tc.jwks, &diags)
			var got []string
			for _, d := range diags {
				wp, ok := d.(diag.DiagnosticWithPath)
				if !ok {
					t.Errorf("diagnostic without attribute path: %s: %s", d.Summary(), d.Detail())
					continue
				}
				got = append(got, wp.Path().String())
				if !strings.Contains(d.Detail(), wp.Path().String()) {
					t.Errorf("detail does not name %s: %s", wp.Path(), d.Detail())
				}
			}
			sort.Strings(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors at %v, want %v (%v)", got, tc.want, diags)
			}
		})
	}
}

func TestCheckJWKSKeysMessages(t *testing.T) {
	k := testPublicJWK(t, 0, "a")
	cases := []struct{ keys, want string }{
		{"[" + k + "]", ""},
		{"not json", "jwks.keys is not valid JSON"},
		{`{"keys":[` + k + `]}`, "jwks.keys must be a JSON array of keys, not a JWK Set object"},
		{"[]", "jwks.keys: must contain at least one key"},
		{"[" + testPrivateJWK(t, "p") + "]", `jwks.keys[0]: contains private key material`},
		{"[" + k + "," + testPublicJWK(t, 1, "a") + "]", "jwks.keys[1]: kid"},
		{`[{"kty":"oct","kid":"s","k":"c2VjcmV0"}]`, "jwks.keys[0]: is a symmetric"},
	}
	for _, tc := range cases {
		err := checkJWKSKeys(tc.keys)
		got := ""
		if err != nil {
			got = "jwks" + err.Error()
			if secret := base64.RawURLEncoding.EncodeToString(testRSAKey(t, 0).D.Bytes()); strings.Contains(got, secret[:16]) {
				t.Errorf("message leaks key material: %s", got)
			}
		}
		if tc.want == "" && err != nil || tc.want != "" && !strings.HasPrefix(got, tc.want) {
			t.Errorf("checkJWKSKeys(%.40s...) = %q, want prefix %q", tc.keys, got, tc.want)
		}
	}
}

func TestPollStatusObjectFromAPI(t *testing.T) {
	ctx := context.Background()
	if !pollStatusObjectFromAPI(ctx, nil).IsNull() {
		t.Error("absent poll_status must be null")
	}
	last := time.Date(2026, 1, 2, 3, 4, 5, 600_000_000, time.UTC)
	got := pollStatusObjectFromAPI(ctx, &client.PollStatus{ConsecutiveFailures: 2, LastFetchedAt: &last})
	want := types.ObjectValueMust(nestedTypes(pollStatusAttribute()), map[string]attr.Value{
		"consecutive_failures": types.Int64Value(2),
		"last_fetched_at":      types.StringValue("2026-01-02T03:04:05Z"),
		"next_poll_at":         types.StringNull(),
	})
	if !got.Equal(want) {
		t.Errorf("poll_status = %s, want %s", got, want)
	}
}

func mustTerraformString(t *testing.T, s string) tftypes.Value {
	t.Helper()
	return tftypes.NewValue(tftypes.String, s)
}

// A second issuer for an issuer_url the organization already has is
// advice at issuer_url, naming the existing one; the issuer itself, other
// URLs and archived issuers do not count.
func TestWarnSharedIssuerURL(t *testing.T) {
	env := newTestEnv(t)
	const url = "https://accounts.google.com"
	first := env.issuer(t, "google", url)
	gone := env.issuer(t, "google-old", url)
	if _, err := env.client.ArchiveFederationIssuer(bg, gone.ID); err != nil {
		t.Fatal(err)
	}
	warn := func(u types.String, self string) diag.Diagnostics {
		var d diag.Diagnostics
		warnSharedIssuerURL(bg, env.client, u, self, &d)
		return d
	}
	d := warn(types.StringValue(url), "")
	if d.HasError() || d.WarningsCount() != 1 {
		t.Fatalf("diagnostics = %v, want one warning", d)
	}
	w := d.Warnings()[0]
	if wp, ok := w.(diag.DiagnosticWithPath); !ok || wp.Path().String() != "issuer_url" ||
		!strings.Contains(w.Detail(), first.ID+" (google)") || strings.Contains(w.Detail(), gone.ID) {
		t.Errorf("warning %q: %q", w.Summary(), w.Detail())
	}
	// The same issuer spelled with a trailing slash or another host case
	// is still a second issuer for it.
	for _, spelled := range []string{url + "/", "https://Accounts.Google.com", "https://accounts.google.com:443"} {
		if d := warn(types.StringValue(spelled), ""); d.WarningsCount() != 1 {
			t.Errorf("%s: diagnostics = %v, want one warning", spelled, d)
		}
	}
	for name, d := range map[string]diag.Diagnostics{
		"the issuer itself": warn(types.StringValue(url), first.ID),
		"another URL":       warn(types.StringValue("https://token.actions.githubusercontent.com"), ""),
		"unknown URL":       warn(types.StringUnknown(), ""),
	} {
		if len(d) != 0 {
			t.Errorf("%s: %v", name, d)
		}
	}
	// Without a client (no credential), nothing is checked.
	var none diag.Diagnostics
	warnSharedIssuerURL(bg, nil, types.StringValue(url), "", &none)
	if len(none) != 0 {
		t.Errorf("without a client: %v", none)
	}
}
