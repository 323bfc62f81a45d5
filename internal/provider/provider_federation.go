package provider

// The provider's federation attribute and the federation environment
// variables: keyless authentication, where instead of a static auth_token
// the provider exchanges a workload identity token through an org:admin
// federation rule. Resolving them yields an auth.Federation; internal/auth
// keeps the minted access token fresh and builds the client with it.

import (
	"context"
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
	"github.com/wiflabs/terraform-provider-anthropic/internal/exchange"
	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
	"github.com/wiflabs/terraform-provider-anthropic/internal/protocol"
)

// Environment variables of the Anthropic SDKs' federation support (the
// rule, service account and workspace ones are in federation_rule_model.go),
// plus HCP Terraform's workload identity token.
const (
	envIdentityTokenFile        = auth.EnvIdentityTokenFile
	envIdentityToken            = auth.EnvIdentityToken
	envTFCWorkloadIdentityToken = auth.EnvTFCWorkloadIdentityToken
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

// federationFromModel resolves the federation attribute. providerOrg is the
// provider's organization_id (attribute or environment).
func federationFromModel(ctx context.Context, obj types.Object, g *google.Config, providerOrg string, getenv func(string) string, diags *diag.Diagnostics) *auth.Federation {
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
		if src = auth.EnvIdentitySource(getenv); src == nil {
			diags.AddAttributeError(at, "Missing identity source",
				fmt.Sprintf("The federation attribute sets no identity source and none is in the environment. Set one of %s in it, or the %s, %s or %s environment variable.",
					strings.Join(identitySourceNames, ", "), envIdentityTokenFile, envIdentityToken, envTFCWorkloadIdentityToken))
			return nil
		}
	}
	return &auth.Federation{
		Target: exchange.Target{
			RuleID:           m.RuleID.ValueString(),
			OrganizationID:   org,
			ServiceAccountID: m.ServiceAccountID.ValueString(),
			WorkspaceID:      m.WorkspaceID.ValueString(),
		},
		Source: src,
	}
}

// federationFromEnv resolves the SDK environment variables; nil without
// error when ANTHROPIC_FEDERATION_RULE_ID is unset.
func federationFromEnv(getenv func(string) string, providerOrg string) (*auth.Federation, error) {
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
	src := auth.EnvIdentitySource(getenv)
	if src == nil {
		return nil, fmt.Errorf("%s is set, but no identity token is: set %s (a file, re-read at every exchange), %s, or run in HCP Terraform with "+
			"workload identity (%s)", envFederationRuleID, envIdentityTokenFile, envIdentityToken, envTFCWorkloadIdentityToken)
	}
	return &auth.Federation{
		Target: exchange.Target{RuleID: ruleID, OrganizationID: providerOrg, ServiceAccountID: sa, WorkspaceID: ws},
		Source: src,
	}, nil
}

// newAPIClient builds the provider's Anthropic client, once (see
// auth.NewClient); failed exchange requests are described as every other
// API error of the provider.
func newAPIClient(opts client.Options, fed *auth.Federation, now func() time.Time) (*client.Client, error) {
	return auth.NewClient(opts, fed, exchange.Options{Now: now, ErrorDetail: apiErrorDetail}, tflogFields{})
}

// tflogFields is an auth.Logger writing to the provider's log.
type tflogFields struct{}

func (tflogFields) Debug(ctx context.Context, msg string, fields map[string]any) {
	tflog.Debug(ctx, msg, fields)
}

func (tflogFields) Warn(ctx context.Context, msg string, fields map[string]any) {
	tflog.Warn(ctx, msg, fields)
}

// Detach keeps the RPC's loggers for a background token refresh that
// outlives the RPC (auth.Detacher).
func (tflogFields) Detach(ctx context.Context) (context.Context, func()) {
	return protocol.Detach(ctx)
}
