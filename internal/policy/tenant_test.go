package policy

import (
	"strings"
	"testing"
)

const testUniqueID = "112233445566778899001"

func TestLookupWellKnownIssuer(t *testing.T) {
	tests := []struct {
		url, name string
	}{
		{"https://accounts.google.com", "Google"},
		{"https://accounts.google.com/", "Google"},
		{"https://Accounts.Google.com", "Google"},
		{"HTTPS://accounts.google.com:443/", "Google"},
		{"https://accounts.google.com.", "Google"},
		{"https://token.actions.githubusercontent.com", "GitHub Actions"},
		{"https://token.actions.githubusercontent.com/", "GitHub Actions"},
		{"https://gitlab.com", "GitLab"},
		{"https://agent.buildkite.com", "Buildkite"},
		{"https://app.terraform.io", "Terraform Cloud"},
		{"https://app.terraform.io//", "Terraform Cloud"},
		{"accounts.google.com", ""},
		{"http://accounts.google.com", ""},
		{"https://accounts.google.com:8443", ""},
		{"https://accounts.google.com/o", ""},
		{"https://token.actions.githubusercontent.com/my-enterprise", ""},
		{"https://gitlab.example.com", ""},
		{"https://issuer.example.com", ""},
		{"", ""},
		{"%", ""},
	}
	for _, tt := range tests {
		w, ok := LookupWellKnownIssuer(tt.url)
		if ok != (tt.name != "") || w.Name != tt.name {
			t.Errorf("LookupWellKnownIssuer(%q) = %q, %v; want %q", tt.url, w.Name, ok, tt.name)
		}
	}
	// Callers get copies: mutating one must not change the table.
	w, _ := LookupWellKnownIssuer(GitHubActionsIssuer)
	w.TenantClaims[0] = "changed"
	if w2, _ := LookupWellKnownIssuer(GitHubActionsIssuer); w2.TenantClaims[0] == "changed" {
		t.Fatal("LookupWellKnownIssuer exposes its table")
	}
	if len(WellKnownIssuers()) != 5 {
		t.Fatalf("WellKnownIssuers() has %d entries", len(WellKnownIssuers()))
	}
}

func TestIsGoogleUniqueID(t *testing.T) {
	for _, ok := range []string{testUniqueID, "000000000000000000000"} {
		if !IsGoogleUniqueID(ok) {
			t.Errorf("IsGoogleUniqueID(%q) = false", ok)
		}
	}
	for _, bad := range []string{"", "11223344556677889900", "1122334455667788990011", "11223344556677889900a", " 12233445566778899001", "robot@p.iam.gserviceaccount.com", "１１２２３３４４５５６６７７８８９９００１"} {
		if IsGoogleUniqueID(bad) {
			t.Errorf("IsGoogleUniqueID(%q) = true", bad)
		}
	}
}

type pinCase struct {
	name string
	m    Match
	want []string // "severity path"
	msg  string   // substring of the first finding's Error()
}

func runPinCases(t *testing.T, issuer string, opts TenantOptions, cases []pinCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			fs := CheckTenantPin(issuer, tt.m, opts)
			if got := findingKeys(fs); strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Fatalf("findings = %q, want %q\n%v", got, tt.want, fs)
			}
			if tt.msg != "" && !strings.Contains(fs[0].Error(), tt.msg) {
				t.Fatalf("Error() = %q, want it to contain %q", fs[0].Error(), tt.msg)
			}
			for _, f := range fs {
				if f.Summary == "" || f.Detail == "" {
					t.Fatalf("finding without summary or detail: %#v", f)
				}
			}
		})
	}
}

func TestCheckTenantPinGoogle(t *testing.T) {
	email := "robot@proj.iam.gserviceaccount.com"
	aud := ptr("https://api.anthropic.com")
	runPinCases(t, GoogleIssuer, TenantOptions{}, []pinCase{
		{"sub, email and audience", Match{Audience: aud, Claims: map[string]string{"sub": testUniqueID, "email": email}}, nil, ""},
		{"condition on email and sub", Match{Audience: aud, Condition: ptr(`claims.email == "` + email + `" && claims.sub == "` + testUniqueID + `"`)}, nil, ""},
		// A domain suffix narrows the email but names no account: the advice stays.
		{"sub claim, email suffix in condition", Match{Audience: aud, Claims: map[string]string{"sub": testUniqueID}, Condition: ptr(`claims.email.endsWith("@proj.iam.gserviceaccount.com")`)},
			[]string{"warning match.claims"}, "pin claims.email too"},
		{"sub claim, email in condition", Match{Audience: aud, Claims: map[string]string{"sub": testUniqueID}, Condition: ptr(`claims.email == "` + email + `"`)}, nil, ""},

		{"subject_prefix wildcard", Match{Audience: aud, SubjectPrefix: ptr("1122*"), Claims: map[string]string{"sub": testUniqueID, "email": email}},
			[]string{"error match.subject_prefix"}, "match.subject_prefix: Google sub values are numeric uniqueIds with no stable prefix"},
		{"subject_prefix alone", Match{Audience: aud, SubjectPrefix: ptr("1*")}, []string{"error match.subject_prefix"}, "no stable prefix"},
		{"subject_prefix exact uniqueId", Match{Audience: aud, SubjectPrefix: ptr(testUniqueID), Claims: map[string]string{"email": email}},
			[]string{"error match.subject_prefix"}, "no stable prefix"},
		{"sub is an email", Match{Audience: aud, Claims: map[string]string{"sub": email}}, []string{"error match.claims.sub"},
			"match.claims.sub: Google's sub is the account's numeric uniqueId, not its email; the email belongs in claims.email"},
		{"sub is an email, email also set", Match{Audience: aud, Claims: map[string]string{"sub": email, "email": email}}, []string{"error match.claims.sub"}, "belongs in claims.email"},
		{"sub is not a uniqueId", Match{Audience: aud, Claims: map[string]string{"sub": "1234", "email": email}}, []string{"error match.claims.sub"}, `21-digit numeric uniqueId (got "1234")`},
		{"sub is a service account name", Match{Audience: aud, Claims: map[string]string{"sub": "projects/p/serviceAccounts/robot"}}, []string{"error match.claims.sub"}, "uniqueId"},
		{"email is a uniqueId", Match{Audience: aud, Claims: map[string]string{"email": testUniqueID}}, []string{"error match.claims.email"}, "belongs in claims.sub"},
		{"no identity pin", Match{Audience: aud, Claims: map[string]string{"email_verified": "true"}}, []string{"error match"},
			"match: a rule on Google's shared issuer must pin the Google account"},
		{"condition on an unrelated claim", Match{Audience: aud, Condition: ptr(`claims.email_verified == true`)}, []string{"error match.condition"}, "must pin"},
		{"condition has() only", Match{Audience: aud, Condition: ptr(`has(claims.email)`)}, []string{"error match.condition"}, "must pin"},
		{"unrelated claim and condition", Match{Audience: aud, Claims: map[string]string{"hd": "example.com"}, Condition: ptr(`claims.email_verified == true`)}, []string{"error match"}, "its condition does not"},
		{"azp is an OAuth client", Match{Audience: aud, Claims: map[string]string{"azp": "32555940559.apps.googleusercontent.com"}}, []string{"error match"}, "must pin"},
		{"audience only", Match{Audience: aud}, []string{"error match"}, "must pin"},

		{"missing email", Match{Audience: aud, Claims: map[string]string{"sub": testUniqueID}}, []string{"warning match.claims"}, "pin claims.email too"},
		{"missing sub", Match{Audience: aud, Claims: map[string]string{"email": email}}, []string{"warning match.claims"}, "pin claims.sub"},
		{"missing audience", Match{Claims: map[string]string{"sub": testUniqueID, "email": email}}, []string{"warning match.audience"}, "audience is not set"},
		{"project condition only", Match{Audience: aud, Condition: ptr(`claims.google.compute_engine.project_id == "p"`)},
			[]string{"warning match.claims", "warning match.claims"}, "pin claims.email too"},
		{"azp only, no audience", Match{Claims: map[string]string{"azp": testUniqueID}},
			[]string{"warning match.claims", "warning match.claims", "warning match.audience"}, ""},
		{"invalid condition counts as a pin", Match{Audience: aud, Claims: map[string]string{"sub": testUniqueID, "email": email}, Condition: ptr(`claims.x ==`)}, nil, ""},
	})
}

func TestCheckTenantPinGoogleAllowSubjectPrefix(t *testing.T) {
	email := "robot@proj.iam.gserviceaccount.com"
	aud := ptr("x")
	runPinCases(t, GoogleIssuer, TenantOptions{AllowGoogleSubjectPrefix: true}, []pinCase{
		{"wildcard with pins is a warning", Match{Audience: aud, SubjectPrefix: ptr("1*"), Claims: map[string]string{"sub": testUniqueID, "email": email}},
			[]string{"warning match.subject_prefix"}, "no stable prefix"},
		{"wildcard alone still needs a pin", Match{Audience: aud, SubjectPrefix: ptr("1*")},
			[]string{"warning match.subject_prefix", "error match"}, "no stable prefix"},
		{"exact uniqueId pins", Match{Audience: aud, SubjectPrefix: ptr(testUniqueID), Claims: map[string]string{"email": email}},
			[]string{"warning match.subject_prefix"}, "no stable prefix"},
	})
	fs := CheckTenantPin(GoogleIssuer, Match{Audience: aud, SubjectPrefix: ptr(testUniqueID), Claims: map[string]string{"email": email}}, TenantOptions{AllowGoogleSubjectPrefix: true})
	if !strings.Contains(fs[0].Detail, `claims.sub = "`+testUniqueID+`"`) {
		t.Fatalf("detail does not suggest moving the uniqueId: %q", fs[0].Detail)
	}
	fs = CheckTenantPin(GoogleIssuer, Match{Audience: aud, SubjectPrefix: ptr("1*")}, TenantOptions{})
	if !strings.Contains(fs[0].Detail, "every Google project") || !strings.Contains(fs[0].Detail, "anthropic_google_service_account") {
		t.Fatalf("detail does not explain the risk and the fix: %q", fs[0].Detail)
	}
}

func TestCheckTenantPinGitHub(t *testing.T) {
	runPinCases(t, GitHubActionsIssuer+"/", TenantOptions{}, []pinCase{
		{"repository_owner claim", Match{Claims: map[string]string{"repository_owner": "octo"}}, nil, ""},
		{"repository_owner_id claim", Match{Claims: map[string]string{"repository_owner_id": "42"}}, nil, ""},
		{"repository claim", Match{Claims: map[string]string{"repository": "octo/app"}}, nil, ""},
		{"repository_id claim", Match{Claims: map[string]string{"repository_id": "7"}}, nil, ""},
		{"repo subject prefix", Match{SubjectPrefix: ptr("repo:octo/*")}, nil, ""},
		{"repo subject prefix with repo", Match{SubjectPrefix: ptr("repo:octo/app:*")}, nil, ""},
		{"exact subject", Match{SubjectPrefix: ptr("repo:octo/app:ref:refs/heads/main")}, nil, ""},
		{"exact sub claim", Match{Claims: map[string]string{"sub": "repo:octo/app:environment:prod"}}, nil, ""},
		{"custom sub template", Match{SubjectPrefix: ptr("repository_owner_id:42:*")}, nil, ""},
		{"custom sub template repository", Match{SubjectPrefix: ptr("repository:octo/app:*")}, nil, ""},
		{"condition on tenant claim", Match{Condition: ptr(`claims.repository_owner == "octo"`)}, nil, ""},
		{"condition index on tenant claim", Match{Condition: ptr(`claims["repository_id"] == "7"`)}, nil, ""},
		{"condition sub startsWith", Match{Condition: ptr(`claims.sub.startsWith("repo:octo/")`)}, nil, ""},
		{"condition exact sub", Match{Condition: ptr(`claims.sub == "repo:octo/app:ref:refs/heads/main"`)}, nil, ""},

		{"ref only", Match{Claims: map[string]string{"ref": "refs/heads/main"}}, []string{"error match"},
			"match: GitHub Actions's issuer is shared by every GitHub repository, so this rule must pin yours: set claims.repository, claims.repository_owner, claims.repository_owner_id, claims.repository_id or subject_prefix \"repo:OWNER/*\""},
		{"repo wildcard", Match{SubjectPrefix: ptr("repo:*")}, []string{"error match"}, "must pin"},
		{"unterminated owner", Match{SubjectPrefix: ptr("repo:octo*")}, []string{"error match"}, "must pin"},
		{"empty owner", Match{SubjectPrefix: ptr("repo:/*")}, []string{"error match"}, "must pin"},
		{"other prefix", Match{SubjectPrefix: ptr("environment:prod:*")}, []string{"error match"}, "must pin"},
		{"empty tenant claim", Match{Claims: map[string]string{"repository_owner": ""}}, []string{"error match"}, "must pin"},
		{"condition on other claim", Match{Condition: ptr(`claims.ref == "refs/heads/main"`)}, []string{"error match.condition"}, "must pin"},
		{"condition has() on tenant claim", Match{Condition: ptr(`has(claims.repository_owner)`)}, []string{"error match.condition"}, "must pin"},
		{"condition loose sub prefix", Match{Condition: ptr(`claims.sub.startsWith("repo:")`)}, []string{"error match.condition"}, "must pin"},
		{"exact sub without a tenant", Match{SubjectPrefix: ptr("environment:prod")}, []string{"error match"}, "must pin"},
		{"exact sub claim without a tenant", Match{Claims: map[string]string{"sub": "ref:refs/heads/main"}}, []string{"error match"}, "must pin"},
		{"shadowed claims variable", Match{Claims: map[string]string{"ref": "x"}, Condition: ptr(`[{"repository_owner": "octo"}].exists(claims, claims.repository_owner == "octo") && claims.ref == "x"`)}, []string{"error match"}, "must pin"},
		{"audience only", Match{Audience: ptr("x")}, []string{"error match"}, "must pin"},
	})
}

func TestCheckTenantPinGitLab(t *testing.T) {
	runPinCases(t, GitLabIssuer, TenantOptions{}, []pinCase{
		{"namespace_path", Match{Claims: map[string]string{"namespace_path": "grp"}}, nil, ""},
		{"namespace_id", Match{Claims: map[string]string{"namespace_id": "1"}}, nil, ""},
		{"project_path", Match{Claims: map[string]string{"project_path": "grp/app"}}, nil, ""},
		{"project_id", Match{Claims: map[string]string{"project_id": "2"}}, nil, ""},
		{"subject prefix", Match{SubjectPrefix: ptr("project_path:grp/*")}, nil, ""},
		{"subject prefix nested group", Match{SubjectPrefix: ptr("project_path:grp/sub/app:ref_type:branch:*")}, nil, ""},
		{"condition", Match{Condition: ptr(`claims.namespace_path == "grp"`)}, nil, ""},
		{"ref_type only", Match{Claims: map[string]string{"ref_type": "branch"}}, []string{"error match"}, "GitLab's issuer is shared by every GitLab project"},
		{"unterminated namespace", Match{SubjectPrefix: ptr("project_path:grp*")}, []string{"error match"}, `subject_prefix "project_path:NAMESPACE/*"`},
		{"wildcard", Match{SubjectPrefix: ptr("project_path:*")}, []string{"error match"}, "must pin"},
	})
}

func TestCheckTenantPinBuildkite(t *testing.T) {
	runPinCases(t, BuildkiteIssuer, TenantOptions{}, []pinCase{
		{"organization_slug", Match{Claims: map[string]string{"organization_slug": "acme"}}, nil, ""},
		{"subject prefix", Match{SubjectPrefix: ptr("organization:acme:*")}, nil, ""},
		{"subject prefix pipeline", Match{SubjectPrefix: ptr("organization:acme:pipeline:deploy:*")}, nil, ""},
		{"condition", Match{Condition: ptr(`claims.organization_slug in ["acme", "acme-labs"]`)}, nil, ""},
		{"pipeline only", Match{Claims: map[string]string{"pipeline_slug": "deploy"}}, []string{"error match"},
			`Buildkite's issuer is shared by every Buildkite organization, so this rule must pin yours: set claims.organization_slug or subject_prefix "organization:SLUG:*"`},
		{"unterminated", Match{SubjectPrefix: ptr("organization:acme*")}, []string{"error match"}, "must pin"},
		{"wildcard", Match{SubjectPrefix: ptr("organization:*")}, []string{"error match"}, "must pin"},
	})
}

func TestCheckTenantPinTerraformCloud(t *testing.T) {
	runPinCases(t, TerraformCloudIssuer, TenantOptions{}, []pinCase{
		{"organization name", Match{Claims: map[string]string{"terraform_organization_name": "acme"}}, nil, ""},
		{"organization id", Match{Claims: map[string]string{"terraform_organization_id": "org-123"}}, nil, ""},
		{"subject prefix", Match{SubjectPrefix: ptr("organization:acme:project:*")}, nil, ""},
		{"condition", Match{Condition: ptr(`claims.terraform_organization_id == "org-123"`)}, nil, ""},
		{"condition sub", Match{Condition: ptr(`claims["sub"].startsWith("organization:acme:")`)}, nil, ""},
		{"workspace only", Match{Claims: map[string]string{"terraform_workspace_name": "prod"}}, []string{"error match"},
			"Terraform Cloud's issuer is shared by every Terraform Cloud organization"},
		{"unterminated", Match{SubjectPrefix: ptr("organization:acme*")}, []string{"error match"}, "must pin"},
	})
}

func TestCheckTenantPinOtherIssuers(t *testing.T) {
	for _, issuer := range []string{"https://issuer.example.com", "https://token.actions.githubusercontent.com/acme", ""} {
		if fs := CheckTenantPin(issuer, Match{SubjectPrefix: ptr("*")}, TenantOptions{}); fs != nil {
			t.Errorf("CheckTenantPin(%q) = %v, want none", issuer, fs)
		}
	}
}
