package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/exchange"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var (
	_ ephemeral.EphemeralResource              = (*federationTokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithConfigure = (*federationTokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithRenew     = (*federationTokenEphemeralResource)(nil)
	_ ephemeral.EphemeralResourceWithClose     = (*federationTokenEphemeralResource)(nil)
)

// privateTokenKey holds, in the ephemeral resource's private state, what
// Renew needs to know about the token: never the token itself.
const privateTokenKey = "token"

func newFederationTokenEphemeralResource() ephemeral.EphemeralResource {
	return &federationTokenEphemeralResource{now: time.Now}
}

type federationTokenEphemeralResource struct {
	data *providerData
	now  func() time.Time
}

// tokenPrivate is the private state between Open and Renew.
type tokenPrivate struct {
	RuleID          string    `json:"federation_rule_id"`
	Source          string    `json:"source"`
	ExpiresAt       time.Time `json:"expires_at"`
	LifetimeSeconds int64     `json:"lifetime_seconds"`
	// Warned is set once the "expires soon" warning was given.
	Warned bool `json:"warned"`
}

func (r *federationTokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_token"
}

func (r *federationTokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	attrs := ephemeralSourceAttributes()
	attrs["federation_rule_id"] = schema.StringAttribute{
		MarkdownDescription: "ID of the federation rule (`fdrl_...`) to exchange the identity token through.",
		Required:            true,
		Validators:          []validator.String{idValidator(policy.PrefixRule, "federation rule")},
	}
	attrs["organization_id"] = schema.StringAttribute{
		MarkdownDescription: "UUID of the organization the rule belongs to. Defaults to the provider's `organization_id`.",
		Optional:            true,
		Validators:          []validator.String{uuidValidator{}},
	}
	attrs["service_account_id"] = schema.StringAttribute{
		MarkdownDescription: "ID of the service account (`svac_...`) the rule targets; the token acts as it.",
		Required:            true,
		Validators:          []validator.String{idValidator(policy.PrefixServiceAccount, "service account")},
	}
	attrs["workspace_id"] = schema.StringAttribute{
		MarkdownDescription: "Workspace the token is minted for: a workspace ID (`wrkspc_...`) or `\"default\"`. Required when the rule is enabled in more " +
			"than one workspace; otherwise the rule's workspace is used.",
		Optional:   true,
		Validators: []validator.String{workspaceIDValidator()},
	}
	attrs["access_token"] = schema.StringAttribute{
		MarkdownDescription: "The minted access token (`sk-ant-oat01-...`), sent as `Authorization: Bearer` with `anthropic-beta: oauth-2025-04-20`. " +
			"Never written to plan or state.",
		Computed:  true,
		Sensitive: true,
	}
	attrs["token_type"] = schema.StringAttribute{
		MarkdownDescription: "Token type, `Bearer`.",
		Computed:            true,
	}
	attrs["scope"] = schema.StringAttribute{
		MarkdownDescription: "The token's scope: the rule's `oauth_scope`, such as `workspace:developer`.",
		Computed:            true,
	}
	attrs["expires_in"] = schema.Int64Attribute{
		MarkdownDescription: "Lifetime of the token in seconds when it was minted: the rule's `token_lifetime_seconds`, capped at twice the identity " +
			"token's remaining validity, and at least 60.",
		Computed: true,
	}
	attrs["expires_at"] = schema.StringAttribute{
		MarkdownDescription: "When the token expires (RFC 3339, UTC), by this machine's clock.",
		Computed:            true,
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Exchanges a workload identity token (a JWT from Google, a CI system or any OIDC issuer) for a short-lived Anthropic access " +
			"token through a federation rule (`POST /v1/oauth/token`). The token is **ephemeral**: never written to plan or state. Requires Terraform 1.10 or later.\n\n" +
			"Before sending, the identity token is checked (signed with an asymmetric algorithm, not about to expire, at most 16 KiB, Google tokens carry " +
			"`email`), so a token that cannot work fails with a reason instead of the service's opaque `401`. A successful exchange costs two requests " +
			"(the identity token and the exchange); only after a denial, when the provider's credential can read the rule, are the rule and its issuer " +
			"read to explain it (the audience the rule expects, its matchers, the workspace choice). A denied exchange is never retried.",
		Attributes: attrs,
	}
}

func (r *federationTokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	r.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
	if r.data != nil && r.data.now != nil {
		r.now = r.data.now
	}
}

func (r *federationTokenEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	ctx = maskSecrets(ctx)
	var m federationTokenModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if !requireClient(r.data, &resp.Diagnostics) {
		return
	}
	pd := r.data
	target := exchange.Target{
		RuleID:           m.FederationRuleID.ValueString(),
		OrganizationID:   stringDefault(m.OrganizationID, pd.organizationID),
		ServiceAccountID: m.ServiceAccountID.ValueString(),
		WorkspaceID:      m.WorkspaceID.ValueString(),
	}
	// With an admin credential and no organization configured, the
	// provider asks the API which organization that credential belongs to.
	if target.OrganizationID == "" && pd.adminAuth != "" {
		if !pd.resolveOrgID(ctx, &resp.Diagnostics) {
			return
		}
		target.OrganizationID = pd.knownOrgID()
	}
	if target.OrganizationID == "" {
		resp.Diagnostics.AddAttributeError(path.Root("organization_id"), "Missing organization ID",
			"The exchange names the organization: set organization_id here, or organization_id in the provider block, or the "+envOrganizationID+" environment variable.")
		return
	}
	src := m.source(ctx, pd.google, path.Empty(), &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if src == nil {
		resp.Diagnostics.AddError("Missing identity source", "Set exactly one identity source: "+fmt.Sprint(identitySourceNames)+".")
		return
	}

	tflog.Debug(ctx, "exchanging an identity token", map[string]any{"federation_rule_id": target.RuleID, "source": src.Describe()})
	// The rule is read only to explain a denial: a successful exchange
	// costs the identity token and the exchange, nothing more.
	res, fail := exchange.Run(ctx, src, target, exchange.Options{
		Send:        pd.client.ExchangeToken,
		ReadView:    func(ctx context.Context) *exchange.RuleView { return readRuleView(ctx, pd, target.RuleID) },
		Now:         r.now,
		ErrorDetail: apiErrorDetail,
	})
	if fail != nil {
		resp.Diagnostics.AddError(fail.Summary, fail.Detail)
		return
	}
	tflog.Debug(ctx, "token exchange succeeded", map[string]any{
		"federation_rule_id": target.RuleID, "scope": res.Token.Scope, "expires_in": res.Token.ExpiresIn,
	})

	m.AccessToken = types.StringValue(res.Token.AccessToken)
	m.TokenType = types.StringValue(tokenTypeOrBearer(res.Token.TokenType))
	m.Scope = types.StringValue(res.Token.Scope)
	m.ExpiresIn = types.Int64Value(res.Token.ExpiresIn)
	m.ExpiresAt = types.StringValue(res.ExpiresAt.UTC().Format(time.RFC3339))
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)

	priv := tokenPrivate{RuleID: target.RuleID, Source: src.Describe(), ExpiresAt: res.ExpiresAt.UTC(), LifetimeSeconds: res.Token.ExpiresIn}
	b, err := json.Marshal(priv)
	if err != nil {
		resp.Diagnostics.AddError("Unable to save the token's private state", err.Error())
		return
	}
	resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateTokenKey, b)...)
	resp.RenewAt = renewAt(res.ExpiresAt, time.Duration(res.Token.ExpiresIn)*time.Second)
}

func tokenTypeOrBearer(t string) string {
	if t == "" {
		return "Bearer"
	}
	return t
}

// renewAt is when Terraform should call Renew: ahead of expiry by 10% of
// the lifetime, at least 30 s.
func renewAt(expiresAt time.Time, lifetime time.Duration) time.Time {
	return expiresAt.Add(-max(exchange.MinAssertionValidity, lifetime/10))
}

// Renew cannot hand out a new token: the framework's Renew returns no
// result, so whoever was configured with the token keeps the one Open
// produced. Exchanging again here would mint a token nobody receives (and
// spend the identity token's jti), so Renew only tells the truth: near
// expiry it warns, and at expiry it fails, which makes Terraform treat the
// value as expired instead of letting its users fail with an opaque 401.
func (r *federationTokenEphemeralResource) Renew(ctx context.Context, req ephemeral.RenewRequest, resp *ephemeral.RenewResponse) {
	ctx = maskSecrets(ctx)
	b, d := req.Private.GetKey(ctx, privateTokenKey)
	resp.Diagnostics.Append(d...)
	if d.HasError() || b == nil {
		return
	}
	var priv tokenPrivate
	if err := json.Unmarshal(b, &priv); err != nil {
		resp.Diagnostics.AddError("Unreadable private state", "The token's private state could not be read: "+err.Error())
		return
	}
	now := r.now()
	advice := fmt.Sprintf("Terraform cannot hand a renewed token to the providers and resources already configured with this one; a new token is exchanged "+
		"each time Terraform opens the ephemeral resource (every plan and apply). For longer runs raise token_lifetime_seconds on federation rule %s "+
		"(this token was minted for %d s); the minted lifetime is also capped at twice the remaining validity of the identity token (from %s).",
		priv.RuleID, priv.LifetimeSeconds, priv.Source)
	if now.Before(priv.ExpiresAt) {
		if !priv.Warned {
			resp.Diagnostics.AddWarning("Anthropic access token expires soon",
				fmt.Sprintf("The access token from federation rule %s expires at %s (in %s); anything still using it after that gets 401 errors. %s",
					priv.RuleID, priv.ExpiresAt.Format(time.RFC3339), priv.ExpiresAt.Sub(now).Round(time.Second), advice))
			priv.Warned = true
			if b, err := json.Marshal(priv); err == nil {
				resp.Diagnostics.Append(resp.Private.SetKey(ctx, privateTokenKey, b)...)
			}
		}
		resp.RenewAt = priv.ExpiresAt
		return
	}
	resp.Diagnostics.AddError("Anthropic access token expired",
		fmt.Sprintf("The access token from federation rule %s expired at %s, while Terraform was still using it. %s",
			priv.RuleID, priv.ExpiresAt.Format(time.RFC3339), advice))
}

// Close has nothing to do: access tokens cannot be revoked, they expire.
func (r *federationTokenEphemeralResource) Close(context.Context, ephemeral.CloseRequest, *ephemeral.CloseResponse) {
}

// readRuleView reads the rule and its issuer with the provider's admin
// credential, for pre-flight checks and denial explanations. Not being able
// to read them is normal (a workload's Terraform has no admin credential)
// and silently yields less precise messages.
func readRuleView(ctx context.Context, pd *providerData, ruleID string) *exchange.RuleView {
	if pd == nil || pd.client == nil || pd.adminAuth == "" {
		return nil
	}
	rule, err := pd.client.GetFederationRule(ctx, ruleID)
	if err != nil {
		return nil
	}
	view := &exchange.RuleView{Rule: rule}
	if is, err := pd.client.GetFederationIssuer(ctx, rule.IssuerID); err == nil {
		view.Issuer = is
	}
	if !rule.AppliesToAllWorkspaces && len(rule.WorkspaceIDs) > 0 {
		view.DefaultWorkspace, _ = pd.defaultWorkspaceID(ctx)
	}
	if policy.HasOAuthScope(rule.OAuthScope, policy.ScopeOrgAdmin) {
		if sa, err := pd.client.GetServiceAccount(ctx, rule.Target.ServiceAccountID); err == nil {
			view.TargetRole = sa.OrganizationRole
		}
	}
	return view
}
