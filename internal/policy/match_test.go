package policy

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func ptr(s string) *string { return &s }

// findingKey renders a finding compactly for table comparisons.
func findingKey(f Finding) string {
	return fmt.Sprintf("%s %s", f.Severity, strings.Join(f.Path, "."))
}

func findingKeys(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = findingKey(f)
	}
	return out
}

func TestValidateMatch(t *testing.T) {
	tests := []struct {
		name string
		m    Match
		want []string // "severity path"
		msg  string   // substring of the first finding's Error()
	}{
		{"subject only", Match{SubjectPrefix: ptr("repo:octo/app:ref:refs/heads/main")}, nil, ""},
		{"subject prefix", Match{SubjectPrefix: ptr("repo:octo/*")}, nil, ""},
		{"claims only", Match{Claims: map[string]string{"email": "a@b.c"}}, nil, ""},
		{"condition only", Match{Condition: ptr(`claims.email == "a@b.c"`)}, nil, ""},
		{"all", Match{SubjectPrefix: ptr("x"), Audience: ptr("aud"), Claims: map[string]string{"a": "b"}, Condition: ptr(`claims.c == "d"`)}, nil, ""},
		{"namespaced claim name", Match{Claims: map[string]string{"https://example.com/roles": "admin"}}, nil, ""},

		{"empty", Match{}, []string{"error match"}, "match: must set at least one of subject_prefix, claims or condition"},
		{"empty claims map", Match{Claims: map[string]string{}}, []string{"error match"}, "at least one of"},
		{"audience alone", Match{Audience: ptr("https://api.anthropic.com")}, []string{"error match"}, "match: audience alone does not identify a workload"},
		{"empty subject", Match{SubjectPrefix: ptr("")}, []string{"error match.subject_prefix"}, "match.subject_prefix: must not be empty"},
		{"bare star", Match{SubjectPrefix: ptr("*")}, []string{"error match.subject_prefix"}, `"*" alone matches every subject`},
		{"double star", Match{SubjectPrefix: ptr("**")}, []string{"error match.subject_prefix"}, `alone matches every subject`},
		{"inner star", Match{SubjectPrefix: ptr("repo:*/app")}, []string{"error match.subject_prefix"}, `match.subject_prefix: "*" is only allowed at the end`},
		{"inner and trailing star", Match{SubjectPrefix: ptr("repo:*/*")}, []string{"error match.subject_prefix"}, "only allowed at the end"},
		{"leading star", Match{SubjectPrefix: ptr("*octo")}, []string{"error match.subject_prefix"}, "only allowed at the end"},
		{"subject whitespace", Match{SubjectPrefix: ptr(" repo:octo/*")}, []string{"warning match.subject_prefix"}, "whitespace"},
		{"empty audience", Match{SubjectPrefix: ptr("x"), Audience: ptr("")}, []string{"error match.audience"}, "match.audience: must not be empty"},
		{"star audience", Match{SubjectPrefix: ptr("x"), Audience: ptr("*")}, []string{"warning match.audience"}, "not a wildcard"},
		{"empty claim name", Match{Claims: map[string]string{"": "x"}}, []string{"error match.claims"}, "match.claims: claim names must not be empty"},
		{"empty claim value", Match{Claims: map[string]string{"email": ""}}, []string{"error match.claims.email"}, "match.claims.email: must not be empty"},
		{"star claim value", Match{Claims: map[string]string{"email": "*@x.com"}}, []string{"warning match.claims.email"}, "not a wildcard"},
		{"dotted claim name", Match{Claims: map[string]string{"google.compute_engine.project_id": "p"}}, []string{"warning match.claims.google.compute_engine.project_id"}, "not a nested claim"},
		{"claims sorted", Match{Claims: map[string]string{"b": "", "a": ""}}, []string{"error match.claims.a", "error match.claims.b"}, ""},
		{"condition syntax", Match{Condition: ptr(`claims.x ==`)}, []string{"error match.condition"}, "match.condition: condition:1:12: Syntax error"},
		{"condition type", Match{Condition: ptr(`claims.x + 1`)}, []string{"error match.condition"}, "result type"},
		{"condition true", Match{Condition: ptr(`true`)}, []string{"error match.condition"}, "always true"},
		{"condition true with others", Match{SubjectPrefix: ptr("x"), Condition: ptr(`1 == 1 || claims.a == "b"`)}, []string{"error match.condition"}, "always true"},
		{"condition false", Match{Condition: ptr(`false`)}, []string{"warning match.condition"}, "always false"},
		{"empty condition", Match{Condition: ptr("")}, []string{"error match.condition"}, "must not be empty"},
		{"several", Match{SubjectPrefix: ptr("*"), Audience: ptr(""), Condition: ptr("true")}, []string{"error match.subject_prefix", "error match.audience", "error match.condition"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := ValidateMatch(tt.m)
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
			if HasErrors(fs) != (FirstError(fs) != nil) {
				t.Fatal("HasErrors and FirstError disagree")
			}
		})
	}
}

func TestFindingHelpers(t *testing.T) {
	w := Finding{Severity: SeverityWarning, Path: []string{"match", "claims"}, Summary: "w"}
	e := Finding{Severity: SeverityError, Path: []string{"match", "subject_prefix"}, Summary: "bad"}
	if HasErrors([]Finding{w}) || FirstError([]Finding{w}) != nil || FirstError(nil) != nil {
		t.Fatal("warnings are not errors")
	}
	if err := FirstError([]Finding{w, e, w}); err == nil || err.Error() != "match.subject_prefix: bad" {
		t.Fatalf("FirstError = %v", err)
	}
	if SeverityError.String() != "error" || SeverityWarning.String() != "warning" || Severity(7).String() != "Severity(7)" {
		t.Fatal("Severity.String")
	}
}

func TestMatchSubject(t *testing.T) {
	tests := []struct {
		prefix, sub string
		want        bool
	}{
		{"repo:octo/app:ref:refs/heads/main", "repo:octo/app:ref:refs/heads/main", true},
		{"repo:octo/app:ref:refs/heads/main", "repo:octo/app:ref:refs/heads/main2", false},
		{"repo:octo/*", "repo:octo/app:ref:refs/heads/main", true},
		{"repo:octo/*", "repo:octo/", true},
		{"repo:octo/*", "repo:octo", false},
		{"repo:octo/*", "repo:Octo/app", false},
		{"Repo:octo/*", "repo:octo/app", false},
		{"*", "anything", true},
		{"*", "", true},
		{"", "", true},
		{"", "x", false},
		{"a*b", "a*b", true}, // not a wildcard in the middle
		{"a*b", "axb", false},
		{"a**", "a*x", true},
		{"a**", "ax", false},
	}
	for _, tt := range tests {
		if got := MatchSubject(tt.prefix, tt.sub); got != tt.want {
			t.Errorf("MatchSubject(%q, %q) = %v, want %v", tt.prefix, tt.sub, got, tt.want)
		}
	}
}

func TestMatchAudience(t *testing.T) {
	tests := []struct {
		want string
		aud  []string
		ok   bool
	}{
		{"https://api.anthropic.com", []string{"https://api.anthropic.com"}, true},
		{"x", []string{"y", "x"}, true},
		{"x", []string{"y"}, false},
		{"x", nil, false},
		{"", []string{DefaultAudience}, true},
		{"", []string{"other", DefaultAudience}, true},
		{"", []string{"other"}, false},
		{"X", []string{"x"}, false},
	}
	for _, tt := range tests {
		if got := MatchAudience(tt.want, tt.aud); got != tt.ok {
			t.Errorf("MatchAudience(%q, %q) = %v", tt.want, tt.aud, got)
		}
	}
}

func TestClaimAudiences(t *testing.T) {
	var claims map[string]any
	_ = json.Unmarshal([]byte(`{"aud": ["a", 1, "b"]}`), &claims)
	if got := ClaimAudiences(claims); strings.Join(got, ",") != "a,b" {
		t.Fatalf("array aud = %q", got)
	}
	if got := ClaimAudiences(map[string]any{"aud": "a"}); len(got) != 1 || got[0] != "a" {
		t.Fatalf("string aud = %q", got)
	}
	if got := ClaimAudiences(map[string]any{"aud": []string{"x"}}); len(got) != 1 {
		t.Fatalf("[]string aud = %q", got)
	}
	if got := ClaimAudiences(map[string]any{}); got != nil {
		t.Fatalf("missing aud = %q", got)
	}
}

func TestMatchClaims(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"email":"a@b.c","email_verified":true,"build":42,"ratio":0.5,"big":12345678901234567890,"obj":{"a":"b"},"null":null}`))
	dec.UseNumber()
	var numClaims map[string]any
	_ = dec.Decode(&numClaims)
	var floatClaims map[string]any
	_ = json.Unmarshal([]byte(`{"email":"a@b.c","email_verified":true,"build":42,"ratio":0.5,"obj":{"a":"b"}}`), &floatClaims)

	for _, claims := range []map[string]any{numClaims, floatClaims} {
		tests := []struct {
			want     map[string]string
			mismatch string
			ok       bool
		}{
			{nil, "", true},
			{map[string]string{"email": "a@b.c"}, "", true},
			{map[string]string{"email": "A@b.c"}, "email", false},
			{map[string]string{"email_verified": "true", "build": "42", "ratio": "0.5"}, "", true},
			{map[string]string{"build": "42.0"}, "build", false},
			{map[string]string{"missing": "x", "email": "wrong"}, "email", false},
			{map[string]string{"missing": "x"}, "missing", false},
			{map[string]string{"obj": `{"a":"b"}`}, "obj", false},
			{map[string]string{"null": ""}, "null", false},
		}
		for _, tt := range tests {
			mismatch, ok := MatchClaims(tt.want, claims)
			if ok != tt.ok || mismatch != tt.mismatch {
				t.Errorf("MatchClaims(%v) = %q, %v; want %q, %v", tt.want, mismatch, ok, tt.mismatch, tt.ok)
			}
		}
	}
	if _, ok := MatchClaims(map[string]string{"big": "12345678901234567890"}, numClaims); !ok {
		t.Error("json.Number keeps its text")
	}
	if _, ok := MatchClaims(map[string]string{"n": "3", "m": "-4"}, map[string]any{"n": 3, "m": int64(-4)}); !ok {
		t.Error("Go integers compare by their decimal text")
	}
}
