package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// OAuthScopes are the scopes a federation rule may grant.
var OAuthScopes = []string{"workspace:developer", "workspace:inference", "workspace:manage_tunnels", "org:admin"}

// OAuthCallerScopes are the scopes an OAuth (non-Console) caller may create or
// change rules with; the others need an interactive Console session.
var OAuthCallerScopes = []string{"workspace:developer", "workspace:inference"}

// ScopeOrgAdmin is the scope whose rules must target an admin service account.
const ScopeOrgAdmin = "org:admin"

// OrganizationRoles are the organization roles of a service account.
var OrganizationRoles = []string{"developer", "admin"}

// DefaultOrganizationRole is the role a service account gets when none is set.
const DefaultOrganizationRole = "developer"

// WorkspaceRoles are the roles of a workspace membership.
var WorkspaceRoles = []string{"workspace_admin", "workspace_developer", "workspace_restricted_developer", "workspace_user"}

// Lifetimes in seconds, and other bounds of the API.
const (
	MinTokenLifetime     = 60
	MaxTokenLifetime     = 86400
	DefaultTokenLifetime = 3600

	MinJWTLifetime     = 1
	MaxJWTLifetime     = 176400
	DefaultJWTLifetime = 3600

	MaxAssertionBytes = 16 * 1024
	DefaultAudience   = "https://api.anthropic.com"
)

// ValidateOAuthScope checks an oauth_scope value.
func ValidateOAuthScope(s string) error { return oneOf(s, OAuthScopes) }

// IsOAuthCallerScope reports whether an OAuth caller may create or change a
// rule with this scope (the others need a Console session).
func IsOAuthCallerScope(s string) bool { return slices.Contains(OAuthCallerScopes, s) }

// ValidateOrganizationRole checks a service account's organization_role.
func ValidateOrganizationRole(s string) error { return oneOf(s, OrganizationRoles) }

// ValidateWorkspaceRole checks a membership's workspace_role.
func ValidateWorkspaceRole(s string) error { return oneOf(s, WorkspaceRoles) }

// ValidateTokenLifetime checks a rule's token_lifetime_seconds.
func ValidateTokenLifetime(n int64) error {
	return inRange(n, MinTokenLifetime, MaxTokenLifetime)
}

// ValidateJWTLifetime checks an issuer's max_jwt_lifetime_seconds.
func ValidateJWTLifetime(n int64) error {
	return inRange(n, MinJWTLifetime, MaxJWTLifetime)
}

func oneOf(s string, allowed []string) error {
	if slices.Contains(allowed, s) {
		return nil
	}
	return fmt.Errorf("must be one of %s (got %s)", strings.Join(allowed, ", "), quoteForMessage(s))
}

func inRange(n, lo, hi int64) error {
	if n < lo || n > hi {
		return fmt.Errorf("must be between %d and %d seconds (got %d)", lo, hi, n)
	}
	return nil
}

// MintedLifetime is the lifetime, in seconds, of an access token minted by an
// exchange: the rule's lifetime capped at twice the assertion's remaining
// validity, but never under 60 s so a nearly expired assertion still yields a
// usable token. A non-positive ruleLifetime means the rule left it unset and
// the default applies. Fractions of a second of remaining validity are dropped.
func MintedLifetime(ruleLifetime int64, remainingAssertionValidity time.Duration) int64 {
	if ruleLifetime <= 0 {
		ruleLifetime = DefaultTokenLifetime
	}
	lifetime := ruleLifetime
	if remainingAssertionValidity < 0 {
		remainingAssertionValidity = 0
	}
	// Seconds before doubling: a Duration holds at most ~292 years, so twice
	// its seconds cannot overflow int64.
	if capped := 2 * int64(remainingAssertionValidity/time.Second); capped < lifetime {
		lifetime = capped
	}
	return max(MinTokenLifetime, lifetime)
}
