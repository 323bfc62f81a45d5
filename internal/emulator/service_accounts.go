package emulator

import (
	"slices"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

type serviceAccount struct {
	meta
	name        string
	description string
	role        string
	members     []*membership // explicit memberships in creation order
}

type membership struct {
	workspaceID string
	role        string
	createdBy   string
	createdAt   time.Time
	// seq orders a workspace's members across service accounts.
	seq int64
}

type serviceAccountJSON struct {
	Type             string `json:"type"`
	ID               string `json:"id"`
	Name             string `json:"name"`
	Description      string `json:"description"`
	OrganizationRole string `json:"organization_role"`
	metaJSON
}

func (s *serviceAccount) render() any {
	return serviceAccountJSON{
		Type:             "service_account",
		ID:               s.id,
		Name:             s.name,
		Description:      s.description,
		OrganizationRole: s.role,
		metaJSON:         s.metaJSON(),
	}
}

type serviceAccountRequest struct {
	Name             opt[string] `json:"name"`
	Description      opt[string] `json:"description"`
	OrganizationRole opt[string] `json:"organization_role"`
}

func validateDescription(o opt[string]) (string, *apiError) {
	if o.Null {
		return "", nil
	}
	if err := policy.ValidateDescription(o.V); err != nil {
		return "", fieldErr("description", err)
	}
	return o.V, nil
}

func validateName(o opt[string]) (string, *apiError) {
	if !o.Set {
		return "", badRequest("name: required")
	}
	return checked(o, "name", policy.ValidateName)
}

// validateOrgRole checks organization_role; setting admin, even re-sending
// an unchanged admin, needs an interactive credential (a user's OAuth token or
// a Console session), as the SDK documents.
func validateOrgRole(o opt[string], who caller) (string, *apiError) {
	role, err := checked(o, "organization_role", policy.ValidateOrganizationRole)
	if err != nil {
		return "", err
	}
	if role == "admin" && !who.interactive {
		return "", forbidden("organization_role: setting admin requires an interactive credential (a user's OAuth token or a Console session); a token minted by a federation exchange is not interactive")
	}
	return role, nil
}

func (e *Emulator) createServiceAccount(c *call) (any, error) {
	var req serviceAccountRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	name, err := validateName(req.Name)
	if err != nil {
		return nil, err
	}
	desc, err := validateDescription(req.Description)
	if err != nil {
		return nil, err
	}
	role := policy.DefaultOrganizationRole
	if req.OrganizationRole.Set {
		if role, err = validateOrgRole(req.OrganizationRole, c.caller); err != nil {
			return nil, err
		}
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	if other := e.liveServiceAccountNamed(name); other != nil {
		return nil, conflict("name: a service account named %q already exists (%s)", name, other.id)
	}
	s := &serviceAccount{name: name, description: desc, role: role}
	e.initMeta(&s.meta, policy.PrefixServiceAccount, c.caller)
	e.sas = append(e.sas, s)
	e.saByID[s.id] = s
	return s.render(), nil
}

// liveServiceAccountNamed enforces name uniqueness among non-archived
// service accounts: an archived one's name is free for reuse.
func (e *Emulator) liveServiceAccountNamed(name string) *serviceAccount {
	return liveNamed(e.sas, func(s *serviceAccount) string { return s.name }, name)
}

func (e *Emulator) findServiceAccount(id string) (*serviceAccount, *apiError) {
	return lookup(e.saByID, "service account", id)
}

func (e *Emulator) getServiceAccount(c *call) (any, error) {
	return getObject(e, c, e.findServiceAccount, (*serviceAccount).render)
}

func (e *Emulator) listServiceAccounts(c *call) (any, error) {
	lq, err := parseListQuery(c.r.URL.Query(), "svac")
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	// The SDK documents this list as newest first (issuers and rules have no
	// documented order and stay oldest first).
	return paginateNewestFirst(e.sas, func(s *serviceAccount) *meta { return &s.meta }, lq, "svac", (*serviceAccount).render), nil
}

func (e *Emulator) updateServiceAccount(c *call) (any, error) {
	var req serviceAccountRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.findServiceAccount(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !s.live() {
		return nil, badRequest("service account %s is archived and cannot be updated", s.id)
	}
	if err := unchanged(req.Name, "name", s.name, "a service account's name is immutable"); err != nil {
		return nil, err
	}
	desc, err := updated(s.description, req.Description, validateDescription)
	if err != nil {
		return nil, err
	}
	role := s.role
	// The SDK documents null as "leave unchanged" for organization_role.
	// Demoting an admin is allowed even while org:admin rules target it: the
	// exchange refuses those rules from then on (target_not_admin).
	if req.OrganizationRole.Set && !req.OrganizationRole.Null {
		if role, err = validateOrgRole(req.OrganizationRole, c.caller); err != nil {
			return nil, err
		}
	}
	before := s.render()
	s.description, s.role = desc, role
	e.touch(&s.meta, before, c.caller)
	return s.render(), nil
}

func (e *Emulator) archiveServiceAccount(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.findServiceAccount(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if s.live() {
		if ids := e.liveRuleIDs(func(r *rule) bool { return r.targetID == s.id }); len(ids) > 0 {
			return nil, badRequest("service account is referenced by live federation rules: %s", strings.Join(ids, ", "))
		}
	}
	e.archive(&s.meta, s.render(), c.caller)
	return s.render(), nil
}

type membershipJSON struct {
	Type             string `json:"type"`
	ServiceAccountID string `json:"service_account_id"`
	WorkspaceID      string `json:"workspace_id"`
	WorkspaceRole    string `json:"workspace_role"`
	Implicit         bool   `json:"implicit"`
	CreatedByActorID string `json:"created_by_actor_id"`
}

type membershipDeletedJSON struct {
	Type             string `json:"type"`
	ServiceAccountID string `json:"service_account_id"`
	WorkspaceID      string `json:"workspace_id"`
}

type membershipRequest struct {
	WorkspaceID   opt[string] `json:"workspace_id"`
	WorkspaceRole opt[string] `json:"workspace_role"`
}

func (s *serviceAccount) membership(workspaceID string) (int, *membership) {
	for i, m := range s.members {
		if m.workspaceID == workspaceID {
			return i, m
		}
	}
	return -1, nil
}

func (s *serviceAccount) renderMembership(m *membership) membershipJSON {
	return membershipJSON{
		Type:             "service_account_workspace_member",
		ServiceAccountID: s.id,
		WorkspaceID:      m.workspaceID,
		WorkspaceRole:    m.role,
		CreatedByActorID: m.createdBy,
	}
}

// implicitMembership is the default-workspace entry every service account
// has while it has no explicit membership there.
func (s *serviceAccount) implicitMembership(defaultWorkspaceID string) *membershipJSON {
	if _, m := s.membership(defaultWorkspaceID); m != nil {
		return nil
	}
	return &membershipJSON{
		Type:             "service_account_workspace_member",
		ServiceAccountID: s.id,
		WorkspaceID:      defaultWorkspaceID,
		WorkspaceRole:    "workspace_user",
		Implicit:         true,
		CreatedByActorID: s.createdBy,
	}
}

func requiredString(o opt[string], field string) (string, *apiError) {
	if !o.Set {
		return "", badRequest("%s: required", field)
	}
	return o.value(field)
}

// addMembership adds a membership or, when the service account already is
// an explicit member of the workspace, replaces its workspace_role (as the
// SDK documents; the membership keeps its creator).
func (e *Emulator) addMembership(c *call) (any, error) {
	var req membershipRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	wsID, err := requiredString(req.WorkspaceID, "workspace_id")
	if err != nil {
		return nil, err
	}
	role, err := requiredChecked(req.WorkspaceRole, "workspace_role", policy.ValidateWorkspaceRole)
	if err != nil {
		return nil, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.findServiceAccount(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	w, err := e.lookupWorkspace(wsID)
	if err != nil {
		return nil, err
	}
	return e.putMembership(s, w, role, c.caller)
}

// putMembership adds or replaces an explicit membership, from either side;
// callers hold e.mu.
func (e *Emulator) putMembership(s *serviceAccount, w *workspace, role string, who caller) (any, error) {
	if !s.live() {
		return nil, badRequest("service account %s is archived", s.id)
	}
	if !w.live() {
		return nil, badRequest("workspace_id: workspace %s is archived", w.id)
	}
	if _, m := s.membership(w.id); m != nil {
		m.role = role
		return s.renderMembership(m), nil
	}
	m := &membership{workspaceID: w.id, role: role, createdBy: who.actorID, createdAt: e.clock(), seq: e.nextSeq()}
	s.members = append(s.members, m)
	return s.renderMembership(m), nil
}

// membershipCursorKind namespaces membership cursors. A cursor names the
// last explicit membership of its page (service account and workspace), so
// it stops matching once that membership is removed or the account archived.
const membershipCursorKind = "svwm"

// listMemberships pages the explicit memberships in creation order, limit
// at a time. The first page of a live service account also starts with the
// implicit default entry, outside the limit: with limit=1 it holds up to 2
// entries, as the SDK documents. An archived service account lists nothing.
func (e *Emulator) listMemberships(c *call) (any, error) {
	q := c.r.URL.Query()
	limit, err := parseLimit(q, maxLimit)
	if err != nil {
		return nil, err
	}
	cursor := q.Get("page")
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.findServiceAccount(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	data := []membershipJSON{}
	start := 0
	switch {
	case cursor != "":
		key, ok := decodeKeyCursor(cursor, membershipCursorKind)
		saID, wsID, _ := strings.Cut(key, "/")
		i, m := s.membership(wsID)
		if !ok || saID != s.id || m == nil || !s.live() {
			return nil, badRequest("page: the cursor does not match an active membership of this service account; restart from the first page")
		}
		start = i + 1
	case !s.live():
		return listPage{Data: data}, nil
	default:
		if im := s.implicitMembership(e.defaultWS.id); im != nil {
			data = append(data, *im)
		}
	}
	end := min(start+limit, len(s.members))
	for _, m := range s.members[start:end] {
		data = append(data, s.renderMembership(m))
	}
	page := listPage{Data: data}
	if end < len(s.members) {
		c := encodeKeyCursor(membershipCursorKind, s.id+"/"+s.members[end-1].workspaceID)
		page.NextPage = &c
	}
	return page, nil
}

// removeMembership removes an explicit membership. It is idempotent, and a
// DELETE of the implicit default entry answers 200 and changes nothing.
func (e *Emulator) removeMembership(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.findServiceAccount(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	w, err := e.lookupWorkspace(c.r.PathValue("workspace_id"))
	if err != nil {
		return nil, err
	}
	return e.dropMembership(s, w), nil
}

// dropMembership removes an explicit membership, from either side; removing
// an explicit default-workspace membership reverts to the implicit one.
// callers hold e.mu.
func (e *Emulator) dropMembership(s *serviceAccount, w *workspace) membershipDeletedJSON {
	if i, m := s.membership(w.id); m != nil {
		s.members = slices.Delete(s.members, i, i+1)
	}
	// The SDK documents the ids "named in the delete request"; a request
	// naming the default workspace "default" is answered with its real id,
	// since the API never shows that alias.
	return membershipDeletedJSON{Type: "service_account_workspace_member_deleted", ServiceAccountID: s.id, WorkspaceID: w.id}
}
