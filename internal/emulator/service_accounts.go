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
	name, err := o.value("name")
	if err != nil {
		return "", err
	}
	if err := policy.ValidateName(name); err != nil {
		return "", fieldErr("name", err)
	}
	return name, nil
}

// validateOrgRole checks organization_role; granting admin, even re-sending
// an unchanged admin, needs an interactive Console session.
func validateOrgRole(o opt[string], who caller) (string, *apiError) {
	role, err := o.value("organization_role")
	if err != nil {
		return "", err
	}
	if err := policy.ValidateOrganizationRole(role); err != nil {
		return "", fieldErr("organization_role", err)
	}
	if role == "admin" && !who.console {
		return "", forbidden("organization_role: setting admin requires an interactive Console session; an OAuth access token cannot grant it")
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
	for _, s := range e.sas {
		if s.live() && s.name == name {
			return s
		}
	}
	return nil
}

func (e *Emulator) findServiceAccount(id string) (*serviceAccount, *apiError) {
	s, ok := e.saByID[id]
	if !ok {
		return nil, notFound("service account %q not found", id)
	}
	return s, nil
}

func (e *Emulator) getServiceAccount(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.findServiceAccount(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if prev, ok := e.stale(&s.meta); ok {
		return prev, nil
	}
	return s.render(), nil
}

func (e *Emulator) listServiceAccounts(c *call) (any, error) {
	lq, err := parseListQuery(c.r.URL.Query(), "svac")
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return paginate(e.sas, func(s *serviceAccount) *meta { return &s.meta }, lq, "svac", (*serviceAccount).render), nil
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
	if req.Name.Set {
		name, err := req.Name.value("name")
		if err != nil {
			return nil, err
		}
		if name != s.name {
			return nil, badRequest("name: cannot be changed; a service account's name is immutable")
		}
	}
	desc := s.description
	if req.Description.Set {
		if desc, err = validateDescription(req.Description); err != nil {
			return nil, err
		}
	}
	role := s.role
	if req.OrganizationRole.Set {
		if role, err = validateOrgRole(req.OrganizationRole, c.caller); err != nil {
			return nil, err
		}
		if role != "admin" {
			if ids := e.liveRuleIDs(func(r *rule) bool { return r.targetID == s.id && r.scope == policy.ScopeOrgAdmin }); len(ids) > 0 {
				return nil, badRequest("organization_role: service account is the target of live org:admin federation rules: %s", strings.Join(ids, ", "))
			}
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

// memberships lists the implicit default-workspace entry first (while there
// is no explicit default membership), then the explicit ones.
func (s *serviceAccount) memberships() []membershipJSON {
	out := []membershipJSON{}
	if _, m := s.membership(DefaultWorkspaceID); m == nil {
		out = append(out, membershipJSON{
			Type:             "service_account_workspace_member",
			ServiceAccountID: s.id,
			WorkspaceID:      DefaultWorkspaceID,
			WorkspaceRole:    "workspace_user",
			Implicit:         true,
			CreatedByActorID: s.createdBy,
		})
	}
	for _, m := range s.members {
		out = append(out, s.renderMembership(m))
	}
	return out
}

func requiredString(o opt[string], field string) (string, *apiError) {
	if !o.Set {
		return "", badRequest("%s: required", field)
	}
	return o.value(field)
}

func (e *Emulator) addMembership(c *call) (any, error) {
	var req membershipRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	wsID, err := requiredString(req.WorkspaceID, "workspace_id")
	if err != nil {
		return nil, err
	}
	role, err := requiredString(req.WorkspaceRole, "workspace_role")
	if err != nil {
		return nil, err
	}
	if err := policy.ValidateWorkspaceRole(role); err != nil {
		return nil, fieldErr("workspace_role", err)
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.findServiceAccount(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !s.live() {
		return nil, badRequest("service account %s is archived", s.id)
	}
	w, err := e.lookupWorkspace(wsID)
	if err != nil {
		return nil, err
	}
	if _, m := s.membership(w.id); m != nil {
		return nil, conflict("workspace_id: service account %s is already a member of workspace %s with role %s; remove the membership to change its role", s.id, w.id, m.role)
	}
	m := &membership{workspaceID: w.id, role: role, createdBy: c.caller.actorID, createdAt: e.clock()}
	s.members = append(s.members, m)
	return s.renderMembership(m), nil
}

func (e *Emulator) listMemberships(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.findServiceAccount(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	return listPage{Data: s.memberships()}, nil
}

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
	i, m := s.membership(w.id)
	if m == nil && w.id == DefaultWorkspaceID {
		return nil, badRequest("workspace_id: the implicit default workspace membership cannot be removed")
	}
	if m != nil {
		s.members = slices.Delete(s.members, i, i+1)
	}
	return membershipDeletedJSON{Type: "service_account_workspace_member_deleted", ServiceAccountID: s.id, WorkspaceID: w.id}, nil
}
