package provider

// The service account's list resource (anthropic_service_account in
// `terraform query`); the plumbing every list resource shares is in
// list_resource_common.go.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

func newServiceAccountList() list.ListResource {
	return &liveObjectList[client.ServiceAccount]{
		typeName:   "service_account",
		plural:     "service accounts",
		possessive: "service account's",
		list:       (*client.Client).ListServiceAccounts,
		describe:   func(sa *client.ServiceAccount) (string, string, bool) { return sa.ID, sa.Name, !sa.IsArchived() },
		model: func(_ context.Context, sa *client.ServiceAccount, _ *diag.Diagnostics) any {
			var m serviceAccountModel
			m.fromAPI(sa)
			return &m
		},
	}
}
