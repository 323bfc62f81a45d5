package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"google.golang.org/api/googleapi"
	iam "google.golang.org/api/iam/v1"

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

type googleServiceAccountModel struct {
	AccountID        types.String `tfsdk:"account_id"`
	Project          types.String `tfsdk:"project"`
	UniqueID         types.String `tfsdk:"unique_id"`
	Email            types.String `tfsdk:"email"`
	Name             types.String `tfsdk:"name"`
	DisplayName      types.String `tfsdk:"display_name"`
	ProjectID        types.String `tfsdk:"project_id"`
	Disabled         types.Bool   `tfsdk:"disabled"`
	OAuth2ClientID   types.String `tfsdk:"oauth2_client_id"`
	Member           types.String `tfsdk:"member"`
	FederationClaims types.Map    `tfsdk:"federation_claims"`
}

// fromAPI fills the computed attributes; the inputs stay as configured.
func (m *googleServiceAccountModel) fromAPI(sa *iam.ServiceAccount) {
	m.UniqueID = types.StringValue(sa.UniqueId)
	m.Email = types.StringValue(sa.Email)
	m.Name = types.StringValue(sa.Name)
	m.DisplayName = types.StringValue(sa.DisplayName)
	m.ProjectID = types.StringValue(sa.ProjectId)
	m.Disabled = types.BoolValue(sa.Disabled)
	m.OAuth2ClientID = types.StringValue(sa.Oauth2ClientId)
	m.Member = types.StringValue("serviceAccount:" + sa.Email)
	// Google ID tokens carry the uniqueId as sub and the email as email; a
	// rule pinning both matches exactly this account and survives neither
	// deletion and re-creation under the same email (new uniqueId) nor a
	// different account reusing the email.
	m.FederationClaims = stringMapValue(map[string]string{"sub": sa.UniqueId, "email": sa.Email})
}

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
	_, err := parseGoogleAccountID(cfg.AccountID.ValueString(), cfg.Project.ValueString())
	if err == nil {
		return
	}
	var perr *googleAccountIDError
	if !errors.As(err, &perr) {
		resp.Diagnostics.AddAttributeError(path.Root("account_id"), "Invalid Google service account", err.Error())
		return
	}
	if perr.needsProject && cfg.Project.IsUnknown() {
		return // known at apply; Read checks again
	}
	resp.Diagnostics.AddAttributeError(path.Root(perr.attribute), perr.summary, perr.detail)
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
	account, err := parseGoogleAccountID(cfg.AccountID.ValueString(), cfg.Project.ValueString())
	if err != nil {
		var perr *googleAccountIDError
		if errors.As(err, &perr) {
			resp.Diagnostics.AddAttributeError(path.Root(perr.attribute), perr.summary, perr.detail)
		} else {
			resp.Diagnostics.AddAttributeError(path.Root("account_id"), "Invalid Google service account", err.Error())
		}
		return
	}

	opts, err := g.IAMOptions(ctx)
	if err != nil {
		summary := "Google credentials unavailable"
		if g.Problem() != nil {
			summary = "Invalid Google configuration"
		}
		resp.Diagnostics.AddError(summary, "Looking up a Google service account needs the provider's Google credentials (its google block): "+redact.String(err.Error()))
		return
	}
	svc, err := iam.NewService(ctx, opts...)
	if err != nil {
		resp.Diagnostics.AddError("Unable to create the Google IAM client", google.ErrorText(err))
		return
	}
	sa, err := svc.Projects.ServiceAccounts.Get(account.resource).Context(ctx).Do()
	if err != nil {
		err = g.ExplainTimeout(ctx, err, "IAM", g.Settings().IAMEndpoint, google.DefaultIAMEndpoint)
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

func addGoogleServiceAccountError(diags *diag.Diagnostics, account googleAccount, g *google.Config, err error) {
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		// Not an answer from IAM: credentials could not be obtained, or the
		// endpoint was unreachable.
		diags.AddError("Unable to read Google service account "+account.display,
			fmt.Sprintf("Calling IAM with %s failed: %s", g.Describe(), google.ErrorText(err)))
		return
	}
	where := fmt.Sprintf("(looked up as %s)", account.resource)
	switch gerr.Code {
	case http.StatusNotFound:
		diags.AddAttributeError(path.Root("account_id"), "Google service account not found",
			fmt.Sprintf("IAM has no service account %s %s. Check the email or account ID and the project; deleted accounts are not found.\n%s",
				account.display, where, google.ErrorText(err)))
	case http.StatusForbidden:
		diags.AddAttributeError(path.Root("account_id"), "Permission denied reading Google service account",
			fmt.Sprintf("The provider's Google identity (%s) may not read service account %s %s: it lacks iam.serviceAccounts.get on the account's project. "+
				"Grant it roles/iam.serviceAccountViewer on that project (or on the account). Google gives the same answer when the account does not "+
				"exist in a project the caller cannot see, so check the project too.\n%s", g.Describe(), account.display, where, google.ErrorText(err)))
	case http.StatusUnauthorized:
		diags.AddError("Google credentials rejected",
			fmt.Sprintf("IAM refused %s while reading service account %s: the token is invalid or expired. Check the provider's google block "+
				"(access_token, credentials) or Application Default Credentials.\n%s", g.Describe(), account.display, google.ErrorText(err)))
	case http.StatusBadRequest:
		diags.AddAttributeError(path.Root("account_id"), "Invalid Google service account",
			fmt.Sprintf("IAM rejected the lookup of %s %s.\n%s", account.display, where, google.ErrorText(err)))
	default:
		diags.AddError("Unable to read Google service account "+account.display, google.ErrorText(err)+" "+where)
	}
}

// googleAccount is a parsed account_id.
type googleAccount struct {
	resource string // projects/{project|-}/serviceAccounts/{email|uniqueId}
	display  string // what the user wrote, or the email a short ID expands to
}

type googleAccountIDError struct {
	attribute       string
	summary, detail string
	needsProject    bool
}

func (e *googleAccountIDError) Error() string { return e.summary + ": " + e.detail }

var (
	// Google's rules for account IDs (the part before @) and project IDs.
	googleShortAccountIDPattern = regexp.MustCompile(`^[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	googleProjectPattern        = regexp.MustCompile(`^(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$`)
	googleUniqueIDPattern       = regexp.MustCompile(`^[0-9]{1,30}$`)
)

// parseGoogleAccountID accepts the forms terraform-provider-google's
// google_service_account data source accepts (email, full name, short ID
// with project) plus a numeric unique ID, which IAM takes in place of the
// email.
func parseGoogleAccountID(accountID, project string) (googleAccount, error) {
	bad := func(summary, format string, args ...any) (googleAccount, error) {
		return googleAccount{}, &googleAccountIDError{attribute: "account_id", summary: summary, detail: fmt.Sprintf(format, args...)}
	}
	if project != "" && !googleProjectPattern.MatchString(project) {
		return googleAccount{}, &googleAccountIDError{attribute: "project", summary: "Invalid Google project ID",
			detail: fmt.Sprintf("project %q is not a Google Cloud project ID: 6-30 lowercase letters, digits and hyphens, starting with a letter.", project)}
	}
	scope := project
	if scope == "" {
		scope = "-"
	}
	if accountID == "" || strings.TrimSpace(accountID) != accountID {
		return bad("Invalid Google service account", "account_id %q is empty or has surrounding spaces.", accountID)
	}

	if rest, ok := strings.CutPrefix(accountID, "projects/"); ok {
		parts := strings.Split(rest, "/")
		if len(parts) != 3 || parts[1] != "serviceAccounts" || parts[0] == "" {
			return bad("Invalid Google service account name",
				"account_id %q starts with projects/ but is not a full name projects/PROJECT/serviceAccounts/EMAIL.", accountID)
		}
		fqnProject, id := parts[0], parts[2]
		if fqnProject != "-" && !googleProjectPattern.MatchString(fqnProject) {
			return bad("Invalid Google service account name", "account_id %q names project %q, which is not a Google Cloud project ID.", accountID, fqnProject)
		}
		if google.CheckServiceAccountEmail(id) != nil && !googleUniqueIDPattern.MatchString(id) {
			return bad("Invalid Google service account name",
				"account_id %q must end in the account's email or numeric unique ID, not %q.", accountID, id)
		}
		switch {
		case project == "" || fqnProject == project:
		case fqnProject == "-":
			fqnProject = project
		default:
			return googleAccount{}, &googleAccountIDError{attribute: "project", summary: "Conflicting Google project",
				detail: fmt.Sprintf("account_id %q names project %q but project is %q; remove project or make them agree.", accountID, parts[0], project)}
		}
		return googleAccount{resource: "projects/" + fqnProject + "/serviceAccounts/" + id, display: id}, nil
	}

	if strings.Contains(accountID, "@") {
		if err := google.CheckServiceAccountEmail(accountID); err != nil {
			return bad("Invalid Google service account email", "account_id: %s.", err)
		}
		return googleAccount{resource: "projects/" + scope + "/serviceAccounts/" + accountID, display: accountID}, nil
	}
	if googleUniqueIDPattern.MatchString(accountID) {
		return googleAccount{resource: "projects/" + scope + "/serviceAccounts/" + accountID, display: "with unique ID " + accountID}, nil
	}
	if !googleShortAccountIDPattern.MatchString(accountID) {
		return bad("Invalid Google service account",
			"account_id %q is neither an email (NAME@PROJECT.iam.gserviceaccount.com), a full name (projects/PROJECT/serviceAccounts/EMAIL), a numeric "+
				"unique ID, nor a short account ID (6-30 lowercase letters, digits and hyphens, starting with a letter).", accountID)
	}
	if project == "" {
		return googleAccount{}, &googleAccountIDError{attribute: "account_id", summary: "Missing project for a short account_id", needsProject: true,
			detail: fmt.Sprintf("account_id %q is a short account ID, which names an account only within a project: set project as well, or set "+
				"account_id to the full email %s@PROJECT_ID.iam.gserviceaccount.com.", accountID, accountID)}
	}
	// Domain-scoped projects ("example.com:proj") use a different email domain.
	email := accountID + "@" + project + ".iam.gserviceaccount.com"
	if domain, name, ok := strings.Cut(project, ":"); ok {
		email = accountID + "@" + name + "." + domain + ".iam.gserviceaccount.com"
	}
	return googleAccount{resource: "projects/" + project + "/serviceAccounts/" + email, display: email}, nil
}
