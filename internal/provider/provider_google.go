package provider

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
)

// googleModel is the provider's google attribute.
type googleModel struct {
	Credentials                        types.String `tfsdk:"credentials"`
	AccessToken                        types.String `tfsdk:"access_token"`
	ImpersonateServiceAccount          types.String `tfsdk:"impersonate_service_account"`
	ImpersonateServiceAccountDelegates types.List   `tfsdk:"impersonate_service_account_delegates"`
	IAMCustomEndpoint                  types.String `tfsdk:"iam_custom_endpoint"`
	IAMCredentialsCustomEndpoint       types.String `tfsdk:"iam_credentials_custom_endpoint"`
}

func googleProviderAttribute() schema.Attribute {
	sibling := func(name string) path.Expression { return path.MatchRelative().AtParent().AtName(name) }
	endpoint := func(api, env, def string) schema.StringAttribute {
		return schema.StringAttribute{
			MarkdownDescription: fmt.Sprintf("Base URL of the Google %s API, for a private endpoint or a local emulator. Defaults to the `%s` environment variable, then `%s`. "+
				"A trailing `/` is added and a trailing `v1/` removed, since the Google client appends the API version itself: `https://example.com/iam/v1/` and "+
				"`https://example.com/iam` both mean `https://example.com/iam/`. Plain `http` is accepted only for loopback addresses.", api, env, def),
			Optional:   true,
			Validators: []validator.String{stringCheck{description: "Google API endpoint", check: func(s string) error { _, err := google.NormalizeEndpoint(s); return err }}},
		}
	}
	return schema.SingleNestedAttribute{
		MarkdownDescription: "Google credentials and endpoints for the parts of the provider that call Google (the `anthropic_google_service_account` data source " +
			"and Google identity tokens). They follow the conventions of the `google` provider: [Application Default Credentials](https://cloud.google.com/docs/authentication/application-default-credentials) " +
			"unless `credentials` or `access_token` is set. Credentials are looked up only when something uses Google, so configurations that never do need " +
			"no Google credentials. Values set here take precedence over environment variables; among environment variables, `GOOGLE_OAUTH_ACCESS_TOKEN` wins over `GOOGLE_CREDENTIALS`.",
		Optional: true,
		Attributes: map[string]schema.Attribute{
			"credentials": schema.StringAttribute{
				MarkdownDescription: "Path of a Google credentials JSON file, or its content: a service account key, `authorized_user`, `external_account` (workload identity federation) " +
					"or `impersonated_service_account` configuration. Defaults to the `GOOGLE_CREDENTIALS` environment variable, then Application Default Credentials " +
					"(`GOOGLE_APPLICATION_CREDENTIALS`, `gcloud auth application-default login`, the metadata server). Conflicts with `access_token`.",
				Optional:   true,
				Sensitive:  true,
				Validators: []validator.String{stringvalidator.ConflictsWith(sibling("access_token")), stringvalidator.LengthAtLeast(1)},
			},
			"access_token": schema.StringAttribute{
				MarkdownDescription: "A Google OAuth 2.0 access token (for example `data.google_client_config.default.access_token`), used as is and never refreshed. Defaults to the `GOOGLE_OAUTH_ACCESS_TOKEN` environment variable. Conflicts with `credentials`.",
				Optional:            true,
				Sensitive:           true,
				Validators:          []validator.String{stringvalidator.LengthAtLeast(1)},
			},
			"impersonate_service_account": schema.StringAttribute{
				MarkdownDescription: "Email of a Google service account to act as: the credentials above mint its access tokens through IAM Credentials `generateAccessToken`, which " +
					"needs `roles/iam.serviceAccountTokenCreator` on it. Defaults to the `GOOGLE_IMPERSONATE_SERVICE_ACCOUNT` environment variable; `\"\"` turns impersonation off.",
				Optional:   true,
				Validators: []validator.String{stringCheck{description: "service account email", check: google.CheckImpersonationTarget}},
			},
			"impersonate_service_account_delegates": schema.ListAttribute{
				MarkdownDescription: "Delegation chain (service account emails, caller side first) for `impersonate_service_account`; each needs `roles/iam.serviceAccountTokenCreator` on the next.",
				ElementType:         types.StringType,
				Optional:            true,
				Validators: []validator.List{
					listvalidator.AlsoRequires(sibling("impersonate_service_account")),
					listvalidator.ValueStringsAre(stringCheck{description: "service account email", check: google.CheckServiceAccountEmail}),
				},
			},
			"iam_custom_endpoint":             endpoint("IAM", google.EnvIAMEndpoint, google.DefaultIAMEndpoint),
			"iam_credentials_custom_endpoint": endpoint("IAM Credentials", google.EnvIAMCredentialsEndpoint, google.DefaultIAMCredentialsEndpoint),
		},
	}
}

// googleConfigFromModel resolves the google attribute and the environment.
// Plan-time validators have checked the attribute's own values; errors in
// environment values are kept for the first use.
func googleConfigFromModel(ctx context.Context, obj types.Object, version string, timeout time.Duration) *google.Config {
	s, problem := googleSettingsFromModel(ctx, obj)
	return newGoogleConfig(s, version, timeout, problem)
}

func googleSettingsFromModel(ctx context.Context, obj types.Object) (google.Settings, error) {
	if obj.IsUnknown() {
		return google.Settings{}, errGoogleUnknown
	}
	var m googleModel
	if !obj.IsNull() {
		if d := obj.As(ctx, &m, basetypes.ObjectAsOptions{}); d.HasError() {
			return google.Settings{}, fmt.Errorf("reading the google block: %s", googleDiagText(d))
		}
	}
	if m.Credentials.IsUnknown() || m.AccessToken.IsUnknown() || m.ImpersonateServiceAccount.IsUnknown() ||
		m.ImpersonateServiceAccountDelegates.IsUnknown() || m.IAMCustomEndpoint.IsUnknown() || m.IAMCredentialsCustomEndpoint.IsUnknown() {
		return google.Settings{}, errGoogleUnknown
	}
	return resolveGoogleSettings(ctx, m, os.Getenv)
}

// newGoogleConfig builds the Google side with the provider's User-Agent and
// request timeout, logging through tflog in the context of the call that
// uses it.
func newGoogleConfig(s google.Settings, version string, timeout time.Duration, problem error) *google.Config {
	return google.New(s, google.Options{
		UserAgent: "terraform-provider-anthropic/" + version,
		Timeout:   timeout,
		Problem:   problem,
		Debug:     func(ctx context.Context, msg string, fields map[string]any) { tflog.Debug(ctx, msg, fields) },
	})
}

var errGoogleUnknown = errors.New("the provider's google block has values that are unknown until apply (they come from resources not yet created); " +
	"make them known at plan time, for example by creating those resources in an earlier apply")

func googleDiagText(d diag.Diagnostics) string {
	var parts []string
	for _, e := range d.Errors() {
		parts = append(parts, e.Summary()+": "+e.Detail())
	}
	return strings.Join(parts, "; ")
}

// resolveGoogleSettings maps the block to google.Inputs and applies the
// environment (google.ResolveSettings).
func resolveGoogleSettings(ctx context.Context, m googleModel, getenv func(string) string) (google.Settings, error) {
	in := google.Inputs{
		Credentials:            m.Credentials.ValueStringPointer(),
		AccessToken:            m.AccessToken.ValueStringPointer(),
		Impersonate:            m.ImpersonateServiceAccount.ValueStringPointer(),
		IAMEndpoint:            m.IAMCustomEndpoint.ValueStringPointer(),
		IAMCredentialsEndpoint: m.IAMCredentialsCustomEndpoint.ValueStringPointer(),
	}
	if !m.ImpersonateServiceAccountDelegates.IsNull() {
		if d := m.ImpersonateServiceAccountDelegates.ElementsAs(ctx, &in.Delegates, false); d.HasError() {
			return google.Settings{}, fmt.Errorf("reading google.impersonate_service_account_delegates: %s", googleDiagText(d))
		}
	}
	return google.ResolveSettings(in, getenv)
}

// requireGoogle is called by operations that must talk to Google.
func requireGoogle(pd *providerData, diags *diag.Diagnostics) *google.Config {
	if pd == nil || pd.google == nil {
		diags.AddError("Provider not configured",
			"The anthropic provider was not configured (its configuration has values unknown until apply, or Configure failed). "+
				"Make the provider's attributes known at plan time.")
		return nil
	}
	return pd.google
}

// stringMapValue builds a map of strings for a computed attribute.
func stringMapValue(m map[string]string) types.Map {
	elems := make(map[string]attr.Value, len(m))
	for k, v := range m {
		elems[k] = types.StringValue(v)
	}
	return types.MapValueMust(types.StringType, elems)
}
