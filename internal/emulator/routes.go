package emulator

import (
	"net/http"
	"strings"
)

// Routes are the Go 1.22 ServeMux patterns the emulator registers. Use them
// with InjectFault and RequestCount.
const (
	RouteCreateServiceAccount          = "POST /v1/organizations/service_accounts"
	RouteListServiceAccounts           = "GET /v1/organizations/service_accounts"
	RouteGetServiceAccount             = "GET /v1/organizations/service_accounts/{id}"
	RouteUpdateServiceAccount          = "POST /v1/organizations/service_accounts/{id}"
	RouteArchiveServiceAccount         = "POST /v1/organizations/service_accounts/{id}/archive"
	RouteAddServiceAccountWorkspace    = "POST /v1/organizations/service_accounts/{id}/workspaces"
	RouteListServiceAccountWorkspaces  = "GET /v1/organizations/service_accounts/{id}/workspaces"
	RouteRemoveServiceAccountWorkspace = "DELETE /v1/organizations/service_accounts/{id}/workspaces/{workspace_id}"

	RouteCreateIssuer  = "POST /v1/organizations/federation_issuers"
	RouteListIssuers   = "GET /v1/organizations/federation_issuers"
	RouteGetIssuer     = "GET /v1/organizations/federation_issuers/{id}"
	RouteUpdateIssuer  = "POST /v1/organizations/federation_issuers/{id}"
	RouteArchiveIssuer = "POST /v1/organizations/federation_issuers/{id}/archive"

	RouteCreateRule           = "POST /v1/organizations/federation_rules"
	RouteListRules            = "GET /v1/organizations/federation_rules"
	RouteGetRule              = "GET /v1/organizations/federation_rules/{id}"
	RouteUpdateRule           = "POST /v1/organizations/federation_rules/{id}"
	RouteArchiveRule          = "POST /v1/organizations/federation_rules/{id}/archive"
	RouteEnableRuleWorkspace  = "POST /v1/organizations/federation_rules/{id}/workspaces"
	RouteListRuleWorkspaces   = "GET /v1/organizations/federation_rules/{id}/workspaces"
	RouteDisableRuleWorkspace = "DELETE /v1/organizations/federation_rules/{id}/workspaces/{workspace_id}"

	RouteGetOrganization               = "GET /v1/organizations/me"
	RouteListWorkspaces                = "GET /v1/organizations/workspaces"
	RouteGetWorkspace                  = "GET /v1/organizations/workspaces/{id}"
	RouteListWorkspaceServiceAccounts  = "GET /v1/organizations/workspaces/{workspace_id}/service_accounts"
	RouteAddWorkspaceServiceAccount    = "POST /v1/organizations/workspaces/{workspace_id}/service_accounts"
	RouteGetWorkspaceServiceAccount    = "GET /v1/organizations/workspaces/{workspace_id}/service_accounts/{service_account_id}"
	RouteUpdateWorkspaceServiceAccount = "POST /v1/organizations/workspaces/{workspace_id}/service_accounts/{service_account_id}"
	RouteRemoveWorkspaceServiceAccount = "DELETE /v1/organizations/workspaces/{workspace_id}/service_accounts/{service_account_id}"

	RouteOAuthToken = "POST /v1/oauth/token"
	RouteMessages   = "POST /v1/messages"

	// RouteAuthenticationHistory is emulator-only: the real service shows
	// why an exchange was denied only in the Console.
	RouteAuthenticationHistory = "GET /v1/organizations/federation_authentication_history"
)

// handlerFunc answers one routed, authenticated request: a value to encode as
// the 200 body, or an error (an *apiError, or anything else for a 500).
type handlerFunc func(c *call) (any, error)

type route struct {
	pattern string
	h       handlerFunc
	// public routes need no credential (the token exchange).
	public bool
}

func (e *Emulator) routeTable() []route {
	return []route{
		{pattern: RouteCreateServiceAccount, h: e.createServiceAccount},
		{pattern: RouteListServiceAccounts, h: e.listServiceAccounts},
		{pattern: RouteGetServiceAccount, h: e.getServiceAccount},
		{pattern: RouteUpdateServiceAccount, h: e.updateServiceAccount},
		{pattern: RouteArchiveServiceAccount, h: e.archiveServiceAccount},
		{pattern: RouteAddServiceAccountWorkspace, h: e.addMembership},
		{pattern: RouteListServiceAccountWorkspaces, h: e.listMemberships},
		{pattern: RouteRemoveServiceAccountWorkspace, h: e.removeMembership},

		{pattern: RouteCreateIssuer, h: e.createIssuer},
		{pattern: RouteListIssuers, h: e.listIssuers},
		{pattern: RouteGetIssuer, h: e.getIssuer},
		{pattern: RouteUpdateIssuer, h: e.updateIssuer},
		{pattern: RouteArchiveIssuer, h: e.archiveIssuer},

		{pattern: RouteCreateRule, h: betaRules(e.createRule)},
		{pattern: RouteListRules, h: betaRules(e.listRules)},
		{pattern: RouteGetRule, h: betaRules(e.getRule)},
		{pattern: RouteUpdateRule, h: betaRules(e.updateRule)},
		{pattern: RouteArchiveRule, h: betaRules(e.archiveRule)},
		{pattern: RouteEnableRuleWorkspace, h: e.enableRuleWorkspace},
		{pattern: RouteListRuleWorkspaces, h: e.listRuleWorkspaces},
		{pattern: RouteDisableRuleWorkspace, h: e.disableRuleWorkspace},

		{pattern: RouteGetOrganization, h: e.getOrganization},
		{pattern: RouteListWorkspaces, h: e.listWorkspaces},
		{pattern: RouteGetWorkspace, h: e.getWorkspace},
		{pattern: RouteListWorkspaceServiceAccounts, h: e.listWorkspaceMembers},
		{pattern: RouteAddWorkspaceServiceAccount, h: e.addWorkspaceMember},
		{pattern: RouteGetWorkspaceServiceAccount, h: e.getWorkspaceMember},
		{pattern: RouteUpdateWorkspaceServiceAccount, h: e.updateWorkspaceMember},
		{pattern: RouteRemoveWorkspaceServiceAccount, h: e.removeWorkspaceMember},

		{pattern: RouteAuthenticationHistory, h: e.listAuthHistory},

		{pattern: RouteOAuthToken, h: e.oauthToken, public: true},
		// Messages authenticates minted tokens itself.
		{pattern: RouteMessages, h: e.createMessage, public: true},
	}
}

// Routes lists every pattern the emulator serves.
func Routes() []string {
	var e Emulator
	table := e.routeTable()
	out := make([]string, len(table))
	for i, rt := range table {
		out[i] = rt.pattern
	}
	return out
}

func (e *Emulator) routes() (mux, pathMux *http.ServeMux) {
	mux = http.NewServeMux()
	pathMux = http.NewServeMux()
	seen := map[string]bool{}
	for _, rt := range e.routeTable() {
		mux.Handle(rt.pattern, e.routeHandler(rt))
		_, path, _ := strings.Cut(rt.pattern, " ")
		if !seen[path] {
			seen[path] = true
			pathMux.Handle(path, http.NotFoundHandler())
		}
	}
	// A catch-all keeps unmatched requests inside the API's error envelope
	// instead of ServeMux's plain-text 404/405.
	mux.HandleFunc("/", e.unrouted)
	return mux, pathMux
}

func isKnownRoute(pattern string) bool {
	for _, p := range Routes() {
		if p == pattern {
			return true
		}
	}
	return false
}
