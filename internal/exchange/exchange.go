// Package exchange trades an identity token for an Anthropic access token
// through a federation rule, exactly once, and explains what goes wrong.
// Before sending, it checks the token the way the service will as far as
// that is possible without the service's keys (size, shape, algorithm,
// expiry, the email claim of Google tokens, the rule's audience), so a
// token that cannot work fails with a reason. After the service's opaque
// 401 it compares the token with the rule and its issuer, when the caller
// could read them, and names every matcher that fails, or lists the usual
// causes, most likely first.
//
// It is its own package because two callers share it: the
// anthropic_federation_token ephemeral resource exchanges once and hands
// the token to Terraform, while internal/auth exchanges again whenever the
// provider's keyless admin token needs renewing. Neither Terraform types
// nor token caching belong here; the caller supplies the request (the
// client's ExchangeToken), the clock, and the reading of the rule.
package exchange

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

const (
	// MinAssertionValidity is how long an identity token must still be
	// valid when sent: the service allows 30 s of clock skew, and a token
	// closer to its expiry may expire in flight.
	MinAssertionValidity = 30 * time.Second
	// historyHint says where the real reason for a denial is.
	historyHint = "The reason for the denial is recorded only in the federation rule's authentication history in the Anthropic Console " +
		"(with the local emulator: GET /v1/organizations/federation_authentication_history)."
)

// Target is what an exchange asks for, besides the assertion.
type Target struct {
	RuleID, OrganizationID, ServiceAccountID, WorkspaceID string
}

// RuleView is the rule (and its issuer) behind an exchange, when the
// caller's credential can read them; either may be nil.
type RuleView struct {
	Rule   *client.FederationRule
	Issuer *client.FederationIssuer
	// DefaultWorkspace is the default workspace's id, "" when unknown.
	DefaultWorkspace string
	// TargetRole is the organization_role of an org:admin rule's target,
	// "" when not read.
	TargetRole string
}

// Failure is a diagnostic-shaped error: the summary in user words and a
// detail that never holds a token.
type Failure struct {
	Summary, Detail string
	// Denied marks the service's opaque 401.
	Denied bool
}

func (f *Failure) Error() string { return f.Summary + ": " + f.Detail }

// Result is a minted access token and what is known about it.
type Result struct {
	Token     *client.TokenExchangeResponse
	Claims    *identity.Claims
	ExpiresAt time.Time
}

// Func is client.(*Client).ExchangeToken; tests substitute it.
type Func func(context.Context, client.TokenExchangeParams) (*client.TokenExchangeResponse, error)

// Options are what Run needs besides the source and the target.
type Options struct {
	// Send makes the exchange request (client.(*Client).ExchangeToken of a
	// client that must not retry it).
	Send Func
	// ReadView reads the rule and its issuer with the caller's credential,
	// to explain a denial; nil when the caller cannot read them.
	ReadView func(context.Context) *RuleView
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// ErrorDetail renders the error of a failed exchange request other
	// than a denial; the redacted error text when nil.
	ErrorDetail func(error) string
}

// Run fetches an assertion from src, checks it before sending (so a token
// that cannot work fails with a clear reason instead of the service's
// opaque 401), and exchanges it exactly once: the client never retries an
// exchange, since a re-sent assertion with a jti is a replay. The checks
// that need nothing but the token (size, shape, algorithm, expiry) run
// before any request. o.ReadView is called only after a 401, to explain
// it (and before sending only for a Google token without email, which most
// rules refuse).
func Run(ctx context.Context, src identity.Source, target Target, o Options) (*Result, *Failure) {
	now, readView := o.Now, o.ReadView
	if now == nil {
		now = time.Now
	}
	errorDetail := o.ErrorDetail
	if errorDetail == nil {
		errorDetail = func(err error) string { return redact.String(err.Error()) }
	}
	assertion, err := src.Token(ctx)
	if err != nil {
		return nil, &Failure{Summary: "Unable to obtain an identity token", Detail: fmt.Sprintf("From %s: %s", src.Describe(), redact.String(err.Error()))}
	}
	claims, fail := preflightToken(assertion, src, now())
	if fail != nil {
		return nil, fail
	}
	// The rule is read only to explain a failure: on success an exchange
	// costs the identity token and the exchange request, nothing more. The
	// one exception is a Google token without email, which most rules
	// refuse: the rule is read first to know whether this one needs email.
	var view *RuleView
	if readView != nil && claims.Issuer == policy.GoogleIssuer && claims.Email == "" {
		view = readView(ctx)
	}
	if fail := preflightRule(claims, src, view); fail != nil {
		return nil, fail
	}
	sentAt := now()
	resp, err := o.Send(ctx, client.TokenExchangeParams{
		Assertion:        assertion,
		FederationRuleID: target.RuleID,
		OrganizationID:   target.OrganizationID,
		ServiceAccountID: target.ServiceAccountID,
		WorkspaceID:      target.WorkspaceID,
	})
	if err != nil {
		var apiErr *client.APIError
		if errors.As(err, &apiErr) && apiErr.StatusCode == 401 {
			if view == nil && readView != nil {
				view = readView(ctx)
			}
			return nil, &Failure{Summary: "Token exchange denied", Detail: explainDenial(claims, src, target, view, apiErr.RequestID, sentAt), Denied: true}
		}
		detail := errorDetail(err)
		if errors.As(err, &apiErr) && apiErr.StatusCode == 400 {
			detail += "\nThe exchange request itself was refused; the message names the field at fault."
		}
		return nil, &Failure{Summary: "Token exchange failed", Detail: detail}
	}
	return &Result{Token: resp, Claims: claims, ExpiresAt: sentAt.Add(time.Duration(resp.ExpiresIn) * time.Second)}, nil
}

// preflight checks an assertion the way the service will, as far as that
// is possible without its keys. Claims are read without verifying the
// signature: they only shape messages and refuse tokens that cannot work.
func preflight(assertion string, src identity.Source, view *RuleView, now time.Time) (*identity.Claims, *Failure) {
	claims, fail := preflightToken(assertion, src, now)
	if fail != nil {
		return claims, fail
	}
	return claims, preflightRule(claims, src, view)
}

// preflightToken is the part of preflight that needs only the token.
func preflightToken(assertion string, src identity.Source, now time.Time) (*identity.Claims, *Failure) {
	from := src.Describe()
	if n := len(assertion); n > policy.MaxAssertionBytes {
		return nil, &Failure{Summary: "Identity token too large",
			Detail: fmt.Sprintf("The identity token from %s is %d bytes; the exchange accepts at most %d bytes (16 KiB). Ask the issuer for a token with fewer claims.",
				from, n, policy.MaxAssertionBytes)}
	}
	claims, err := identity.Inspect(assertion)
	if err != nil {
		return nil, &Failure{Summary: "Identity token cannot be exchanged",
			Detail: fmt.Sprintf("The identity token from %s is not usable: %s.", from, err)}
	}
	switch left := claims.Expiry.Sub(now); {
	case claims.Expiry.IsZero():
		return claims, &Failure{Summary: "Identity token has no expiry",
			Detail: fmt.Sprintf("The identity token from %s has no exp claim; the exchange requires one.", from)}
	case left <= 0:
		return claims, &Failure{Summary: "Identity token expired",
			Detail: fmt.Sprintf("The identity token from %s expired at %s (%s ago); the exchange would refuse it. Provide a fresh token.",
				from, claims.Expiry.UTC().Format(time.RFC3339), (-left).Round(time.Second))}
	case left < MinAssertionValidity:
		return claims, &Failure{Summary: "Identity token about to expire",
			Detail: fmt.Sprintf("The identity token from %s expires at %s, in %s: less than the %s an exchange needs. Provide a fresh token.",
				from, claims.Expiry.UTC().Format(time.RFC3339), left.Round(time.Second), MinAssertionValidity)}
	}
	return claims, nil
}

// preflightRule is the part of preflight that compares the token with the
// rule, when the rule could be read (view may be nil).
func preflightRule(claims *identity.Claims, src identity.Source, view *RuleView) *Failure {
	from := src.Describe()
	if claims.Issuer == policy.GoogleIssuer && claims.Email == "" && (view == nil || ruleReadsEmail(view.Rule)) {
		return &Failure{Summary: "Google identity token has no email claim",
			Detail: fmt.Sprintf("The Google ID token from %s carries no email claim, and federation rules on Google pin the service account's email. "+
				"Google adds it only when asked: set gce_metadata.format_full = true (the metadata server's format=full), google_impersonation.include_email = true "+
				"(includeEmail), or request the token with --include-email / format=full.", from)}
	}
	if view != nil && view.Rule != nil {
		want := ruleAudience(view.Rule)
		if !policy.MatchAudience(want, claims.Audience) {
			return &Failure{Summary: "Identity token audience does not match the rule",
				Detail: fmt.Sprintf("Federation rule %s accepts tokens whose aud contains %q (its match.audience%s); the token from %s has aud %s. "+
					"Request the token for that audience (gce_metadata.audience, google_impersonation.audience, or the issuer's setting), or change the rule's match.audience.",
					view.Rule.ID, want, audienceDefaultNote(view.Rule), from, quoteList(claims.Audience))}
		}
	}
	return nil
}

// ruleAudience is the audience a rule requires of tokens.
func ruleAudience(r *client.FederationRule) string {
	if a := r.Match.Audience; a != nil && *a != "" {
		return *a
	}
	return policy.DefaultAudience
}

func audienceDefaultNote(r *client.FederationRule) string {
	if r.Match.Audience == nil || *r.Match.Audience == "" {
		return " is unset, which means " + policy.DefaultAudience
	}
	return ""
}

// ruleReadsEmail reports whether a rule looks at the email claim; a rule
// that pins a Google account by sub alone does not need it.
func ruleReadsEmail(r *client.FederationRule) bool {
	if r == nil {
		return true
	}
	if _, ok := r.Match.Claims["email"]; ok {
		return true
	}
	if r.Match.Condition != nil {
		if c, err := policy.CompileCondition(*r.Match.Condition); err == nil {
			return slices.Contains(c.ReferencedClaims(), "email")
		}
		return strings.Contains(*r.Match.Condition, "email")
	}
	return false
}

func quoteList(values []string) string {
	if len(values) == 0 {
		return "(none)"
	}
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = fmt.Sprintf("%q", v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// describeClaims shows what identifies the token (issuer, subject, email,
// audience, expiry), never the token itself.
func describeClaims(c *identity.Claims) string {
	parts := []string{fmt.Sprintf("iss %q", c.Issuer), fmt.Sprintf("sub %q", c.Subject)}
	if c.Email != "" {
		parts = append(parts, fmt.Sprintf("email %q", c.Email))
	}
	parts = append(parts, "aud "+quoteList(c.Audience))
	if !c.Expiry.IsZero() {
		parts = append(parts, "exp "+c.Expiry.UTC().Format(time.RFC3339))
	}
	if c.JTI != "" {
		parts = append(parts, "with a jti")
	}
	return strings.Join(parts, ", ")
}

// explainDenial turns the service's opaque 401 into the likely causes for
// the token that was sent. With the rule readable it names the matchers
// that fail; otherwise it lists the usual causes, most likely first.
func explainDenial(claims *identity.Claims, src identity.Source, target Target, view *RuleView, requestID string, now time.Time) string {
	var b strings.Builder
	b.WriteString("The token exchange for federation rule " + target.RuleID + " was denied (HTTP 401 authentication_error: Authentication failed). ")
	b.WriteString("The service gives this same answer to every denial by design, so that callers cannot probe rules; the provider checked what it could.\n\n")
	fmt.Fprintf(&b, "Token sent (from %s): %s.\n", src.Describe(), describeClaims(claims))

	var found, possible []string
	if view != nil && view.Rule != nil {
		found = ruleMismatches(claims, target, view, now)
	}
	replay := "Replayed token: the issuer checks jti and this token's jti was already exchanged."
	if !src.Renewable() {
		replay += " A literal identity_token is the same token every time, and Terraform opens ephemeral resources and configures providers again at every plan " +
			"and apply: a token with a jti can be exchanged only once. Use identity_token_file, gce_metadata, google_impersonation or executable, which yield a fresh token each time."
	}
	switch {
	case len(found) > 0:
		b.WriteString("\nRule " + target.RuleID + " does not accept this token:\n")
		for _, f := range found {
			b.WriteString("  - " + f + "\n")
		}
	case view != nil && view.Rule != nil:
		b.WriteString("\nEverything the provider can check against rule " + target.RuleID + " matches, so the likely causes are, most likely first:\n")
		if claims.JTI != "" && (view.Issuer == nil || view.Issuer.CheckJTI) {
			possible = append(possible, replay)
		}
		if w := workspaceCaution(view.Rule, target.WorkspaceID); w != "" {
			possible = append(possible, w)
		}
		possible = append(possible,
			fmt.Sprintf("Workspace membership: service account %s must be a member of the workspace the token is minted for.", orDash(target.ServiceAccountID)),
			fmt.Sprintf("Signature: the token's key (kid %q) must be in the issuer's JWKS; keys rotated recently, or a JWKS source pointing elsewhere, make verification fail.", claims.KeyID),
			"Organization: organization_id must be the rule's organization.")
	default:
		b.WriteString("\nThe rule could not be read (the provider has no admin credential, or it may not read rules), so these are the usual causes, most likely first:\n")
		possible = append(possible,
			fmt.Sprintf("Issuer URL mismatch: the federation issuer's issuer_url must equal the token's iss %q exactly (scheme, host, path and trailing slash).", claims.Issuer),
			fmt.Sprintf("Claims: the rule's match must accept this token: compare sub %q, email %q and aud %s with the rule's subject_prefix, claims, audience and condition.",
				claims.Subject, claims.Email, quoteList(claims.Audience)),
			"Workspace: a rule enabled in more than one workspace (or in all) needs workspace_id, and the service account must be a member of that workspace.",
		)
		if claims.JTI != "" {
			possible = append(possible, replay)
		}
		possible = append(possible,
			"The rule, its issuer or the service account is archived, service_account_id is not the rule's target, or organization_id is not the rule's organization.",
			fmt.Sprintf("Signature: the token's key (kid %q) must be in the issuer's JWKS.", claims.KeyID))
	}
	for i, p := range possible {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, p)
	}
	b.WriteString("\n" + historyHint)
	if requestID != "" {
		b.WriteString(" Request ID: " + requestID + ".")
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "(the rule's target)"
	}
	return s
}

// ruleMismatches compares the token with what the rule and its issuer
// require, in the order the service checks, and returns every definite
// mismatch.
func ruleMismatches(c *identity.Claims, target Target, view *RuleView, now time.Time) []string {
	r := view.Rule
	var out []string
	if r.IsArchived() {
		out = append(out, fmt.Sprintf("The rule is archived (since %s); archived rules refuse every exchange.", r.ArchivedAt.UTC().Format(time.RFC3339)))
	}
	if target.ServiceAccountID != "" && r.Target.ServiceAccountID != "" && r.Target.ServiceAccountID != target.ServiceAccountID {
		out = append(out, fmt.Sprintf("service_account_id is %s, but the rule targets %s.", target.ServiceAccountID, r.Target.ServiceAccountID))
	}
	if view.TargetRole != "" && view.TargetRole != "admin" && policy.HasOAuthScope(r.OAuthScope, policy.ScopeOrgAdmin) {
		out = append(out, fmt.Sprintf("The rule grants org:admin, but its target service account %s has organization_role %s (it was demoted); "+
			"the service refuses an org:admin rule whose target is not an admin.", r.Target.ServiceAccountID, view.TargetRole))
	}
	if is := view.Issuer; is != nil {
		if is.IsArchived() {
			out = append(out, fmt.Sprintf("The rule's issuer %s is archived.", is.ID))
		}
		if is.IssuerURL != c.Issuer {
			out = append(out, fmt.Sprintf("Issuer URL mismatch: the rule's issuer %s has issuer_url %q, but the token's iss is %q; they must be equal exactly.", is.ID, is.IssuerURL, c.Issuer))
		}
		if !c.IssuedAt.IsZero() && !c.Expiry.IsZero() && is.MaxJWTLifetimeSeconds > 0 &&
			c.Expiry.Sub(c.IssuedAt) > time.Duration(is.MaxJWTLifetimeSeconds)*time.Second {
			out = append(out, fmt.Sprintf("The token lives %s (exp - iat), more than the issuer's max_jwt_lifetime_seconds (%d).",
				c.Expiry.Sub(c.IssuedAt), is.MaxJWTLifetimeSeconds))
		}
	}
	if c.IssuedAt.After(now.Add(MinAssertionValidity)) {
		out = append(out, fmt.Sprintf("The token's iat (%s) is in the future; check the clocks.", c.IssuedAt.UTC().Format(time.RFC3339)))
	}
	m := r.Match
	if want := ruleAudience(r); !policy.MatchAudience(want, c.Audience) {
		out = append(out, fmt.Sprintf("match.audience: the rule accepts tokens whose aud contains %q (its match.audience%s); the token's aud is %s. "+
			"Request the token for that audience (gce_metadata.audience, google_impersonation.audience, or the issuer's setting), or change the rule's match.audience.",
			want, audienceDefaultNote(r), quoteList(c.Audience)))
	}
	if p := m.SubjectPrefix; p != nil && !policy.MatchSubject(*p, c.Subject) {
		out = append(out, fmt.Sprintf("match.subject_prefix %q does not match the token's sub %q.", *p, c.Subject))
	}
	names := make([]string, 0, len(m.Claims))
	for name := range m.Claims {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		want := m.Claims[name]
		if _, ok := policy.MatchClaims(map[string]string{name: want}, c.Raw); !ok {
			got := "is absent"
			if v, present := c.Raw[name]; present {
				got = fmt.Sprintf("is %s", claimValueText(v))
			}
			out = append(out, fmt.Sprintf("match.claims.%s pins %q, but the token's %s %s.", name, want, name, got))
		}
	}
	if m.Condition != nil {
		cond, err := policy.CompileCondition(*m.Condition)
		switch {
		case err != nil:
			out = append(out, fmt.Sprintf("match.condition does not compile: %s.", err))
		default:
			ok, err := cond.Eval(c.Raw)
			switch {
			case err != nil:
				out = append(out, fmt.Sprintf("match.condition cannot be evaluated for this token (%s), which counts as no match.", err))
			case !ok:
				out = append(out, fmt.Sprintf("match.condition %q evaluates to false for this token.", *m.Condition))
			}
		}
	}
	out = append(out, workspaceMismatches(r, target.WorkspaceID, view.DefaultWorkspace)...)
	return out
}

// workspaceMismatches finds definite workspace problems. The rule lists the
// default workspace by its own id; defaultWorkspace is that id, and when it
// is unknown ("") the checks that need it are skipped rather than guessed.
func workspaceMismatches(r *client.FederationRule, requested, defaultWorkspace string) []string {
	if r.IsArchived() {
		return nil
	}
	if requested == policy.DefaultWorkspaceID {
		if defaultWorkspace == "" {
			return nil
		}
		requested = defaultWorkspace
	}
	if requested == "" {
		switch {
		case !r.AppliesToAllWorkspaces && len(r.WorkspaceIDs) == 0:
			return []string{"The rule is enabled in no workspace; enable it in one (workspace_ids) before exchanging."}
		case !r.AppliesToAllWorkspaces && len(r.WorkspaceIDs) > 1 && defaultWorkspace != "" && !slices.Contains(r.WorkspaceIDs, defaultWorkspace):
			return []string{fmt.Sprintf("The rule is enabled in %d workspaces (%s), none of them the default workspace, so the exchange needs workspace_id to choose one.",
				len(r.WorkspaceIDs), strings.Join(r.WorkspaceIDs, ", "))}
		}
		return nil
	}
	if !r.AppliesToAllWorkspaces && !slices.Contains(r.WorkspaceIDs, requested) {
		return []string{fmt.Sprintf("workspace_id is %s, but the rule is enabled only in %s.", requested, strings.Join(r.WorkspaceIDs, ", "))}
	}
	return nil
}

// workspaceCaution is a possible (not certain) workspace cause: a rule
// usable in several workspaces, exchanged without workspace_id.
func workspaceCaution(r *client.FederationRule, requested string) string {
	if requested != "" || (!r.AppliesToAllWorkspaces && len(r.WorkspaceIDs) < 2) {
		return ""
	}
	return "Workspace choice: the rule is usable in more than one workspace and workspace_id is not set; the service may require it. Set workspace_id."
}

func claimValueText(v any) string {
	switch t := v.(type) {
	case string:
		return fmt.Sprintf("%q", t)
	case nil:
		return "null"
	case map[string]any, []any:
		return "not a string"
	default:
		return fmt.Sprintf("%v", t)
	}
}
