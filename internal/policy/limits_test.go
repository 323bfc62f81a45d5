package policy

import (
	"math"
	"slices"
	"testing"
	"time"
)

func TestMintedLifetime(t *testing.T) {
	tests := []struct {
		name      string
		rule      int64
		remaining time.Duration
		want      int64
	}{
		{"rule wins when assertion is long-lived", 3600, 2 * time.Hour, 3600},
		{"exactly twice the remaining", 3600, 30 * time.Minute, 3600},
		{"capped at twice the remaining", 3600, 10 * time.Minute, 1200},
		{"floor of 60", 3600, 10 * time.Second, 60},
		{"floor at the boundary", 3600, 30 * time.Second, 60},
		{"just above the floor", 3600, 31 * time.Second, 62},
		{"fractions of a second dropped", 3600, 45*time.Second + 999*time.Millisecond, 90},
		{"expired assertion", 3600, -time.Minute, 60},
		{"zero remaining", 3600, 0, 60},
		{"minimum rule lifetime", 60, time.Hour, 60},
		{"maximum rule lifetime", 86400, 48 * time.Hour, 86400},
		{"maximum rule, shorter assertion", 86400, time.Hour, 7200},
		{"unset rule uses the default", 0, 48 * time.Hour, DefaultTokenLifetime},
		{"negative rule uses the default", -5, 48 * time.Hour, DefaultTokenLifetime},
		{"huge remaining does not overflow", 86400, time.Duration(math.MaxInt64), 86400},
		{"most negative remaining", 86400, time.Duration(math.MinInt64), 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MintedLifetime(tt.rule, tt.remaining)
			if got != tt.want {
				t.Fatalf("MintedLifetime(%d, %v) = %d, want %d", tt.rule, tt.remaining, got, tt.want)
			}
			if got < MinTokenLifetime || (tt.rule > 0 && got > max(tt.rule, MinTokenLifetime)) {
				t.Fatalf("MintedLifetime(%d, %v) = %d is out of bounds", tt.rule, tt.remaining, got)
			}
		})
	}
}

func TestEnumsAndRanges(t *testing.T) {
	for _, s := range OAuthScopes() {
		checkErr(t, "ValidateOAuthScope", s, ValidateOAuthScope(s), "")
	}
	checkErr(t, "ValidateOAuthScope", "org:read", ValidateOAuthScope("org:read"), "must be one of workspace:developer, workspace:inference, workspace:manage_tunnels, org:admin")
	for _, s := range OAuthCallerScopes() {
		if !slices.Contains(OAuthScopes(), s) || !IsOAuthCallerScope(s) {
			t.Errorf("caller scope %q", s)
		}
	}
	for _, s := range []string{"org:admin", "workspace:manage_tunnels", ""} {
		if IsOAuthCallerScope(s) {
			t.Errorf("IsOAuthCallerScope(%q) = true", s)
		}
	}
	for _, r := range OrganizationRoles() {
		checkErr(t, "ValidateOrganizationRole", r, ValidateOrganizationRole(r), "")
	}
	checkErr(t, "ValidateOrganizationRole", "owner", ValidateOrganizationRole("owner"), "must be one of developer, admin")
	if !slices.Contains(OrganizationRoles(), DefaultOrganizationRole) {
		t.Error("default organization role is not a role")
	}
	for _, r := range WorkspaceRoles() {
		checkErr(t, "ValidateWorkspaceRole", r, ValidateWorkspaceRole(r), "")
	}
	checkErr(t, "ValidateWorkspaceRole", "admin", ValidateWorkspaceRole("admin"), "must be one of")

	for _, tt := range []struct {
		n    int64
		want string
	}{{59, "between 60 and 86400"}, {60, ""}, {3600, ""}, {86400, ""}, {86401, "between 60 and 86400"}} {
		checkErr(t, "ValidateTokenLifetime", "", ValidateTokenLifetime(tt.n), tt.want)
	}
	for _, tt := range []struct {
		n    int64
		want string
	}{{0, "between 1 and 176400"}, {1, ""}, {176400, ""}, {176401, "between 1 and 176400"}} {
		checkErr(t, "ValidateJWTLifetime", "", ValidateJWTLifetime(tt.n), tt.want)
	}
}

func TestMultiScope(t *testing.T) {
	for _, ok := range []string{"workspace:developer workspace:inference", "org:admin workspace:developer", "workspace:inference workspace:developer workspace:manage_tunnels org:admin"} {
		checkErr(t, "ValidateOAuthScope", ok, ValidateOAuthScope(ok), "")
	}
	for bad, want := range map[string]string{
		"":    "must name at least one",
		"   ": "must name at least one",
		"workspace:developer  workspace:inference": "single spaces",
		" workspace:developer":                     "single spaces",
		"workspace:developer workspace:developer":  "more than once",
		"workspace:developer org:read":             "must be one of",
	} {
		checkErr(t, "ValidateOAuthScope", bad, ValidateOAuthScope(bad), want)
	}
	if !IsOAuthCallerScope("workspace:inference workspace:developer") || IsOAuthCallerScope("workspace:developer org:admin") {
		t.Error("IsOAuthCallerScope on combinations")
	}
	if !HasOAuthScope("workspace:developer org:admin", ScopeOrgAdmin) || HasOAuthScope("workspace:developer", ScopeOrgAdmin) {
		t.Error("HasOAuthScope")
	}
	if !SameOAuthScope("workspace:developer workspace:inference", "workspace:inference workspace:developer") || SameOAuthScope("workspace:developer", "workspace:developer workspace:inference") {
		t.Error("SameOAuthScope")
	}
}

// The exported lists are copies: a caller changing one changes no rule.
func TestExportedListsAreCopies(t *testing.T) {
	t.Parallel()
	for name, list := range map[string]func() []string{
		"OAuthScopes": OAuthScopes, "OAuthCallerScopes": OAuthCallerScopes, "OrganizationRoles": OrganizationRoles,
		"WorkspaceRoles": WorkspaceRoles, "ECCurves": ECCurves,
	} {
		l := list()
		want := l[0]
		l[0] = "tampered"
		if got := list()[0]; got != want {
			t.Errorf("%s()[0] = %q after a caller changed its copy, want %q", name, got, want)
		}
	}
	scopes := OAuthScopes()
	for i := range scopes {
		scopes[i] = "tampered"
	}
	if err := ValidateOAuthScope("tampered"); err == nil {
		t.Error("a changed copy of OAuthScopes changed validation")
	}
}
