package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// The federation issuer's model, shared by the anthropic_federation_issuer
// resource and the issuer data sources: the jwks keys type, the nested object
// shapes, the mapping from the API object and the data sources' attributes;
// and the resource's model with its create and update bodies.

var (
	_ basetypes.StringTypable                    = jwksKeysType{}
	_ basetypes.StringValuableWithSemanticEquals = jwksKeysValue{}
)

// jwksKeysType is the type of jwks.keys: a JSON array of JWKs whose key
// order, member order and whitespace carry no meaning. Its values compare
// semantically, so a reformatted array read back from the API never shows
// as drift and the configuration's own formatting stays in state.
type jwksKeysType struct{ basetypes.StringType }

func (t jwksKeysType) Equal(o attr.Type) bool {
	_, ok := o.(jwksKeysType)
	return ok
}

func (t jwksKeysType) String() string { return "jwksKeysType" }

func (t jwksKeysType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return jwksKeysValue{StringValue: in}, nil
}

func (t jwksKeysType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	s, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	return jwksKeysValue{StringValue: s}, nil
}

func (t jwksKeysType) ValueType(context.Context) attr.Value { return jwksKeysValue{} }

// jwksKeysValue is a value of jwksKeysType.
type jwksKeysValue struct{ basetypes.StringValue }

func (v jwksKeysValue) Type(context.Context) attr.Type { return jwksKeysType{} }

func (v jwksKeysValue) Equal(o attr.Value) bool {
	other, ok := o.(jwksKeysValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals reports two arrays holding the same keys. Text that
// is not a JWK array only equals itself: validation reports it elsewhere.
func (v jwksKeysValue) StringSemanticEquals(_ context.Context, other basetypes.StringValuable) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	o, ok := other.(jwksKeysValue)
	if !ok {
		diags.AddError("Semantic equality check error",
			fmt.Sprintf("expected a jwksKeysValue, got %T; please report this issue to the provider developers", other))
		return false, diags
	}
	return jwksKeysSemanticallyEqual(v.ValueString(), o.ValueString()), diags
}

func jwksKeysNull() jwksKeysValue           { return jwksKeysValue{StringValue: types.StringNull()} }
func jwksKeysString(s string) jwksKeysValue { return jwksKeysValue{StringValue: types.StringValue(s)} }

// jwksKeysSemanticallyEqual compares two JWK arrays after normalization.
func jwksKeysSemanticallyEqual(a, b string) bool {
	if a == b {
		return true
	}
	na, errA := policy.NormalizeJWKSKeysJSON(a)
	nb, errB := policy.NormalizeJWKSKeysJSON(b)
	return errA == nil && errB == nil && na == nb
}

// jwksKeysToAPI turns the configured JSON array into the wire form.
func jwksKeysToAPI(s string) ([]json.RawMessage, error) {
	norm, err := policy.NormalizeJWKSKeysJSON(s)
	if err != nil {
		return nil, err
	}
	var keys []json.RawMessage
	if err := json.Unmarshal([]byte(norm), &keys); err != nil {
		return nil, err
	}
	return keys, nil
}

// jwksKeysFromAPI renders the API's keys in the normalized form, so state
// written from the API is the same whatever order the API returns them in.
func jwksKeysFromAPI(keys []json.RawMessage) (string, error) {
	if keys == nil {
		keys = []json.RawMessage{}
	}
	b, err := json.Marshal(keys)
	if err != nil {
		return "", err
	}
	return policy.NormalizeJWKSKeysJSON(string(b))
}

// jwksKeysValidator checks jwks.keys the way the API does: a JSON array of
// public signing JWKs with unique kids. Errors name the attribute and the
// offending key by index, never its material.
type jwksKeysValidator struct{}

func (jwksKeysValidator) Description(context.Context) string {
	return "a JSON array of public RSA or EC signing JWKs, each with a unique kid"
}

func (v jwksKeysValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (jwksKeysValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if err := checkJWKSKeys(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid JWKS keys", fmt.Sprintf("%s%s", req.Path.ParentPath(), err))
	}
}

// checkJWKSKeys returns errors that read after the parent path, e.g.
// "jwks" + ".keys[1]: contains private key material".
func checkJWKSKeys(s string) error {
	keys, err := jwksKeysToAPI(s)
	if err != nil {
		return fmt.Errorf(".keys %w. Pass the key array, for example jsonencode(jsondecode(file(\"jwks.json\")).keys)", err)
	}
	if err := policy.ValidateJWKSKeys(keys); err != nil {
		return fmt.Errorf(".%w", err)
	}
	return nil
}

// keepEquivalentJWKSKeys plans the prior keys when the configuration holds
// the same keys in another order or format. Semantic equality covers values
// the provider writes; this covers the configuration itself, which
// Terraform would otherwise plan as an in-place update.
type keepEquivalentJWKSKeys struct{}

func (keepEquivalentJWKSKeys) Description(context.Context) string {
	return "Keeps the prior keys when the configured keys differ only in order or formatting."
}

func (m keepEquivalentJWKSKeys) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (keepEquivalentJWKSKeys) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.StateValue.IsNull() || req.StateValue.IsUnknown() || req.PlanValue.IsNull() || req.PlanValue.IsUnknown() {
		return
	}
	if jwksKeysSemanticallyEqual(req.StateValue.ValueString(), req.PlanValue.ValueString()) {
		resp.PlanValue = req.StateValue
	}
}

// issuerJWKSModel is the jwks nested object.
type issuerJWKSModel struct {
	Type          types.String  `tfsdk:"type"`
	DiscoveryBase types.String  `tfsdk:"discovery_base"`
	URL           types.String  `tfsdk:"url"`
	CACertPEM     types.String  `tfsdk:"ca_cert_pem"`
	Keys          jwksKeysValue `tfsdk:"keys"`
}

// pollStatusModel is the poll_status nested object.
type pollStatusModel struct {
	ConsecutiveFailures types.Int64  `tfsdk:"consecutive_failures"`
	LastFetchedAt       types.String `tfsdk:"last_fetched_at"`
	NextPollAt          types.String `tfsdk:"next_poll_at"`
}

// jwksAttribute is the jwks attribute of the resource; the data sources
// derive theirs from it, and its object type comes from it. It defaults to
// the API's default, discovery from issuer_url.
func jwksAttribute() schema.SingleNestedAttribute {
	fetchURL := stringCheck{description: "URL Anthropic fetches", check: policy.ValidateFetchURL}
	a := schema.SingleNestedAttribute{
		MarkdownDescription: "Where Anthropic finds the keys that verify the issuer's tokens. Defaults to `{ type = \"discovery\" }`. " +
			"The API replaces it whole on update; changing it is done in place.",
		Optional: true,
		Computed: true,
		Attributes: map[string]schema.Attribute{
			"type": schema.StringAttribute{
				MarkdownDescription: "`discovery` (OIDC discovery from `issuer_url` or `discovery_base`), `explicit_url` " +
					"(a JWK Set URL given in `url`) or `inline` (the keys given in `keys`; Anthropic fetches nothing).",
				Required:   true,
				Validators: []validator.String{stringvalidator.OneOf(policy.JWKSTypes()...)},
			},
			"discovery_base": schema.StringAttribute{
				MarkdownDescription: "Only with `type = \"discovery\"`: fetch `<discovery_base>/.well-known/openid-configuration` " +
					"instead of deriving it from `issuer_url`. A public `https` URL on port 443 with a DNS name.",
				Optional:   true,
				Validators: []validator.String{fetchURL},
			},
			"url": schema.StringAttribute{
				MarkdownDescription: "Required with `type = \"explicit_url\"`: the URL of the issuer's JWK Set document. A public `https` URL on port 443 with a DNS name.",
				Optional:            true,
				Validators:          []validator.String{fetchURL},
			},
			"ca_cert_pem": schema.StringAttribute{
				MarkdownDescription: "Only with `type = \"discovery\"` or `\"explicit_url\"`: PEM CA certificate(s) Anthropic trusts " +
					"when fetching, for issuers whose TLS certificate comes from a private CA. At most 8192 characters.",
				Optional:   true,
				Validators: []validator.String{stringCheck{description: "CA certificate PEM", check: policy.ValidateCACertPEM}},
			},
			"keys": schema.StringAttribute{
				MarkdownDescription: "Required with `type = \"inline\"`: the issuer's public signing keys as a JSON **array** of JWKs " +
					"(the `keys` array of a JWK Set, not the whole document), e.g. `jsonencode(jsondecode(file(\"jwks.json\")).keys)`. " +
					"Each key needs a unique `kid`; private key material is refused. Key order, member order and whitespace do " +
					"not matter and never show as a change.",
				Optional:      true,
				CustomType:    jwksKeysType{},
				Validators:    []validator.String{jwksKeysValidator{}},
				PlanModifiers: []planmodifier.String{keepEquivalentJWKSKeys{}},
			},
		},
	}
	def, err := flattenJWKS(client.JWKS{Type: client.JWKSTypeDiscovery})
	if err != nil {
		panic(err) // no keys to render
	}
	// Building a value logs nothing worth a request's context.
	a.Default = objectdefault.StaticValue(objectOf(context.Background(), nestedTypes(a), def))
	return a
}

// pollStatusAttribute is the poll_status attribute of the resource; the
// data sources derive theirs from it.
func pollStatusAttribute() schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Health of key polling, refreshed on every read; `null` for inline keys. It changes on its own and " +
			"never causes a plan; check it (for example in a `check` block) to notice an issuer whose keys cannot be fetched.",
		Computed: true,
		Attributes: map[string]schema.Attribute{
			"consecutive_failures": schema.Int64Attribute{
				MarkdownDescription: "Failed fetches since the last successful one.",
				Computed:            true,
			},
			"last_fetched_at": schema.StringAttribute{
				MarkdownDescription: "When the keys were last fetched successfully (RFC 3339).",
				Computed:            true,
			},
			"next_poll_at": schema.StringAttribute{
				MarkdownDescription: "When the next fetch is due (RFC 3339); `null` while polling is paused.",
				Computed:            true,
			},
		},
	}
}

// flattenJWKS maps the API's jwks onto its model.
func flattenJWKS(j client.JWKS) (issuerJWKSModel, error) {
	m := issuerJWKSModel{
		Type:          types.StringValue(j.Type),
		DiscoveryBase: types.StringPointerValue(nonEmpty(j.DiscoveryBase)),
		URL:           optionalString(j.URL),
		CACertPEM:     types.StringPointerValue(nonEmpty(j.CACertPEM)),
		Keys:          jwksKeysNull(),
	}
	if j.Type == client.JWKSTypeInline || len(j.Keys) > 0 {
		s, err := jwksKeysFromAPI(j.Keys)
		if err != nil {
			return m, fmt.Errorf("the API returned jwks.keys that are not a JSON array of objects: %w", err)
		}
		m.Keys = jwksKeysString(s)
	}
	return m, nil
}

// expandJWKS builds the whole union: the API replaces jwks whole on update.
func expandJWKS(m *issuerJWKSModel) (client.JWKS, error) {
	j := client.JWKS{
		Type:          m.Type.ValueString(),
		DiscoveryBase: m.DiscoveryBase.ValueStringPointer(),
		URL:           m.URL.ValueString(),
		CACertPEM:     m.CACertPEM.ValueStringPointer(),
	}
	if !m.Keys.IsNull() {
		keys, err := jwksKeysToAPI(m.Keys.ValueString())
		if err != nil {
			return client.JWKS{}, fmt.Errorf("jwks.keys %w", err)
		}
		j.Keys = keys
	}
	return j, nil
}

// equivalent reports two jwks objects the API would treat the same.
func (m *issuerJWKSModel) equivalent(o *issuerJWKSModel) bool {
	if !m.Type.Equal(o.Type) || !m.DiscoveryBase.Equal(o.DiscoveryBase) || !m.URL.Equal(o.URL) || !m.CACertPEM.Equal(o.CACertPEM) {
		return false
	}
	if m.Keys.IsNull() || o.Keys.IsNull() {
		return m.Keys.IsNull() == o.Keys.IsNull()
	}
	return jwksKeysSemanticallyEqual(m.Keys.ValueString(), o.Keys.ValueString())
}

func nonEmpty(s *string) *string {
	if s == nil || *s == "" {
		return nil
	}
	return s
}

func jwksObjectFromAPI(ctx context.Context, j client.JWKS, diags *diag.Diagnostics) types.Object {
	attrTypes := nestedTypes(jwksAttribute())
	m, err := flattenJWKS(j)
	if err != nil {
		diags.AddError("Unexpected jwks from the API", err.Error())
		return types.ObjectNull(attrTypes)
	}
	return objectOf(ctx, attrTypes, m)
}

// flattenPollStatus maps poll_status; the API has none for inline keys.
func flattenPollStatus(p *client.PollStatus) *pollStatusModel {
	if p == nil {
		return nil
	}
	return &pollStatusModel{
		ConsecutiveFailures: types.Int64Value(int64(p.ConsecutiveFailures)),
		LastFetchedAt:       timePtrString(p.LastFetchedAt),
		NextPollAt:          timePtrString(p.NextPollAt),
	}
}

func pollStatusObjectFromAPI(ctx context.Context, p *client.PollStatus) types.Object {
	attrTypes := nestedTypes(pollStatusAttribute())
	m := flattenPollStatus(p)
	if m == nil {
		return types.ObjectNull(attrTypes)
	}
	return objectOf(ctx, attrTypes, *m)
}

// federationIssuerFields are the attributes every issuer-shaped object in
// this provider shows: the resource, the single and the list data source.
type federationIssuerFields struct {
	ID                    types.String `tfsdk:"id"`
	Name                  types.String `tfsdk:"name"`
	IssuerURL             types.String `tfsdk:"issuer_url"`
	JWKS                  types.Object `tfsdk:"jwks"`
	CheckJTI              types.Bool   `tfsdk:"check_jti"`
	MaxJWTLifetimeSeconds types.Int64  `tfsdk:"max_jwt_lifetime_seconds"`
	JWKSPollingDisabledAt types.String `tfsdk:"jwks_polling_disabled_at"`
	PollStatus            types.Object `tfsdk:"poll_status"`
	CreatedAt             types.String `tfsdk:"created_at"`
	CreatedByActorID      types.String `tfsdk:"created_by_actor_id"`
	UpdatedAt             types.String `tfsdk:"updated_at"`
	UpdatedByActorID      types.String `tfsdk:"updated_by_actor_id"`
}

func (f *federationIssuerFields) fromAPI(ctx context.Context, iss *client.FederationIssuer, diags *diag.Diagnostics) {
	f.ID = types.StringValue(iss.ID)
	f.Name = types.StringValue(iss.Name)
	f.IssuerURL = types.StringValue(iss.IssuerURL)
	f.JWKS = jwksObjectFromAPI(ctx, iss.JWKS, diags)
	f.CheckJTI = types.BoolValue(iss.CheckJTI)
	f.MaxJWTLifetimeSeconds = types.Int64Value(iss.MaxJWTLifetimeSeconds)
	f.JWKSPollingDisabledAt = timePtrString(iss.JWKSPollingDisabledAt)
	f.PollStatus = pollStatusObjectFromAPI(ctx, iss.PollStatus)
	f.CreatedAt = timeString(iss.CreatedAt)
	f.CreatedByActorID = types.StringValue(iss.CreatedByActorID)
	f.UpdatedAt = timeString(iss.UpdatedAt)
	f.UpdatedByActorID = types.StringValue(iss.UpdatedByActorID)
}

// issuerDataSourceAttributes are the read-only issuer attributes of the
// data sources; the single lookup makes id, name and issuer_url optional
// lookup keys instead.
func issuerDataSourceAttributes(lookupKeys bool) map[string]dsschema.Attribute {
	computed := func(markdown string) dsschema.StringAttribute {
		return dsschema.StringAttribute{MarkdownDescription: markdown, Computed: true}
	}
	attrs := map[string]dsschema.Attribute{
		"id":         computed("Federation issuer ID (`fdis_...`)."),
		"name":       computed("Unique name of the issuer."),
		"issuer_url": computed("The issuer's URL, as its tokens carry it in `iss`."),
		"jwks":       dataSourceAttribute(jwksAttribute(), "Where Anthropic finds the keys that verify the issuer's tokens."),
		"check_jti": dsschema.BoolAttribute{
			MarkdownDescription: "Whether each `jti` is accepted only once.", Computed: true,
		},
		"max_jwt_lifetime_seconds": dsschema.Int64Attribute{
			MarkdownDescription: "The longest accepted token lifetime (`exp - iat`), in seconds.", Computed: true,
		},
		"jwks_polling_disabled_at": computed(
			"When Anthropic paused key polling after repeated fetch failures (RFC 3339), or `null` while polling. " +
				"Resume it with `jwks_polling_disabled = false` on the `anthropic_federation_issuer` resource once the key endpoint works again."),

		"poll_status":         dataSourceAttribute(pollStatusAttribute(), "Health of key polling; `null` for inline keys."),
		"created_at":          computed("When the issuer was created (RFC 3339)."),
		"created_by_actor_id": computed("ID of the user or service account that created it."),
		"updated_at":          computed("When the issuer was last changed (RFC 3339)."),
		"updated_by_actor_id": computed("ID of the user or service account that last changed it."),
	}
	if lookupKeys {
		attrs["id"] = dsschema.StringAttribute{
			MarkdownDescription: "Look the issuer up by ID (`fdis_...`). Exactly one of `id`, `name` and `issuer_url` must be set.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{idValidator(policy.PrefixIssuer, "federation issuer")},
		}
		attrs["name"] = dsschema.StringAttribute{
			MarkdownDescription: "Look the issuer up by its unique name.",
			Optional:            true,
			Computed:            true,
			Validators:          []validator.String{nameValidator()},
		}
		attrs["issuer_url"] = dsschema.StringAttribute{
			MarkdownDescription: "Look the issuer up by issuer URL, compared exactly (`https://accounts.google.com` for Google), so a " +
				"module reuses the organization's one issuer for that URL instead of creating another.",
			Optional:   true,
			Computed:   true,
			Validators: []validator.String{stringvalidator.LengthAtLeast(1)},
		}
	}
	return attrs
}

type federationIssuerModel struct {
	federationIssuerFields
	JWKSPollingDisabled types.Bool `tfsdk:"jwks_polling_disabled"`
}

// fromAPI maps the API object. jwks_polling_disabled is write-only in the
// API; its truth is jwks_polling_disabled_at.
//
// An imported issuer keeps it null (see pollingLeftAlone): the API has no
// readable setting to import, and a value in state would make
// `terraform plan -generate-config-out` write it into the configuration
// (true for a paused issuer, which no configuration may set).
func (m *federationIssuerModel) fromAPI(ctx context.Context, iss *client.FederationIssuer, diags *diag.Diagnostics) {
	m.federationIssuerFields.fromAPI(ctx, iss, diags)
	if !m.JWKSPollingDisabled.IsNull() {
		m.JWKSPollingDisabled = types.BoolValue(iss.JWKSPollingDisabledAt != nil)
	}
}

func (m *federationIssuerModel) jwksModel(ctx context.Context, diags *diag.Diagnostics) *issuerJWKSModel {
	j, _ := objectAs[issuerJWKSModel](ctx, m.JWKS, diags)
	return &j
}

func (m *federationIssuerModel) toCreate(ctx context.Context, diags *diag.Diagnostics) client.FederationIssuerCreateParams {
	p := client.FederationIssuerCreateParams{
		Name:                  m.Name.ValueString(),
		IssuerURL:             m.IssuerURL.ValueString(),
		CheckJTI:              m.CheckJTI.ValueBoolPointer(),
		MaxJWTLifetimeSeconds: m.MaxJWTLifetimeSeconds.ValueInt64Pointer(),
	}
	if !m.JWKS.IsNull() && !m.JWKS.IsUnknown() {
		j, err := expandJWKS(m.jwksModel(ctx, diags))
		if err != nil {
			diags.AddAttributeError(path.Root("jwks"), "Invalid jwks", err.Error())
		}
		p.JWKS = &j
	}
	return p
}

// toUpdate sends only what changed: the API leaves omitted fields alone.
func (m *federationIssuerModel) toUpdate(ctx context.Context, state *federationIssuerModel, diags *diag.Diagnostics) (client.FederationIssuerUpdateParams, bool) {
	var p client.FederationIssuerUpdateParams
	changed := false
	if !m.Name.Equal(state.Name) {
		p.Name, changed = client.Set(m.Name.ValueString()), true
	}
	if !m.IssuerURL.Equal(state.IssuerURL) {
		p.IssuerURL, changed = client.Set(m.IssuerURL.ValueString()), true
	}
	planJWKS := m.jwksModel(ctx, diags)
	if state.JWKS.IsNull() || !planJWKS.equivalent(state.jwksModel(ctx, diags)) {
		j, err := expandJWKS(planJWKS)
		if err != nil {
			diags.AddAttributeError(path.Root("jwks"), "Invalid jwks", err.Error())
		}
		p.JWKS, changed = client.Set(j), true
	}
	if !m.CheckJTI.Equal(state.CheckJTI) {
		p.CheckJTI, changed = client.Set(m.CheckJTI.ValueBool()), true
	}
	if !m.MaxJWTLifetimeSeconds.Equal(state.MaxJWTLifetimeSeconds) {
		p.MaxJWTLifetimeSeconds, changed = client.Set(m.MaxJWTLifetimeSeconds.ValueInt64()), true
	}
	// Sent only to resume a pause: an OAuth caller may not send it at all
	// for an issuer backing a privileged rule, so an unneeded false would
	// break unrelated updates.
	// An imported issuer's state has no jwks_polling_disabled; its
	// jwks_polling_disabled_at tells whether polling is paused.
	paused := state.JWKSPollingDisabled.ValueBool() || (state.JWKSPollingDisabled.IsNull() && !state.JWKSPollingDisabledAt.IsNull())
	if resumeWanted(m.JWKSPollingDisabled) && paused {
		p.JWKSPollingDisabled, changed = client.Set(false), true
	}
	return p, changed
}

// resumeWanted reports a plan that wants polling running: the
// configuration says false. Unknown means it left polling alone.
func resumeWanted(v types.Bool) bool {
	return !v.IsNull() && !v.IsUnknown() && !v.ValueBool()
}

// sameSettings reports a plan whose configurable attributes all equal the
// state's (jwks semantically); unknown values never compare equal.
func (m *federationIssuerModel) sameSettings(ctx context.Context, o *federationIssuerModel) bool {
	if !m.Name.Equal(o.Name) || !m.IssuerURL.Equal(o.IssuerURL) || !m.CheckJTI.Equal(o.CheckJTI) ||
		!m.MaxJWTLifetimeSeconds.Equal(o.MaxJWTLifetimeSeconds) || !m.JWKSPollingDisabled.Equal(o.JWKSPollingDisabled) {
		return false
	}
	if m.JWKS.IsUnknown() || o.JWKS.IsUnknown() || m.JWKS.IsNull() != o.JWKS.IsNull() {
		return false
	}
	if m.JWKS.IsNull() {
		return true
	}
	var diags diag.Diagnostics
	a, b := m.jwksModel(ctx, &diags), o.jwksModel(ctx, &diags)
	return !diags.HasError() && !a.Keys.IsUnknown() && a.equivalent(b)
}

// federationIssuerDataSourceModel is anthropic_federation_issuer (the data
// source).
type federationIssuerDataSourceModel struct {
	federationIssuerFields
}

// federationIssuerListItem is an item of anthropic_federation_issuers.
type federationIssuerListItem struct {
	federationIssuerFields
	ArchivedAt types.String `tfsdk:"archived_at"`
}

// issuerDefinedAs reports whether found is the issuer p asks for in every
// field the create sends (the JWKS source, check_jti, the lifetime cap).
func issuerDefinedAs(found *client.FederationIssuer, p client.FederationIssuerCreateParams) bool {
	if found.IssuerURL != p.IssuerURL {
		return false
	}
	if p.CheckJTI != nil && found.CheckJTI != *p.CheckJTI {
		return false
	}
	if p.MaxJWTLifetimeSeconds != nil && found.MaxJWTLifetimeSeconds != *p.MaxJWTLifetimeSeconds {
		return false
	}
	if p.JWKS == nil {
		return found.JWKS.Type == client.JWKSTypeDiscovery && found.JWKS.CACertPEM == nil
	}
	want, got := *p.JWKS, found.JWKS
	if want.Type != got.Type || want.URL != got.URL || !sameStringPtr(want.CACertPEM, got.CACertPEM) ||
		!sameStringPtr(want.DiscoveryBase, got.DiscoveryBase) || len(want.Keys) != len(got.Keys) {
		return false
	}
	for i := range want.Keys {
		if !sameJSON(want.Keys[i], got.Keys[i]) {
			return false
		}
	}
	return true
}

// sameJSON compares two JSON documents by value (key order and spacing
// aside).
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
