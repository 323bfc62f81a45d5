package policy

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// GoogleIssuer is the iss of Google-signed ID tokens.
const GoogleIssuer = "https://accounts.google.com"

// Issuer URLs of the shared CI platforms whose rules must pin a tenant.
const (
	GitHubActionsIssuer  = "https://token.actions.githubusercontent.com"
	GitLabIssuer         = "https://gitlab.com"
	BuildkiteIssuer      = "https://agent.buildkite.com"
	TerraformCloudIssuer = "https://app.terraform.io"
)

// SubjectTenantForm describes how a platform's sub names the tenant: the
// tenant is the non-empty text between Prefix and the first End after it.
type SubjectTenantForm struct {
	Prefix string
	End    string
}

// WellKnownIssuer is a shared, multi-tenant issuer: every customer of the
// platform gets tokens from the same iss, so a rule on it must say which
// tenant (or, for Google, which account) it trusts.
type WellKnownIssuer struct {
	Name string
	URL  string
	// TenantClaims are claims whose exact value pins the tenant.
	TenantClaims []string
	// SubjectTenantPrefix shows, for messages, how a sub starts with the
	// tenant, e.g. "repo:OWNER/". Empty for Google, whose sub has no tenant.
	SubjectTenantPrefix string
	// SubjectForms are the sub layouts that carry the tenant; a
	// subject_prefix pins the tenant when it spells one out in full.
	SubjectForms []SubjectTenantForm
	// Unit names what a tenant is on the platform, for messages.
	Unit string
}

var wellKnownIssuers = []WellKnownIssuer{
	{
		Name:         "Google",
		URL:          GoogleIssuer,
		TenantClaims: []string{"sub", "email", "azp"},
		Unit:         "Google account",
	},
	{
		Name:                "GitHub Actions",
		URL:                 GitHubActionsIssuer,
		TenantClaims:        []string{"repository", "repository_owner", "repository_owner_id", "repository_id"},
		SubjectTenantPrefix: "repo:OWNER/",
		SubjectForms: []SubjectTenantForm{
			{"repo:", "/"},
			// Customized sub templates start with a claim name and its value.
			{"repository_owner:", ":"}, {"repository_owner_id:", ":"},
			{"repository:", "/"}, {"repository_id:", ":"},
		},
		Unit: "GitHub repository",
	},
	{
		Name:                "GitLab",
		URL:                 GitLabIssuer,
		TenantClaims:        []string{"namespace_path", "namespace_id", "project_path", "project_id"},
		SubjectTenantPrefix: "project_path:NAMESPACE/",
		SubjectForms:        []SubjectTenantForm{{"project_path:", "/"}},
		Unit:                "GitLab project",
	},
	{
		Name:                "Buildkite",
		URL:                 BuildkiteIssuer,
		TenantClaims:        []string{"organization_slug"},
		SubjectTenantPrefix: "organization:SLUG:",
		SubjectForms:        []SubjectTenantForm{{"organization:", ":"}},
		Unit:                "Buildkite organization",
	},
	{
		Name:                "Terraform Cloud",
		URL:                 TerraformCloudIssuer,
		TenantClaims:        []string{"terraform_organization_name", "terraform_organization_id"},
		SubjectTenantPrefix: "organization:ORG:",
		SubjectForms:        []SubjectTenantForm{{"organization:", ":"}},
		Unit:                "Terraform Cloud organization",
	},
}

// WellKnownIssuers returns the shared issuers CheckTenantPin knows.
func WellKnownIssuers() []WellKnownIssuer {
	out := make([]WellKnownIssuer, len(wellKnownIssuers))
	for i, w := range wellKnownIssuers {
		w.TenantClaims = slices.Clone(w.TenantClaims)
		w.SubjectForms = slices.Clone(w.SubjectForms)
		out[i] = w
	}
	return out
}

// LookupWellKnownIssuer finds a shared issuer by URL: exact, tolerating a
// trailing slash, scheme and host case, and an explicit :443. The tolerance
// errs toward applying the guard; the exchange itself compares iss exactly.
func LookupWellKnownIssuer(issuerURL string) (WellKnownIssuer, bool) {
	key := canonicalIssuerKey(issuerURL)
	for _, w := range WellKnownIssuers() {
		if w.URL == key {
			return w, true
		}
	}
	return WellKnownIssuer{}, false
}

// SameIssuerURL reports whether two issuer URLs name the same issuer, with
// the tolerance of LookupWellKnownIssuer (trailing slash, scheme and host
// case, explicit :443).
func SameIssuerURL(a, b string) bool { return canonicalIssuerKey(a) == canonicalIssuerKey(b) }

func canonicalIssuerKey(raw string) string {
	raw = strings.TrimSpace(raw)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return strings.TrimRight(raw, "/")
	}
	host := strings.ToLower(u.Host)
	host = strings.TrimSuffix(host, ":443")
	host = strings.TrimSuffix(host, ".")
	return strings.ToLower(u.Scheme) + "://" + host + strings.TrimRight(u.EscapedPath(), "/")
}

// IsGoogleUniqueID reports whether s has the shape of a Google account's
// uniqueId, which is also its ID tokens' sub: 21 decimal digits.
func IsGoogleUniqueID(s string) bool {
	if len(s) != 21 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// TenantOptions adjusts CheckTenantPin.
type TenantOptions struct {
	// AllowGoogleSubjectPrefix turns the error for subject_prefix on
	// Google's issuer into a warning.
	AllowGoogleSubjectPrefix bool
}

// CheckTenantPin applies the service's guard for rules on well-known shared
// issuers; other issuers yield no findings. A rule is pinned when no token
// from another tenant can match it, which pin.go decides for claims,
// subject_prefix and condition: exact values of a tenant claim in claims,
// a subject_prefix (exact, or ending in "*") that spells a whole tenant out,
// or a condition that no other tenant's token can make true. A condition
// that does not compile counts as pinning here; ValidateMatch reports it.
func CheckTenantPin(issuerURL string, m Match, opts TenantOptions) []Finding {
	w, ok := LookupWellKnownIssuer(issuerURL)
	if !ok {
		return nil
	}
	cond, condInvalid := compiledForPin(m.Condition)
	paths := tenantPaths(w)
	if f, notBool := tenantClaimNotBool(w, paths, cond); notBool {
		return []Finding{f}
	}
	if w.URL == GoogleIssuer {
		return checkGooglePin(w, paths, m, cond, condInvalid, opts)
	}
	s := newPinScope(w, paths, m, cond)
	if condInvalid || s.claimsPin(m.Claims) || (m.SubjectPrefix != nil && s.subjectPin(*m.SubjectPrefix)) {
		return nil
	}
	pinned, why := s.conditionPins(cond)
	if pinned {
		return nil
	}
	summary := fmt.Sprintf("%s's issuer is shared by every %s, so this rule must pin yours", w.Name, w.Unit)
	detail := fmt.Sprintf("Without a tenant pin, a workload in any %s could exchange its token through this rule. Pin the tenant in claims (exact values), in a subject_prefix that starts with %q, or in a condition on one of those claims.",
		w.Unit, w.SubjectTenantPrefix)
	if cond == nil {
		return []Finding{errorAt(summary+": set "+tenantPinOptions(w), detail, "match")}
	}
	return []Finding{errorAt(summary+", and its condition does not: "+why, conditionPinDetail(w)+" "+detail, conditionFindingPath(m)...)}
}

// conditionFindingPath blames the condition when it is the only matcher
// that could have pinned, and the match block otherwise.
func conditionFindingPath(m Match) []string {
	if m.SubjectPrefix == nil && len(m.Claims) == 0 {
		return []string{"match", "condition"}
	}
	return []string{"match"}
}

func conditionPinDetail(w WellKnownIssuer) string {
	return fmt.Sprintf("A condition pins the %s only when no token from another %s can make it true: compare a claim that names it with exact values (== or in [...]), and join other tests with &&, not ||.", w.Unit, w.Unit)
}

// tenantClaimNotBool rejects a condition that is a bare tenant claim: its
// type on the platform is known, and it is not bool.
func tenantClaimNotBool(w WellKnownIssuer, paths []tenantPath, cond *Condition) (Finding, bool) {
	if cond == nil {
		return Finding{}, false
	}
	p, ok := cond.bareClaimPath()
	if !ok {
		return Finding{}, false
	}
	for _, tp := range paths {
		if slices.Equal(tp.path, p) {
			return errorAt(fmt.Sprintf("condition must evaluate to a bool, but it is %s, which is a %s in %s tokens", tp.name(), tp.typ, w.Name),
				fmt.Sprintf("Compare the claim instead, e.g. %s == \"value\".", tp.name()), "match", "condition"), true
		}
	}
	return Finding{}, false
}

func tenantPinOptions(w WellKnownIssuer) string {
	opts := make([]string, 0, len(w.TenantClaims)+1)
	for _, c := range w.TenantClaims {
		opts = append(opts, "claims."+c)
	}
	if w.SubjectTenantPrefix != "" {
		opts = append(opts, fmt.Sprintf("subject_prefix %q", w.SubjectTenantPrefix+"*"))
	}
	return strings.Join(opts[:len(opts)-1], ", ") + " or " + opts[len(opts)-1]
}

// compiledForPin compiles the condition; invalid is set when there is one
// and it does not compile.
func compiledForPin(expr *string) (cond *Condition, invalid bool) {
	if expr == nil {
		return nil, false
	}
	c, err := CompileCondition(*expr)
	if err != nil {
		return nil, true
	}
	return c, false
}

func subjectLiteralPinsTenant(w WellKnownIssuer, fixed string) bool {
	for _, f := range w.SubjectForms {
		rest, ok := strings.CutPrefix(fixed, f.Prefix)
		if !ok {
			continue
		}
		// The tenant must be terminated: "repo:octo*" also matches
		// "repo:octo-evil/...".
		if i := strings.Index(rest, f.End); i > 0 {
			return true
		}
	}
	return false
}

const googleSubDetail = "Pin claims.sub to the service account's uniqueId (the anthropic_google_service_account data source looks it up, as does `gcloud iam service-accounts describe SA --format='value(uniqueId)'`) and claims.email to its email."

func checkGooglePin(w WellKnownIssuer, paths []tenantPath, m Match, cond *Condition, condInvalid bool, opts TenantOptions) []Finding {
	var fs []Finding
	pinned := false
	exactSubject := false // an exact uniqueId subject_prefix pins sub already

	if m.SubjectPrefix != nil {
		p := *m.SubjectPrefix
		detail := "A wildcard would match service accounts in every Google project. " + googleSubDetail
		if IsGoogleUniqueID(p) {
			detail = fmt.Sprintf("This is an exact uniqueId, so move it to claims.sub = %q and pin claims.email too.", p)
			pinned, exactSubject = true, true
		}
		f := errorAt("Google sub values are numeric uniqueIds with no stable prefix, so subject_prefix cannot pin a Google identity", detail, "match", "subject_prefix")
		if opts.AllowGoogleSubjectPrefix {
			f.Severity = SeverityWarning
		}
		fs = append(fs, f)
	}

	sub, hasSub := m.Claims["sub"]
	if hasSub && sub != "" {
		switch {
		case IsGoogleUniqueID(sub):
			pinned = true
		case strings.Contains(sub, "@"):
			fs = append(fs, errorAt(
				"Google's sub is the account's numeric uniqueId, not its email; the email belongs in claims.email",
				googleSubDetail, "match", "claims", "sub"))
		default:
			fs = append(fs, errorAt(
				fmt.Sprintf("must be the Google account's 21-digit numeric uniqueId (got %s)", quoteForMessage(sub)),
				googleSubDetail, "match", "claims", "sub"))
		}
	}
	email, hasEmail := m.Claims["email"]
	if hasEmail && email != "" {
		if IsGoogleUniqueID(email) {
			fs = append(fs, errorAt("is a numeric uniqueId, which belongs in claims.sub; claims.email is the account's email address",
				googleSubDetail, "match", "claims", "email"))
		} else {
			pinned = true
		}
	}
	// azp is the account's uniqueId for service accounts, but the OAuth
	// client (shared by every user of, say, gcloud) for people.
	if azp := m.Claims["azp"]; IsGoogleUniqueID(azp) {
		pinned = true
	}
	if condInvalid {
		pinned = true
	}
	condPinsEmail, condPinsSub := false, false
	if cond != nil {
		s := newPinScope(w, paths, m, cond)
		condPins, why := s.conditionPins(cond)
		if !condPins && !pinned && !HasErrors(fs) {
			return append(fs, errorAt(
				"a rule on Google's shared issuer must pin the Google account, and its condition does not: "+why,
				"Every Google account, in any project, can get ID tokens from accounts.google.com, so a rule without an identity pin accepts all of them. "+
					conditionPinDetail(w)+" "+googleSubDetail,
				conditionFindingPath(m)...))
		}
		pinned = pinned || condPins
		condPinsEmail, _ = newPinScope(w, pathsNamed(paths, "email"), m, cond).conditionPins(cond)
		condPinsSub, _ = newPinScope(w, pathsNamed(paths, "sub"), m, cond).conditionPins(cond)
	}

	if !pinned {
		if HasErrors(fs) {
			return fs // the specific error already says what to pin
		}
		fs = append(fs, errorAt(
			"a rule on Google's shared issuer must pin the Google account: set claims.sub (its numeric uniqueId) and claims.email",
			"Every Google account, in any project, can get ID tokens from accounts.google.com, so a rule without an identity pin accepts all of them. "+googleSubDetail,
			"match"))
		return fs
	}
	if !hasEmail && !condPinsEmail {
		fs = append(fs, warningAt("pin claims.email too",
			"The email makes the rule readable and is checked independently of the uniqueId. Tokens then need the email claim: request them with format=full from the metadata server, or includeEmail when impersonating.",
			"match", "claims"))
	}
	if !hasSub && !condPinsSub && !exactSubject {
		fs = append(fs, warningAt("pin claims.sub (the account's uniqueId) too",
			"A deleted service account's email can be reused by a new account; its uniqueId never is. "+googleSubDetail,
			"match", "claims"))
	}
	if m.Audience == nil {
		fs = append(fs, warningAt(
			fmt.Sprintf("audience is not set, so tokens must carry aud %q; set it to the audience your workload requests", DefaultAudience),
			"Any Google account can mint ID tokens for any audience; naming the expected one keeps tokens minted for other services out and documents the rule.",
			"match", "audience"))
	}
	return fs
}

// pathsNamed keeps the top-level tenant paths called name.
func pathsNamed(paths []tenantPath, name string) []tenantPath {
	return slices.DeleteFunc(slices.Clone(paths), func(p tenantPath) bool { return len(p.path) != 1 || p.path[0] != name })
}
