package policy

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Severity of a Finding.
type Severity int

// Severities. Errors make the service reject the rule (400); warnings are
// advice the provider shows at plan time and the emulator ignores.
const (
	SeverityError Severity = iota
	SeverityWarning
)

func (s Severity) String() string {
	switch s {
	case SeverityError:
		return "error"
	case SeverityWarning:
		return "warning"
	}
	return "Severity(" + strconv.Itoa(int(s)) + ")"
}

// Finding is one problem with a rule's match block.
type Finding struct {
	Severity Severity
	// Path is the attribute path under the rule, e.g. ["match","claims","sub"].
	Path []string
	// Summary says what is wrong, in user words; it is the service's
	// message after the path.
	Summary string
	// Detail says what to do instead.
	Detail string
}

// Error renders the finding in the service's field-first style:
// "match.subject_prefix: <summary>".
func (f Finding) Error() string {
	return strings.Join(f.Path, ".") + ": " + f.Summary
}

// HasErrors reports whether any finding is an error.
func HasErrors(findings []Finding) bool {
	return slices.ContainsFunc(findings, func(f Finding) bool { return f.Severity == SeverityError })
}

// FirstError returns the first error finding as an error, or nil. The
// service reports one problem per 400, and this picks the same one.
func FirstError(findings []Finding) error {
	for _, f := range findings {
		if f.Severity == SeverityError {
			return f
		}
	}
	return nil
}

func errorAt(summary, detail string, path ...string) Finding {
	return Finding{Severity: SeverityError, Path: path, Summary: summary, Detail: detail}
}

func warningAt(summary, detail string, path ...string) Finding {
	return Finding{Severity: SeverityWarning, Path: path, Summary: summary, Detail: detail}
}

// ValidateMatch checks the shape of a match block, independent of the issuer:
// at least one of subject_prefix, claims (non-empty) or condition, since
// audience alone identifies no workload; subject_prefix neither empty nor a
// bare "*", with "*" only at the end; claim names and values non-empty; and
// a condition that compiles. Findings come in a stable order.
func ValidateMatch(m Match) []Finding {
	var fs []Finding
	hasSubject := m.SubjectPrefix != nil
	hasClaims := len(m.Claims) > 0
	hasCondition := m.Condition != nil
	if !hasSubject && !hasClaims && !hasCondition {
		if m.Audience != nil {
			fs = append(fs, errorAt(
				"audience alone does not identify a workload; also set subject_prefix, claims or condition",
				"Every token minted for this audience by the issuer would match. Add subject_prefix, claims or condition to say which workload may use the rule.",
				"match"))
		} else {
			fs = append(fs, errorAt(
				"must set at least one of subject_prefix, claims or condition",
				"A rule must say which tokens it accepts: an exact or prefix subject, exact claim values, or a CEL condition over claims.",
				"match"))
		}
	}
	if hasSubject {
		fs = append(fs, checkSubjectPrefix(*m.SubjectPrefix)...)
	}
	if m.Audience != nil {
		switch aud := *m.Audience; {
		case ValidateText(aud, SingleLine) != nil:
			fs = append(fs, textFinding(ValidateText(aud, SingleLine), "match", "audience"))
		case aud == "":
			fs = append(fs, errorAt("must not be empty",
				fmt.Sprintf("Omit audience to require the default %q, or set the audience your workload requests its token for.", DefaultAudience),
				"match", "audience"))
		case strings.Contains(aud, "*"):
			fs = append(fs, warningAt(`is compared exactly: "*" is not a wildcard here`,
				"The token's aud must contain this exact string.", "match", "audience"))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(m.Claims)) {
		fs = append(fs, checkClaim(name, m.Claims[name])...)
	}
	if hasCondition {
		fs = append(fs, checkCondition(*m.Condition)...)
	}
	return fs
}

// textFinding reports a ValidateText error at path.
func textFinding(err error, path ...string) Finding {
	return errorAt(err.Error(), "Values compared with token claims must be plain text: remove the character (it may have come from a copy and paste).", path...)
}

func checkSubjectPrefix(p string) []Finding {
	path := []string{"match", "subject_prefix"}
	switch {
	case ValidateText(p, SingleLine) != nil:
		return []Finding{textFinding(ValidateText(p, SingleLine), path...)}
	case p == "":
		return []Finding{errorAt("must not be empty",
			`Set the exact subject ("sub") to accept, or a prefix ending in "*"; or remove subject_prefix.`, path...)}
	case strings.Trim(p, "*") == "":
		return []Finding{errorAt(`"*" alone matches every subject`,
			`Put the fixed part of the subject before the "*", e.g. "repo:my-org/*", or remove subject_prefix and match on claims.`, path...)}
	case strings.Contains(p[:len(p)-1], "*"):
		return []Finding{errorAt(`"*" is only allowed at the end`,
			`subject_prefix is an exact subject, or a prefix when it ends in "*"; for other patterns use condition, e.g. claims.sub.matches("...").`, path...)}
	case strings.TrimSpace(p) != p:
		return []Finding{warningAt("has leading or trailing whitespace",
			"Subjects are compared exactly and rarely contain spaces at their ends.", path...)}
	}
	return nil
}

func checkClaim(name, value string) []Finding {
	if name == "" {
		return []Finding{errorAt("claim names must not be empty", "Each key of claims is a top-level claim name, like \"email\".", "match", "claims")}
	}
	path := []string{"match", "claims", name}
	if err := ValidateText(name, SingleLine); err != nil {
		return []Finding{errorAt("claim name "+err.Error(), "Each key of claims is a top-level claim name, like \"email\": plain text only.", path...)}
	}
	if err := ValidateText(value, SingleLine); err != nil {
		return []Finding{textFinding(err, path...)}
	}
	var fs []Finding
	if value == "" {
		fs = append(fs, errorAt("must not be empty",
			"Claims are compared exactly; remove the entry if the claim should not be checked.", path...))
	}
	if strings.Contains(value, "*") {
		fs = append(fs, warningAt(`is compared exactly: "*" is not a wildcard here`,
			fmt.Sprintf("For patterns use condition, e.g. claims[%q].startsWith(\"...\").", name), path...))
	}
	// Namespaced claims (URLs, URNs) legitimately contain dots; a bare dotted
	// name is almost always a nested claim written as a path.
	if strings.Contains(name, ".") && !strings.ContainsAny(name, "/:") {
		fs = append(fs, warningAt("matches a top-level claim with this exact name, not a nested claim",
			fmt.Sprintf("For a nested claim use condition, e.g. claims.%s == %q.", name, value), path...))
	}
	return fs
}

func checkCondition(expr string) []Finding {
	path := []string{"match", "condition"}
	if err := ValidateText(expr, MultiLine); err != nil {
		return []Finding{textFinding(err, path...)}
	}
	c, err := CompileCondition(expr)
	if err != nil {
		detail := "condition is a CEL expression over the variable claims, e.g. claims.email == \"robot@example.com\"."
		if errIsConditionReason(err, ConditionConstantTrue) {
			detail = "A condition must depend on the token's claims, or every token from the issuer matches."
		}
		return []Finding{errorAt(err.Error(), detail, path...)}
	}
	if v, known := c.Constant(); known && !v {
		return []Finding{warningAt("is always false, so the rule never matches",
			"The condition does not depend on the token's claims.", path...)}
	}
	return nil
}

// MatchSubject reports whether sub passes subject_prefix: an exact match, or
// a prefix match when prefix ends in "*". Case-sensitive.
func MatchSubject(prefix, sub string) bool {
	if p, ok := strings.CutSuffix(prefix, "*"); ok {
		return strings.HasPrefix(sub, p)
	}
	return prefix == sub
}

// MatchAudience reports whether the rule's audience is one of the token's
// aud values. An empty want means the rule left audience unset, which
// requires DefaultAudience (inferred from the service's documentation).
func MatchAudience(want string, aud []string) bool {
	if want == "" {
		want = DefaultAudience
	}
	return slices.Contains(aud, want)
}

// ClaimAudiences returns the aud claim as a list: JWTs carry either one
// string or an array of strings.
func ClaimAudiences(claims map[string]any) []string {
	switch v := claims["aud"].(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// MatchClaims checks the match block's claims against a token's: each named
// top-level claim must equal its string. A string claim compares as is; a
// boolean or number claim compares by its JSON text ("true", "42"), since a
// Terraform map holds strings only (inferred: the service documents string
// values). On failure it returns the first mismatching claim name, in sorted
// order, for the authentication history.
func MatchClaims(want map[string]string, claims map[string]any) (mismatch string, ok bool) {
	for _, name := range slices.Sorted(maps.Keys(want)) {
		got, present := claimText(claims[name])
		if !present || got != want[name] {
			return name, false
		}
	}
	return "", true
}

func claimText(v any) (string, bool) {
	switch t := v.(type) {
	case string:
		return t, true
	case bool:
		return strconv.FormatBool(t), true
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64), true
	case json.Number:
		return t.String(), true
	case int:
		return strconv.Itoa(t), true
	case int64:
		return strconv.FormatInt(t, 10), true
	}
	return "", false
}
