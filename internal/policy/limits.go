package policy

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// oauthScopes are the scopes a federation rule may grant.
var oauthScopes = []string{"workspace:developer", "workspace:inference", "workspace:manage_tunnels", "org:admin"}

// OAuthScopes returns a copy of oauthScopes.
func OAuthScopes() []string { return slices.Clone(oauthScopes) }

// oauthCallerScopes are the scopes an OAuth (non-Console) caller may create or
// change rules with; the others need a Console session.
var oauthCallerScopes = []string{"workspace:developer", "workspace:inference"}

// OAuthCallerScopes returns a copy of oauthCallerScopes.
func OAuthCallerScopes() []string { return slices.Clone(oauthCallerScopes) }

// ScopeOrgAdmin is the scope whose rules must target an admin service account.
const ScopeOrgAdmin = "org:admin"

// organizationRoles are the organization roles of a service account.
var organizationRoles = []string{"developer", "admin"}

// OrganizationRoles returns a copy of organizationRoles.
func OrganizationRoles() []string { return slices.Clone(organizationRoles) }

// DefaultOrganizationRole is the role a service account gets when none is set.
const DefaultOrganizationRole = "developer"

// workspaceRoles are the roles of a workspace membership.
var workspaceRoles = []string{"workspace_admin", "workspace_developer", "workspace_restricted_developer", "workspace_user"}

// WorkspaceRoles returns a copy of workspaceRoles.
func WorkspaceRoles() []string { return slices.Clone(workspaceRoles) }

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

// SplitOAuthScope splits a space-separated oauth_scope into its scopes, in
// the order written. It does not validate them.
func SplitOAuthScope(s string) []string { return strings.Fields(s) }

// ValidateOAuthScope checks an oauth_scope value: a non-empty, space-separated
// combination of the known scopes, each at most once, separated by single
// spaces.
func ValidateOAuthScope(s string) error {
	scopes := SplitOAuthScope(s)
	if len(scopes) == 0 {
		return fmt.Errorf("must name at least one of %s", strings.Join(oauthScopes, ", "))
	}
	if strings.Join(scopes, " ") != s {
		return fmt.Errorf("must be scopes separated by single spaces, without leading or trailing whitespace (got %s)", quoteForMessage(s))
	}
	seen := map[string]bool{}
	for _, sc := range scopes {
		if err := oneOf(sc, oauthScopes); err != nil {
			return err
		}
		if seen[sc] {
			return fmt.Errorf("names %s more than once", sc)
		}
		seen[sc] = true
	}
	return nil
}

// SameOAuthScope reports whether two oauth_scope values grant the same set
// of scopes, whatever their order.
func SameOAuthScope(a, b string) bool {
	x, y := SplitOAuthScope(a), SplitOAuthScope(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(slices.Compact(x), slices.Compact(y))
}

// HasOAuthScope reports whether an oauth_scope value includes scope.
func HasOAuthScope(s, scope string) bool { return slices.Contains(SplitOAuthScope(s), scope) }

// IsOAuthCallerScope reports whether an OAuth caller may create or change a
// rule with this oauth_scope: every scope in it is one of oauthCallerScopes
// (the others need a Console session).
func IsOAuthCallerScope(s string) bool {
	scopes := SplitOAuthScope(s)
	if len(scopes) == 0 {
		return false
	}
	for _, sc := range scopes {
		if !slices.Contains(oauthCallerScopes, sc) {
			return false
		}
	}
	return true
}

// ValidateOrganizationRole checks a service account's organization_role.
func ValidateOrganizationRole(s string) error { return oneOf(s, organizationRoles) }

// ValidateWorkspaceRole checks a membership's workspace_role.
func ValidateWorkspaceRole(s string) error { return oneOf(s, workspaceRoles) }

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
