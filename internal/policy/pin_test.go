package policy

import (
	"maps"
	"slices"
	"strings"
	"testing"
)

// ruleErrors is what the service answers for a rule: the first error of
// ValidateMatch, else of CheckTenantPin (the emulator's order).
func ruleErrors(issuer string, m Match) error {
	if err := FirstError(ValidateMatch(m)); err != nil {
		return err
	}
	return FirstError(CheckTenantPin(issuer, m, TenantOptions{}))
}

// TestTenantPinBypasses: each condition of the security review that used
// to count as pinned (it merely mentioned a tenant claim) is refused, with
// the reason, and its safe counterpart is accepted.
func TestTenantPinBypasses(t *testing.T) {
	aud := ptr(DefaultAudience)
	email := "robot@proj.iam.gserviceaccount.com"
	tests := []struct {
		name, issuer, cond string
		claims             map[string]string
		// want are substrings of the error; none means accepted.
		want []string
	}{
		// Google.
		{"google sub not empty", GoogleIssuer, `claims.sub != ""`, nil,
			[]string{"match.condition: a rule on Google's shared issuer must pin the Google account, and its condition does not", "`claims.sub != \"\"` is also true when claims.sub is \"109876543210987654321\", which another Google account's token can carry"}},
		{"google email suffix", GoogleIssuer, `claims.email.endsWith(".gserviceaccount.com")`, nil,
			[]string{"match.condition:", "is also true when claims.email is \"intruder@other-project.iam.gserviceaccount.com\""}},
		{"google email suffix, no project", GoogleIssuer, `claims.email.endsWith("@gmail.com")`, nil, []string{"match.condition:", "claims.email"}},
		{"google sub and email pinned", GoogleIssuer, `claims.sub == "` + testUniqueID + `" && claims.email == "` + email + `"`, nil, nil},
		{"google email in a list", GoogleIssuer, `claims.email in ["` + email + `", "b@proj.iam.gserviceaccount.com"] && claims.sub == "` + testUniqueID + `"`, nil, nil},
		{"google sub pinned by claims, loose condition", GoogleIssuer, `claims.sub != ""`, map[string]string{"sub": testUniqueID, "email": email}, nil},

		// GitHub.
		{"github repository contains", GitHubActionsIssuer, `claims.repository.contains("acme")`, nil,
			[]string{"match.condition: GitHub Actions's issuer is shared by every GitHub repository, so this rule must pin yours, and its condition does not", "`claims.repository.contains(\"acme\")` is also true when claims.repository is \"other-org/acme\""}},
		{"github owner not nobody", GitHubActionsIssuer, `claims.repository_owner != "nobody"`, nil,
			[]string{"`claims.repository_owner != \"nobody\"` is also true when claims.repository_owner is \"other-org\""}},
		{"github repository matches anything", GitHubActionsIssuer, `claims.repository.matches(".*")`, nil,
			[]string{"`claims.repository.matches(\".*\")` is also true when claims.repository is \"other-org/app\""}},
		{"github sub prefix or anything", GitHubActionsIssuer, `claims.sub.startsWith("repo:acme/") || claims.sub != ""`, nil,
			[]string{"the || makes the pin `claims.sub.startsWith(\"repo:acme/\")` optional: `claims.sub != \"\"` is also true when claims.sub is \"repo:other-org/app:ref:refs/heads/main\""}},
		{"github repository or ref", GitHubActionsIssuer, `claims.repository == "acme/app" || claims.ref == "refs/heads/main"`, nil,
			[]string{"the || makes the pin `claims.repository == \"acme/app\"` optional: `claims.ref == \"refs/heads/main\"` reads no claim that names the GitHub repository, so a token from any GitHub repository can satisfy it"}},
		{"github unterminated owner", GitHubActionsIssuer, `claims.sub.startsWith("repo:acme")`, nil,
			[]string{"is also true when claims.sub is \"repo:acme-other/app\""}},
		{"github owner id", GitHubActionsIssuer, `claims.repository_owner_id == "1342004"`, nil, nil},
		{"github repositories in a list", GitHubActionsIssuer, `claims.repository in ["acme/a", "acme/b"]`, nil, nil},
		{"github pins on both sides of or", GitHubActionsIssuer, `(claims.repository == "acme/a" && claims.ref == "refs/heads/main") || claims.repository_owner_id == "1342004"`, nil, nil},
		{"github whole owner prefix", GitHubActionsIssuer, `claims.repository.startsWith("acme/") && claims.ref == "refs/heads/main"`, nil, nil},
		{"github negated inequality", GitHubActionsIssuer, `!(claims.repository_owner != "acme")`, nil, nil},
		{"github ternary", GitHubActionsIssuer, `claims.repository_owner == "acme" ? claims.ref == "refs/heads/main" : false`, nil, nil},
		{"github index syntax", GitHubActionsIssuer, `claims["repository_id"] == "7" && claims.ref != "refs/heads/dev"`, nil, nil},
		{"github constant folded list", GitHubActionsIssuer, `claims.repository_owner in ["ac" + "me"]`, nil, nil},
		{"github pin through claims, loose condition", GitHubActionsIssuer, `claims.ref.startsWith("refs/heads/")`, map[string]string{"repository_owner_id": "1342004"}, nil},
		{"github condition comparing claims", GitHubActionsIssuer, `claims.repository_owner == claims.actor`, nil,
			[]string{"`claims.repository_owner == claims.actor` does not hold claims.repository_owner to values the rule names (compare it with == or in [...])"}},
		{"github comprehension", GitHubActionsIssuer, `["acme"].exists(o, claims.repository_owner == o)`, nil, []string{"match.condition:"}},
		{"github reusable workflow is not a tenant", GitHubActionsIssuer, `claims.job_workflow_ref.startsWith("acme/workflows/")`, nil,
			[]string{"reads no claim that names the GitHub repository"}},

		// GitLab.
		{"gitlab namespace not empty", GitLabIssuer, `claims.namespace_path.size() > 0`, nil,
			[]string{"match.condition: GitLab's issuer is shared by every GitLab project", "`claims.namespace_path.size() > 0` is also true when claims.namespace_path is \"other-org\""}},
		{"gitlab namespace", GitLabIssuer, `claims.namespace_path == "grp"`, nil, nil},
		{"gitlab subgroups", GitLabIssuer, `claims.project_path.startsWith("grp/")`, nil, nil},

		// Always true, with every claim unknown or absent.
		{"has or not has", GitHubActionsIssuer, `has(claims.sub) || !has(claims.sub)`, nil, []string{"match.condition: condition is always true in effect"}},
		{"claims equal themselves", GitHubActionsIssuer, `claims == claims`, nil, []string{"match.condition: condition is always true in effect"}},
		{"size never negative", GoogleIssuer, `size(claims) >= 0`, nil, []string{"match.condition: condition is always true in effect"}},
		{"tautology on a private issuer", "https://issuer.example.com", `has(claims.sub) || !has(claims.sub)`, nil, []string{"always true"}},

		// Not a bool.
		{"bare sub", GitHubActionsIssuer, `claims.sub`, nil, []string{"match.condition: condition must evaluate to a bool, but it is claims.sub, which is a string in every token"}},
		{"bare sub, private issuer", "https://issuer.example.com", `claims.sub`, nil, []string{"must evaluate to a bool", "string"}},
		{"bare tenant claim", GitHubActionsIssuer, `claims.repository`, map[string]string{"repository_owner": "acme"}, []string{"match.condition: condition must evaluate to a bool, but it is claims.repository, which is a string in GitHub Actions tokens"}},
		{"bare iat", "https://issuer.example.com", `claims.iat`, nil, []string{"claims.iat, which is a number"}},
		{"bare bool claim", "https://issuer.example.com", `claims.email_verified`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := Match{Audience: aud, Condition: ptr(tt.cond), Claims: tt.claims}
			err := ruleErrors(tt.issuer, m)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("rejected: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
		})
	}
}

// TestTenantPinWarningsFollowPins: Google's advice to pin email and sub
// too goes away only when the condition pins that claim.
func TestTenantPinWarningsFollowPins(t *testing.T) {
	aud := ptr(DefaultAudience)
	runPinCases(t, GoogleIssuer, TenantOptions{}, []pinCase{
		{"email read but not pinned", Match{Audience: aud, Claims: map[string]string{"sub": testUniqueID}, Condition: ptr(`claims.email != ""`)},
			[]string{"warning match.claims"}, "pin claims.email too"},
		{"sub read but not pinned", Match{Audience: aud, Claims: map[string]string{"email": "a@p.iam.gserviceaccount.com"}, Condition: ptr(`claims.sub.size() == 21`)},
			[]string{"warning match.claims"}, "pin claims.sub"},
		{"both pinned in condition", Match{Audience: aud, Condition: ptr(`claims.sub == "` + testUniqueID + `" && claims.email == "a@p.iam.gserviceaccount.com"`)}, nil, ""},
	})
}

// TestTenantPinSubjectForms: claims.sub and subject_prefix pin only when
// they spell a whole tenant, on every platform.
func TestTenantPinSubjectForms(t *testing.T) {
	tests := []struct {
		issuer, cond string
		pinned       bool
	}{
		{GitHubActionsIssuer, `claims.sub == "repo:acme/app:ref:refs/heads/main"`, true},
		{GitHubActionsIssuer, `claims.sub in ["repo:acme/app:environment:prod", "repo:acme/api:environment:prod"]`, true},
		{GitHubActionsIssuer, `claims.sub in ["repo:acme/app:environment:prod", "environment:prod"]`, false},
		{GitHubActionsIssuer, `claims.sub.startsWith("repository_owner_id:1342004:")`, true},
		{GitHubActionsIssuer, `claims.sub.startsWith("repository_owner_id:1342004")`, false},
		{GitHubActionsIssuer, `claims.sub.endsWith(":ref:refs/heads/main")`, false},
		{GitLabIssuer, `claims.sub.startsWith("project_path:grp/")`, true},
		{GitLabIssuer, `claims.sub.startsWith("project_path:grp")`, false},
		{BuildkiteIssuer, `claims.sub.startsWith("organization:acme:")`, true},
		{BuildkiteIssuer, `claims.organization_slug != "acme"`, false},
		{TerraformCloudIssuer, `claims.terraform_organization_id in ["org-1", "org-2"]`, true},
		{TerraformCloudIssuer, `claims.terraform_organization_name.startsWith("acme")`, false},
	}
	for _, tt := range tests {
		fs := CheckTenantPin(tt.issuer, Match{Condition: ptr(tt.cond)}, TenantOptions{})
		if HasErrors(fs) == tt.pinned {
			t.Errorf("%s: %s: pinned = %v, want %v (%v)", tt.issuer, tt.cond, !HasErrors(fs), tt.pinned, fs)
		}
	}
}

// FuzzTenantPinSound checks the soundness claim against the evaluator: a
// condition CheckTenantPin accepts as the only matcher of a rule
// must be false for tokens of other tenants, whatever the other claims
// hold (GitHub, Google or GitLab, by the fuzzer's choice). The tokens combine foreign tenant values (samples and variations
// of the condition's own literals) with literals, other types and absence
// for the remaining claims.
func FuzzTenantPinSound(f *testing.F) {
	for _, s := range []string{
		`claims.repository_owner == "acme"`, `claims.repository.contains("acme")`, `claims.sub.startsWith("repo:acme/")`,
		`claims.repository == "acme/app" || claims.ref == "main"`, `!(claims.repository_owner != "acme") && claims.ref != "x"`,
		`claims.repository_owner in ["acme", "b"] ? claims.ref == "main" : claims.actor == "x"`, `claims.repository.startsWith("acme/")`,
		`claims.repository_owner_id == "1" || (claims.repository_id == "2" && claims.ref == "x")`, `claims["repository_owner"] == "a"`,
	} {
		f.Add(s, uint8(0))
	}
	for _, s := range []string{
		`claims.sub == "` + testUniqueID + `"`, `claims.sub != ""`, `claims.email.endsWith("@p.iam.gserviceaccount.com")`,
		`claims.azp == "` + testUniqueID + `" || claims.email_verified`, `claims.email in ["a@b.c"] && claims.sub.size() == 21`,
	} {
		f.Add(s, uint8(1))
	}
	f.Add(`claims.namespace_path.startsWith("grp/") || claims.project_path == "grp/app"`, uint8(2))
	issuers := []string{GitHubActionsIssuer, GoogleIssuer, GitLabIssuer}
	f.Fuzz(func(t *testing.T, expr string, which uint8) {
		issuer := issuers[int(which)%len(issuers)]
		w, _ := LookupWellKnownIssuer(issuer)
		m := Match{Condition: &expr}
		if HasErrors(ValidateMatch(m)) || HasErrors(CheckTenantPin(issuer, m, TenantOptions{})) {
			return
		}
		c, err := CompileCondition(expr)
		if err != nil {
			t.Fatal(err)
		}
		s := newPinScope(w, tenantPaths(w), m, c)
		lits := stringLiterals(c.root)
		names := append(c.ReferencedClaims(), slices.Collect(maps.Keys(c.testedClaims))...)
		choices := map[string][]any{}
		for _, n := range names {
			if p, ok := s.pathFor([]string{n}); ok {
				for _, v := range s.candidates(p, lits) {
					choices[n] = append(choices[n], v)
				}
				choices[n] = append(choices[n], nil)
				continue
			}
			for _, l := range lits {
				choices[n] = append(choices[n], l)
			}
			choices[n] = append(choices[n], "x", true, 1.0, nil)
		}
		for i := range 64 {
			token := map[string]any{}
			for j, n := range names {
				vs := choices[n]
				if v := vs[(i*7+j*3+i/len(vs))%len(vs)]; v != nil {
					token[n] = v
				}
			}
			if ok, _ := c.Eval(token); ok {
				t.Fatalf("accepted %q, but the foreign token %v matches", expr, token)
			}
		}
	})
}

// BenchmarkCheckTenantPin: a plan checks every rule, so pinned conditions
// must stay cheap; the explanation of a rejection may cost more.
func BenchmarkCheckTenantPin(b *testing.B) {
	for _, tc := range []struct{ name, issuer, cond string }{
		{"github pinned", GitHubActionsIssuer, `claims.repository_owner_id == "1342004" && claims.ref == "refs/heads/main"`},
		{"google pinned", GoogleIssuer, `claims.sub == "` + testUniqueID + `" && claims.email == "a@p.iam.gserviceaccount.com"`},
		{"github rejected", GitHubActionsIssuer, `claims.repository.contains("acme") && claims.ref == "refs/heads/main"`},
	} {
		m := Match{Audience: ptr(DefaultAudience), Condition: ptr(tc.cond)}
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				CheckTenantPin(tc.issuer, m, TenantOptions{})
			}
		})
	}
}
