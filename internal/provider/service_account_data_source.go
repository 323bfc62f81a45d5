package provider

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

var (
	_ datasource.DataSource                     = (*serviceAccountDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*serviceAccountDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*serviceAccountDataSource)(nil)
)

func newServiceAccountDataSource() datasource.DataSource { return &serviceAccountDataSource{} }

type serviceAccountDataSource struct{ configuredDataSource }

func (d *serviceAccountDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_account"
}

func (d *serviceAccountDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Looks up one live service account by exactly one of `id` or `name`, for example one created in the " +
			"Console (service accounts with the `admin` organization role can only be created there) for a federation rule to target. " +
			"Archived service accounts are not found.",
		Attributes: serviceAccountDataSourceAttributes(true),
	}
}

func (d *serviceAccountDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{
		datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name")),
	}
}

func (d *serviceAccountDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	ctx, cfg, ok := begin[serviceAccountModel](ctx, d.data, req.Config.Get, &resp.Diagnostics)
	if !ok {
		return
	}
	var sa *client.ServiceAccount
	if !cfg.ID.IsNull() {
		sa = d.byID(ctx, cfg.ID.ValueString(), &resp.Diagnostics)
	} else {
		sa = d.byName(ctx, cfg.Name.ValueString(), &resp.Diagnostics)
	}
	if sa == nil {
		return
	}
	var out serviceAccountModel
	out.fromAPI(sa)
	resp.Diagnostics.Append(resp.State.Set(ctx, &out)...)
}

func (d *serviceAccountDataSource) byID(ctx context.Context, id string, diags *diag.Diagnostics) *client.ServiceAccount {
	sa, err := d.data.client.GetServiceAccount(ctx, id)
	shareRead(d.data.reads, serviceAccountKey(id), sa, err)
	return liveByID(diags, "Service account", id, sa, err,
		func(sa *client.ServiceAccount) (string, *time.Time) { return sa.Name, sa.ArchivedAt },
		"rules cannot target it. Create a new one or look up a live one.")
}

// byName scans the live service accounts; names are unique per organization.
func (d *serviceAccountDataSource) byName(ctx context.Context, name string, diags *diag.Diagnostics) *client.ServiceAccount {
	for sa, err := range d.data.client.ListServiceAccounts(ctx, client.ListParams{Limit: listPageSize}) {
		if err != nil {
			addAPIError(diags, "Unable to list service accounts", err)
			return nil
		}
		if sa.Name == name && !sa.IsArchived() {
			return &sa
		}
	}
	diags.AddAttributeError(path.Root("name"), "Service account not found",
		fmt.Sprintf("No live service account has name %q in this organization.", name))
	return nil
}

// anthropic_service_accounts lists the service accounts.

func newServiceAccountsDataSource() datasource.DataSource {
	return &archivableListDataSource[client.ServiceAccount, serviceAccountListItem]{
		typeName:         "service_accounts",
		plural:           "service accounts",
		listAttr:         "service_accounts",
		itemsMarkdown:    "The service accounts, in the API's order (newest first).",
		archivedMarkdown: "When the service account was archived (RFC 3339); `null` for live ones.",
		attributes:       func() map[string]schema.Attribute { return serviceAccountDataSourceAttributes(false) },
		list:             (*client.Client).ListServiceAccounts,
		item: func(_ context.Context, _ *diag.Diagnostics, sa *client.ServiceAccount) (item serviceAccountListItem) {
			item.fromAPI(sa)
			item.ArchivedAt = timePtrString(sa.ArchivedAt)
			return item
		},
	}
}
