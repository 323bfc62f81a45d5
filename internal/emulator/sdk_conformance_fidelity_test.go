package emulator_test

// SDK conformance for the documented behaviour of workspaces, the
// organization, workspace-side memberships, interactive callers, multi-scope
// rules and the rule/issuer details, each driven through the
// official SDK's own methods.

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	sdkconfig "github.com/anthropics/anthropic-sdk-go/config"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
)

// listAllWorkspaces pages Workspaces.List with the SDK's after_id cursor.
func listAllWorkspaces(t *testing.T, env *sdkEnv, p anthropic.OrganizationWorkspaceListParams) []anthropic.Workspace {
	t.Helper()
	var out []anthropic.Workspace
	for range 20 {
		page, err := env.client.Organization.Workspaces.List(env.ctx, p)
		mustNoErr(t, "list workspaces", err)
		assertWire(t, "workspace page", page)
		out = append(out, page.Data...)
		if !page.HasMore {
			return out
		}
		p.AfterID = anthropic.String(page.LastID)
	}
	t.Fatal("workspace list did not end")
	return nil
}

// Point 1: the default workspace is an ordinary wrkspc_ id everywhere.
func TestSDKDefaultWorkspaceIsAnOrdinaryID(t *testing.T) {
	fx := newExchangeFixture(t)
	env := fx.env

	all := listAllWorkspaces(t, env, anthropic.OrganizationWorkspaceListParams{IncludeDefault: anthropic.Bool(true)})
	var def *anthropic.Workspace
	for i, w := range all {
		if w.ID == env.emu.DefaultWorkspaceID() {
			def = &all[i]
		}
	}
	if def == nil || !strings.HasPrefix(def.ID, "wrkspc_") {
		t.Fatalf("Workspaces.List(IncludeDefault) = %v, want the default workspace %s", ids(all, func(w anthropic.Workspace) string { return w.ID }), env.emu.DefaultWorkspaceID())
	}
	defID := def.ID
	for _, w := range listAllWorkspaces(t, env, anthropic.OrganizationWorkspaceListParams{}) {
		if w.ID == defID {
			t.Errorf("the default workspace is listed without include_default")
		}
	}

	// The implicit membership names it by that id.
	sa := env.newServiceAccount(t, "plain")
	page, err := env.client.Organization.ServiceAccounts.Workspaces.List(env.ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceListParams{})
	mustNoErr(t, "list memberships", err)
	if len(page.Data) != 1 || !page.Data[0].Implicit || page.Data[0].WorkspaceID != defID {
		t.Errorf("implicit membership = %s, want workspace_id %s", page.RawJSON(), defID)
	}

	// Rules: workspace_ids and the enablements hold it too.
	rules := &env.client.Organization.Federation.Rules
	added, err := rules.Workspaces.Add(env.ctx, fx.ruleID, anthropic.OrganizationFederationRuleWorkspaceAddParams{WorkspaceID: defID})
	mustNoErr(t, "enable the default workspace", err)
	if added.WorkspaceID != defID {
		t.Errorf("enablement workspace_id = %q, want %s", added.WorkspaceID, defID)
	}
	r, err := rules.Get(env.ctx, fx.ruleID)
	mustNoErr(t, "get rule", err)
	if !slices.Contains(r.WorkspaceIDs, defID) || slices.Contains(r.WorkspaceIDs, "default") {
		t.Errorf("workspace_ids = %v, want %s and never \"default\"", r.WorkspaceIDs, defID)
	}

	// The exchange accepts the literal "default" (the SDK documents it);
	// the authentication history still shows the id.
	p := fx.params(fx.mint(t))
	p.WorkspaceID = "default"
	_, err = sdkconfig.ExchangeFederationAssertion(env.ctx, p)
	mustNoErr(t, "exchange into \"default\"", err)
	if hist := env.emu.AuthHistory(); len(hist) == 0 || hist[0].WorkspaceID != defID {
		t.Errorf("history = %+v, want workspace_id %s", hist, defID)
	}
	removed, err := rules.Workspaces.Remove(env.ctx, "default", anthropic.OrganizationFederationRuleWorkspaceRemoveParams{FederationRuleID: fx.ruleID})
	mustNoErr(t, "disable by alias", err)
	if removed.WorkspaceID != defID {
		t.Errorf("delete answered workspace_id %q, want %s", removed.WorkspaceID, defID)
	}
}

// Point 2: the organization and workspaces as look-ups.
func TestSDKOrganizationAndWorkspaceLookups(t *testing.T) {
	env := newSDKEnv(t)
	org, err := env.client.Organization.Get(env.ctx)
	mustNoErr(t, "Organization.Get", err)
	assertWire(t, "organization", org)
	if org.ID != env.emu.OrganizationID() || org.Name == "" {
		t.Errorf("organization = %s, want id %s", org.RawJSON(), env.emu.OrganizationID())
	}

	ws := &env.client.Organization.Workspaces
	all := listAllWorkspaces(t, env, anthropic.OrganizationWorkspaceListParams{IncludeDefault: anthropic.Bool(true), Limit: anthropic.Int(1)})
	if len(all) < 4 {
		t.Fatalf("workspaces = %v, want the default one and a few seeded ones", ids(all, func(w anthropic.Workspace) string { return w.ID }))
	}
	first, err := ws.List(env.ctx, anthropic.OrganizationWorkspaceListParams{IncludeDefault: anthropic.Bool(true), Limit: anthropic.Int(2)})
	mustNoErr(t, "first page", err)
	if len(first.Data) != 2 || !first.HasMore || first.FirstID != all[0].ID || first.LastID != all[1].ID {
		t.Errorf("first page = %s", first.RawJSON())
	}
	back, err := ws.List(env.ctx, anthropic.OrganizationWorkspaceListParams{IncludeDefault: anthropic.Bool(true), BeforeID: anthropic.String(all[2].ID), Limit: anthropic.Int(1)})
	mustNoErr(t, "before_id", err)
	if len(back.Data) != 1 || back.Data[0].ID != all[1].ID || !back.HasMore {
		t.Errorf("before_id page = %s, want %s with more before it", back.RawJSON(), all[1].ID)
	}
	_, err = ws.List(env.ctx, anthropic.OrganizationWorkspaceListParams{Limit: anthropic.Int(1001)})
	apiError(t, err, http.StatusBadRequest, "invalid_request_error")

	prod := workspaceID(t, env.emu, "production")
	got, err := ws.Get(env.ctx, prod)
	mustNoErr(t, "Workspaces.Get", err)
	assertWire(t, "workspace", got)
	if got.ID != prod || got.Name != "production" {
		t.Errorf("workspace = %s", got.RawJSON())
	}
	def, err := ws.Get(env.ctx, env.emu.DefaultWorkspaceID())
	mustNoErr(t, "get the default workspace", err)
	if def.ID != env.emu.DefaultWorkspaceID() {
		t.Errorf("default workspace = %s", def.RawJSON())
	}
	_, err = ws.Get(env.ctx, "wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA")
	apiError(t, err, http.StatusNotFound, "not_found_error")
}

// Point 3: the five workspace-side membership routes over the same memberships.
func TestSDKWorkspaceServiceAccounts(t *testing.T) {
	env := newSDKEnv(t)
	members := &env.client.Organization.Workspaces.ServiceAccounts
	prod := workspaceID(t, env.emu, "production")
	defID := env.emu.DefaultWorkspaceID()
	a := env.newServiceAccount(t, "alpha")
	b := env.newServiceAccount(t, "beta")

	m, err := members.Add(env.ctx, prod, anthropic.OrganizationWorkspaceServiceAccountAddParams{ServiceAccountID: a.ID, WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceDeveloper})
	mustNoErr(t, "Add", err)
	assertWire(t, "workspace member", m)
	if m.ServiceAccountID != a.ID || m.WorkspaceID != prod || m.WorkspaceRole != "workspace_developer" || m.Implicit {
		t.Errorf("added = %s", m.RawJSON())
	}
	_, err = members.Add(env.ctx, prod, anthropic.OrganizationWorkspaceServiceAccountAddParams{ServiceAccountID: b.ID, WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceUser})
	mustNoErr(t, "Add b", err)

	// The role changes in place.
	up, err := members.Update(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountUpdateParams{WorkspaceID: prod, WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceAdmin})
	mustNoErr(t, "Update", err)
	if up.WorkspaceRole != "workspace_admin" {
		t.Errorf("updated = %s", up.RawJSON())
	}
	got, err := members.Get(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountGetParams{WorkspaceID: prod})
	mustNoErr(t, "Get", err)
	if got.WorkspaceRole != "workspace_admin" {
		t.Errorf("get = %s", got.RawJSON())
	}
	// The service-account side sees the same membership.
	side, err := env.client.Organization.ServiceAccounts.Workspaces.List(env.ctx, a.ID, anthropic.OrganizationServiceAccountWorkspaceListParams{})
	mustNoErr(t, "service-account side list", err)
	if len(side.Data) != 2 || side.Data[1].WorkspaceID != prod || side.Data[1].WorkspaceRole != "workspace_admin" {
		t.Errorf("service-account side = %s", side.RawJSON())
	}

	// The list pages with limit/next_page and holds explicit members only.
	page, err := members.List(env.ctx, prod, anthropic.OrganizationWorkspaceServiceAccountListParams{Limit: anthropic.Int(1)})
	mustNoErr(t, "List", err)
	assertWire(t, "workspace member page", page)
	if len(page.Data) != 1 || page.Data[0].ServiceAccountID != a.ID || page.NextPage == "" {
		t.Fatalf("first page = %s", page.RawJSON())
	}
	next, err := members.List(env.ctx, prod, anthropic.OrganizationWorkspaceServiceAccountListParams{Limit: anthropic.Int(1), Page: anthropic.String(page.NextPage)})
	mustNoErr(t, "List page 2", err)
	if len(next.Data) != 1 || next.Data[0].ServiceAccountID != b.ID || next.NextPage != "" {
		t.Errorf("second page = %s", next.RawJSON())
	}
	defPage, err := members.List(env.ctx, defID, anthropic.OrganizationWorkspaceServiceAccountListParams{})
	mustNoErr(t, "List default", err)
	if len(defPage.Data) != 0 {
		t.Errorf("default workspace list = %s, want no implicit entries", defPage.RawJSON())
	}

	// The default workspace: the implicit membership reads, cannot change
	// role, and an explicit one deleted reverts to it.
	implicit, err := members.Get(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountGetParams{WorkspaceID: defID})
	mustNoErr(t, "Get implicit", err)
	if !implicit.Implicit || implicit.WorkspaceRole != "workspace_user" || implicit.WorkspaceID != defID {
		t.Errorf("implicit = %s", implicit.RawJSON())
	}
	_, err = members.Update(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountUpdateParams{WorkspaceID: defID, WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceAdmin})
	apiError(t, err, http.StatusNotFound, "not_found_error")
	_, err = members.Add(env.ctx, defID, anthropic.OrganizationWorkspaceServiceAccountAddParams{ServiceAccountID: a.ID, WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceDeveloper})
	mustNoErr(t, "Add explicit default", err)
	_, err = members.Update(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountUpdateParams{WorkspaceID: defID, WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceAdmin})
	mustNoErr(t, "Update explicit default", err)
	del, err := members.Remove(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountRemoveParams{WorkspaceID: defID})
	mustNoErr(t, "Remove explicit default", err)
	assertWire(t, "workspace member removal", del)
	if del.WorkspaceID != defID || del.ServiceAccountID != a.ID {
		t.Errorf("removal = %s", del.RawJSON())
	}
	reverted, err := members.Get(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountGetParams{WorkspaceID: defID})
	mustNoErr(t, "Get after removal", err)
	if !reverted.Implicit || reverted.WorkspaceRole != "workspace_user" {
		t.Errorf("after removing the explicit default membership = %s, want the implicit one", reverted.RawJSON())
	}
	// Removing the implicit one is a no-op 200; a non-member reads 404.
	_, err = members.Remove(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountRemoveParams{WorkspaceID: defID})
	mustNoErr(t, "Remove implicit", err)
	_, err = members.Remove(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountRemoveParams{WorkspaceID: prod})
	mustNoErr(t, "Remove", err)
	_, err = members.Get(env.ctx, a.ID, anthropic.OrganizationWorkspaceServiceAccountGetParams{WorkspaceID: prod})
	apiError(t, err, http.StatusNotFound, "not_found_error")

	// Archived service accounts: omitted from the list, 404 on read.
	_, err = env.client.Organization.ServiceAccounts.Archive(env.ctx, b.ID)
	mustNoErr(t, "archive b", err)
	after, err := members.List(env.ctx, prod, anthropic.OrganizationWorkspaceServiceAccountListParams{})
	mustNoErr(t, "List after archive", err)
	if len(after.Data) != 0 {
		t.Errorf("list after archive = %s", after.RawJSON())
	}
	_, err = members.Get(env.ctx, b.ID, anthropic.OrganizationWorkspaceServiceAccountGetParams{WorkspaceID: prod})
	apiError(t, err, http.StatusNotFound, "not_found_error")
}

// orgAdminFixture is an admin service account created with the user's OAuth
// token and an org:admin rule for the local Google's default account, made
// from a Console session.
func orgAdminFixture(t *testing.T, env *sdkEnv, scope string) (sa *anthropic.ServiceAccount, ruleID string, params func() sdkconfig.FederationExchangeParams) {
	t.Helper()
	sa, err := env.client.Organization.ServiceAccounts.New(env.ctx, anthropic.OrganizationServiceAccountNewParams{
		Name:             "terraform-admin",
		OrganizationRole: anthropic.OrganizationServiceAccountNewParamsOrganizationRoleAdmin,
	})
	mustNoErr(t, "a user's OAuth token creates an admin service account", err)
	iss := env.newGoogleIssuer(t, "google-admin")
	console := env.newClient(option.WithAuthToken(env.emu.ConsoleToken()))
	google := env.emu.Google().DefaultServiceAccount()
	r, err := console.Organization.Federation.Rules.New(env.ctx, anthropic.OrganizationFederationRuleNewParams{
		Name: "terraform", IssuerID: iss.ID, Match: googlePin(google),
		Target:     anthropic.ServiceAccountTargetParam{ServiceAccountID: sa.ID},
		OAuthScope: scope, WorkspaceID: anthropic.String(env.emu.DefaultWorkspaceID()),
	})
	mustNoErr(t, "create org:admin rule from the Console", err)
	return sa, r.ID, func() sdkconfig.FederationExchangeParams {
		tok, err := env.emu.Google().Mint(google.Email, anthropicAudience, true, nil)
		mustNoErr(t, "mint", err)
		return sdkconfig.FederationExchangeParams{
			Assertion: tok, FederationRuleID: r.ID, OrganizationID: env.emu.OrganizationID(), ServiceAccountID: sa.ID,
			BaseURL: env.srv.URL, HTTPClient: env.srv.Client(),
		}
	}
}

// Point 4: a user's OAuth token is interactive, a minted token is not;
// demoting an admin is allowed and its org:admin rule is then refused.
func TestSDKInteractiveCallers(t *testing.T) {
	env := newSDKEnv(t)
	sas := &env.client.Organization.ServiceAccounts
	sa, _, params := orgAdminFixture(t, env, "org:admin")

	creds, err := sdkconfig.ExchangeFederationAssertion(env.ctx, params())
	mustNoErr(t, "exchange through the org:admin rule", err)
	robot := env.newClient(option.WithAuthToken(creds.AccessToken), option.WithHeader("anthropic-beta", sdkconfig.OAuthAPIBetaHeader))
	dev, err := robot.Organization.ServiceAccounts.New(env.ctx, anthropic.OrganizationServiceAccountNewParams{Name: "robot-dev"})
	mustNoErr(t, "a minted token creates a developer service account", err)
	_, err = robot.Organization.ServiceAccounts.New(env.ctx, anthropic.OrganizationServiceAccountNewParams{
		Name: "robot-admin", OrganizationRole: anthropic.OrganizationServiceAccountNewParamsOrganizationRoleAdmin,
	})
	apiError(t, err, http.StatusForbidden, "permission_error")
	_, err = robot.Organization.ServiceAccounts.Update(env.ctx, dev.ID, anthropic.OrganizationServiceAccountUpdateParams{
		OrganizationRole: anthropic.OrganizationServiceAccountUpdateParamsOrganizationRoleAdmin,
	})
	apiError(t, err, http.StatusForbidden, "permission_error")

	// The user promotes and demotes; demoting the rule's target is allowed.
	promoted, err := sas.Update(env.ctx, dev.ID, anthropic.OrganizationServiceAccountUpdateParams{OrganizationRole: anthropic.OrganizationServiceAccountUpdateParamsOrganizationRoleAdmin})
	mustNoErr(t, "promote", err)
	if promoted.OrganizationRole != anthropic.ServiceAccountOrganizationRoleAdmin {
		t.Errorf("promoted = %s", promoted.RawJSON())
	}
	demoted, err := sas.Update(env.ctx, sa.ID, anthropic.OrganizationServiceAccountUpdateParams{OrganizationRole: anthropic.OrganizationServiceAccountUpdateParamsOrganizationRoleDeveloper})
	mustNoErr(t, "demote the target of a live org:admin rule", err)
	if demoted.OrganizationRole != anthropic.ServiceAccountOrganizationRoleDeveloper {
		t.Errorf("demoted = %s", demoted.RawJSON())
	}
	_, err = sdkconfig.ExchangeFederationAssertion(env.ctx, params())
	if err == nil {
		t.Fatal("the org:admin rule of a demoted service account still mints")
	}
	if hist := env.emu.AuthHistory(); len(hist) == 0 || hist[0].Reason != emulator.ReasonTargetNotAdmin {
		t.Errorf("history = %+v, want the denial reason %s", hist, emulator.ReasonTargetNotAdmin)
	}
}

// Point 5: oauth_scope is space-separated.
func TestSDKMultiScopeRules(t *testing.T) {
	fx := newExchangeFixture(t)
	env := fx.env
	rules := &env.client.Organization.Federation.Rules
	const both = "workspace:inference workspace:developer"
	r, err := rules.Update(env.ctx, fx.ruleID, anthropic.OrganizationFederationRuleUpdateParams{OAuthScope: anthropic.String(both)})
	mustNoErr(t, "an OAuth caller sets two workspace scopes", err)
	if r.OAuthScope != both {
		t.Errorf("oauth_scope = %q, want %q as sent", r.OAuthScope, both)
	}
	rec := &tokenResponseRecorder{next: env.srv.Client().Transport}
	p := fx.params(fx.mint(t))
	p.HTTPClient = &http.Client{Transport: rec}
	creds, err := sdkconfig.ExchangeFederationAssertion(env.ctx, p)
	mustNoErr(t, "exchange", err)
	if len(rec.resp) != 1 || rec.resp[0]["scope"] != both {
		t.Errorf("minted scope = %v, want %q", rec.resp, both)
	}
	fx.ask(t, env.newClient(option.WithAuthToken(creds.AccessToken), option.WithHeader("anthropic-beta", sdkconfig.OAuthAPIBetaHeader)))

	for scope, status := range map[string]int{
		"workspace:developer org:admin":                http.StatusForbidden,
		"workspace:developer workspace:manage_tunnels": http.StatusForbidden,
		"workspace:developer workspace:developer":      http.StatusBadRequest,
		"workspace:developer org:read":                 http.StatusBadRequest,
		"":                                             http.StatusBadRequest,
	} {
		_, err := rules.Update(env.ctx, fx.ruleID, anthropic.OrganizationFederationRuleUpdateParams{OAuthScope: anthropic.String(scope)})
		if status == http.StatusForbidden {
			apiError(t, err, status, "permission_error")
		} else {
			apiError(t, err, status, "invalid_request_error")
		}
	}
	// org:admin among several scopes still needs an admin target.
	console := env.newClient(option.WithAuthToken(env.emu.ConsoleToken()))
	_, err = console.Organization.Federation.Rules.Update(env.ctx, fx.ruleID, anthropic.OrganizationFederationRuleUpdateParams{OAuthScope: anthropic.String("workspace:developer org:admin")})
	apiError(t, err, http.StatusBadRequest, "invalid_request_error")
}

// Point 6: rules and issuers as documented.
func TestSDKRulesAndIssuersAsDocumented(t *testing.T) {
	fx := newExchangeFixture(t)
	env := fx.env
	rules := &env.client.Organization.Federation.Rules
	staging := workspaceID(t, env.emu, "staging")

	// applies_to_all_workspaces: true keeps the explicit enablements, and
	// enabling more stays possible.
	r, err := rules.Update(env.ctx, fx.ruleID, anthropic.OrganizationFederationRuleUpdateParams{AppliesToAllWorkspaces: anthropic.Bool(true)})
	mustNoErr(t, "apply to all", err)
	if !r.AppliesToAllWorkspaces || !slices.Equal(r.WorkspaceIDs, []string{fx.wsID}) {
		t.Errorf("after applies_to_all_workspaces true = %s, want the enablement %s kept", r.RawJSON(), fx.wsID)
	}
	_, err = rules.Workspaces.Add(env.ctx, fx.ruleID, anthropic.OrganizationFederationRuleWorkspaceAddParams{WorkspaceID: staging})
	mustNoErr(t, "enable another workspace while applying to all", err)
	r, err = rules.Update(env.ctx, fx.ruleID, anthropic.OrganizationFederationRuleUpdateParams{AppliesToAllWorkspaces: anthropic.Bool(false)})
	mustNoErr(t, "narrow back", err)
	if r.AppliesToAllWorkspaces || !slices.Equal(r.WorkspaceIDs, []string{fx.wsID, staging}) {
		t.Errorf("after narrowing = %s", r.RawJSON())
	}

	// The beta surface: attributes null and the legacy workspace_id.
	_, err = rules.Workspaces.Remove(env.ctx, staging, anthropic.OrganizationFederationRuleWorkspaceRemoveParams{FederationRuleID: fx.ruleID})
	mustNoErr(t, "disable staging", err)
	beta, err := env.client.Beta.Organization.Federation.Rules.Get(env.ctx, fx.ruleID, anthropic.BetaOrganizationFederationRuleGetParams{})
	mustNoErr(t, "beta Get", err)
	assertWire(t, "beta rule", beta)
	if beta.JSON.Attributes.Raw() != "null" || beta.WorkspaceID != fx.wsID || !slices.Equal(beta.WorkspaceIDs, []string{fx.wsID}) {
		t.Errorf("beta rule = %s, want attributes null and workspace_id %s", beta.RawJSON(), fx.wsID)
	}

	// Inline-key issuers have no poll status.
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	mustNoErr(t, "decode Google JWKS", json.Unmarshal(env.emu.Google().JWKS(), &set))
	inline, err := env.client.Organization.Federation.Issuers.New(env.ctx, anthropic.OrganizationFederationIssuerNewParams{
		Name: "inline", IssuerURL: "https://ci.example.com",
		JWKS: anthropic.OrganizationFederationIssuerNewParamsJWKSUnion{OfInline: &anthropic.JWKSInlineParam{Keys: set.Keys}},
	})
	mustNoErr(t, "create inline issuer", err)
	if inline.JSON.PollStatus.Raw() != "null" {
		t.Errorf("inline issuer poll_status = %s, want null", inline.JSON.PollStatus.Raw())
	}

	// An issuer backing a rule scoped beyond developer/inference is updated
	// from a Console session only.
	_, ruleID, _ := orgAdminFixture(t, env, "org:admin")
	admin, err := rules.Get(env.ctx, ruleID)
	mustNoErr(t, "get org:admin rule", err)
	_, err = env.client.Organization.Federation.Issuers.Update(env.ctx, admin.IssuerID, anthropic.OrganizationFederationIssuerUpdateParams{CheckJTI: anthropic.Bool(false)})
	apiError(t, err, http.StatusForbidden, "permission_error")
	console := env.newClient(option.WithAuthToken(env.emu.ConsoleToken()))
	_, err = console.Organization.Federation.Issuers.Update(env.ctx, admin.IssuerID, anthropic.OrganizationFederationIssuerUpdateParams{CheckJTI: anthropic.Bool(false)})
	mustNoErr(t, "update from the Console", err)
}
