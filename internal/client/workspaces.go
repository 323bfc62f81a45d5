package client

import (
	"context"
	"fmt"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// Organization is the caller's organization (GET /v1/organizations/me).
type Organization struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
}

// Workspace is a workspace of the organization. The default workspace is an
// ordinary one with its own wrkspc_ id.
type Workspace struct {
	Type         string     `json:"type"`
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	CreatedAt    time.Time  `json:"created_at"`
	ArchivedAt   *time.Time `json:"archived_at"`
	DisplayColor string     `json:"display_color"`
}

// WorkspaceListParams filter GET /v1/organizations/workspaces.
type WorkspaceListParams struct {
	// Limit is the page size, 1..1000; 0 lets the server choose (20).
	Limit int
	// IncludeArchived also lists archived workspaces.
	IncludeArchived bool
	// IncludeDefault also lists the organization's default workspace.
	IncludeDefault bool
}

var workspaces = collection[Workspace]{"workspaces", "workspace"}

// maxWorkspacePages bounds a workspace listing, so a server that keeps
// answering has_more cannot loop a client forever.
const maxWorkspacePages = 1000

// GetOrganization reads the organization the credential belongs to: how the
// provider finds its organization id when none is configured.
func (c *Client) GetOrganization(ctx context.Context) (*Organization, error) {
	out, err := doDecode[Organization](ctx, c, request{method: "GET", path: orgPrefix + "/me", class: retryIdempotent})
	if err != nil {
		return nil, err
	}
	if out.ID == "" {
		return nil, fmt.Errorf("anthropic: GET %s/me answered no organization id", orgPrefix)
	}
	return out, nil
}

// GetWorkspace reads one workspace by id.
func (c *Client) GetWorkspace(ctx context.Context, id string) (*Workspace, error) {
	return workspaces.get(ctx, c, id)
}

// workspacePage is the Admin API's older list shape: the next page starts
// after last_id.
type workspacePage struct {
	Data    []Workspace `json:"data"`
	HasMore bool        `json:"has_more"`
	LastID  *string     `json:"last_id"`
}

// ListWorkspaces walks the workspaces page by page (after_id paging),
// lazily; an error is yielded once and ends the sequence.
func (c *Client) ListWorkspaces(ctx context.Context, p WorkspaceListParams) iter.Seq2[Workspace, error] {
	return func(yield func(Workspace, error) bool) {
		if p.Limit < 0 || p.Limit > 1000 {
			yield(Workspace{}, fmt.Errorf("anthropic: workspace list limit %d out of range 1..1000", p.Limit))
			return
		}
		q := url.Values{}
		if p.Limit > 0 {
			q.Set("limit", strconv.Itoa(p.Limit))
		}
		if p.IncludeArchived {
			q.Set("include_archived", "true")
		}
		if p.IncludeDefault {
			q.Set("include_default", "true")
		}
		for range maxWorkspacePages {
			var page workspacePage
			if err := c.do(ctx, request{method: "GET", path: orgPrefix + "/" + workspaces.name, query: q, class: retryIdempotent}, &page); err != nil {
				yield(Workspace{}, err)
				return
			}
			for _, w := range page.Data {
				if !yield(w, nil) {
					return
				}
			}
			if !page.HasMore {
				return
			}
			if page.LastID == nil || *page.LastID == "" || *page.LastID == q.Get("after_id") {
				yield(Workspace{}, fmt.Errorf("anthropic: workspace list says has_more but its last_id does not move on"))
				return
			}
			q.Set("after_id", *page.LastID)
		}
		yield(Workspace{}, fmt.Errorf("anthropic: workspace list did not end after %d pages", maxWorkspacePages))
	}
}

// workspaceMemberPath is /workspaces/{ws}/service_accounts/{svac}.
func workspaceMemberPath(workspaceID, serviceAccountID string) (string, error) {
	sa, err := escapeID("service account", serviceAccountID)
	if err != nil {
		return "", err
	}
	return objectPath(workspaces.name, workspaces.kind, workspaceID, "service_accounts", sa)
}

// GetWorkspaceServiceAccount reads a service account's membership of a
// workspace from the workspace side; for the default workspace it answers
// the implicit membership while there is no explicit one.
func (c *Client) GetWorkspaceServiceAccount(ctx context.Context, workspaceID, serviceAccountID string) (*ServiceAccountWorkspaceMember, error) {
	path, err := workspaceMemberPath(workspaceID, serviceAccountID)
	if err != nil {
		return nil, err
	}
	return doDecode[ServiceAccountWorkspaceMember](ctx, c, request{method: "GET", path: path, class: retryIdempotent})
}

// UpdateWorkspaceServiceAccount changes the role of an explicit membership
// in place.
func (c *Client) UpdateWorkspaceServiceAccount(ctx context.Context, workspaceID, serviceAccountID, role string) (*ServiceAccountWorkspaceMember, error) {
	path, err := workspaceMemberPath(workspaceID, serviceAccountID)
	if err != nil {
		return nil, err
	}
	if role == "" {
		return nil, errEmpty("workspace role")
	}
	body := struct {
		WorkspaceRole string `json:"workspace_role"`
	}{role}
	// Setting a role is idempotent: a retry after a lost answer sets it again.
	return doDecode[ServiceAccountWorkspaceMember](ctx, c, request{method: "POST", path: path, body: body, class: retryIdempotent})
}
