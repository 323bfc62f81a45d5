package provider

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64default"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var (
	_ resource.Resource                   = (*federationIssuerResource)(nil)
	_ resource.ResourceWithConfigure      = (*federationIssuerResource)(nil)
	_ resource.ResourceWithImportState    = (*federationIssuerResource)(nil)
	_ resource.ResourceWithValidateConfig = (*federationIssuerResource)(nil)
	_ resource.ResourceWithModifyPlan     = (*federationIssuerResource)(nil)
	_ resource.ResourceWithIdentity       = (*federationIssuerResource)(nil)
)

// federationIssuerIdentityAttrs are the identity attributes, in import ID order.
var federationIssuerIdentityAttrs = []string{"id"}

func newFederationIssuerResource() resource.Resource { return &federationIssuerResource{} }

type federationIssuerResource struct{ configuredResource }

func (r *federationIssuerResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_issuer"
}

func (r *federationIssuerResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A trusted OIDC token issuer for workload identity federation: the issuer URL tokens must carry as `iss`, and " +
			"where Anthropic finds the keys that verify them.\n\nKeep **one issuer per `issuer_url`** in an organization (look an existing " +
			"one up with the `anthropic_federation_issuer` data source) and distinguish workloads with federation rules. Destroying it " +
			"**archives** it (the API never hard-deletes); an issuer referenced by a live federation rule cannot be archived, and archiving " +
			"makes every rule on it reject exchanges.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: "Federation issuer ID (`fdis_...`).",
				Computed:            true,
				PlanModifiers:       []planmodifier.String{stringplanmodifier.UseStateForUnknown()},
			},
			"name": schema.StringAttribute{
				MarkdownDescription: "Unique name within the organization: lowercase letters, digits and hyphens, 1–255 characters. Updated in place.",
				Required:            true,
				Validators:          []validator.String{nameValidator()},
			},
			"issuer_url": schema.StringAttribute{
				MarkdownDescription: "The issuer's URL, exactly as its tokens carry it in the `iss` claim (for Google, " +
					"`https://accounts.google.com`). With `jwks.type = \"discovery\"` and no `discovery_base`, Anthropic fetches " +
					"`<issuer_url>/.well-known/openid-configuration`, so it must then be a public `https` URL on port 443 with a DNS name; " +
					"otherwise it is only compared with `iss` and must be an `https` URL without query or fragment. Updated in place.",
				Required: true,
			},
			"jwks": jwksAttribute(),
			"check_jti": schema.BoolAttribute{
				MarkdownDescription: "Accept each `jti` (token ID) only once per issuer, so a captured token cannot be replayed. Tokens without `jti` are still accepted. Defaults to `true`.",
				Optional:            true,
				Computed:            true,
				Default:             booldefault.StaticBool(true),
			},
			"max_jwt_lifetime_seconds": schema.Int64Attribute{
				MarkdownDescription: fmt.Sprintf("The longest lifetime (`exp - iat`) of a token this issuer may present, %d–%d seconds. Defaults to `%d`.",
					policy.MinJWTLifetime, policy.MaxJWTLifetime, policy.DefaultJWTLifetime),
				Optional:   true,
				Computed:   true,
				Default:    int64default.StaticInt64(policy.DefaultJWTLifetime),
				Validators: []validator.Int64{int64validator.Between(policy.MinJWTLifetime, policy.MaxJWTLifetime)},
			},
			"jwks_polling_disabled": schema.BoolAttribute{
				MarkdownDescription: "Whether Anthropic has paused polling the issuer's keys. Anthropic pauses it **by itself** after " +
					"repeated key fetch failures (`jwks_polling_disabled_at` tells when); the keys fetched last stay in use, so rotated " +
					"keys are not picked up. Only `false` can be set (`true` is not something a client can do): with `false`, a pause " +
					"shows as drift (`true` → `false`) and apply resumes polling, so fix the key endpoint first. Omit it to leave polling " +
					"alone; an imported issuer leaves it unset (null), so generated configuration does not set it. Nothing is sent when the " +
					"issuer is created.",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.Bool{resumeOnlyValidator{}},
				PlanModifiers: []planmodifier.Bool{pollingLeftAlone{}},
			},
			"jwks_polling_disabled_at": schema.StringAttribute{
				MarkdownDescription: "When Anthropic paused key polling after repeated fetch failures (RFC 3339), or `null` while polling.",
				Computed:            true,
			},
			"poll_status":         pollStatusAttribute(),
			"created_at":          computedString("When the issuer was created (RFC 3339).", true),
			"created_by_actor_id": computedString("ID of the user or service account that created it.", true),
			"updated_at":          computedString("When the issuer was last changed (RFC 3339).", false),
			"updated_by_actor_id": computedString("ID of the user or service account that last changed it.", false),
		},
	}
}

func (r *federationIssuerResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = idIdentitySchema("Federation issuer", "fdis_")
}

func (r *federationIssuerResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var issuerURL types.String
	var jwks types.Object
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("issuer_url"), &issuerURL)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("jwks"), &jwks)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateIssuerJWKS(ctx, issuerURL, jwks, &resp.Diagnostics)
}

// ModifyPlan drops a plan that changes nothing the API would see. The
// framework marks computed attributes unknown as soon as the configuration
// differs from state, before keepEquivalentJWKSKeys puts equivalent keys
// back; without this, reformatted keys would still plan an update of
// updated_at and friends.
//
// A new issuer_url that another live issuer already has gets a warning:
// one issuer per issuer URL is the practice (advice only, so it can never
// block a plan, a refresh or a destroy).
func (r *federationIssuerResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || req.Plan.Raw.Equal(req.State.Raw) {
		return // destroy, or no change
	}
	ctx = maskSecrets(ctx)
	var c *client.Client
	if r.data != nil {
		c = r.data.client
	}
	var plan federationIssuerModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if req.State.Raw.IsNull() {
		warnSharedIssuerURL(ctx, c, plan.IssuerURL, "", &resp.Diagnostics)
		return
	}
	var state federationIssuerModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !plan.IssuerURL.Equal(state.IssuerURL) {
		warnSharedIssuerURL(ctx, c, plan.IssuerURL, state.ID.ValueString(), &resp.Diagnostics)
	}
	if plan.sameSettings(ctx, &state) {
		resp.Plan.Raw = req.State.Raw.Copy()
	}
}

// resumeOnlyValidator allows jwks_polling_disabled = false only: the API
// rejects true, since only Anthropic pauses polling. Caught at plan time so
// the configuration never reaches the API.
type resumeOnlyValidator struct{}

func (resumeOnlyValidator) Description(context.Context) string {
	return "only false, which resumes polling that Anthropic paused"
}

func (resumeOnlyValidator) MarkdownDescription(context.Context) string {
	return "only `false`, which resumes polling that Anthropic paused"
}

func (resumeOnlyValidator) ValidateBool(_ context.Context, req validator.BoolRequest, resp *validator.BoolResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() || !req.ConfigValue.ValueBool() {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, "jwks_polling_disabled can only be false",
		"jwks_polling_disabled = true is not something a client can do: Anthropic pauses key polling by itself after repeated "+
			"JWKS fetch failures (jwks_polling_disabled_at tells when), and the API rejects true. Set jwks_polling_disabled = false "+
			"to resume polling once the issuer's key endpoint works again, or remove the attribute to leave polling alone.")
}

// pollingLeftAlone plans an unconfigured jwks_polling_disabled as its state
// value, null included (an imported issuer), instead of unknown; a new
// issuer's is known after apply.
type pollingLeftAlone struct{}

func (pollingLeftAlone) Description(context.Context) string {
	return "an unconfigured value keeps its state value"
}

func (m pollingLeftAlone) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (pollingLeftAlone) PlanModifyBool(_ context.Context, req planmodifier.BoolRequest, resp *planmodifier.BoolResponse) {
	if req.ConfigValue.IsNull() && !req.State.Raw.IsNull() {
		resp.PlanValue = req.StateValue
	}
}

func (r *federationIssuerResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, federationIssuerIdentityAttrs, &resp.State)
	ctx, plan, ok := begin[federationIssuerModel](ctx, r.data, req.Plan.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	params := plan.toCreate(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	c := r.data.client
	iss, err := createRecovering(ctx, &resp.Diagnostics, "federation issuer", params.Name,
		func(ctx context.Context) (*client.FederationIssuer, error) {
			return c.CreateFederationIssuer(ctx, params)
		},
		func(ctx context.Context, since time.Time) (*client.FederationIssuer, error) {
			found, err := c.FindFederationIssuerByName(ctx, params.Name)
			if err != nil || found == nil || !createdSince(found.CreatedAt, since) || !issuerDefinedAs(found, params) {
				return nil, err
			}
			return found, nil
		})
	if err != nil {
		if client.IsConflict(err) {
			resp.Diagnostics.AddAttributeError(path.Root("name"), fmt.Sprintf("A federation issuer named %q already exists", params.Name),
				apiErrorDetail(err)+"\nImport it with `terraform import` (by its fdis_ ID), look it up with the anthropic_federation_issuer "+
					"data source, or choose another name."+
					importHint(ctx, "anthropic_federation_issuer", func(ctx context.Context) (string, error) {
						found, err := c.FindFederationIssuerByName(ctx, params.Name)
						if found == nil {
							return "", err
						}
						return found.ID, err
					}))
			return
		}
		addAPIError(&resp.Diagnostics, "Unable to create federation issuer", err)
		return
	}
	// Record the object first: whatever happens next, it is tracked. A new
	// issuer polls; the API takes jwks_polling_disabled on update only.
	wantPolling := plan.JWKSPollingDisabled
	plan.fromAPI(ctx, iss, &resp.Diagnostics)
	checkPollingRuns(wantPolling, iss, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	tflog.Info(ctx, "created federation issuer", map[string]any{"id": iss.ID})
	if resp.Diagnostics.HasError() {
		return
	}
	r.waitVisible(ctx, iss, &resp.Diagnostics)
}

// checkPollingRuns explains a plan that wanted polling running (false)
// while the API reports it paused: the resume did not take, or Anthropic
// paused polling again after the plan. Without it, Terraform would only
// report an inconsistent result.
func checkPollingRuns(want types.Bool, iss *client.FederationIssuer, diags *diag.Diagnostics) {
	if resumeWanted(want) && iss.JWKSPollingDisabledAt != nil {
		diags.AddAttributeError(path.Root("jwks_polling_disabled"), "JWKS polling is still paused",
			fmt.Sprintf("The configuration sets jwks_polling_disabled = false, but federation issuer %s reports key polling paused since %s. "+
				"Anthropic pauses polling by itself after repeated JWKS fetch failures; check that the issuer's key endpoint answers, "+
				"then apply again to resume polling.", iss.ID, timePtrString(iss.JWKSPollingDisabledAt).ValueString()))
	}
}

func (r *federationIssuerResource) waitVisible(ctx context.Context, written *client.FederationIssuer, diags *diag.Diagnostics) {
	awaitUpdated(ctx, diags, "federation issuer", written.ID, written.UpdatedAt, r.data.client.GetFederationIssuer,
		func(iss *client.FederationIssuer) time.Time { return iss.UpdatedAt })
}

func (r *federationIssuerResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, federationIssuerIdentityAttrs, &resp.State, &req.State)
	ctx, state, ok := begin[federationIssuerModel](ctx, r.data, req.State.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	iss, err := r.data.client.GetFederationIssuer(ctx, state.ID.ValueString())
	shareRead(r.data.reads, issuerKey(state.ID.ValueString()), iss, err)
	if !readLive(ctx, resp, "federation issuer", state.ID.ValueString(), iss, err) {
		return
	}
	state.fromAPI(ctx, iss, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *federationIssuerResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, federationIssuerIdentityAttrs, &resp.State)
	ctx, plan, state, ok := beginUpdate[federationIssuerModel](ctx, r.data, req, &resp.Diagnostics)
	if !ok {
		return
	}
	id := state.ID.ValueString()
	defer r.data.reads.forget(issuerKey(id))
	params, changed := plan.toUpdate(ctx, &state, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	var iss *client.FederationIssuer
	var err error
	if changed {
		iss, err = r.data.client.UpdateFederationIssuer(ctx, id, params)
	} else {
		// Only computed values moved (Terraform plans them unknown); a read
		// fills them without bumping updated_at.
		iss, err = r.data.client.GetFederationIssuer(ctx, id)
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to update federation issuer "+id, err)
		return
	}
	wantPolling := plan.JWKSPollingDisabled
	plan.fromAPI(ctx, iss, &resp.Diagnostics)
	checkPollingRuns(wantPolling, iss, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
	if changed {
		r.waitVisible(ctx, iss, &resp.Diagnostics)
	}
}

func (r *federationIssuerResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	ctx, state, ok := begin[federationIssuerModel](ctx, r.data, req.State.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	id := state.ID.ValueString()
	defer r.data.reads.forget(issuerKey(id))
	_, err := r.data.client.ArchiveFederationIssuer(ctx, id)
	addArchiveError(ctx, &resp.Diagnostics, r.data.client, "federation issuer", id, err,
		client.FederationRuleListParams{IssuerID: id}, func(rule *client.FederationRule) bool { return rule.IssuerID == id },
		"Live federation rules still reference this issuer: %s.\n"+
			"Destroy those rules first (in Terraform, set the rule's issuer_id from this resource so the rule is destroyed first); "+
			"a rule's issuer cannot be changed.\n\n%s")
}

func (r *federationIssuerResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	importByID(ctx, req, resp, federationIssuerIdentityAttrs, policy.PrefixIssuer, "federation issuer")
}

// warnSharedIssuerURL warns, at issuer_url, when live issuers other than
// selfID already have issuerURL: one issuer per issuer URL is enough (rules
// tell workloads apart), and a second one makes lookups by issuer_url
// ambiguous. It is advice, never an error, and a listing failure is
// silent: the plan does not depend on it.
func warnSharedIssuerURL(ctx context.Context, c *client.Client, issuerURL types.String, selfID string, diags *diag.Diagnostics) {
	if c == nil || issuerURL.IsNull() || issuerURL.IsUnknown() {
		return
	}
	want := issuerURL.ValueString()
	var others []string
	for iss, err := range c.ListFederationIssuers(ctx, client.ListParams{Limit: listPageSize}) {
		if err != nil {
			tflog.Debug(ctx, "listing federation issuers failed", map[string]any{"error": err.Error()})
			return
		}
		if policy.SameIssuerURL(iss.IssuerURL, want) && iss.ID != selfID && !iss.IsArchived() {
			others = append(others, fmt.Sprintf("%s (%s)", iss.ID, iss.Name))
		}
	}
	if len(others) == 0 {
		return
	}
	sort.Strings(others)
	diags.AddAttributeWarning(path.Root("issuer_url"), "The organization already has a federation issuer for this issuer_url",
		fmt.Sprintf("issuer_url: %q is already the issuer URL of %s. One issuer per issuer URL is enough: federation rules tell workloads apart. "+
			"Reuse the existing issuer (data \"anthropic_federation_issuer\" with issuer_url = %q gives its id to your rules) or import it "+
			"(terraform import with its fdis_ ID) instead of creating another; a second issuer also makes a lookup by issuer_url ambiguous.",
			want, strings.Join(others, ", "), want))
}

// validateIssuerJWKS checks, at plan time, which jwks members each type
// needs or forbids and the issuer_url rule that follows from the type.
// Unknown values are tolerated: they are checked again at apply time.
func validateIssuerJWKS(ctx context.Context, issuerURL types.String, jwks types.Object, diags *diag.Diagnostics) {
	var fetchesIssuerURL *bool
	fetches := func(b bool) { fetchesIssuerURL = &b }
	defer func() {
		if issuerURL.IsNull() || issuerURL.IsUnknown() {
			return
		}
		if err := issuerURLCheck(issuerURL.ValueString(), fetchesIssuerURL); err != nil {
			diags.AddAttributeError(path.Root("issuer_url"), "Invalid issuer URL", "issuer_url: "+err.Error())
		}
	}()
	if jwks.IsUnknown() {
		return
	}
	if jwks.IsNull() {
		fetches(true) // the default {type = "discovery"}
		return
	}
	m, ok := objectAs[issuerJWKSModel](ctx, jwks, diags)
	if !ok {
		return
	}
	if m.Type.IsUnknown() || m.Type.IsNull() {
		return
	}
	typ := m.Type.ValueString()
	members := map[string]attr.Value{
		"discovery_base": m.DiscoveryBase,
		"url":            m.URL,
		"ca_cert_pem":    m.CACertPEM,
		"keys":           m.Keys,
	}
	var required, allowed []string
	switch typ {
	case client.JWKSTypeDiscovery:
		allowed = []string{"discovery_base", "ca_cert_pem"}
		if !m.DiscoveryBase.IsUnknown() {
			fetches(m.DiscoveryBase.IsNull())
		}
	case client.JWKSTypeExplicitURL:
		required = []string{"url"}
		allowed = []string{"url", "ca_cert_pem"}
		fetches(false)
	case client.JWKSTypeInline:
		required = []string{"keys"}
		allowed = []string{"keys"}
		fetches(false)
	default:
		return // the type's own validator reports it
	}
	for _, name := range []string{"discovery_base", "url", "ca_cert_pem", "keys"} {
		v := members[name]
		p := path.Root("jwks").AtName(name)
		isAllowed := slices.Contains(allowed, name)
		switch {
		case slices.Contains(required, name) && v.IsNull():
			diags.AddAttributeError(p, "Missing jwks."+name,
				fmt.Sprintf("jwks.%s is required when jwks.type is %q: %s", name, typ, jwksMemberHint(name)))
		case !isAllowed && !v.IsNull() && !v.IsUnknown():
			diags.AddAttributeError(p, "jwks."+name+" not allowed with jwks.type "+typ,
				fmt.Sprintf("jwks.%s is not allowed when jwks.type is %q (it takes only %s). Remove it, or change jwks.type.",
					name, typ, strings.Join(prefixAll("jwks.", allowed), ", ")))
		}
	}
}

// issuerURLCheck validates issuer_url for the JWKS mode. It is always an
// https URL without query or fragment (it must equal iss); when Anthropic
// fetches <issuer_url>/.well-known/openid-configuration itself (discovery
// without discovery_base) it must also be reachable the way Anthropic
// fetches. fetch is nil when the configuration leaves that unknown.
func issuerURLCheck(raw string, fetch *bool) error {
	if err := policy.ValidateIssuerURL(raw); err != nil {
		return err
	}
	if fetch == nil || !*fetch {
		return nil
	}
	if err := policy.ValidateFetchURL(raw); err != nil {
		return fmt.Errorf("%w. With jwks.type = \"discovery\" and no jwks.discovery_base, Anthropic fetches "+
			"<issuer_url>/.well-known/openid-configuration, so issuer_url must then be a public https URL on port 443 with a DNS name "+
			"(set jwks.discovery_base, or use jwks.type = \"explicit_url\" or \"inline\", for an issuer not reachable that way)", err)
	}
	return nil
}

func jwksMemberHint(name string) string {
	switch name {
	case "url":
		return "the https URL of the issuer's JWK Set document, which Anthropic fetches and polls."
	case "keys":
		return "the issuer's public keys as a JSON array of JWKs, for example jsonencode(jsondecode(file(\"jwks.json\")).keys)."
	}
	return ""
}

func prefixAll(prefix string, list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = prefix + s
	}
	return out
}
