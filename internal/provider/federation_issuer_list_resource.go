package provider

// The federation issuer's list resource (anthropic_federation_issuer in
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

var _ list.ListResourceWithConfigure = (*federationIssuerList)(nil)

func newFederationIssuerList() list.ListResource { return &federationIssuerList{} }

type federationIssuerList struct{ configuredResource }

func (l *federationIssuerList) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_federation_issuer"
}

func (l *federationIssuerList) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Lists the organization's live (not archived) federation issuers for `terraform query` (Terraform 1.14 and later). " +
			"Each result carries the issuer's identity (`id`) and its name.",
	}
}

func (l *federationIssuerList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	ctx = maskSecrets(ctx)
	if !startList(l.data, stream) {
		return
	}
	all := l.data.client.ListFederationIssuers(ctx, client.ListParams{Limit: listPageSizeFor(req.Limit)})
	stream.Results = listResults(ctx, req, "Unable to list federation issuers", all,
		func(iss *client.FederationIssuer) (string, string, bool) { return iss.ID, iss.Name, !iss.IsArchived() },
		func(iss *client.FederationIssuer, diags *diag.Diagnostics) any {
			var m federationIssuerModel
			m.fromAPI(ctx, iss, diags)
			return &m
		})
}
