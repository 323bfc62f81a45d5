package emulator

import (
	"slices"
	"strconv"
	"strings"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// The workspace side of service account memberships:
// /v1/organizations/workspaces/{workspace_id}/service_accounts[/{service_account_id}].
// Both sides act on the same memberships (putMembership, dropMembership).
// As the SDK documents: archived workspaces are a 400 on every route; the
// list holds explicit memberships of live service accounts only (never the
// implicit default entry); a read of the default workspace answers the
// implicit membership while there is no explicit one; an archived service
// account reads as 404 and cannot be added or updated; only explicit
// memberships can change role.

// workspaceMemberCursorKind namespaces the workspace-side list's cursors,
// which name the workspace and the creation sequence of the page's last
// membership.
const workspaceMemberCursorKind = "wsvm"

type workspaceMemberAddRequest struct {
	ServiceAccountID opt[string] `json:"service_account_id"`
	WorkspaceRole    opt[string] `json:"workspace_role"`
}

type workspaceMemberUpdateRequest struct {
	WorkspaceRole opt[string] `json:"workspace_role"`
}

// liveWorkspace resolves the {workspace_id} path value; archived workspaces
// are a 400. Callers hold e.mu.
func (e *Emulator) liveWorkspace(c *call) (*workspace, *apiError) {
	w, err := e.lookupWorkspace(c.r.PathValue("workspace_id"))
	if err != nil {
		return nil, err
	}
	if !w.live() {
		return nil, badRequest("workspace_id: workspace %s is archived", w.id)
	}
	return w, nil
}

func validWorkspaceRole(o opt[string]) (string, *apiError) {
	return requiredChecked(o, "workspace_role", policy.ValidateWorkspaceRole)
}

// listWorkspaceMembers pages the explicit members of a workspace in the
// order they were added, limit at a time (1-100, default 20).
func (e *Emulator) listWorkspaceMembers(c *call) (any, error) {
	q := c.r.URL.Query()
	limit, err := parseLimit(q, maxLimit)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	w, err := e.liveWorkspace(c)
	if err != nil {
		return nil, err
	}
	after := int64(-1)
	if cursor := q.Get("page"); cursor != "" {
		key, ok := decodeKeyCursor(cursor, workspaceMemberCursorKind)
		wsID, seq, _ := strings.Cut(key, "/")
		n, perr := strconv.ParseInt(seq, 10, 64)
		if !ok || wsID != w.id || perr != nil {
			return nil, badRequest("page: invalid page cursor; use next_page from the previous response")
		}
		after = n
	}
	type entry struct {
		s *serviceAccount
		m *membership
	}
	var members []entry
	for _, s := range e.sas {
		if _, m := s.membership(w.id); m != nil && s.live() && m.seq > after {
			members = append(members, entry{s, m})
		}
	}
	slices.SortFunc(members, func(a, b entry) int { return int(a.m.seq - b.m.seq) })
	data := []membershipJSON{}
	for _, en := range members[:min(limit, len(members))] {
		data = append(data, en.s.renderMembership(en.m))
	}
	page := listPage{Data: data}
	if len(members) > limit {
		next := encodeKeyCursor(workspaceMemberCursorKind, w.id+"/"+strconv.FormatInt(members[limit-1].m.seq, 10))
		page.NextPage = &next
	}
	return page, nil
}

func (e *Emulator) addWorkspaceMember(c *call) (any, error) {
	var req workspaceMemberAddRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	saID, err := requiredChecked(req.ServiceAccountID, "service_account_id", idCheck(policy.PrefixServiceAccount))
	if err != nil {
		return nil, err
	}
	role, err := validWorkspaceRole(req.WorkspaceRole)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	w, err := e.liveWorkspace(c)
	if err != nil {
		return nil, err
	}
	s, ok := e.saByID[saID]
	if !ok {
		return nil, notFound("service_account_id: service account %q not found", saID)
	}
	return e.putMembership(s, w, role, c.caller)
}

// workspaceMember resolves both path values for the single-membership
// routes; an archived service account is a 404, as the SDK documents for
// reads. Callers hold e.mu.
func (e *Emulator) workspaceMember(c *call) (*workspace, *serviceAccount, *apiError) {
	w, err := e.liveWorkspace(c)
	if err != nil {
		return nil, nil, err
	}
	id := c.r.PathValue("service_account_id")
	s, ok := e.saByID[id]
	if !ok || !s.live() {
		return nil, nil, notFound("service account %q not found", id)
	}
	return w, s, nil
}

func (e *Emulator) getWorkspaceMember(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, s, err := e.workspaceMember(c)
	if err != nil {
		return nil, err
	}
	if _, m := s.membership(w.id); m != nil {
		return s.renderMembership(m), nil
	}
	if w.isDefault {
		return *s.implicitMembership(w.id), nil
	}
	return nil, notFound("service account %s is not a member of workspace %s", s.id, w.id)
}

func (e *Emulator) updateWorkspaceMember(c *call) (any, error) {
	var req workspaceMemberUpdateRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	role, err := validWorkspaceRole(req.WorkspaceRole)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	w, err := e.liveWorkspace(c)
	if err != nil {
		return nil, err
	}
	id := c.r.PathValue("service_account_id")
	s, err := e.findServiceAccount(id)
	if err != nil {
		return nil, err
	}
	if !s.live() {
		return nil, badRequest("service account %s is archived and cannot be updated", s.id)
	}
	_, m := s.membership(w.id)
	if m == nil {
		if w.isDefault {
			return nil, notFound("service account %s has only the implicit membership of the default workspace, whose role cannot change; add it explicitly with POST /v1/organizations/workspaces/%s/service_accounts", s.id, w.id)
		}
		return nil, notFound("service account %s is not a member of workspace %s", s.id, w.id)
	}
	m.role = role
	return s.renderMembership(m), nil
}

func (e *Emulator) removeWorkspaceMember(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, err := e.liveWorkspace(c)
	if err != nil {
		return nil, err
	}
	s, err := e.findServiceAccount(c.r.PathValue("service_account_id"))
	if err != nil {
		return nil, err
	}
	return e.dropMembership(s, w), nil
}
