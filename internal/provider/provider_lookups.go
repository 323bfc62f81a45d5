package provider

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// lookups caches what the provider learns from the API once per run: the
// organization id when none is configured, and the default workspace's id.
type lookups struct {
	mu               sync.Mutex
	organizationID   string
	defaultWorkspace string
}

// orgID is the organization: configured, or asked for once
// (GET /v1/organizations/me) with the admin credential. A failed look-up is
// not cached, so a later call tries again.
func (d *providerData) orgID(ctx context.Context) (string, error) {
	if d.organizationID != "" {
		return d.organizationID, nil
	}
	d.lookups.mu.Lock()
	defer d.lookups.mu.Unlock()
	if d.lookups.organizationID != "" {
		return d.lookups.organizationID, nil
	}
	org, err := d.client.GetOrganization(ctx)
	if err != nil {
		return "", fmt.Errorf("organization_id is not set and asking the API for it (GET /v1/organizations/me) failed; set organization_id or %s: %s",
			envOrganizationID, apiErrorDetail(err))
	}
	if err := policy.ValidateUUID(org.ID); err != nil {
		return "", fmt.Errorf("GET /v1/organizations/me answered an organization id that is not a UUID: %w", err)
	}
	d.lookups.organizationID = org.ID
	return org.ID, nil
}

// defaultWorkspaceID finds the organization's default workspace: the API
// marks it only by listing it when include_default=true, so it is the one
// workspace that list holds and the plain one does not. Asked once per run.
func (d *providerData) defaultWorkspaceID(ctx context.Context) (string, error) {
	d.lookups.mu.Lock()
	defer d.lookups.mu.Unlock()
	if d.lookups.defaultWorkspace != "" {
		return d.lookups.defaultWorkspace, nil
	}
	withDefault, err := workspaceIDs(ctx, d.client, true)
	if err != nil {
		return "", err
	}
	without, err := workspaceIDs(ctx, d.client, false)
	if err != nil {
		return "", err
	}
	for id := range without {
		delete(withDefault, id)
	}
	if len(withDefault) != 1 {
		return "", fmt.Errorf("could not tell the default workspace apart: listing workspaces with include_default=true added %d workspaces (%v), want exactly one",
			len(withDefault), slices.Sorted(maps.Keys(withDefault)))
	}
	for id := range withDefault {
		d.lookups.defaultWorkspace = id
	}
	return d.lookups.defaultWorkspace, nil
}

func workspaceIDs(ctx context.Context, c *client.Client, includeDefault bool) (map[string]bool, error) {
	out := map[string]bool{}
	for w, err := range c.ListWorkspaces(ctx, client.WorkspaceListParams{Limit: workspacePageSize, IncludeArchived: true, IncludeDefault: includeDefault}) {
		if err != nil {
			return nil, fmt.Errorf("listing workspaces: %s", apiErrorDetail(err))
		}
		out[w.ID] = true
	}
	return out, nil
}

// knownOrgID is the organization id if it is configured or was already
// looked up, else "".
func (d *providerData) knownOrgID() string {
	if d.organizationID != "" {
		return d.organizationID
	}
	d.lookups.mu.Lock()
	defer d.lookups.mu.Unlock()
	return d.lookups.organizationID
}

// resolveOrgID looks the organization up when it is not configured, so
// knownOrgID has it for the rest of the operation; a failure is an error
// diagnostic.
func (d *providerData) resolveOrgID(ctx context.Context, diags *diag.Diagnostics) bool {
	if d == nil || d.client == nil {
		return true
	}
	if _, err := d.orgID(ctx); err != nil {
		diags.AddAttributeError(path.Root("organization_id"), "Unable to determine the organization", err.Error())
		return false
	}
	return true
}
