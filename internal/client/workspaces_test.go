package client_test

import (
	"context"
	"testing"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

func TestEmulatorOrganizationAndWorkspaces(t *testing.T) {
	ctx := context.Background()
	emu, c := newEmulatorClient(t, 0)

	org, err := c.GetOrganization(ctx)
	if err != nil || org.ID != emu.OrganizationID() || org.Type != "organization" || org.Name == "" {
		t.Fatalf("organization %+v %v", org, err)
	}

	// Page by page (limit 1), the default workspace only when asked for.
	all, err := client.Collect(c.ListWorkspaces(ctx, client.WorkspaceListParams{Limit: 1, IncludeDefault: true}))
	if err != nil {
		t.Fatal(err)
	}
	want := emu.Workspaces()
	if len(all) != len(want) {
		t.Fatalf("listed %d workspaces, want %d", len(all), len(want))
	}
	for i, w := range want {
		if all[i].ID != w.ID || all[i].Name != w.Name || all[i].CreatedAt.IsZero() || all[i].ArchivedAt != nil {
			t.Fatalf("workspace %d = %+v, want %+v", i, all[i], w)
		}
	}
	named, err := client.Collect(c.ListWorkspaces(ctx, client.WorkspaceListParams{}))
	if err != nil || len(named) != len(want)-1 || named[0].ID == emu.DefaultWorkspaceID() {
		t.Fatalf("without include_default: %+v %v", named, err)
	}
	if _, err := client.Collect(c.ListWorkspaces(ctx, client.WorkspaceListParams{Limit: 1001})); err == nil {
		t.Fatal("limit 1001 accepted")
	}

	w, err := c.GetWorkspace(ctx, emu.DefaultWorkspaceID())
	if err != nil || w.ID != emu.DefaultWorkspaceID() || w.Name != "Default" {
		t.Fatalf("default workspace %+v %v", w, err)
	}
	if _, err := c.GetWorkspace(ctx, "wrkspc_01AAAAAAAAAAAAAAAAAAAAAAAA"); !client.IsNotFound(err) {
		t.Fatalf("unknown workspace: %v", err)
	}
}

func TestEmulatorWorkspaceServiceAccount(t *testing.T) {
	ctx := context.Background()
	emu, c := newEmulatorClient(t, 0)
	sa, err := c.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "member"})
	if err != nil {
		t.Fatal(err)
	}
	def := emu.DefaultWorkspaceID()
	m, err := c.GetWorkspaceServiceAccount(ctx, def, sa.ID)
	if err != nil || !m.Implicit || m.WorkspaceID != def || m.WorkspaceRole != "workspace_user" {
		t.Fatalf("implicit %+v %v", m, err)
	}
	if _, err := c.UpdateWorkspaceServiceAccount(ctx, def, sa.ID, "workspace_admin"); !client.IsNotFound(err) {
		t.Fatalf("updating the implicit membership: %v", err)
	}
	prod, _ := emu.WorkspaceByName("production")
	if _, err := c.AddServiceAccountWorkspace(ctx, sa.ID, prod.ID, "workspace_user"); err != nil {
		t.Fatal(err)
	}
	m, err = c.UpdateWorkspaceServiceAccount(ctx, prod.ID, sa.ID, "workspace_developer")
	if err != nil || m.WorkspaceRole != "workspace_developer" || m.Implicit {
		t.Fatalf("update %+v %v", m, err)
	}
	if m, err = c.GetWorkspaceServiceAccount(ctx, prod.ID, sa.ID); err != nil || m.WorkspaceRole != "workspace_developer" {
		t.Fatalf("read back %+v %v", m, err)
	}
	if _, err := c.UpdateWorkspaceServiceAccount(ctx, prod.ID, sa.ID, ""); err == nil {
		t.Fatal("empty role accepted")
	}
	if _, err := c.GetWorkspaceServiceAccount(ctx, prod.ID, ".."); err == nil || client.IsNotFound(err) {
		t.Fatalf("a path-escaping id reached the server: %v", err)
	}
	staging, _ := emu.WorkspaceByName("staging")
	if _, err := c.GetWorkspaceServiceAccount(ctx, staging.ID, sa.ID); !client.IsNotFound(err) {
		t.Fatalf("non-member: %v", err)
	}
}
