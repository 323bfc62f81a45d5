package provider

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

var (
	_ datasource.DataSource                   = (*googleServiceAccountDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*googleServiceAccountDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*googleServiceAccountDataSource)(nil)
)

func newGoogleServiceAccountDataSource() datasource.DataSource {
	return &googleServiceAccountDataSource{}
}

type googleServiceAccountDataSource struct{ configuredDataSource }

func (d *googleServiceAccountDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_google_service_account"
}

func (d *googleServiceAccountDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	computed := func(markdown string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: markdown, Computed: true}
	}
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up a Google Cloud service account with IAM (`projects.serviceAccounts.get`, the same as " +
			"`gcloud iam service-accounts describe`) and exposes the claims its Google ID tokens carry, so an `anthropic_federation_rule` can pin " +
			"exactly that account: `federation_claims` is `{ sub = unique_id, email = email }`, ready for `match.claims`.\n\n" +
			"Uses the provider's `google` credentials, which need `iam.serviceAccounts.get` (`roles/iam.serviceAccountViewer`) on the account's project. " +
			"A disabled account is returned with a warning: Google issues no tokens for it.",
		Attributes: map[string]schema.Attribute{
			"account_id": schema.StringAttribute{
				MarkdownDescription: "The service account, as one of:\n" +
					"  - its email, e.g. `agent@my-project.iam.gserviceaccount.com`;\n" +
					"  - its full name, `projects/my-project/serviceAccounts/agent@my-project.iam.gserviceaccount.com` (`projects/-/...` for any project);\n" +
					"  - its numeric unique ID;\n" +
					"  - its short account ID (`agent`, the part before `@`) together with `project`.",
				Required: true,
			},
			"project": schema.StringAttribute{
				MarkdownDescription: "Project ID of the account. Required with a short `account_id`; with an email or unique ID it narrows the lookup to that project " +
					"(without it the lookup uses `projects/-`, which finds the account in whichever project holds it).",
				Optional: true,
			},
			"unique_id": computed(
				"The account's numeric unique ID (21 digits, kept as a string to avoid float rounding): the `sub` claim of its Google ID tokens."),

			"email":        computed("The account's email: the `email` claim of its Google ID tokens (with `format=full` or `includeEmail`)."),
			"name":         computed("The account's resource name, `projects/PROJECT/serviceAccounts/EMAIL`."),
			"display_name": computed("The account's display name; `\"\"` when it has none."),
			"project_id":   computed("ID of the project that owns the account."),
			"disabled": schema.BoolAttribute{
				MarkdownDescription: "Whether the account is disabled. Google issues no tokens for a disabled account, so rules pinning it match nothing until it is enabled.",
				Computed:            true,
			},
			"oauth2_client_id": computed("The account's OAuth 2.0 client ID: the `azp` claim of its Google ID tokens."),
			"member":           computed("IAM policy member for the account, `serviceAccount:EMAIL`, for `google_*_iam_member` resources."),
			"federation_claims": schema.MapAttribute{
				MarkdownDescription: "Claims that identify this account in its Google ID tokens, `{ sub = unique_id, email = email }`, for the `match.claims` of an " +
					"`anthropic_federation_rule`. Pinning `sub` as well as `email` means a deleted account re-created under the same email does not inherit the rule.",
				ElementType: types.StringType,
				Computed:    true,
			},
		},
	}
}

func (d *googleServiceAccountDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var cfg googleServiceAccountModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() || cfg.AccountID.IsUnknown() || cfg.AccountID.IsNull() {
		return
	}
	_, err := google.ParseAccountID(cfg.AccountID.ValueString(), cfg.Project.ValueString())
	var perr *google.AccountIDError
	if errors.As(err, &perr) && perr.NeedsProject && cfg.Project.IsUnknown() {
		return // known at apply; Read checks again
	}
	addAccountIDError(&resp.Diagnostics, err)
}

// addAccountIDError reports an error of google.ParseAccountID on the
// attribute at fault.
func addAccountIDError(diags *diag.Diagnostics, err error) {
	var perr *google.AccountIDError
	switch {
	case err == nil:
	case errors.As(err, &perr):
		diags.AddAttributeError(path.Root(perr.Field), perr.Summary, perr.Detail)
	default:
		diags.AddAttributeError(path.Root("account_id"), "Invalid Google service account", err.Error())
	}
}

func (d *googleServiceAccountDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx = maskSecrets(ctx)
	g := requireGoogle(d.data, &resp.Diagnostics)
	if g == nil {
		return
	}
	var cfg googleServiceAccountModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}
	account, err := google.ParseAccountID(cfg.AccountID.ValueString(), cfg.Project.ValueString())
	if err != nil {
		addAccountIDError(&resp.Diagnostics, err)
		return
	}
	sa, err := g.ServiceAccount(ctx, account)
	if err != nil {
		addGoogleServiceAccountError(&resp.Diagnostics, account, g, err)
		return
	}

	cfg.fromAPI(sa)
	if sa.Disabled {
		resp.Diagnostics.AddAttributeWarning(path.Root("account_id"), "Google service account is disabled",
			fmt.Sprintf("Google service account %s is disabled: Google issues no ID tokens for it, so tokens for it will be refused and a federation rule "+
				"pinning it matches nothing until the account is enabled again (gcloud iam service-accounts enable %s).", sa.Email, sa.Email))
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &cfg)...)
}

// addGoogleServiceAccountError turns a failed google.(*Config).ServiceAccount
// into the diagnostic for its kind.
func addGoogleServiceAccountError(diags *diag.Diagnostics, account google.AccountRef, g *google.Config, err error) {
	var lerr *google.LookupError
	if !errors.As(err, &lerr) {
		diags.AddError("Unable to read Google service account "+account.Display, google.ErrorText(err))
		return
	}
	text := google.ErrorText(lerr.Err)
	where := fmt.Sprintf("(looked up as %s)", account.Resource)
	switch lerr.Kind {
	case google.LookupInvalidConfig, google.LookupNoCredentials:
		summary := "Google credentials unavailable"
		if lerr.Kind == google.LookupInvalidConfig {
			summary = "Invalid Google configuration"
		}
		diags.AddError(summary, "Looking up a Google service account needs the provider's Google credentials (its google block): "+redact.String(lerr.Err.Error()))
	case google.LookupNoClient:
		diags.AddError("Unable to create the Google IAM client", text)
	case google.LookupNoAnswer:
		// Not an answer from IAM: credentials could not be obtained, or the
		// endpoint was unreachable.
		diags.AddError("Unable to read Google service account "+account.Display,
			fmt.Sprintf("Calling IAM with %s failed: %s", g.Describe(), text))
	case google.LookupNotFound:
		diags.AddAttributeError(path.Root("account_id"), "Google service account not found",
			fmt.Sprintf("IAM has no service account %s %s. Check the email or account ID and the project; deleted accounts are not found.\n%s",
				account.Display, where, text))
	case google.LookupForbidden:
		diags.AddAttributeError(path.Root("account_id"), "Permission denied reading Google service account",
			fmt.Sprintf("The provider's Google identity (%s) may not read service account %s %s: it lacks iam.serviceAccounts.get on the account's project. "+
				"Grant it roles/iam.serviceAccountViewer on that project (or on the account). Google gives the same answer when the account does not "+
				"exist in a project the caller cannot see, so check the project too.\n%s", g.Describe(), account.Display, where, text))
	case google.LookupUnauthorized:
		diags.AddError("Google credentials rejected",
			fmt.Sprintf("IAM refused %s while reading service account %s: the token is invalid or expired. Check the provider's google block "+
				"(access_token, credentials) or Application Default Credentials.\n%s", g.Describe(), account.Display, text))
	case google.LookupBadRequest:
		diags.AddAttributeError(path.Root("account_id"), "Invalid Google service account",
			fmt.Sprintf("IAM rejected the lookup of %s %s.\n%s", account.Display, where, text))
	default:
		diags.AddError("Unable to read Google service account "+account.Display, text+" "+where)
	}
}
