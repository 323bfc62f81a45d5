package provider

// The service account's list resource (anthropic_service_account in
// `terraform query`); the plumbing every list resource shares is in
// list_resource_common.go.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

var _ list.ListResourceWithConfigure = (*serviceAccountList)(nil)

func newServiceAccountList() list.ListResource { return &serviceAccountList{} }

type serviceAccountList struct{ configuredResource }

func (l *serviceAccountList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_service_account"
}

func (l *serviceAccountList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists the organization's live (not archived) service accounts for `terraform query` (Terraform 1.14 and later). " +
			"Each result carries the service account's identity (`id`) and its name.",
	}
}

func (l *serviceAccountList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	ctx = maskSecrets(ctx)
	if !startList(l.data, stream) {
		return
	}
	all := l.data.client.ListServiceAccounts(ctx, client.ListParams{Limit: listPageSizeFor(req.Limit)})
	stream.Results = listResults(ctx, req, "Unable to list service accounts", all,
		func(sa *client.ServiceAccount) (string, string, bool) { return sa.ID, sa.Name, !sa.IsArchived() },
		func(sa *client.ServiceAccount, _ *diag.Diagnostics) any {
			var m serviceAccountModel
			m.fromAPI(sa)
			return &m
		})
}
