package provider

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// Resource identity (Terraform 1.12) and list resources (Terraform 1.14)
// are tested through the plugin protocol, as Terraform would drive them:
// the terraform binary the acceptance tests use is older.

// listServer is a protocol 6 server that also serves list resources.
type listServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
}

// protoProvider is the provider served over protocol 6, configured against
// a test emulator, with its schemas.
type protoProvider struct {
	t          *testing.T
	server     listServer
	schemas    *tfprotov6.GetProviderSchemaResponse
	identities *tfprotov6.GetResourceIdentitySchemasResponse
}

func newProtoProvider(t *testing.T, env *testEnv) *protoProvider {
	t.Helper()
	return newProtoProviderOrg(t, env, env.emu.OrganizationID())
}

// newProtoProviderOrg configures the provider with orgID as organization_id
// ("" leaves it unset, so the provider asks the API).
func newProtoProviderOrg(t *testing.T, env *testEnv, orgID string) *protoProvider {
	t.Helper()
	org := tftypes.NewValue(tftypes.String, nil)
	if orgID != "" {
		org = tftypes.NewValue(tftypes.String, orgID)
	}
	s, err := ProtocolServer("test")()
	if err != nil {
		t.Fatal(err)
	}
	server, ok := s.(listServer)
	if !ok {
		t.Fatal("the provider server does not serve list resources")
	}
	schemas, err := server.GetProviderSchema(bg, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("schema: %v %v", err, diagSummaries(schemas.Diagnostics))
	}
	identities, err := server.GetResourceIdentitySchemas(bg, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil || len(identities.Diagnostics) > 0 {
		t.Fatalf("identity schemas: %v %v", err, diagSummaries(identities.Diagnostics))
	}
	configured, err := server.ConfigureProvider(bg, &tfprotov6.ConfigureProviderRequest{Config: dynamicValue(t, schemas.Provider.ValueType(), map[string]tftypes.Value{
		"base_url":        tftypes.NewValue(tftypes.String, env.server.URL),
		"auth_token":      tftypes.NewValue(tftypes.String, env.emu.AdminToken()),
		"organization_id": org,
		"max_retries":     tftypes.NewValue(tftypes.Number, 0),
	})})
	if err != nil || len(configured.Diagnostics) > 0 {
		t.Fatalf("configure: %v %v", err, diagSummaries(configured.Diagnostics))
	}
	return &protoProvider{t: t, server: server, schemas: schemas, identities: identities}
}

func (p *protoProvider) resourceType(typeName string) tftypes.Type {
	return p.schemas.ResourceSchemas[typeName].ValueType()
}

func (p *protoProvider) identityType(typeName string) tftypes.Type {
	return p.identities.IdentitySchemas[typeName].ValueType()
}

// identity builds identity data from string attributes.
func (p *protoProvider) identity(typeName string, attrs map[string]string) *tfprotov6.ResourceIdentityData {
	set := map[string]tftypes.Value{}
	for k, v := range attrs {
		set[k] = tftypes.NewValue(tftypes.String, v)
	}
	return &tfprotov6.ResourceIdentityData{IdentityData: dynamicValue(p.t, p.identityType(typeName), set)}
}

// decodeStrings reads the string attributes of an object value; other
// attributes are left out. A null object decodes to nil.
func decodeStrings(t *testing.T, typ tftypes.Type, dv *tfprotov6.DynamicValue) map[string]string {
	t.Helper()
	if dv == nil {
		return nil
	}
	v, err := dv.Unmarshal(typ)
	if err != nil {
		t.Fatal(err)
	}
	if v.IsNull() {
		return nil
	}
	var fields map[string]tftypes.Value
	if err := v.As(&fields); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for k, f := range fields {
		if !f.Type().Is(tftypes.String) || f.IsNull() || !f.IsKnown() {
			continue
		}
		var s string
		if err := f.As(&s); err != nil {
			t.Fatal(err)
		}
		out[k] = s
	}
	return out
}

func (p *protoProvider) identityOf(typeName string, data *tfprotov6.ResourceIdentityData) map[string]string {
	p.t.Helper()
	if data == nil {
		return nil
	}
	return decodeStrings(p.t, p.identityType(typeName), data.IdentityData)
}

// apply plans and applies a change from prior (nil: create) to config, as
// Terraform does: the proposed new state is the configuration over the
// prior state.
func (p *protoProvider) apply(typeName string, prior *tfprotov6.DynamicValue, priorIdentity *tfprotov6.ResourceIdentityData, config map[string]tftypes.Value) *tfprotov6.ApplyResourceChangeResponse {
	p.t.Helper()
	typ := p.resourceType(typeName)
	cfg := dynamicValue(p.t, typ, config)
	proposed := cfg
	priorState := prior
	if prior == nil {
		null, err := tfprotov6.NewDynamicValue(typ, tftypes.NewValue(typ, nil))
		if err != nil {
			p.t.Fatal(err)
		}
		priorState = &null
	} else {
		v, err := prior.Unmarshal(typ)
		if err != nil {
			p.t.Fatal(err)
		}
		var fields map[string]tftypes.Value
		if err := v.As(&fields); err != nil {
			p.t.Fatal(err)
		}
		schema := p.schemas.ResourceSchemas[typeName]
		for _, a := range schema.Block.Attributes {
			if !a.Computed || a.Optional {
				fields[a.Name] = tftypes.NewValue(fields[a.Name].Type(), nil)
			}
		}
		for k, cv := range config {
			fields[k] = cv
		}
		proposed = dynamicValue(p.t, typ, fields)
	}
	planned, err := p.server.PlanResourceChange(bg, &tfprotov6.PlanResourceChangeRequest{
		TypeName: typeName, PriorState: priorState, ProposedNewState: proposed, Config: cfg, PriorIdentity: priorIdentity,
	})
	if err != nil || len(planned.Diagnostics) > 0 {
		p.t.Fatalf("plan %s: %v %v", typeName, err, diagSummaries(planned.Diagnostics))
	}
	applied, err := p.server.ApplyResourceChange(bg, &tfprotov6.ApplyResourceChangeRequest{
		TypeName: typeName, PriorState: priorState, PlannedState: planned.PlannedState, Config: cfg,
		PlannedPrivate: planned.PlannedPrivate, PlannedIdentity: planned.PlannedIdentity,
	})
	if err != nil || len(applied.Diagnostics) > 0 {
		p.t.Fatalf("apply %s: %v %v", typeName, err, diagSummaries(applied.Diagnostics))
	}
	return applied
}

func (p *protoProvider) read(typeName string, state *tfprotov6.DynamicValue, identity *tfprotov6.ResourceIdentityData, private []byte) *tfprotov6.ReadResourceResponse {
	p.t.Helper()
	resp, err := p.server.ReadResource(bg, &tfprotov6.ReadResourceRequest{TypeName: typeName, CurrentState: state, CurrentIdentity: identity, Private: private})
	if err != nil {
		p.t.Fatal(err)
	}
	return resp
}

// importAndRead imports as Terraform does, by ID (id != "") or by
// identity, then reads the imported object.
func (p *protoProvider) importAndRead(typeName, id string, identity *tfprotov6.ResourceIdentityData) (*tfprotov6.ImportedResource, *tfprotov6.ReadResourceResponse) {
	p.t.Helper()
	imported, err := p.server.ImportResourceState(bg, &tfprotov6.ImportResourceStateRequest{TypeName: typeName, ID: id, Identity: identity})
	if err != nil || len(imported.Diagnostics) > 0 || len(imported.ImportedResources) != 1 {
		p.t.Fatalf("import %s: %v %v", typeName, err, diagSummaries(imported.Diagnostics))
	}
	res := imported.ImportedResources[0]
	read := p.read(typeName, res.State, res.Identity, res.Private)
	if len(read.Diagnostics) > 0 {
		p.t.Fatalf("read after import of %s: %v", typeName, diagSummaries(read.Diagnostics))
	}
	return res, read
}

func TestResourceIdentity_schemas(t *testing.T) {
	p := newProtoProvider(t, newTestEnv(t))
	want := map[string][]string{
		"anthropic_service_account":           {"id"},
		"anthropic_federation_issuer":         {"id"},
		"anthropic_federation_rule":           {"id"},
		"anthropic_service_account_workspace": {"service_account_id", "workspace_id"},
		"anthropic_federation_rule_workspace": {"federation_rule_id", "workspace_id"},
	}
	if len(p.identities.IdentitySchemas) != len(want) {
		t.Errorf("%d identity schemas, want one per resource (%d)", len(p.identities.IdentitySchemas), len(want))
	}
	for typeName, attrs := range want {
		s := p.identities.IdentitySchemas[typeName]
		if s == nil {
			t.Errorf("%s has no identity schema", typeName)
			continue
		}
		var got []string
		for _, a := range s.IdentityAttributes {
			if !a.Type.Is(tftypes.String) || !a.RequiredForImport || a.Description == "" {
				t.Errorf("%s identity attribute %s: type %s, required for import %v, description %q", typeName, a.Name, a.Type, a.RequiredForImport, a.Description)
			}
			got = append(got, a.Name)
		}
		sort.Strings(got)
		if !slices.Equal(got, attrs) {
			t.Errorf("%s identity attributes %v, want %v", typeName, got, attrs)
		}
	}

	lists := []string{"anthropic_federation_issuer", "anthropic_federation_rule", "anthropic_service_account"}
	var got []string
	for name := range p.schemas.ListResourceSchemas {
		got = append(got, name)
	}
	sort.Strings(got)
	if !slices.Equal(got, lists) {
		t.Errorf("list resources %v, want %v", got, lists)
	}
	ruleList, _ := p.schemas.ListResourceSchemas["anthropic_federation_rule"].ValueType().(tftypes.Object)
	if a := ruleList.AttributeTypes; len(a) != 1 || a["issuer_id"] == nil {
		t.Errorf("the rule list's configuration is %v, want only issuer_id", a)
	}
	meta, err := p.server.GetMetadata(bg, &tfprotov6.GetMetadataRequest{})
	if err != nil || len(meta.Diagnostics) > 0 {
		t.Fatalf("metadata: %v %v", err, diagSummaries(meta.Diagnostics))
	}
	got = nil
	for _, l := range meta.ListResources {
		got = append(got, l.TypeName)
	}
	sort.Strings(got)
	if !slices.Equal(got, lists) {
		t.Errorf("metadata lists %v, want %v", got, lists)
	}
}

// A service account's identity through create, update, refresh (with and
// without a stored identity), removal and import by identity.
func TestResourceIdentity_serviceAccount(t *testing.T) {
	env := newTestEnv(t)
	p := newProtoProvider(t, env)
	const typeName = "anthropic_service_account"
	typ := p.resourceType(typeName)

	created := p.apply(typeName, nil, nil, map[string]tftypes.Value{"name": tftypes.NewValue(tftypes.String, "identity-sa")})
	id := decodeStrings(t, typ, created.NewState)["id"]
	if !strings.HasPrefix(id, policy.PrefixServiceAccount) {
		t.Fatalf("created id %q", id)
	}
	if got := p.identityOf(typeName, created.NewIdentity); got["id"] != id || len(got) != 1 {
		t.Fatalf("identity after create %v, want id %s", got, id)
	}

	updated := p.apply(typeName, created.NewState, created.NewIdentity, map[string]tftypes.Value{
		"name":        tftypes.NewValue(tftypes.String, "identity-sa"),
		"description": tftypes.NewValue(tftypes.String, "now described"),
	})
	if got := decodeStrings(t, typ, updated.NewState)["description"]; got != "now described" {
		t.Fatalf("description after update %q", got)
	}
	if got := p.identityOf(typeName, updated.NewIdentity); got["id"] != id {
		t.Fatalf("identity after update %v, want id %s", got, id)
	}

	// Terraform before 1.12 plans and applies without identities: the
	// update returns one all the same, as the framework requires.
	updated = p.apply(typeName, updated.NewState, nil, map[string]tftypes.Value{
		"name":        tftypes.NewValue(tftypes.String, "identity-sa"),
		"description": tftypes.NewValue(tftypes.String, "described again"),
	})
	if got := p.identityOf(typeName, updated.NewIdentity); got["id"] != id {
		t.Fatalf("identity after an update without a prior identity %v, want id %s", got, id)
	}

	// A state written by an older provider or Terraform has no identity:
	// the refresh fills it in.
	read := p.read(typeName, updated.NewState, nil, nil)
	if len(read.Diagnostics) > 0 {
		t.Fatalf("read: %v", diagSummaries(read.Diagnostics))
	}
	if got := p.identityOf(typeName, read.NewIdentity); got["id"] != id {
		t.Fatalf("identity after read %v, want id %s", got, id)
	}
	read = p.read(typeName, updated.NewState, updated.NewIdentity, nil)
	if len(read.Diagnostics) > 0 || p.identityOf(typeName, read.NewIdentity)["id"] != id {
		t.Fatalf("read with identity: %v %v", diagSummaries(read.Diagnostics), p.identityOf(typeName, read.NewIdentity))
	}

	// Archived behind Terraform's back, with no stored identity: removed
	// from state without an error, as before identity existed.
	if _, err := env.client.ArchiveServiceAccount(bg, id); err != nil {
		t.Fatal(err)
	}
	gone := p.read(typeName, updated.NewState, nil, nil)
	if len(gone.Diagnostics) > 0 {
		t.Fatalf("refreshing an archived service account: %v", diagSummaries(gone.Diagnostics))
	}
	if decodeStrings(t, typ, gone.NewState) != nil {
		t.Fatal("an archived service account stayed in state")
	}

	// Import by identity, and by ID as before: the same state and identity.
	other := env.serviceAccount(t, "imported-by-identity")
	for _, how := range []struct {
		id       string
		identity *tfprotov6.ResourceIdentityData
	}{
		{"", p.identity(typeName, map[string]string{"id": other.ID})},
		{other.ID, nil},
	} {
		res, read := p.importAndRead(typeName, how.id, how.identity)
		if got := p.identityOf(typeName, res.Identity); got["id"] != other.ID {
			t.Errorf("import (id %q): identity %v, want id %s", how.id, got, other.ID)
		}
		state := decodeStrings(t, typ, read.NewState)
		if state["id"] != other.ID || state["name"] != "imported-by-identity" || state["organization_role"] != "developer" {
			t.Errorf("import (id %q): state after read %v", how.id, state)
		}
		if got := p.identityOf(typeName, read.NewIdentity); got["id"] != other.ID {
			t.Errorf("import (id %q): identity after read %v", how.id, got)
		}
	}
}

// Import by identity for the resources named by their own id, and the
// identity a refresh returns.
func TestResourceIdentity_importIssuerAndRule(t *testing.T) {
	env := newTestEnv(t)
	p := newProtoProvider(t, env)
	r := env.workloadRule(t, "identity-rule", nil)
	p.checkImport("anthropic_federation_issuer", map[string]string{"id": r.rule.IssuerID}, r.rule.IssuerID, "name", "google")
	p.checkImport("anthropic_federation_rule", map[string]string{"id": r.rule.ID}, r.rule.ID, "name", "identity-rule")
}

// Composite resources: identity is both ids; import by identity builds the
// same state as import by the composite ID.
func TestResourceIdentity_composite(t *testing.T) {
	env := newTestEnv(t)
	p := newProtoProvider(t, env)
	prod := env.workspaceID(t, "production")

	const membership = "anthropic_service_account_workspace"
	sa := env.serviceAccount(t, "member")
	created := p.apply(membership, nil, nil, map[string]tftypes.Value{
		"service_account_id": tftypes.NewValue(tftypes.String, sa.ID),
		"workspace_id":       tftypes.NewValue(tftypes.String, prod),
		"workspace_role":     tftypes.NewValue(tftypes.String, "workspace_developer"),
	})
	wantMember := map[string]string{"service_account_id": sa.ID, "workspace_id": prod}
	if got := p.identityOf(membership, created.NewIdentity); !mapsEqual(got, wantMember) {
		t.Fatalf("membership identity after create %v, want %v", got, wantMember)
	}
	if got := p.identityOf(membership, p.read(membership, created.NewState, nil, nil).NewIdentity); !mapsEqual(got, wantMember) {
		t.Fatalf("membership identity after read %v, want %v", got, wantMember)
	}
	other := env.serviceAccount(t, "other-member")
	if _, err := env.client.AddServiceAccountWorkspace(bg, other.ID, prod, "workspace_user"); err != nil {
		t.Fatal(err)
	}
	p.checkImport(membership, map[string]string{"service_account_id": other.ID, "workspace_id": prod},
		other.ID+":"+prod, "workspace_role", "workspace_user")

	const enablement = "anthropic_federation_rule_workspace"
	r := env.workloadRule(t, "enabled-rule", nil)
	if _, err := env.client.EnableFederationRuleWorkspace(bg, r.rule.ID, prod); err != nil {
		t.Fatal(err)
	}
	p.checkImport(enablement, map[string]string{"federation_rule_id": r.rule.ID, "workspace_id": prod},
		r.rule.ID+":"+prod, "workspace_name", "production")
}

// checkImport imports by identity and by the import ID: both
// give the same state, and the identity after import, after the read that
// follows it, and after a refresh without a stored identity.
func (p *protoProvider) checkImport(typeName string, identity map[string]string, id, attr, value string) {
	t := p.t
	t.Helper()
	for _, how := range []struct {
		id       string
		identity *tfprotov6.ResourceIdentityData
	}{
		{"", p.identity(typeName, identity)},
		{id, nil},
	} {
		res, read := p.importAndRead(typeName, how.id, how.identity)
		state := decodeStrings(t, p.resourceType(typeName), read.NewState)
		if state["id"] != id || state[attr] != value {
			t.Errorf("%s imported (id %q): state %v", typeName, how.id, state)
		}
		refreshed := p.read(typeName, read.NewState, nil, nil)
		if len(refreshed.Diagnostics) > 0 {
			t.Fatalf("%s refresh: %v", typeName, diagSummaries(refreshed.Diagnostics))
		}
		for what, got := range map[string]*tfprotov6.ResourceIdentityData{"import": res.Identity, "read": read.NewIdentity, "refresh": refreshed.NewIdentity} {
			if got := p.identityOf(typeName, got); !mapsEqual(got, identity) {
				t.Errorf("%s imported (id %q): identity after %s %v, want %v", typeName, how.id, what, got, identity)
			}
		}
	}
}

// A wrong identity is refused with the reason, as a wrong import ID is.
func TestResourceIdentity_invalidImportIdentity(t *testing.T) {
	env := newTestEnv(t)
	p := newProtoProvider(t, env)
	for _, tc := range []struct {
		typeName string
		identity map[string]string
		want     string
	}{
		{"anthropic_service_account", map[string]string{"id": "fdrl_0123456789"}, "svac_"},
		{"anthropic_federation_rule", map[string]string{}, "id must be set"},
		{"anthropic_federation_issuer", map[string]string{"id": "svac_0123456789"}, "fdis_"},
		{"anthropic_service_account_workspace", map[string]string{"service_account_id": "svac_0123456789", "workspace_id": "prod"}, "svac_...:wrkspc_..."},
		{"anthropic_service_account_workspace", map[string]string{"service_account_id": "svac_01:wrkspc_01", "workspace_id": "default"}, `cannot contain ":"`},
		{"anthropic_federation_rule_workspace", map[string]string{"federation_rule_id": "fdrl_0123456789"}, "workspace_id must be set"},
	} {
		resp, err := p.server.ImportResourceState(bg, &tfprotov6.ImportResourceStateRequest{TypeName: tc.typeName, Identity: p.identity(tc.typeName, tc.identity)})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError ||
			resp.Diagnostics[0].Summary != "Invalid import identity" || !strings.Contains(resp.Diagnostics[0].Detail, tc.want) {
			t.Errorf("%s %v: %v, want an error about %s", tc.typeName, tc.identity, diagSummaries(resp.Diagnostics), tc.want)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// listed runs a list request and collects its results.
func (p *protoProvider) listed(typeName string, config map[string]tftypes.Value, includeResource bool, limit int64) []tfprotov6.ListResourceResult {
	p.t.Helper()
	stream, err := p.server.ListResource(bg, &tfprotov6.ListResourceRequest{
		TypeName: typeName, Config: dynamicValue(p.t, p.schemas.ListResourceSchemas[typeName].ValueType(), config),
		IncludeResource: includeResource, Limit: limit,
	})
	if err != nil {
		p.t.Fatal(err)
	}
	var out []tfprotov6.ListResourceResult
	for r := range stream.Results {
		out = append(out, r)
		if len(out) > 1000 {
			p.t.Fatal("endless list stream")
		}
	}
	return out
}

// listedIdentities maps each result's identity id to its display name,
// failing on diagnostics and on results that carry (or lack) the resource
// against the request.
func (p *protoProvider) listedIdentities(typeName string, results []tfprotov6.ListResourceResult, includeResource bool) map[string]string {
	p.t.Helper()
	out := map[string]string{}
	for _, r := range results {
		if len(r.Diagnostics) > 0 {
			p.t.Fatalf("list %s: %v", typeName, diagSummaries(r.Diagnostics))
		}
		id := p.identityOf(typeName, r.Identity)["id"]
		if id == "" {
			p.t.Fatalf("list %s: a result without identity (%q)", typeName, r.DisplayName)
		}
		if (r.Resource != nil) != includeResource {
			p.t.Fatalf("list %s: resource object present %v, want %v", typeName, r.Resource != nil, includeResource)
		}
		if includeResource {
			state := decodeStrings(p.t, p.resourceType(typeName), r.Resource)
			if state["id"] != id || state["name"] != r.DisplayName {
				p.t.Fatalf("list %s: resource %v does not match identity %s / display name %q", typeName, state, id, r.DisplayName)
			}
		}
		out[id] = r.DisplayName
	}
	return out
}

func TestListResource_serviceAccounts(t *testing.T) {
	env := newTestEnv(t)
	p := newProtoProvider(t, env)
	const typeName = "anthropic_service_account"
	want := map[string]string{}
	for _, name := range []string{"list-a", "list-b", "list-c"} {
		sa := env.serviceAccount(t, name)
		want[sa.ID] = name
	}
	archived := env.serviceAccount(t, "list-archived")
	if _, err := env.client.ArchiveServiceAccount(bg, archived.ID); err != nil {
		t.Fatal(err)
	}

	for _, include := range []bool{false, true} {
		got := p.listedIdentities(typeName, p.listed(typeName, nil, include, 100), include)
		if !mapsEqual(got, want) {
			t.Errorf("include_resource %v: listed %v, want the live service accounts %v", include, got, want)
		}
	}
	if got := p.listed(typeName, nil, false, 2); len(got) != 2 {
		t.Errorf("limit 2: %d results", len(got))
	}

	// Each listed object is read back by its resource exactly as listed.
	results := p.listed(typeName, nil, true, 1)
	read := p.read(typeName, results[0].Resource, results[0].Identity, nil)
	if len(read.Diagnostics) > 0 {
		t.Fatalf("reading a listed service account: %v", diagSummaries(read.Diagnostics))
	}
	if a, b := decodeStrings(t, p.resourceType(typeName), results[0].Resource), decodeStrings(t, p.resourceType(typeName), read.NewState); !mapsEqual(a, b) {
		t.Errorf("listed %v, read %v", a, b)
	}
}

func TestListResource_issuersAndRules(t *testing.T) {
	env := newTestEnv(t)
	p := newProtoProvider(t, env)
	r1 := env.workloadRule(t, "rule-one", nil)
	r2 := env.workloadRule(t, "rule-two", nil)
	other := env.issuer(t, "github", policy.GitHubActionsIssuer)
	archived := env.issuer(t, "gitlab", policy.GitLabIssuer)
	if _, err := env.client.ArchiveFederationIssuer(bg, archived.ID); err != nil {
		t.Fatal(err)
	}

	issuers := p.listedIdentities("anthropic_federation_issuer", p.listed("anthropic_federation_issuer", nil, true, 100), true)
	if want := map[string]string{r1.rule.IssuerID: "google", other.ID: "github"}; !mapsEqual(issuers, want) {
		t.Errorf("issuers listed %v, want %v", issuers, want)
	}

	const rules = "anthropic_federation_rule"
	all := map[string]string{r1.rule.ID: "rule-one", r2.rule.ID: "rule-two"}
	for _, include := range []bool{false, true} {
		if got := p.listedIdentities(rules, p.listed(rules, nil, include, 100), include); !mapsEqual(got, all) {
			t.Errorf("include_resource %v: rules listed %v, want %v", include, got, all)
		}
	}
	byIssuer := func(id string) map[string]tftypes.Value {
		return map[string]tftypes.Value{"issuer_id": tftypes.NewValue(tftypes.String, id)}
	}
	if got := p.listedIdentities(rules, p.listed(rules, byIssuer(r1.rule.IssuerID), false, 100), false); !mapsEqual(got, all) {
		t.Errorf("rules of the google issuer %v, want %v", got, all)
	}
	if got := p.listed(rules, byIssuer(other.ID), false, 100); len(got) != 0 {
		t.Errorf("rules of an issuer without any: %d results", len(got))
	}

	// A listed object carries exactly what a refresh of it would store.
	for _, typeName := range []string{"anthropic_service_account", "anthropic_federation_issuer", rules} {
		listed := p.listed(typeName, nil, true, 1)
		if len(listed) != 1 {
			t.Fatalf("%s: %d results with limit 1", typeName, len(listed))
		}
		read := p.read(typeName, listed[0].Resource, listed[0].Identity, nil)
		if len(read.Diagnostics) > 0 {
			t.Fatalf("reading a listed %s: %v", typeName, diagSummaries(read.Diagnostics))
		}
		typ := p.resourceType(typeName)
		lv, err := listed[0].Resource.Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		rv, err := read.NewState.Unmarshal(typ)
		if err != nil {
			t.Fatal(err)
		}
		if !lv.Equal(rv) {
			t.Errorf("listed %s differs from its refresh:\nlisted %s\nread   %s", typeName, lv, rv)
		}
	}

	// The filter is validated before anything is listed.
	invalid, err := p.server.ValidateListResourceConfig(bg, &tfprotov6.ValidateListResourceConfigRequest{
		TypeName: rules, Config: dynamicValue(t, p.schemas.ListResourceSchemas[rules].ValueType(), byIssuer("svac_01ABCDEFabcdef0123456789XY")),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(invalid.Diagnostics) != 1 || invalid.Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError ||
		invalid.Diagnostics[0].Attribute == nil || !invalid.Diagnostics[0].Attribute.Equal(tftypes.NewAttributePath().WithAttributeName("issuer_id")) {
		t.Errorf("an issuer_id of another kind: %v", diagSummaries(invalid.Diagnostics))
	}
}

// A list that fails says why, in one error result, and ends.
func TestListResource_apiError(t *testing.T) {
	env := newTestEnv(t)
	p := newProtoProvider(t, env)
	env.server.Close()
	results := p.listed("anthropic_federation_rule", nil, false, 100)
	if len(results) != 1 || len(results[0].Diagnostics) != 1 || results[0].Diagnostics[0].Severity != tfprotov6.DiagnosticSeverityError ||
		results[0].Diagnostics[0].Summary != "Unable to list federation rules" {
		t.Fatalf("results %d, diagnostics %v", len(results), func() []string {
			if len(results) == 0 {
				return nil
			}
			return diagSummaries(results[0].Diagnostics)
		}())
	}
}

// With organization_id unset, a listed rule's sdk_environment names the
// organization the API reports, as a refresh of the rule does.
func TestListResource_ruleAsksForTheOrganization(t *testing.T) {
	t.Parallel() // ANTHROPIC_ORGANIZATION_ID is unset too (TestMain)
	env := newTestEnv(t)
	p := newProtoProviderOrg(t, env, "")
	env.workloadRule(t, "rule-one", nil)
	const rules = "anthropic_federation_rule"
	listed := p.listed(rules, nil, true, 1)
	if len(listed) != 1 {
		t.Fatalf("%d results", len(listed))
	}
	v, err := listed[0].Resource.Unmarshal(p.resourceType(rules))
	if err != nil {
		t.Fatal(err)
	}
	var obj map[string]tftypes.Value
	if err := v.As(&obj); err != nil {
		t.Fatal(err)
	}
	var sdkEnv map[string]tftypes.Value
	if err := obj["sdk_environment"].As(&sdkEnv); err != nil {
		t.Fatal(err)
	}
	var org string
	if err := sdkEnv["ANTHROPIC_ORGANIZATION_ID"].As(&org); err != nil || org != env.emu.OrganizationID() {
		t.Errorf("sdk_environment ANTHROPIC_ORGANIZATION_ID = %q (%v), want %s", org, err, env.emu.OrganizationID())
	}
}
