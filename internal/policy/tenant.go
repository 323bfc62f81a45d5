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
		TenantClaims: []string{"sub", "email", "azp", "google"},
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
// issuers; other issuers yield no findings. A rule pins its tenant with a
// tenant claim in claims, a subject_prefix (or claims.sub) that spells the
// tenant out, or a condition that reads a tenant claim or compares
// claims.sub with such a subject. An exact subject (no "*") names one
// workload and so always pins. A condition that does not compile counts as
// pinning here; ValidateMatch reports it.
func CheckTenantPin(issuerURL string, m Match, opts TenantOptions) []Finding {
	w, ok := LookupWellKnownIssuer(issuerURL)
	if !ok {
		return nil
	}
	cond, condOK := compiledForPin(m.Condition)
	if w.URL == GoogleIssuer {
		return checkGooglePin(w, m, cond, condOK, opts)
	}
	if pinsTenant(w, m, cond, condOK) {
		return nil
	}
	return []Finding{errorAt(
		fmt.Sprintf("%s's issuer is shared by every %s, so this rule must pin yours: set %s",
			w.Name, w.Unit, tenantPinOptions(w)),
		fmt.Sprintf("Without a tenant pin, a workload in any %s could exchange its token through this rule. Pin the tenant in claims (exact values), in a subject_prefix that starts with %q, or in a condition on one of those claims.",
			w.Unit, w.SubjectTenantPrefix),
		"match")}
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

func compiledForPin(expr *string) (*Condition, bool) {
	if expr == nil {
		return nil, false
	}
	c, err := CompileCondition(*expr)
	if err != nil {
		return nil, false
	}
	return c, true
}

func pinsTenant(w WellKnownIssuer, m Match, cond *Condition, condOK bool) bool {
	for _, c := range w.TenantClaims {
		if m.Claims[c] != "" {
			return true
		}
	}
	if m.SubjectPrefix != nil && subjectPinsTenant(w, *m.SubjectPrefix) {
		return true
	}
	if sub, ok := m.Claims["sub"]; ok && sub != "" {
		return true // an exact sub names one workload
	}
	if m.Condition != nil && !condOK {
		return true
	}
	if cond != nil {
		for _, c := range w.TenantClaims {
			if cond.claimRefs[c] {
				return true
			}
		}
		for _, lit := range cond.subjectLiterals {
			if !lit.prefix || subjectLiteralPinsTenant(w, lit.value) {
				return true
			}
		}
	}
	return false
}

// subjectPinsTenant: a subject_prefix without "*" is exact and names one
// workload; with "*" its fixed part must spell out a whole tenant.
func subjectPinsTenant(w WellKnownIssuer, p string) bool {
	fixed, wildcard := strings.CutSuffix(p, "*")
	if strings.Contains(fixed, "*") {
		return false // malformed; ValidateMatch reports it
	}
	if !wildcard {
		return fixed != ""
	}
	return subjectLiteralPinsTenant(w, fixed)
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

func checkGooglePin(w WellKnownIssuer, m Match, cond *Condition, condOK bool, opts TenantOptions) []Finding {
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
	if azp := m.Claims["azp"]; azp != "" {
		pinned = true
	}
	condReadsEmail, condReadsSub := false, false
	if m.Condition != nil && !condOK {
		pinned = true
	}
	if cond != nil {
		for _, c := range w.TenantClaims {
			if cond.claimRefs[c] {
				pinned = true
			}
		}
		condReadsEmail = cond.claimRefs["email"]
		condReadsSub = cond.claimRefs["sub"]
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
	if !hasEmail && !condReadsEmail {
		fs = append(fs, warningAt("pin claims.email too",
			"The email makes the rule readable and is checked independently of the uniqueId. Tokens then need the email claim: request them with format=full from the metadata server, or includeEmail when impersonating.",
			"match", "claims"))
	}
	if !hasSub && !condReadsSub && !exactSubject {
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
