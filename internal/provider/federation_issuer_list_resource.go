package provider

// The federation issuer's list resource (anthropic_federation_issuer in
// `terraform query`); the plumbing every list resource shares is in
// list_resource_common.go.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

func newFederationIssuerList() list.ListResource {
	return &liveObjectList[client.FederationIssuer]{
		typeName:   "federation_issuer",
		plural:     "federation issuers",
		possessive: "issuer's",
		list:       (*client.Client).ListFederationIssuers,
		describe:   func(iss *client.FederationIssuer) (string, string, bool) { return iss.ID, iss.Name, !iss.IsArchived() },
		model: func(ctx context.Context, iss *client.FederationIssuer, diags *diag.Diagnostics) any {
			var m federationIssuerModel
			m.fromAPI(ctx, iss, diags)
			return &m
		},
	}
}
