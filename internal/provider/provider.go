// Package provider implements the Terraform surface of the Anthropic
// Workload Identity Federation provider: schema, validation, plan
// modifiers and the mapping between Terraform values and API objects.
// It speaks Terraform only: no HTTP, JWT or Google credential code lives
// here. It wires the packages that do the work (internal/client for the
// Anthropic API, internal/exchange for the identity-token exchange with its
// pre-flight checks and denial explanations, internal/auth for the keyless
// admin token and the client built with it, internal/google for Google
// credentials and service account lookups, internal/identity for identity
// tokens) and turns their errors into diagnostics.
package provider

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/auth"
	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// Address is the provider's source address in the registry.
const Address = "registry.terraform.io/wiflabs/anthropic"

const (
	defaultBaseURL        = client.DefaultBaseURL
	defaultRequestTimeout = client.DefaultRequestTimeout
	defaultMaxRetries     = client.DefaultMaxRetries

	envBaseURL        = "ANTHROPIC_BASE_URL"
	envAuthToken      = "ANTHROPIC_AUTH_TOKEN"
	envOrganizationID = "ANTHROPIC_ORGANIZATION_ID"
)

var (
	_ provider.Provider                       = (*anthropicProvider)(nil)
	_ provider.ProviderWithEphemeralResources = (*anthropicProvider)(nil)
	_ provider.ProviderWithListResources      = (*anthropicProvider)(nil)
)

// New returns a constructor for the provider at the given version.
func New(version string) func() provider.Provider {
	return func() provider.Provider {
		return &anthropicProvider{version: version}
	}
}

type anthropicProvider struct {
	version string
	// tuneClient lets tests shorten the client's waits without changing
	// what users get; nil in production.
	tuneClient func(*client.Options)
	// now is the clock handed to resources (the ephemeral token's expiry
	// checks); nil means time.Now. Tests set it.
	now func() time.Time
}

type providerModel struct {
	BaseURL        types.String `tfsdk:"base_url"`
	AuthToken      types.String `tfsdk:"auth_token"`
	OrganizationID types.String `tfsdk:"organization_id"`
	RequestTimeout types.String `tfsdk:"request_timeout"`
	MaxRetries     types.Int64  `tfsdk:"max_retries"`
	Google         types.Object `tfsdk:"google"`
	Federation     types.Object `tfsdk:"federation"`
}

// providerData is what Configure hands to every resource, data source and
// ephemeral resource.
type providerData struct {
	client *client.Client
	// organizationID is configured (attribute or environment) or, when
	// neither is set, learned from GET /v1/organizations/me on first use:
	// read it with orgID, never directly.
	organizationID string
	lookups        lookups
	baseURL        string
	// google builds Google API clients on first use; never nil once configured.
	google *google.Config
	// adminAuth names the admin credential in use (authFrom*), "" when
	// there is none: the provider then only exchanges tokens.
	adminAuth string
	// reads shares issuer and service account reads between resources for
	// the life of this provider instance (one Terraform operation).
	reads *readCache
	// now is the provider's clock; never nil once configured.
	now func() time.Time
}

func (p *anthropicProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "anthropic"
	resp.Version = p.version
}

func (p *anthropicProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Manage Anthropic **Workload Identity Federation** (WIF): service accounts, federation issuers and " +
			"federation rules, and exchange workload identity tokens for short-lived Claude API access tokens.",
		Attributes: map[string]schema.Attribute{
			"base_url": schema.StringAttribute{
				MarkdownDescription: "Base URL of the Anthropic API. Defaults to the `ANTHROPIC_BASE_URL` environment variable, then `https://api.anthropic.com`. Plain `http` is accepted only for loopback addresses (a local emulator).",
				Optional:            true,
			},
			"auth_token": schema.StringAttribute{
				MarkdownDescription: "OAuth access token with the `org:admin` scope, sent as a bearer token to the organization admin endpoints. Defaults to the `ANTHROPIC_AUTH_TOKEN` environment variable (when `federation` is not set). Admin API keys (`sk-ant-admin...`) cannot manage workload identity federation. Conflicts with `federation`.",
				Optional:            true,
				Sensitive:           true,
			},
			"organization_id": schema.StringAttribute{
				MarkdownDescription: "UUID of the Anthropic organization. Defaults to the `ANTHROPIC_ORGANIZATION_ID` environment variable; when neither " +
					"is set, the provider asks the API (`GET /v1/organizations/me`) once with its admin credential. Used by the token exchange and the " +
					"rule's `sdk_environment` output. Keyless authentication (the `federation` attribute or the `" + envFederationRuleID + "` variables) " +
					"needs it up front: its exchange names the organization before the provider has a token to ask with.",
				Optional:   true,
				Validators: []validator.String{uuidValidator{}},
			},
			"request_timeout": schema.StringAttribute{
				MarkdownDescription: "Timeout of one HTTP attempt, as a Go duration such as `\"30s\"` or `\"2m\"`. Defaults to `60s`. It bounds every request the " +
					"provider makes: to the Anthropic API, and to Google (IAM, IAM Credentials, Google's token endpoints and the GCE metadata server used by `gce_metadata`). " +
					"One Anthropic API call, retries and waits included, ends at most `request_timeout` + 60 s after it began.",
				Optional:   true,
				Validators: []validator.String{durationValidator{min: time.Second, max: 10 * time.Minute}},
			},
			"max_retries": schema.Int64Attribute{
				MarkdownDescription: "How many times a request is retried after its first attempt. Defaults to `10`; `0` disables retries. " +
					"Reads, archives and removals are retried on `429`, `5xx`, `529` and connection errors; creates and updates only when the " +
					"API provably did not act on them (`429`, `529`, a failed connection attempt). Waits grow exponentially from 0.5 s to 8 s " +
					"with jitter; a `retry-after` from the API is honoured up to 30 s. Whatever this setting, no retry starts once its wait " +
					"would end more than 60 s after the call began.",
				Optional:   true,
				Validators: []validator.Int64{int64validator.Between(0, 10)},
			},
			"google":     googleProviderAttribute(),
			"federation": federationProviderAttribute(),
		},
	}
}

func (p *anthropicProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	ctx = maskSecrets(ctx)
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	// Unknown values come from resources not yet created: configure later,
	// when they are known (Terraform calls Configure again at apply).
	if cfg.BaseURL.IsUnknown() || cfg.AuthToken.IsUnknown() || cfg.OrganizationID.IsUnknown() ||
		cfg.RequestTimeout.IsUnknown() || cfg.MaxRetries.IsUnknown() || cfg.Federation.IsUnknown() {
		return
	}
	if !cfg.Federation.IsNull() {
		var fm providerFederationModel
		resp.Diagnostics.Append(cfg.Federation.As(ctx, &fm, basetypes.ObjectAsOptions{})...)
		if resp.Diagnostics.HasError() || fm.isUnknown() {
			return
		}
	}

	baseURL := stringOrEnv(cfg.BaseURL, envBaseURL, defaultBaseURL)
	if err := checkBaseURL(baseURL); err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("base_url"), "Unsafe or invalid base_url", err.Error())
		return
	}
	orgID := stringOrEnv(cfg.OrganizationID, envOrganizationID, "")
	if orgID != "" && cfg.OrganizationID.IsNull() {
		if err := policy.ValidateUUID(orgID); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("organization_id"), "Invalid "+envOrganizationID,
				fmt.Sprintf("The %s environment variable must hold the organization's UUID: %s", envOrganizationID, err))
			return
		}
	}

	timeout := defaultRequestTimeout
	if !cfg.RequestTimeout.IsNull() {
		timeout, _ = time.ParseDuration(cfg.RequestTimeout.ValueString()) // validated by the schema
	}
	retries := defaultMaxRetries
	if !cfg.MaxRetries.IsNull() {
		retries = int(cfg.MaxRetries.ValueInt64())
	}
	googleConfig := googleConfigFromModel(ctx, cfg.Google, p.version, timeout)

	opts := client.Options{
		BaseURL:        baseURL,
		Version:        p.version,
		RequestTimeout: timeout,
		MaxRetries:     retries,
		Logger:         tflogAdapter{},
	}
	if p.tuneClient != nil {
		p.tuneClient(&opts)
	}
	cred := resolveAdminCredential(ctx, cfg, googleConfig, orgID, os.Getenv, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if cred.federation != nil && orgID == "" {
		orgID = cred.federation.Target.OrganizationID
	}
	switch {
	case cred.token != "":
		opts.AuthToken = cred.token
	case cred.federation != nil:
		// newAPIClient sets the token source.
	default:
		opts.TokenSource = auth.MissingCredential{Detail: cred.missing}
	}

	c, err := newAPIClient(opts, cred.federation, nil)
	if err != nil {
		resp.Diagnostics.AddError("Unable to create the Anthropic API client", err.Error())
		return
	}
	tflog.Debug(ctx, "configured Anthropic client", map[string]any{"base_url": baseURL, "max_retries": retries, "credential": orNone(cred.from)})

	now := p.now
	if now == nil {
		now = time.Now
	}
	data := &providerData{client: c, organizationID: orgID, baseURL: baseURL, google: googleConfig, adminAuth: cred.from, now: now, reads: newReadCache()}
	resp.ResourceData = data
	resp.DataSourceData = data
	resp.EphemeralResourceData = data
	resp.ListResourceData = data
}

func (p *anthropicProvider) Resources(_ context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		newServiceAccountResource,
		newServiceAccountWorkspaceResource,
		newFederationRuleResource,
		newFederationRuleWorkspaceResource,
		newFederationIssuerResource,
	}
}

func (p *anthropicProvider) DataSources(_ context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		newFederationIssuerDataSource,
		newFederationIssuersDataSource,
		newFederationRuleDataSource,
		newFederationRulesDataSource,
		newGoogleServiceAccountDataSource,
		newServiceAccountDataSource,
		newServiceAccountsDataSource,
		newWorkspaceDataSource,
		newWorkspacesDataSource,
	}
}

func (p *anthropicProvider) EphemeralResources(_ context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		newFederationTokenEphemeralResource,
	}
}

// ListResources serve `terraform query` (Terraform >= 1.14).
func (p *anthropicProvider) ListResources(_ context.Context) []func() list.ListResource {
	return []func() list.ListResource{
		newServiceAccountList,
		newFederationIssuerList,
		newFederationRuleList,
	}
}

func stringOrEnv(v types.String, env, def string) string {
	if !v.IsNull() {
		return v.ValueString()
	}
	if s := os.Getenv(env); s != "" {
		return s
	}
	return def
}

// adminCredential is the credential the provider sends to the admin
// endpoints: a static token or a federation, or neither (missing says why).
type adminCredential struct {
	token      string
	federation *auth.Federation
	// from names the credential (authFrom*), "" when there is none.
	from    string
	missing string
}

// resolveAdminCredential applies the documented precedence:
//  1. auth_token in the provider block;
//  2. federation in the provider block (both at once is an error);
//  3. the ANTHROPIC_AUTH_TOKEN environment variable;
//  4. the federation environment variables (ANTHROPIC_FEDERATION_RULE_ID,
//     ANTHROPIC_SERVICE_ACCOUNT_ID, ANTHROPIC_WORKSPACE_ID and an identity
//     token from ANTHROPIC_IDENTITY_TOKEN_FILE, ANTHROPIC_IDENTITY_TOKEN or
//     TFC_WORKLOAD_IDENTITY_TOKEN).
//
// Configuration beats the environment, and within each a static token beats
// a federation, as the Anthropic SDKs do. With no credential at all the
// provider still exchanges tokens (anthropic_federation_token needs no
// admin credential) provided the organization is known; admin calls then
// fail with the explanation.
func resolveAdminCredential(ctx context.Context, cfg providerModel, g *google.Config, orgID string, getenv func(string) string, diags *diag.Diagnostics) adminCredential {
	attrSet, fedSet := !cfg.AuthToken.IsNull(), !cfg.Federation.IsNull()
	if attrSet && fedSet {
		diags.AddAttributeError(path.Root(federationAttributeKey), "Conflicting Anthropic credentials",
			"auth_token and federation are both set in the provider block. They are two ways to authenticate, and the provider will not pick one silently: "+
				"keep federation for keyless authentication through an org:admin federation rule, or auth_token for a static OAuth access token.")
		return adminCredential{}
	}
	static := func(token, from string) adminCredential {
		if d, ok := credentialProblem(token); !ok {
			diags.AddAttributeError(path.Root("auth_token"), d.summary, d.detail)
			return adminCredential{}
		}
		return adminCredential{token: token, from: from}
	}
	switch {
	case attrSet:
		return static(cfg.AuthToken.ValueString(), authFromAttribute)
	case fedSet:
		fs := federationFromModel(ctx, cfg.Federation, g, orgID, getenv, diags)
		if fs == nil {
			return adminCredential{}
		}
		return adminCredential{federation: fs, from: authFromFederation}
	}
	envFed, envFedErr := federationFromEnv(getenv, orgID)
	if token := getenv(envAuthToken); token != "" {
		if envFed != nil || envFedErr != nil {
			tflog.Warn(ctx, "both "+envAuthToken+" and "+envFederationRuleID+" are set; "+envAuthToken+" takes precedence")
		}
		return static(token, authFromEnvToken)
	}
	if envFedErr != nil {
		diags.AddError("Invalid federation environment variables", envFedErr.Error())
		return adminCredential{}
	}
	if envFed != nil {
		return adminCredential{federation: envFed, from: authFromEnvFederation}
	}
	d, _ := credentialProblem("")
	if orgID == "" {
		diags.AddAttributeError(path.Root("auth_token"), d.summary, d.detail)
		return adminCredential{}
	}
	tflog.Debug(ctx, "no admin credential configured: only token exchanges will work")
	return adminCredential{missing: d.detail}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

type credentialDiag struct{ summary, detail string }

// credentialProblem explains, in user words, why a credential cannot work
// on the organization admin endpoints.
func credentialProblem(token string) (credentialDiag, bool) {
	switch {
	case token == "":
		detail := "Set auth_token in the provider block or the " + envAuthToken + " environment variable to an OAuth access token with the org:admin scope " +
			"(from a user login, or from a federation exchange through an org:admin rule created in the Console), or authenticate without a stored secret " +
			"with the federation attribute or the " + envFederationRuleID + " environment variables."
		if os.Getenv("ANTHROPIC_ADMIN_KEY") != "" || os.Getenv("ANTHROPIC_API_KEY") != "" {
			detail += " An ANTHROPIC_API_KEY or ANTHROPIC_ADMIN_KEY is set in the environment, but API keys are rejected by the workload identity federation endpoints, so the provider does not use them."
		}
		return credentialDiag{"Missing Anthropic credential", detail}, false
	case strings.HasPrefix(token, "sk-ant-admin"):
		return credentialDiag{"Admin API key cannot manage workload identity federation",
			"The configured auth_token is an Admin API key (sk-ant-admin...). The service accounts, federation issuers and federation rules endpoints " +
				"accept only OAuth access tokens with the org:admin scope and reject Admin API keys, even for reads. Use an OAuth access token instead."}, false
	case strings.HasPrefix(token, "sk-ant-api"):
		return credentialDiag{"API key cannot manage workload identity federation",
			"The configured auth_token is a Claude API key (sk-ant-api...). The organization admin endpoints accept only OAuth access tokens with the org:admin scope."}, false
	}
	return credentialDiag{}, true
}

// checkBaseURL refuses to send a bearer token in clear text anywhere but
// to this machine.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	shown := redact.String(raw) // a URL may carry a password
	if err != nil || u.Host == "" {
		return fmt.Errorf("base_url %q is not an absolute URL", shown)
	}
	switch u.Scheme {
	case "https":
		return nil
	case "http":
		if policy.IsLoopbackHost(u.Hostname()) {
			return nil
		}
		return fmt.Errorf("base_url %q uses plain http to a non-loopback host; the provider refuses to send a bearer token over an unencrypted connection. Use https, or http only to 127.0.0.1, ::1 or localhost (a local emulator)", shown)
	default:
		return fmt.Errorf("base_url %q must use https (or http to a loopback address)", shown)
	}
}
