package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
)

// These tests drive the typed client against the emulator: the two were
// written from the contract independently, so agreement here is evidence
// that both speak the same wire format.

func newEmulatorClient(t *testing.T, retries int) (*emulator.Emulator, *client.Client) {
	t.Helper()
	emu := emulator.New(emulator.Options{})
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	c, err := client.New(client.Options{
		BaseURL:      srv.URL,
		AuthToken:    emu.AdminToken(),
		Version:      "test",
		MaxRetries:   retries,
		RetryWaitMin: time.Millisecond,
		RetryWaitMax: 5 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return emu, c
}

func TestEmulatorServiceAccountRoundTrip(t *testing.T) {
	ctx := context.Background()
	emu, c := newEmulatorClient(t, 0)
	desc := "first"
	sa, err := c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "round-trip", Description: &desc})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Type != "service_account" || sa.OrganizationRole != "developer" || sa.Description != "first" || sa.CreatedByActorID != emu.UserID() {
		t.Fatalf("unexpected create result: %+v", sa)
	}
	if _, err := c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "round-trip"}); !client.IsConflict(err) {
		t.Fatalf("duplicate name: want 409, got %v", err)
	}
	// Omitted leaves unchanged, explicit null clears.
	sa, err = c.UpdateServiceAccount(ctx, sa.ID, client.ServiceAccountUpdateParams{})
	if err != nil || sa.Description != "first" {
		t.Fatalf("empty update changed the object: %+v %v", sa, err)
	}
	sa, err = c.UpdateServiceAccount(ctx, sa.ID, client.ServiceAccountUpdateParams{Description: client.Null[string]()})
	if err != nil || sa.Description != "" {
		t.Fatalf("null did not clear: %+v %v", sa, err)
	}
	// A user's OAuth token is an interactive credential: it promotes and demotes.
	if sa, err = c.UpdateServiceAccount(ctx, sa.ID, client.ServiceAccountUpdateParams{OrganizationRole: client.Set("admin")}); err != nil || sa.OrganizationRole != "admin" {
		t.Fatalf("user's OAuth token granting admin: %+v %v", sa, err)
	}
	if sa, err = c.UpdateServiceAccount(ctx, sa.ID, client.ServiceAccountUpdateParams{OrganizationRole: client.Set("developer")}); err != nil || sa.OrganizationRole != "developer" {
		t.Fatalf("demoting: %+v %v", sa, err)
	}
	ws, _ := emu.WorkspaceByName("production")
	if _, err := c.AddServiceAccountWorkspace(ctx, sa.ID, ws.ID, "workspace_developer"); err != nil {
		t.Fatal(err)
	}
	members, err := c.ListServiceAccountWorkspaces(ctx, sa.ID)
	if err != nil || len(members) != 2 || !members[0].Implicit || members[1].WorkspaceID != ws.ID {
		t.Fatalf("memberships: %+v %v", members, err)
	}
	// Adding an existing membership replaces its role.
	if m, err := c.AddServiceAccountWorkspace(ctx, sa.ID, ws.ID, "workspace_user"); err != nil || m.WorkspaceRole != "workspace_user" {
		t.Fatalf("re-adding with another role: %+v %v", m, err)
	}
	// Removing the implicit default membership succeeds and changes nothing.
	if err := c.RemoveServiceAccountWorkspace(ctx, sa.ID, "default"); err != nil {
		t.Fatalf("removing the implicit membership: %v", err)
	}
	// Memberships come back in creation order, the implicit entry first.
	for _, name := range []string{"staging", "research"} {
		w, _ := emu.WorkspaceByName(name)
		if _, err := c.AddServiceAccountWorkspace(ctx, sa.ID, w.ID, "workspace_user"); err != nil {
			t.Fatal(err)
		}
	}
	members, err = c.ListServiceAccountWorkspaces(ctx, sa.ID)
	if err != nil || len(members) != 4 || !members[0].Implicit || members[1].WorkspaceID != ws.ID || members[1].WorkspaceRole != "workspace_user" {
		t.Fatalf("memberships after role change: %+v %v", members, err)
	}
	for _, name := range []string{"staging", "research"} {
		w, _ := emu.WorkspaceByName(name)
		if err := c.RemoveServiceAccountWorkspace(ctx, sa.ID, w.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.RemoveServiceAccountWorkspace(ctx, sa.ID, ws.ID); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveServiceAccountWorkspace(ctx, sa.ID, ws.ID); err != nil {
		t.Fatalf("remove is idempotent, got %v", err)
	}
	first, err := c.ArchiveServiceAccount(ctx, sa.ID)
	if err != nil || !first.IsArchived() {
		t.Fatalf("archive: %+v %v", first, err)
	}
	again, err := c.ArchiveServiceAccount(ctx, sa.ID)
	if err != nil || !again.ArchivedAt.Equal(*first.ArchivedAt) {
		t.Fatalf("archive is idempotent and keeps the first archived_at: %+v %v", again, err)
	}
	// An archived service account lists no memberships.
	if members, err := c.ListServiceAccountWorkspaces(ctx, sa.ID); err != nil || len(members) != 0 {
		t.Fatalf("memberships of an archived account: %+v %v", members, err)
	}
	if _, err := c.GetServiceAccount(ctx, "svac_01ABCDEFGHIJKLMNOPQRSTUVWX"); !client.IsNotFound(err) {
		t.Fatalf("unknown id: want 404, got %v", err)
	}
	var apiErr *client.APIError
	_, err = c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "Not A Slug"})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Type != "invalid_request_error" || apiErr.RequestID == "" {
		t.Fatalf("validation error: %#v", err)
	}
}

func TestEmulatorIssuerAndRuleRoundTrip(t *testing.T) {
	ctx := context.Background()
	emu, c := newEmulatorClient(t, 0)
	sa, err := c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "worker"})
	if err != nil {
		t.Fatal(err)
	}
	iss, err := c.CreateFederationIssuer(ctx, client.FederationIssuerCreateParams{Name: "google", IssuerURL: "https://accounts.google.com"})
	if err != nil {
		t.Fatal(err)
	}
	if iss.JWKS.Type != client.JWKSTypeDiscovery || !iss.CheckJTI || iss.MaxJWTLifetimeSeconds != 3600 {
		t.Fatalf("issuer defaults: %+v", iss)
	}
	ws, _ := emu.WorkspaceByName("production")
	aud := "https://api.anthropic.com"
	rule, err := c.CreateFederationRule(ctx, client.FederationRuleCreateParams{
		Name:     "worker-rule",
		IssuerID: iss.ID,
		Match: client.RuleMatch{
			Audience: &aud,
			Claims:   map[string]string{"sub": "123456789012345678901", "email": "worker@p.iam.gserviceaccount.com"},
		},
		Target:      client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID},
		OAuthScope:  "workspace:developer",
		WorkspaceID: &ws.ID,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rule.IssuerName != "google" || rule.Target.ServiceAccountName != "worker" || len(rule.WorkspaceIDs) != 1 || rule.WorkspaceIDs[0] != ws.ID || rule.TokenLifetimeSeconds != 3600 {
		t.Fatalf("rule as created: %+v", rule)
	}
	// Tenant pinning is enforced by the service on Google rules.
	prefix := "1*"
	_, err = c.CreateFederationRule(ctx, client.FederationRuleCreateParams{
		Name: "too-wide", IssuerID: iss.ID, Match: client.RuleMatch{SubjectPrefix: &prefix},
		Target: client.RuleTarget{Type: "service_account", ServiceAccountID: sa.ID}, OAuthScope: "workspace:developer", WorkspaceID: &ws.ID,
	})
	if !client.IsBadRequest(err) {
		t.Fatalf("Google subject_prefix: want 400, got %v", err)
	}
	staging, _ := emu.WorkspaceByName("staging")
	if _, err := c.EnableFederationRuleWorkspace(ctx, rule.ID, staging.ID); err != nil {
		t.Fatal(err)
	}
	enabled, err := c.ListFederationRuleWorkspaces(ctx, rule.ID)
	if err != nil || len(enabled) != 2 {
		t.Fatalf("enablements: %+v %v", enabled, err)
	}
	if _, err := c.ArchiveServiceAccount(ctx, sa.ID); !client.IsBadRequest(err) {
		t.Fatalf("archiving a service account a live rule targets: want 400, got %v", err)
	}
	if _, err := c.ArchiveFederationIssuer(ctx, iss.ID); !client.IsBadRequest(err) {
		t.Fatalf("archiving an issuer a live rule uses: want 400, got %v", err)
	}
	lifetime := int64(900)
	updated, err := c.UpdateFederationRule(ctx, rule.ID, client.FederationRuleUpdateParams{TokenLifetimeSeconds: client.Set(lifetime)})
	if err != nil || updated.TokenLifetimeSeconds != 900 || updated.Match.Claims["email"] != "worker@p.iam.gserviceaccount.com" {
		t.Fatalf("partial update: %+v %v", updated, err)
	}
	rules, err := client.Collect(c.ListFederationRules(ctx, client.FederationRuleListParams{IssuerID: iss.ID}))
	if err != nil || len(rules) != 1 {
		t.Fatalf("rules by issuer: %d %v", len(rules), err)
	}
	if _, err := c.ArchiveFederationRule(ctx, rule.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ArchiveServiceAccount(ctx, sa.ID); err != nil {
		t.Fatalf("archive after the rule is gone: %v", err)
	}
}

func TestEmulatorPagination(t *testing.T) {
	ctx := context.Background()
	_, c := newEmulatorClient(t, 0)
	for i := range 25 {
		if _, err := c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: fmt.Sprintf("sa-%02d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	archived, err := c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "archived"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ArchiveServiceAccount(ctx, archived.ID); err != nil {
		t.Fatal(err)
	}
	live, err := client.Collect(c.ListServiceAccounts(ctx, client.ListParams{Limit: 7}))
	if err != nil || len(live) != 25 {
		t.Fatalf("live list: %d %v", len(live), err)
	}
	// The API lists service accounts newest first (as the SDK documents).
	for i, sa := range live {
		if want := fmt.Sprintf("sa-%02d", 24-i); sa.Name != want {
			t.Fatalf("item %d = %s, want %s (newest first across pages)", i, sa.Name, want)
		}
	}
	all, err := client.Collect(c.ListServiceAccounts(ctx, client.ListParams{Limit: 100, IncludeArchived: true}))
	if err != nil || len(all) != 26 {
		t.Fatalf("include_archived list: %d %v", len(all), err)
	}
}

func TestEmulatorRetryPolicy(t *testing.T) {
	ctx := context.Background()
	emu, c := newEmulatorClient(t, 3)
	sa, err := c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "retry"})
	if err != nil {
		t.Fatal(err)
	}

	// Reads are retried through overload, honouring retry-after.
	emu.ResetCounters()
	emu.InjectFault(emulator.RouteGetServiceAccount, emulator.Fault{Status: 529, Times: 2, RetryAfter: time.Millisecond})
	if _, err := c.GetServiceAccount(ctx, sa.ID); err != nil {
		t.Fatalf("GET through two 529s: %v", err)
	}
	if n := emu.RequestCount(emulator.RouteGetServiceAccount); n != 3 {
		t.Fatalf("GET attempts = %d, want 3", n)
	}

	// A create the server rejected before processing (529) is retried once
	// it is accepted, and exactly one object exists.
	emu.ResetCounters()
	emu.InjectFault(emulator.RouteCreateServiceAccount, emulator.Fault{Status: 529, Times: 1})
	if _, err := c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "after-overload"}); err != nil {
		t.Fatalf("create through one 529: %v", err)
	}
	if n := emu.RequestCount(emulator.RouteCreateServiceAccount); n != 2 {
		t.Fatalf("create attempts = %d, want 2", n)
	}

	// A create that may have been processed (500 after the write) is not
	// retried: a retry could create a duplicate.
	emu.ResetCounters()
	emu.InjectFault(emulator.RouteCreateServiceAccount, emulator.Fault{Status: 500, Times: 1, AfterProcessing: true})
	_, err = c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "maybe-processed"})
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 500 {
		t.Fatalf("create on 500: want the 500 back, got %v", err)
	}
	if n := emu.RequestCount(emulator.RouteCreateServiceAccount); n != 1 {
		t.Fatalf("create attempts on 500 = %d, want 1", n)
	}
	all, err := client.Collect(c.ListServiceAccounts(ctx, client.ListParams{Limit: 100}))
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, s := range all {
		if s.Name == "maybe-processed" {
			count++
		}
	}
	if count != 1 {
		t.Fatalf("objects named maybe-processed = %d, want exactly 1", count)
	}

	// The exchange is never retried, whatever the status.
	emu.ResetCounters()
	emu.InjectFault(emulator.RouteOAuthToken, emulator.Fault{Status: 529, Times: 1})
	_, err = c.ExchangeToken(ctx, client.TokenExchangeParams{
		Assertion: "eyJhbGciOiJSUzI1NiJ9.e30.sig", FederationRuleID: "fdrl_01ABCDEFGHIJKLMNOPQRSTUVWX", OrganizationID: emu.OrganizationID(),
	})
	if err == nil {
		t.Fatal("exchange through a 529 should fail")
	}
	if n := emu.RequestCount(emulator.RouteOAuthToken); n != 1 {
		t.Fatalf("exchange attempts = %d, want 1", n)
	}
}
