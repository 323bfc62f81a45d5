package emulator

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

type rule struct {
	meta
	name          string
	description   string
	issuerID      string
	match         policy.Match
	targetID      string
	scope         string
	allWorkspaces bool
	enablements   []*enablement // explicit enablements in creation order
	tokenLifetime int64
}

type enablement struct {
	workspaceID string
	createdAt   time.Time
	createdBy   string
}

// privileged reports oauth_scope values only a Console session may grant.
func privileged(scope string) bool { return !policy.IsOAuthCallerScope(scope) }

type ruleJSON struct {
	Type                   string               `json:"type"`
	ID                     string               `json:"id"`
	Name                   string               `json:"name"`
	Description            string               `json:"description"`
	IssuerID               string               `json:"issuer_id"`
	IssuerName             string               `json:"issuer_name"`
	Match                  policy.ReturnedMatch `json:"match"`
	Target                 policy.RuleTarget    `json:"target"`
	OAuthScope             string               `json:"oauth_scope"`
	AppliesToAllWorkspaces bool                 `json:"applies_to_all_workspaces"`
	WorkspaceIDs           []string             `json:"workspace_ids"`
	TokenLifetimeSeconds   int64                `json:"token_lifetime_seconds"`
	// No attributes member: requests may carry an empty one, but the SDK's
	// FederationRule has no such field.
	metaJSON
}

func clonePtr(p *string) *string {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func (e *Emulator) renderRule(r *rule) any {
	out := ruleJSON{
		Type:        "federation_rule",
		ID:          r.id,
		Name:        r.name,
		Description: r.description,
		IssuerID:    r.issuerID,
		Match: policy.ReturnedMatch{
			SubjectPrefix: clonePtr(r.match.SubjectPrefix),
			Audience:      clonePtr(r.match.Audience),
			Claims:        maps.Clone(r.match.Claims),
			Condition:     clonePtr(r.match.Condition),
		},
		Target:                 policy.RuleTarget{Type: policy.TargetServiceAccount, ServiceAccountID: r.targetID},
		OAuthScope:             r.scope,
		AppliesToAllWorkspaces: r.allWorkspaces,
		WorkspaceIDs:           []string{},
		TokenLifetimeSeconds:   r.tokenLifetime,
		metaJSON:               r.metaJSON(),
	}
	if is, ok := e.issByID[r.issuerID]; ok {
		out.IssuerName = is.name
	}
	if s, ok := e.saByID[r.targetID]; ok {
		out.Target.ServiceAccountName = s.name
	}
	for _, en := range r.enablements {
		out.WorkspaceIDs = append(out.WorkspaceIDs, en.workspaceID)
	}
	return out
}

type matchRequest struct {
	SubjectPrefix *string           `json:"subject_prefix"`
	Audience      *string           `json:"audience"`
	Claims        map[string]string `json:"claims"`
	Condition     *string           `json:"condition"`
}

func (m *matchRequest) UnmarshalJSON(b []byte) error {
	type plain matchRequest
	return strictUnmarshal(b, (*plain)(m), "match")
}

type targetRequest struct {
	Type             opt[string] `json:"type"`
	ServiceAccountID opt[string] `json:"service_account_id"`
	// ServiceAccountName is read-only and, as the SDK documents, ignored on
	// writes: a target read back from the API can be sent as is.
	ServiceAccountName opt[string] `json:"service_account_name"`
}

func (t *targetRequest) UnmarshalJSON(b []byte) error {
	type plain targetRequest
	return strictUnmarshal(b, (*plain)(t), "target")
}

type ruleRequest struct {
	Name                   opt[string]          `json:"name"`
	Description            opt[string]          `json:"description"`
	IssuerID               opt[string]          `json:"issuer_id"`
	Match                  opt[matchRequest]    `json:"match"`
	Target                 opt[targetRequest]   `json:"target"`
	OAuthScope             opt[string]          `json:"oauth_scope"`
	WorkspaceID            opt[string]          `json:"workspace_id"`
	AppliesToAllWorkspaces opt[bool]            `json:"applies_to_all_workspaces"`
	TokenLifetimeSeconds   opt[int64]           `json:"token_lifetime_seconds"`
	Attributes             opt[json.RawMessage] `json:"attributes"`
}

// findingErrors is the service's message for the first error-severity
// finding (it reports one problem per 400); warnings are plan-time advice,
// not refusals.
func findingErrors(fs []policy.Finding) string {
	if err := policy.FirstError(fs); err != nil {
		return err.Error()
	}
	return ""
}

func tenantPinErrors(issuerURL string, m policy.Match) string {
	return findingErrors(policy.CheckTenantPin(issuerURL, m, policy.TenantOptions{}))
}

func parseMatch(o opt[matchRequest]) (policy.Match, *apiError) {
	if !o.Set {
		return policy.Match{}, badRequest("match: required")
	}
	mr, err := o.value("match")
	if err != nil {
		return policy.Match{}, err
	}
	m := policy.Match{SubjectPrefix: mr.SubjectPrefix, Audience: mr.Audience, Condition: mr.Condition}
	if len(mr.Claims) > 0 {
		m.Claims = mr.Claims
	}
	if msg := findingErrors(policy.ValidateMatch(m)); msg != "" {
		return policy.Match{}, badRequest("%s", msg)
	}
	return m, nil
}

// parseTarget returns the target service account id (checked for shape only).
func parseTarget(o opt[targetRequest]) (string, *apiError) {
	if !o.Set {
		return "", badRequest("target: required")
	}
	t, err := o.value("target")
	if err != nil {
		return "", err
	}
	typ, err := requiredString(t.Type, "target.type")
	if err != nil {
		return "", err
	}
	if typ != "service_account" {
		return "", badRequest("target.type: must be service_account (got %q)", typ)
	}
	id, err := requiredChecked(t.ServiceAccountID, "target.service_account_id", idCheck(policy.PrefixServiceAccount))
	if err != nil {
		return "", err
	}
	return id, nil
}

// parseScope checks oauth_scope; an OAuth caller may only grant the workspace
// scopes that cannot escalate its own privileges.
func parseScope(o opt[string], who caller) (string, *apiError) {
	scope, err := checked(o, "oauth_scope", policy.ValidateOAuthScope)
	if err != nil {
		return "", err
	}
	if privileged(scope) && !who.console {
		return "", forbidden("oauth_scope: %s can only be granted from a Console session; an OAuth access token may create rules with %s",
			scope, strings.Join(policy.OAuthCallerScopes(), " and/or "))
	}
	return scope, nil
}

func parseTokenLifetime(o opt[int64]) (int64, *apiError) {
	return checked(o, "token_lifetime_seconds", policy.ValidateTokenLifetime)
}

func checkAttributes(o opt[json.RawMessage]) *apiError {
	if !o.Set || o.Null {
		return nil
	}
	switch string(bytes.Join(bytes.Fields(o.V), nil)) {
	case "{}", "[]":
		return nil
	}
	return badRequest("attributes: must be null or empty; rule attributes are not supported")
}

// workspaceChoice is the write-side workspace convenience of create/update.
// null is treated like omitted for both fields.
type workspaceChoice struct {
	workspaceID string
	all         *bool
}

func parseWorkspaceChoice(req ruleRequest) (workspaceChoice, *apiError) {
	var wc workspaceChoice
	if req.WorkspaceID.Set && !req.WorkspaceID.Null {
		wc.workspaceID = req.WorkspaceID.V
	}
	if req.AppliesToAllWorkspaces.Set && !req.AppliesToAllWorkspaces.Null {
		v := req.AppliesToAllWorkspaces.V
		wc.all = &v
	}
	if wc.workspaceID != "" && wc.all != nil && *wc.all {
		return wc, badRequest("workspace_id: cannot be combined with applies_to_all_workspaces: true; set exactly one")
	}
	return wc, nil
}

// checkTarget resolves the target; callers hold e.mu.
func (e *Emulator) checkTarget(id, scope string) *apiError {
	s, ok := e.saByID[id]
	if !ok {
		return badRequest("target.service_account_id: service account %q not found", id)
	}
	if !s.live() {
		return badRequest("target.service_account_id: service account %s is archived", id)
	}
	if policy.HasOAuthScope(scope, policy.ScopeOrgAdmin) && s.role != "admin" {
		return badRequest("target.service_account_id: an org:admin rule must target a service account with organization_role admin (%s is %s)", id, s.role)
	}
	return nil
}

func (e *Emulator) checkRuleName(name string, self *rule) *apiError {
	for _, r := range e.rules {
		if r != self && r.live() && r.name == name {
			return conflict("name: a federation rule named %q already exists (%s)", name, r.id)
		}
	}
	return nil
}

func (e *Emulator) createRule(c *call) (any, error) {
	var req ruleRequest
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
	issuerID, err := requiredChecked(req.IssuerID, "issuer_id", idCheck(policy.PrefixIssuer))
	if err != nil {
		return nil, err
	}
	m, err := parseMatch(req.Match)
	if err != nil {
		return nil, err
	}
	targetID, err := parseTarget(req.Target)
	if err != nil {
		return nil, err
	}
	if !req.OAuthScope.Set {
		return nil, badRequest("oauth_scope: required")
	}
	scope, err := parseScope(req.OAuthScope, c.caller)
	if err != nil {
		return nil, err
	}
	wc, err := parseWorkspaceChoice(req)
	if err != nil {
		return nil, err
	}
	if wc.workspaceID == "" && (wc.all == nil || !*wc.all) {
		return nil, badRequest("workspace_id: required unless applies_to_all_workspaces is true; set exactly one")
	}
	lifetime := int64(policy.DefaultTokenLifetime)
	if req.TokenLifetimeSeconds.Set {
		if lifetime, err = parseTokenLifetime(req.TokenLifetimeSeconds); err != nil {
			return nil, err
		}
	}
	if err := checkAttributes(req.Attributes); err != nil {
		return nil, err
	}

	e.mu.Lock()
	defer e.mu.Unlock()
	is, ok := e.issByID[issuerID]
	if !ok {
		return nil, badRequest("issuer_id: federation issuer %q not found", issuerID)
	}
	if !is.live() {
		return nil, badRequest("issuer_id: federation issuer %s is archived", issuerID)
	}
	if msg := tenantPinErrors(is.issuerURL, m); msg != "" {
		return nil, badRequest("%s", msg)
	}
	if err := e.checkTarget(targetID, scope); err != nil {
		return nil, err
	}
	var ws *workspace
	if wc.workspaceID != "" {
		if ws, err = e.lookupRuleWorkspace(wc.workspaceID); err != nil {
			return nil, err
		}
	}
	if err := e.checkRuleName(name, nil); err != nil {
		return nil, err
	}
	r := &rule{
		name: name, description: desc, issuerID: issuerID, match: m, targetID: targetID,
		scope: scope, allWorkspaces: ws == nil, tokenLifetime: lifetime,
	}
	e.initMeta(&r.meta, policy.PrefixRule, c.caller)
	if ws != nil {
		r.enablements = []*enablement{{workspaceID: ws.id, createdAt: r.createdAt, createdBy: c.caller.actorID}}
	}
	e.rules = append(e.rules, r)
	e.ruleByID[r.id] = r
	return e.renderRule(r), nil
}

func (e *Emulator) findRule(id string) (*rule, *apiError) {
	return lookup(e.ruleByID, "federation rule", id)
}

// writableRule is the rule the path's id names, for a change: it must be
// live (archived completes the 400's "federation rule <id> is archived")
// and one the caller may change. Callers hold e.mu.
func (e *Emulator) writableRule(c *call, archived string) (*rule, *apiError) {
	r, err := e.findRule(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if !r.live() {
		return nil, badRequest("federation rule %s is archived%s", r.id, archived)
	}
	if err := guardPrivileged(r, c.caller); err != nil {
		return nil, err
	}
	return r, nil
}

// guardPrivileged refuses an OAuth caller any change to a rule it could not
// have created.
func guardPrivileged(r *rule, who caller) *apiError {
	if privileged(r.scope) && !who.console {
		return forbidden("oauth_scope: rule %s has oauth_scope %s; only a Console session can change it", r.id, r.scope)
	}
	return nil
}

// liveRuleIDs lists live rules matching pred, in creation order; callers hold e.mu.
func (e *Emulator) liveRuleIDs(pred func(*rule) bool) []string {
	var ids []string
	for _, r := range e.rules {
		if r.live() && pred(r) {
			ids = append(ids, r.id)
		}
	}
	return ids
}

func (e *Emulator) getRule(c *call) (any, error) {
	return getObject(e, c, e.findRule, e.renderRule)
}

func (e *Emulator) listRules(c *call) (any, error) {
	q := c.r.URL.Query()
	lq, err := parseListQuery(q, "fdrl")
	if err != nil {
		return nil, err
	}
	issuerID := q.Get("issuer_id")
	if issuerID != "" {
		if err := policy.ValidateID(policy.PrefixIssuer, issuerID); err != nil {
			return nil, fieldErr("issuer_id", err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rules := e.rules
	if issuerID != "" {
		rules = nil
		for _, r := range e.rules {
			if r.issuerID == issuerID {
				rules = append(rules, r)
			}
		}
	}
	return paginate(rules, func(r *rule) *meta { return &r.meta }, lq, "fdrl", e.renderRule), nil
}

func (e *Emulator) updateRule(c *call) (any, error) {
	var req ruleRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.writableRule(c, " and cannot be updated")
	if err != nil {
		return nil, err
	}
	name, err := updated(r.name, req.Name, validateName)
	if err != nil {
		return nil, err
	}
	desc, err := updated(r.description, req.Description, validateDescription)
	if err != nil {
		return nil, err
	}
	if err := unchanged(req.IssuerID, "issuer_id", r.issuerID, "create a new rule for another issuer"); err != nil {
		return nil, err
	}
	m, err := updated(r.match, req.Match, parseMatch)
	if err != nil {
		return nil, err
	}
	targetID, err := updated(r.targetID, req.Target, parseTarget)
	if err != nil {
		return nil, err
	}
	scope := r.scope
	if req.OAuthScope.Set {
		if scope, err = parseScope(req.OAuthScope, c.caller); err != nil {
			return nil, err
		}
	}
	wc, err := parseWorkspaceChoice(req)
	if err != nil {
		return nil, err
	}
	lifetime, err := updated(r.tokenLifetime, req.TokenLifetimeSeconds, parseTokenLifetime)
	if err != nil {
		return nil, err
	}
	if err := checkAttributes(req.Attributes); err != nil {
		return nil, err
	}
	// Every update re-checks the whole resulting rule, as the service does.
	if is, ok := e.issByID[r.issuerID]; ok {
		if msg := tenantPinErrors(is.issuerURL, m); msg != "" {
			return nil, badRequest("%s", msg)
		}
	}
	if targetID != r.targetID || scope != r.scope {
		if err := e.checkTarget(targetID, scope); err != nil {
			return nil, err
		}
	}
	var ws *workspace
	if wc.workspaceID != "" {
		if ws, err = e.lookupRuleWorkspace(wc.workspaceID); err != nil {
			return nil, err
		}
	}
	if ws != nil && len(r.enablements) > 1 {
		return nil, badRequest("workspace_id: replaces a single workspace enablement, but rule %s is enabled in %d workspaces; enable and disable them through /v1/organizations/federation_rules/%s/workspaces",
			r.id, len(r.enablements), r.id)
	}
	if wc.all != nil && !*wc.all && ws == nil && len(r.enablements) == 0 {
		return nil, badRequest("applies_to_all_workspaces: false would leave rule %s enabled in no workspace; send workspace_id in the same request", r.id)
	}
	if name != r.name {
		if err := e.checkRuleName(name, r); err != nil {
			return nil, err
		}
	}

	before := e.renderRule(r)
	r.name, r.description, r.match, r.targetID, r.scope, r.tokenLifetime = name, desc, m, targetID, scope, lifetime
	now := e.touch(&r.meta, before, c.caller)
	if wc.all != nil {
		// As the SDK documents, true keeps the explicit enablements (ignored
		// at exchange while it holds); false brings them back into force.
		r.allWorkspaces = *wc.all
	}
	if ws != nil {
		r.allWorkspaces = false
		if _, en := r.enablement(ws.id); en == nil {
			// The previous single enablement (if any) is replaced.
			r.enablements = []*enablement{{workspaceID: ws.id, createdAt: now, createdBy: c.caller.actorID}}
		}
	}
	return e.renderRule(r), nil
}

// lookupRuleWorkspace resolves a rule body's workspace_id: the SDK documents
// invalid references in a rule create or update as 400s.
func (e *Emulator) lookupRuleWorkspace(id string) (*workspace, *apiError) {
	w, err := e.lookupWorkspace(id)
	if err != nil && err.status == http.StatusNotFound {
		return nil, badRequest("%s", err.msg)
	}
	return w, err
}

func (r *rule) enablement(workspaceID string) (int, *enablement) {
	for i, en := range r.enablements {
		if en.workspaceID == workspaceID {
			return i, en
		}
	}
	return -1, nil
}

func (r *rule) enable(workspaceID string, now time.Time, who caller) *enablement {
	if _, en := r.enablement(workspaceID); en != nil {
		return en
	}
	en := &enablement{workspaceID: workspaceID, createdAt: now, createdBy: who.actorID}
	r.enablements = append(r.enablements, en)
	return en
}

func (e *Emulator) archiveRule(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.findRule(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	if r.live() {
		if err := guardPrivileged(r, c.caller); err != nil {
			return nil, err
		}
		if e.archive(&r.meta, e.renderRule(r), c.caller) {
			r.enablements = nil
		}
	}
	return e.renderRule(r), nil
}

type enablementJSON struct {
	Type             string  `json:"type"`
	FederationRuleID string  `json:"federation_rule_id"`
	WorkspaceID      string  `json:"workspace_id"`
	WorkspaceName    *string `json:"workspace_name"`
	CreatedAt        string  `json:"created_at"`
	CreatedByActorID string  `json:"created_by_actor_id"`
}

type enablementDeletedJSON struct {
	Type             string `json:"type"`
	FederationRuleID string `json:"federation_rule_id"`
	WorkspaceID      string `json:"workspace_id"`
}

// renderEnablement renders an enablement; workspace_name is set only when
// listing (the SDK documents it as null in the enable response).
func (e *Emulator) renderEnablement(r *rule, en *enablement, listing bool) enablementJSON {
	out := enablementJSON{
		Type:             "federation_rule_workspace",
		FederationRuleID: r.id,
		WorkspaceID:      en.workspaceID,
		CreatedAt:        fmtTime(en.createdAt),
		CreatedByActorID: en.createdBy,
	}
	if w, ok := e.wsByID[en.workspaceID]; ok && listing {
		out.WorkspaceName = &w.name
	}
	return out
}

type enableRequest struct {
	WorkspaceID opt[string] `json:"workspace_id"`
}

func (e *Emulator) enableRuleWorkspace(c *call) (any, error) {
	var req enableRequest
	if err := decodeBody(c.body, &req); err != nil {
		return nil, err
	}
	wsID, err := requiredString(req.WorkspaceID, "workspace_id")
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.writableRule(c, "")
	if err != nil {
		return nil, err
	}
	w, err := e.lookupWorkspace(wsID)
	if err != nil {
		return nil, err
	}
	if _, en := r.enablement(w.id); en != nil {
		return e.renderEnablement(r, en, false), nil
	}
	now := e.touch(&r.meta, e.renderRule(r), c.caller)
	return e.renderEnablement(r, r.enable(w.id, now, c.caller), false), nil
}

func (e *Emulator) listRuleWorkspaces(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.findRule(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	data := []enablementJSON{}
	for _, en := range r.enablements {
		data = append(data, e.renderEnablement(r, en, true))
	}
	return listPage{Data: data}, nil
}

func (e *Emulator) disableRuleWorkspace(c *call) (any, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, err := e.findRule(c.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	w, err := e.lookupWorkspace(c.r.PathValue("workspace_id"))
	if err != nil {
		return nil, err
	}
	if i, en := r.enablement(w.id); en != nil {
		if err := guardPrivileged(r, c.caller); err != nil {
			return nil, err
		}
		before := e.renderRule(r)
		r.enablements = slices.Delete(r.enablements, i, i+1)
		e.touch(&r.meta, before, c.caller)
	}
	// The SDK documents the id "named in the delete request"; the "default"
	// alias is answered with the real id, which the API always shows.
	return enablementDeletedJSON{Type: "federation_rule_workspace_deleted", FederationRuleID: r.id, WorkspaceID: w.id}, nil
}

// betaRuleJSON is a rule as the SDK's beta namespace (?beta=true) reads it:
// attributes (not supported, always null) and the legacy single-workspace
// binding workspace_id beside the GA members.
type betaRuleJSON struct {
	ruleJSON
	Attributes map[string]string `json:"attributes"`
	// WorkspaceID is the legacy binding: the rule's sole explicit workspace
	// when it is enabled in exactly one and not in all, else null.
	WorkspaceID *string `json:"workspace_id"`
}

func toBetaRule(r ruleJSON) betaRuleJSON {
	out := betaRuleJSON{ruleJSON: r}
	if !r.AppliesToAllWorkspaces && len(r.WorkspaceIDs) == 1 {
		id := r.WorkspaceIDs[0]
		out.WorkspaceID = &id
	}
	return out
}

// betaRules renders a rule route's answers in the beta shape when the request
// came through the SDK's beta namespace (?beta=true); the GA shape is
// unchanged.
func betaRules(h handlerFunc) handlerFunc {
	return func(c *call) (any, error) {
		out, err := h(c)
		if err != nil || c.r.URL.Query().Get("beta") != "true" {
			return out, err
		}
		switch v := out.(type) {
		case ruleJSON:
			return toBetaRule(v), nil
		case listPage:
			if items, ok := v.Data.([]any); ok {
				data := make([]any, len(items))
				for i, it := range items {
					if r, ok := it.(ruleJSON); ok {
						data[i] = toBetaRule(r)
					} else {
						data[i] = it
					}
				}
				v.Data = data
			}
			return v, nil
		}
		return out, nil
	}
}
