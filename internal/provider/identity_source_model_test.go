package provider

import (
	"bytes"
	"strings"
	"testing"
	"time"

	eschema "github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

func ptr[T any](v T) *T { return &v }

// Open, Renew and Close through the plugin protocol: the result carries
// the token, the private state does not, Renew warns before expiry and
// fails after it, and nothing is exchanged again. The provider's clock is
// injected, so the test can run in parallel.
func TestFederationTokenEphemeral_openRenewClose(t *testing.T) {
	t.Parallel()
	env, rec := newRecordingTestEnv(t)
	r := env.workloadRule(t, "protocol", nil)
	clock := &testClock{now: time.Now().UTC().Truncate(time.Second)}

	server := providerserver.NewProtocol6(&anthropicProvider{version: "test", now: clock.Now})()
	schemas, err := server.GetProviderSchema(bg, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("schema: %v %v", err, schemas.Diagnostics)
	}
	providerType := schemas.Provider.ValueType()
	configured, err := server.ConfigureProvider(bg, &tfprotov6.ConfigureProviderRequest{Config: dynamicValue(t, providerType, map[string]tftypes.Value{
		"base_url":        tftypes.NewValue(tftypes.String, env.server.URL),
		"auth_token":      tftypes.NewValue(tftypes.String, env.emu.AdminToken()),
		"organization_id": tftypes.NewValue(tftypes.String, env.emu.OrganizationID()),
	})})
	if err != nil || len(configured.Diagnostics) > 0 {
		t.Fatalf("configure: %v %v", err, configured.Diagnostics)
	}

	const typeName = "anthropic_federation_token"
	tokenType := schemas.EphemeralResourceSchemas[typeName].ValueType()
	assertion := mustMint(t, env.google, googleemu.WorkloadAccount, policy.DefaultAudience, true, nil)
	opened, err := server.OpenEphemeralResource(bg, &tfprotov6.OpenEphemeralResourceRequest{TypeName: typeName, Config: dynamicValue(t, tokenType, map[string]tftypes.Value{
		"federation_rule_id": tftypes.NewValue(tftypes.String, r.rule.ID),
		"service_account_id": tftypes.NewValue(tftypes.String, r.sa.ID),
		"identity_token":     tftypes.NewValue(tftypes.String, assertion),
	})})
	if err != nil || len(opened.Diagnostics) > 0 {
		t.Fatalf("open: %v %v", err, diagSummaries(opened.Diagnostics))
	}
	result, err := opened.Result.Unmarshal(tokenType)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]tftypes.Value
	if err := result.As(&fields); err != nil {
		t.Fatal(err)
	}
	var accessToken, expiresAt string
	if err := fields["access_token"].As(&accessToken); err != nil {
		t.Fatal(err)
	}
	if err := fields["expires_at"].As(&expiresAt); err != nil {
		t.Fatal(err)
	}
	minted := rec.all()
	if len(minted) != 1 || accessToken != minted[0] {
		t.Fatalf("result token is not the one minted (%d minted)", len(minted))
	}
	if want := clock.Now().Add(time.Hour).Format(time.RFC3339); expiresAt != want {
		t.Errorf("expires_at %s, want %s", expiresAt, want)
	}
	if bytes.Contains(opened.Private, []byte(accessToken)) || bytes.Contains(opened.Private, []byte(assertion[:40])) {
		t.Fatal("the private state holds a token")
	}
	if want := clock.Now().Add(time.Hour - 6*time.Minute); !opened.RenewAt.Equal(want) {
		t.Errorf("RenewAt %v, want %v (expiry less 10%% of the lifetime)", opened.RenewAt, want)
	}

	renew := func(private []byte) *tfprotov6.RenewEphemeralResourceResponse {
		t.Helper()
		resp, err := server.RenewEphemeralResource(bg, &tfprotov6.RenewEphemeralResourceRequest{TypeName: typeName, Private: private})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	clock.Advance(time.Hour - 6*time.Minute)
	soon := renew(opened.Private)
	if len(soon.Diagnostics) != 1 || soon.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityWarning ||
		!strings.Contains(soon.Diagnostics[0].Detail, "token_lifetime_seconds on federation rule "+r.rule.ID) {
		t.Fatalf("renew before expiry: %v", diagSummaries(soon.Diagnostics))
	}
	if want := clock.Now().Add(6 * time.Minute); !soon.RenewAt.Equal(want) {
		t.Errorf("next RenewAt %v, want the expiry %v", soon.RenewAt, want)
	}
	if again := renew(soon.Private); len(again.Diagnostics) != 0 {
		t.Errorf("the warning was repeated: %v", diagSummaries(again.Diagnostics))
	}
	clock.Advance(6 * time.Minute)
	expired := renew(soon.Private)
	if len(expired.Diagnostics) != 1 || expired.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError ||
		!strings.Contains(expired.Diagnostics[0].Summary, "expired") || !expired.RenewAt.IsZero() {
		t.Fatalf("renew at expiry: %v, RenewAt %v", diagSummaries(expired.Diagnostics), expired.RenewAt)
	}
	closed, err := server.CloseEphemeralResource(bg, &tfprotov6.CloseEphemeralResourceRequest{TypeName: typeName, Private: soon.Private})
	if err != nil || len(closed.Diagnostics) > 0 {
		t.Fatalf("close: %v %v", err, closed.Diagnostics)
	}
	if n := len(rec.all()); n != 1 {
		t.Errorf("%d exchanges, want 1: Renew must not exchange again", n)
	}
}

func diagSummaries(ds []*tfprotov6.Diagnostic) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Summary + ": " + d.Detail
	}
	return out
}

// dynamicValue builds a configuration of typ: the given attributes, every
// other one null.
func dynamicValue(t *testing.T, typ tftypes.Type, set map[string]tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	obj, ok := typ.(tftypes.Object)
	if !ok {
		t.Fatalf("%s is not an object type", typ)
	}
	vals := map[string]tftypes.Value{}
	for name, at := range obj.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	for name, v := range set {
		if _, ok := obj.AttributeTypes[name]; !ok {
			t.Fatalf("no attribute %q", name)
		}
		vals[name] = v
	}
	dv, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, vals))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// Both schema flavours of the identity sources come from one spec: the
// fields the builder sets by name arrive in each package's types.
func TestSourceAttributesBothFlavours(t *testing.T) {
	eph, prov := ephemeralSourceAttributes(), providerSourceAttributes()
	if len(eph) != len(identitySourceNames) || len(prov) != len(identitySourceNames) {
		t.Fatalf("%d ephemeral and %d provider attributes, want %d", len(eph), len(prov), len(identitySourceNames))
	}
	if a, ok := eph[attrIdentityToken].(eschema.StringAttribute); !ok || !a.Sensitive || !a.Optional || len(a.Validators) != 2 {
		t.Errorf("ephemeral identity_token: %#v", eph[attrIdentityToken])
	}
	if a, ok := prov[attrIdentityToken].(pschema.StringAttribute); !ok || !a.Sensitive || !a.Optional || !strings.Contains(a.MarkdownDescription, "At most one") {
		t.Errorf("provider identity_token: %#v", prov[attrIdentityToken])
	}
	gi, ok := prov[attrGoogleImpersonation].(pschema.SingleNestedAttribute)
	if !ok || !gi.Optional {
		t.Fatalf("provider google_impersonation: %#v", prov[attrGoogleImpersonation])
	}
	if sa, ok := gi.Attributes["service_account"].(pschema.StringAttribute); !ok || !sa.Required || sa.Optional || len(sa.Validators) != 1 {
		t.Errorf("google_impersonation.service_account: %#v", gi.Attributes["service_account"])
	}
	if _, ok := gi.Attributes["include_email"].(pschema.BoolAttribute); !ok {
		t.Errorf("google_impersonation.include_email: %#v", gi.Attributes["include_email"])
	}
	ex, ok := eph[attrExecutable].(eschema.SingleNestedAttribute)
	if !ok {
		t.Fatalf("ephemeral executable: %#v", eph[attrExecutable])
	}
	if c, ok := ex.Attributes["command"].(eschema.ListAttribute); !ok || !c.Required || c.ElementType != types.StringType || len(c.Validators) != 2 {
		t.Errorf("executable.command: %#v", ex.Attributes["command"])
	}
}
