package client

import (
	"context"
	"iter"
	"net/url"
	"time"
)

var serviceAccounts = collection[ServiceAccount]{"service_accounts", "service account"}

// ServiceAccount is a non-human principal that federation rules target.
type ServiceAccount struct {
	Type              string     `json:"type"`
	ID                string     `json:"id"`
	Name              string     `json:"name"`
	Description       string     `json:"description"` // "" when cleared
	OrganizationRole  string     `json:"organization_role"`
	CreatedAt         time.Time  `json:"created_at"`
	CreatedByActorID  string     `json:"created_by_actor_id"`
	UpdatedAt         time.Time  `json:"updated_at"`
	UpdatedByActorID  string     `json:"updated_by_actor_id"`
	ArchivedAt        *time.Time `json:"archived_at"`
	ArchivedByActorID *string    `json:"archived_by_actor_id"`
}

// IsArchived reports a soft-deleted service account.
func (s *ServiceAccount) IsArchived() bool { return s != nil && s.ArchivedAt != nil }

// ServiceAccountCreateParams is the create body.
type ServiceAccountCreateParams struct {
	Name             string  `json:"name"`
	Description      *string `json:"description,omitempty"`
	OrganizationRole string  `json:"organization_role,omitempty"`
}

// ServiceAccountUpdateParams is a partial update; omitted fields are kept.
type ServiceAccountUpdateParams struct {
	Description      Field[string] `json:"description,omitzero"`
	OrganizationRole Field[string] `json:"organization_role,omitzero"`
}

// ServiceAccountWorkspaceMember is a service account's workspace membership.
type ServiceAccountWorkspaceMember struct {
	Type             string `json:"type"`
	ServiceAccountID string `json:"service_account_id"`
	WorkspaceID      string `json:"workspace_id"`
	WorkspaceRole    string `json:"workspace_role"`
	Implicit         bool   `json:"implicit"`
	CreatedByActorID string `json:"created_by_actor_id"`
}

// CreateServiceAccount creates a service account.
func (c *Client) CreateServiceAccount(ctx context.Context, p ServiceAccountCreateParams) (*ServiceAccount, error) {
	return serviceAccounts.create(ctx, c, p)
}

// GetServiceAccount reads a service account, archived or not.
func (c *Client) GetServiceAccount(ctx context.Context, id string) (*ServiceAccount, error) {
	return serviceAccounts.get(ctx, c, id)
}

// UpdateServiceAccount applies a partial update.
func (c *Client) UpdateServiceAccount(ctx context.Context, id string, p ServiceAccountUpdateParams) (*ServiceAccount, error) {
	return serviceAccounts.update(ctx, c, id, p)
}

// ArchiveServiceAccount soft-deletes a service account; archiving twice
// returns the first archived_at.
func (c *Client) ArchiveServiceAccount(ctx context.Context, id string) (*ServiceAccount, error) {
	return serviceAccounts.archive(ctx, c, id)
}

// ListServiceAccounts iterates over all service accounts, following pages.
func (c *Client) ListServiceAccounts(ctx context.Context, p ListParams) iter.Seq2[ServiceAccount, error] {
	q, err := p.query()
	return serviceAccounts.list(ctx, c, q, err)
}

// AddServiceAccountWorkspace adds the service account to a workspace.
func (c *Client) AddServiceAccountWorkspace(ctx context.Context, serviceAccountID, workspaceID, role string) (*ServiceAccountWorkspaceMember, error) {
	body := struct {
		WorkspaceID   string `json:"workspace_id"`
		WorkspaceRole string `json:"workspace_role,omitempty"`
	}{workspaceID, role}
	return addWorkspace[ServiceAccountWorkspaceMember](ctx, c, serviceAccounts, serviceAccountID, workspaceID, body, retryUnprocessed)
}

// ListServiceAccountWorkspaces returns every membership, the implicit
// default-workspace one included, following pages to the end.
func (c *Client) ListServiceAccountWorkspaces(ctx context.Context, serviceAccountID string) ([]ServiceAccountWorkspaceMember, error) {
	path, err := serviceAccounts.workspacesPath(serviceAccountID)
	if err != nil {
		return nil, err
	}
	return Collect(paginate[ServiceAccountWorkspaceMember](ctx, c, path, url.Values{"limit": {"100"}}, nil))
}

// RemoveServiceAccountWorkspace removes a membership. It is idempotent: a
// 404 means the membership is already gone, which is the desired end state.
func (c *Client) RemoveServiceAccountWorkspace(ctx context.Context, serviceAccountID, workspaceID string) error {
	return serviceAccounts.removeWorkspace(ctx, c, serviceAccountID, workspaceID)
}
