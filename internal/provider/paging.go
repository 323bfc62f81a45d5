package provider

// Page sizes of the lists the provider walks.

import (
	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// listPageSize is the page size of every list the provider walks (service
// accounts, issuers, rules): the API's maximum, so a lookup costs as few
// requests as possible.
const listPageSize = client.MaxPageSize

// workspacePageSize is the largest page the workspace list serves.
const workspacePageSize = 1000
