package provider

// Keyless provider authentication: instead of a static auth_token, the
// provider exchanges a workload identity token through an org:admin
// federation rule and uses the minted access token for the admin API,
// refreshing it before it expires.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/auth"
	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// Environment variables of the Anthropic SDKs' federation support (the
// rule, service account and workspace ones are in federation_rule_model.go), plus
// HCP Terraform's workload identity token.
const (
	envIdentityTokenFile        = "ANTHROPIC_IDENTITY_TOKEN_FILE"
	envIdentityToken            = "ANTHROPIC_IDENTITY_TOKEN"
	envTFCWorkloadIdentityToken = "TFC_WORKLOAD_IDENTITY_TOKEN"
)

// Credential kinds, as providerData.adminAuth and messages name them.
const (
	authFromAttribute      = "auth_token"
	authFromFederation     = "federation"
	authFromEnvToken       = envAuthToken
	authFromEnvFederation  = "federation environment variables"
	federationAttributeKey = "federation"
)

type providerFederationModel struct {
	RuleID           types.String `tfsdk:"rule_id"`
	OrganizationID   types.String `tfsdk:"organization_id"`
	ServiceAccountID types.String `tfsdk:"service_account_id"`
	WorkspaceID      types.String `tfsdk:"workspace_id"`
	identitySourceModel
}

func (m providerFederationModel) isUnknown() bool {
	return m.RuleID.IsUnknown() || m.OrganizationID.IsUnknown() || m.ServiceAccountID.IsUnknown() || m.WorkspaceID.IsUnknown() ||
		m.identitySourceModel.isUnknown()
}

func federationProviderAttribute() schema.Attribute {
	attrs := providerSourceAttributes()
	attrs["rule_id"] = schema.StringAttribute{
		MarkdownDescription: "ID of the federation rule (`fdrl_...`) with `oauth_scope = \"org:admin\"`, created once in the Console, that targets an `admin` service account.",
		Required:            true,
		Validators:          []validator.String{idValidator(policy.PrefixRule, "federation rule")},
	}
	attrs["organization_id"] = schema.StringAttribute{
		MarkdownDescription: "UUID of the organization. Defaults to the provider's `organization_id`; when both are set they must be equal.",
		Optional:            true,
		Validators:          []validator.String{uuidValidator{}},
	}
	attrs["service_account_id"] = schema.StringAttribute{
		MarkdownDescription: "ID of the admin service account (`svac_...`) the rule targets; the provider acts as it.",
		Required:            true,
		Validators:          []validator.String{idValidator(policy.PrefixServiceAccount, "service account")},
	}
	attrs["workspace_id"] = schema.StringAttribute{
		MarkdownDescription: "Workspace for the exchange (`wrkspc_...` or `\"default\"`); needed when the rule is enabled in more than one workspace.",
		Optional:            true,
		Validators:          []validator.String{workspaceIDValidator()},
	}
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Keyless authentication: exchange a workload identity token through an `org:admin` federation rule for the admin " +
			"access token, instead of a static `auth_token`. The access token is cached and refreshed before it expires (with a fresh identity token), " +
			"so long applies keep working. Conflicts with `auth_token`. Without this attribute, the `" + envFederationRuleID + "` family of environment " +
			"variables does the same (see Authentication).",
		Optional:   true,
		Attributes: attrs,
	}
}

// federationSettings is a resolved keyless configuration.
type federationSettings struct {
	target exchangeTarget
	source identity.Source
}

// federationFromModel resolves the federation attribute. providerOrg is the
// provider's organization_id (attribute or environment).
func federationFromModel(ctx context.Context, obj types.Object, g *google.Config, providerOrg string, getenv func(string) string, diags *diag.Diagnostics) *federationSettings {
	var m providerFederationModel
	if d := obj.As(ctx, &m, basetypes.ObjectAsOptions{}); d.HasError() {
		diags.Append(d...)
		return nil
	}
	at := path.Root(federationAttributeKey)
	org := providerOrg
	if !m.OrganizationID.IsNull() {
		org = m.OrganizationID.ValueString()
		if providerOrg != "" && !strings.EqualFold(providerOrg, org) {
			diags.AddAttributeError(at.AtName("organization_id"), "Conflicting organization IDs",
				fmt.Sprintf("federation.organization_id (%s) differs from the provider's organization_id (%s); the admin token acts on one organization. Set one of them.", org, providerOrg))
			return nil
		}
	}
	if org == "" {
		diags.AddAttributeError(at.AtName("organization_id"), "Missing organization ID",
			"Keyless authentication needs the organization up front: the exchange names it, and the provider cannot ask the API for it "+
				"(GET /v1/organizations/me) before it has a token. Set federation.organization_id, the provider's organization_id, or the "+envOrganizationID+" environment variable.")
		return nil
	}
	src := m.source(ctx, g, at, diags)
	if diags.HasError() {
		return nil
	}
	if src == nil {
		if src = envIdentitySource(getenv); src == nil {
			diags.AddAttributeError(at, "Missing identity source",
				fmt.Sprintf("The federation attribute sets no identity source and none is in the environment. Set one of %s in it, or the %s, %s or %s environment variable.",
					strings.Join(identitySourceNames, ", "), envIdentityTokenFile, envIdentityToken, envTFCWorkloadIdentityToken))
			return nil
		}
	}
	return &federationSettings{
		target: exchangeTarget{
			ruleID:           m.RuleID.ValueString(),
			organizationID:   org,
			serviceAccountID: m.ServiceAccountID.ValueString(),
			workspaceID:      m.WorkspaceID.ValueString(),
		},
		source: src,
	}
}

// federationFromEnv resolves the SDK environment variables; nil without
// error when ANTHROPIC_FEDERATION_RULE_ID is unset.
func federationFromEnv(getenv func(string) string, providerOrg string) (*federationSettings, error) {
	ruleID := strings.TrimSpace(getenv(envFederationRuleID))
	if ruleID == "" {
		return nil, nil
	}
	if err := policy.ValidateID(policy.PrefixRule, ruleID); err != nil {
		return nil, fmt.Errorf("%s: %w", envFederationRuleID, err)
	}
	sa := strings.TrimSpace(getenv(envServiceAccountID))
	if sa == "" {
		return nil, fmt.Errorf("%s is set, but %s is not: name the admin service account the rule targets", envFederationRuleID, envServiceAccountID)
	}
	if err := policy.ValidateID(policy.PrefixServiceAccount, sa); err != nil {
		return nil, fmt.Errorf("%s: %w", envServiceAccountID, err)
	}
	ws := strings.TrimSpace(getenv(envWorkspaceID))
	if ws != "" {
		if err := policy.ValidateWorkspaceID(ws); err != nil {
			return nil, fmt.Errorf("%s: %w", envWorkspaceID, err)
		}
	}
	if providerOrg == "" {
		return nil, fmt.Errorf("%s is set, but the organization is not: keyless authentication needs it up front (the exchange names it, and the provider "+
			"cannot ask the API for it before it has a token); set organization_id in the provider block or %s", envFederationRuleID, envOrganizationID)
	}
	src := envIdentitySource(getenv)
	if src == nil {
		return nil, fmt.Errorf("%s is set, but no identity token is: set %s (a file, re-read at every exchange), %s, or run in HCP Terraform with "+
			"workload identity (%s)", envFederationRuleID, envIdentityTokenFile, envIdentityToken, envTFCWorkloadIdentityToken)
	}
	return &federationSettings{
		target: exchangeTarget{ruleID: ruleID, organizationID: providerOrg, serviceAccountID: sa, workspaceID: ws},
		source: src,
	}, nil
}

// envIdentitySource picks the identity token from the environment: a file
// first (it can be rotated), then a literal token, then HCP Terraform's.
func envIdentitySource(getenv func(string) string) identity.Source {
	if p := strings.TrimSpace(getenv(envIdentityTokenFile)); p != "" {
		return identity.File(p)
	}
	if t := strings.TrimSpace(getenv(envIdentityToken)); t != "" {
		return namedLiteral{Source: identity.Literal(t), name: envIdentityToken}
	}
	if t := strings.TrimSpace(getenv(envTFCWorkloadIdentityToken)); t != "" {
		return namedLiteral{Source: identity.Literal(t), name: envTFCWorkloadIdentityToken}
	}
	return nil
}

// namedLiteral says where a literal token came from.
type namedLiteral struct {
	identity.Source
	name string
}

func (n namedLiteral) Describe() string { return "the " + n.name + " environment variable" }

// missingCredential stands in for the admin credential when none is
// configured: the provider can still exchange tokens (the ephemeral
// resource needs no admin credential), and admin calls fail with the
// explanation.
type missingCredential struct{ detail string }

func (m missingCredential) Token(context.Context) (string, error) {
	return "", errors.New("Missing Anthropic credential: " + m.detail)
}

// newFederationTokenSource is the provider's admin credential when it
// authenticates by federation: an auth.TokenSource whose exchange sends an
// identity token from the configured source through the org:admin rule
// (exchangeIdentity: pre-flight checks, exactly one attempt). exchange is
// the token exchange of a client that holds no credential; now is the
// clock (time.Now when nil).
func newFederationTokenSource(s *federationSettings, exchange exchangeFunc, now func() time.Time) *auth.TokenSource {
	if now == nil {
		now = time.Now
	}
	return auth.NewTokenSource(auth.Options{
		Renewable: s.source.Renewable(),
		Now:       now,
		Log:       tflogFields{},
		Spent: func(expiredAt time.Time) error {
			return fmt.Errorf("the admin access token from federation rule %s expired at %s, and the identity token from %s cannot be exchanged again (re-sending it "+
				"would be a replay). Use a source that yields fresh tokens (identity_token_file, gce_metadata, google_impersonation, executable, "+
				"or %s) for runs longer than the token's lifetime", s.target.ruleID, expiredAt.UTC().Format(time.RFC3339), s.source.Describe(), envIdentityTokenFile)
		},
		Exchange: func(ctx context.Context) (auth.Token, error) {
			res, fail := exchangeIdentity(ctx, exchange, s.source, s.target, nil, now)
			if fail != nil {
				return auth.Token{}, fmt.Errorf("keyless authentication through federation rule %s: %w", s.target.ruleID, fail)
			}
			tflog.Debug(ctx, "exchanged an identity token for the admin access token", map[string]any{
				"federation_rule_id": s.target.ruleID, "scope": res.token.Scope, "expires_in": res.token.ExpiresIn, "source": s.source.Describe(),
			})
			return auth.Token{Value: res.token.AccessToken, ExpiresAt: res.expiresAt, Lifetime: time.Duration(res.token.ExpiresIn) * time.Second}, nil
		},
	})
}

// newAPIClient builds the provider's Anthropic client, once. With
// federation, the exchanges go through a client that holds no credential,
// and the admin client is built with its token source and a transport that
// re-sends a request refused with 401 once with a newly exchanged token.
func newAPIClient(opts client.Options, fed *federationSettings, now func() time.Time) (*client.Client, error) {
	if fed == nil {
		return client.New(opts)
	}
	exchanger := opts
	exchanger.AuthToken, exchanger.TokenSource = "", nil
	ec, err := client.New(exchanger)
	if err != nil {
		return nil, err
	}
	ts := newFederationTokenSource(fed, ec.ExchangeToken, now)
	opts.AuthToken, opts.TokenSource = "", ts
	opts.HTTPClient = auth.HTTPClient(ts, func(ctx context.Context, msg string, fields map[string]any) { tflog.Debug(ctx, msg, fields) })
	return client.New(opts)
}

// tflogFields is an auth.Logger writing to the provider's log.
type tflogFields struct{}

func (tflogFields) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(ctx, msg, fields)
}
