package policy

import (
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/parser"
)

// Tenant pinning is decided, not pattern-matched.
//
// The question CheckTenantPin answers for a rule on a shared issuer is: can a
// token from another tenant (another GitHub repository owner, another Google
// account, ...) match it? The attacker model:
//
//   - Each tenant path of the issuer (tenantPath: claims such as
//     repository_owner, repository_owner_id, the tenant part of sub) carries
//     a value of the attacker's own tenant. The attacker chooses it freely
//     (organisation names are first come, first served) except that it is
//     not a value the rule names: a tenant the rule names is, by
//     definition, trusted. It may also be absent where the platform allows.
//   - Every other claim is entirely attacker-controlled: any value, any
//     type, or absent.
//
// The rule matches only if all of its matchers pass (claims AND
// subject_prefix AND condition), so it is pinned as soon as one matcher can
// never pass for such a token. claims and subject_prefix are exact or
// prefix comparisons and are decided directly. The condition is first
// partially evaluated by CEL with the whole claim map unknown, which folds
// everything that does not depend on the token (`true || ...`, constant
// lists, arithmetic); the residual is then evaluated abstractly: every
// boolean subexpression gets a pair (may be true, may be false) over all
// attacker tokens:
//
//   - a pin atom is never true: a tenant path compared for equality with a
//     literal (`==`, `in [literals]`), or, where the value starts with the
//     tenant and a separator (repository "OWNER/NAME", sub "repo:OWNER/..."),
//     startsWith of a literal that spells a whole tenant and its separator.
//     Its negation (`!=`) is never false;
//   - `&&`, `||`, `!` and `? :` combine the pairs by CEL's semantics, errors
//     counting as "not true" (a condition that errors does not match);
//   - anything else (contains, matches, size, comparisons with other claims,
//     comprehensions, reads of non-tenant claims, the claim map as a whole)
//     may be true and may be false.
//
// Soundness: each pair over-approximates the outcomes an attacker token can
// produce, by induction over the expression; the only assumptions are the
// platform's (a tenant value never contains its separator, ids are
// unique). So when the root may not be true, no other tenant's token
// matches. The analysis is conservative: it may reject an exotic but safe
// condition (`claims.repository_owner.matches("^acme$")`, or
// `claims.ref != "main" || claims.repository_owner == "acme"` next to
// claims = { ref = "main" }: each matcher is judged on its own), never
// accept an unsafe one.
// When it rejects, the reason names the part of the condition that lets
// other tenants through and, where it can, a concrete value of another
// tenant that satisfies it (found by evaluating that part with candidate
// values built from its own literals: "other-org/acme" for contains("acme")).
//
// Platform facts the tenant paths encode: a sub that starts with one of the
// issuer's SubjectForms carries the token's own tenant there, and any other
// sub is attacker-chosen text (GitHub lets a repository customize its sub
// template), so an exact sub pins only when it spells a tenant. Google's azp
// names an account only when it is a uniqueId (for people it is the OAuth
// client, shared by every user of, say, gcloud), and an email suffix is not
// a pin: Google-managed domains such as gcp-sa-*.iam.gserviceaccount.com
// are shared by every project.

type pathKind int

const (
	// pathExact: the whole value names one tenant (an id, an owner, an email).
	pathExact pathKind = iota
	// pathPrefixed: the value starts with the tenant and sep ("OWNER/REPO").
	pathPrefixed
	// pathSubject: sub, laid out per the issuer's SubjectForms.
	pathSubject
)

// tenantPath is a claim (or a nested claim) whose value names the tenant.
type tenantPath struct {
	path []string
	kind pathKind
	sep  string
	// sample is a value another tenant's token can carry, for messages.
	sample string
	// literalOK, when set, says which compared literals pin: Google's azp
	// names one account only when it is a uniqueId (for people it is the
	// OAuth client, shared by every user of, say, gcloud).
	literalOK func(string) bool
	// typ is the claim's JSON type on the platform, for non-bool checks.
	typ string
}

func (p tenantPath) name() string { return "claims." + strings.Join(p.path, ".") }

const otherTenant = "other-org"

// tenantPaths lists the claims of w that name a tenant.
func tenantPaths(w WellKnownIssuer) []tenantPath {
	sub := func(sample string) tenantPath {
		return tenantPath{path: []string{"sub"}, kind: pathSubject, sample: sample, typ: "string"}
	}
	exact := func(name, sample string) tenantPath {
		return tenantPath{path: []string{name}, kind: pathExact, sample: sample, typ: "string"}
	}
	prefixed := func(name, sample string) tenantPath {
		return tenantPath{path: []string{name}, kind: pathPrefixed, sep: "/", sample: sample, typ: "string"}
	}
	switch w.URL {
	case GoogleIssuer:
		return []tenantPath{
			exact("sub", "109876543210987654321"),
			exact("email", "intruder@other-project.iam.gserviceaccount.com"),
			{path: []string{"azp"}, kind: pathExact, sample: "109876543210987654321", literalOK: IsGoogleUniqueID, typ: "string"},
			{path: []string{"google", "compute_engine", "project_id"}, kind: pathExact, sample: "other-project", typ: "string"},
			{path: []string{"google", "compute_engine", "project_number"}, kind: pathExact, sample: "", typ: "number"},
		}
	case GitHubActionsIssuer:
		return []tenantPath{
			prefixed("repository", otherTenant+"/app"),
			exact("repository_owner", otherTenant),
			exact("repository_owner_id", "99999999"),
			exact("repository_id", "99999999"),
			sub("repo:" + otherTenant + "/app:ref:refs/heads/main"),
		}
	case GitLabIssuer:
		return []tenantPath{
			prefixed("namespace_path", otherTenant),
			exact("namespace_id", "99999999"),
			prefixed("project_path", otherTenant+"/app"),
			exact("project_id", "99999999"),
			sub("project_path:" + otherTenant + "/app:ref_type:branch:ref:main"),
		}
	case BuildkiteIssuer:
		return []tenantPath{
			exact("organization_slug", otherTenant),
			sub("organization:" + otherTenant + ":pipeline:deploy:ref:refs/heads/main:commit:0:step:deploy"),
		}
	case TerraformCloudIssuer:
		return []tenantPath{
			exact("terraform_organization_name", otherTenant),
			exact("terraform_organization_id", "org-Other"),
			sub("organization:" + otherTenant + ":project:p:workspace:w:run_phase:apply"),
		}
	}
	return nil
}

// pinScope evaluates a rule against the tokens of other tenants; paths are
// the claims that carry the other tenant's values.
type pinScope struct {
	w     WellKnownIssuer
	paths []tenantPath
	// literals are the strings the rule names anywhere; a witness value
	// must be none of them, nor carry a tenant they spell.
	literals map[string]bool
	info     *celast.SourceInfo
}

func newPinScope(w WellKnownIssuer, paths []tenantPath, m Match, cond *Condition) *pinScope {
	s := &pinScope{w: w, paths: paths, literals: map[string]bool{}}
	for _, v := range m.Claims {
		s.literals[v] = true
	}
	if m.SubjectPrefix != nil {
		s.literals[strings.TrimSuffix(*m.SubjectPrefix, "*")] = true
	}
	if cond != nil {
		for _, l := range stringLiterals(cond.residual) {
			s.literals[l] = true
		}
		s.info = cond.residualInfo
	}
	return s
}

func (s *pinScope) pathFor(p []string) (tenantPath, bool) {
	for _, tp := range s.paths {
		if slices.Equal(tp.path, p) {
			return tp, true
		}
	}
	return tenantPath{}, false
}

// equalityPins: a value equal to lit belongs to a tenant lit names.
func (s *pinScope) equalityPins(p tenantPath, lit celast.Expr) bool {
	if lit == nil || lit.Kind() != celast.LiteralKind {
		return false
	}
	str, isString := lit.AsLiteral().(types.String)
	if !isString {
		// A string claim never equals a non-string; a number claim
		// equals only this number.
		return true
	}
	switch {
	case p.kind == pathSubject:
		return subjectLiteralPinsTenant(s.w, string(str))
	case p.literalOK != nil:
		return p.literalOK(string(str))
	}
	return true
}

// prefixPins: a value starting with lit belongs to a tenant lit spells.
func (s *pinScope) prefixPins(p tenantPath, lit string) bool {
	switch p.kind {
	case pathPrefixed:
		return strings.Index(lit, p.sep) > 0
	case pathSubject:
		return subjectLiteralPinsTenant(s.w, lit)
	}
	return false
}

// claimsPin: the claims matcher pins when it fixes a top-level tenant path.
func (s *pinScope) claimsPin(claims map[string]string) bool {
	for k, v := range claims {
		if p, ok := s.pathFor([]string{k}); ok && v != "" && s.equalityPins(p, celast.NewExprFactory().NewLiteral(0, types.String(v))) {
			return true
		}
	}
	return false
}

// subjectPin: subject_prefix compares sub exactly, or as a prefix with "*".
func (s *pinScope) subjectPin(prefix string) bool {
	p, ok := s.pathFor([]string{"sub"})
	if !ok {
		return false
	}
	fixed, wildcard := strings.CutSuffix(prefix, "*")
	if strings.Contains(fixed, "*") || fixed == "" {
		return false // malformed; ValidateMatch reports it
	}
	if !wildcard {
		return s.equalityPins(p, celast.NewExprFactory().NewLiteral(0, types.String(fixed)))
	}
	return s.prefixPins(p, fixed)
}

// verdict over-approximates a boolean expression's outcomes for every token
// of another tenant. reasons say why it may be true.
type verdict struct {
	mayTrue, mayFalse bool
	reasons           []pinReason
}

// pinReason points at the part of the condition that lets another tenant
// through; optional is a pin that `||` made optional, if any.
type pinReason struct {
	node     celast.Expr
	optional celast.Expr
}

func (s *pinScope) eval(e celast.Expr) verdict {
	opaque := verdict{true, true, []pinReason{{node: e}}}
	switch e.Kind() {
	case celast.LiteralKind:
		if b, ok := e.AsLiteral().(types.Bool); ok {
			if b {
				return verdict{true, false, []pinReason{{node: e}}}
			}
			return verdict{false, true, nil}
		}
		return verdict{} // not a bool: an error, never true
	case celast.CallKind:
	default:
		return opaque
	}
	call := e.AsCall()
	args := call.Args()
	switch call.FunctionName() {
	case operators.LogicalAnd:
		out := verdict{mayTrue: true}
		for _, a := range args {
			v := s.eval(a)
			out.mayTrue = out.mayTrue && v.mayTrue
			out.mayFalse = out.mayFalse || v.mayFalse
			out.reasons = append(out.reasons, v.reasons...)
		}
		if !out.mayTrue {
			out.reasons = nil
		}
		return out
	case operators.LogicalOr:
		out := verdict{mayFalse: true}
		var pin celast.Expr
		for _, a := range args {
			v := s.eval(a)
			out.mayFalse = out.mayFalse && v.mayFalse
			if !v.mayTrue {
				if pin == nil && a.Kind() != celast.LiteralKind {
					pin = a
				}
				continue
			}
			if !out.mayTrue {
				out.reasons = v.reasons
			}
			out.mayTrue = true
		}
		if pin != nil {
			for i := range out.reasons {
				out.reasons[i].optional = pin
			}
		}
		return out
	case operators.LogicalNot:
		if len(args) == 1 {
			v := s.eval(args[0])
			out := verdict{mayTrue: v.mayFalse, mayFalse: v.mayTrue}
			if out.mayTrue {
				out.reasons = []pinReason{{node: e}}
			}
			return out
		}
	case operators.Conditional:
		if len(args) == 3 {
			c, a, b := s.eval(args[0]), s.eval(args[1]), s.eval(args[2])
			out := verdict{
				mayTrue:  (c.mayTrue && a.mayTrue) || (c.mayFalse && b.mayTrue),
				mayFalse: (c.mayTrue && a.mayFalse) || (c.mayFalse && b.mayFalse),
			}
			if out.mayTrue {
				out.reasons = []pinReason{{node: e}}
			}
			return out
		}
	case operators.Equals, operators.NotEquals:
		if len(args) == 2 && (s.equalsPinAtom(args[0], args[1]) || s.equalsPinAtom(args[1], args[0])) {
			if call.FunctionName() == operators.Equals {
				return verdict{false, true, nil}
			}
			return verdict{true, false, []pinReason{{node: e}}}
		}
	case operators.In:
		if len(args) == 2 && s.inPinAtom(args[0], args[1]) {
			return verdict{false, true, nil}
		}
	case "startsWith":
		if call.IsMemberFunction() && len(args) == 1 {
			if p, ok := s.tenantPathOf(call.Target()); ok {
				if lit, ok := stringLiteral(args[0]); ok && s.prefixPins(p, lit) {
					return verdict{false, true, nil}
				}
			}
		}
	}
	return opaque
}

func (s *pinScope) equalsPinAtom(claim, lit celast.Expr) bool {
	p, ok := s.tenantPathOf(claim)
	return ok && s.equalityPins(p, lit)
}

func (s *pinScope) inPinAtom(claim, list celast.Expr) bool {
	p, ok := s.tenantPathOf(claim)
	if !ok || list.Kind() != celast.ListKind {
		return false
	}
	for _, el := range list.AsList().Elements() {
		if !s.equalityPins(p, el) {
			return false
		}
	}
	return true
}

func (s *pinScope) tenantPathOf(e celast.Expr) (tenantPath, bool) {
	p, ok := claimPath(e)
	if !ok {
		return tenantPath{}, false
	}
	return s.pathFor(p)
}

// claimPath matches claims.a.b and claims["a"]["b"] (literal keys) on the
// top-level variable; the residual is never inside a comprehension here.
func claimPath(e celast.Expr) ([]string, bool) {
	var rev []string
	for e != nil {
		switch e.Kind() {
		case celast.IdentKind:
			if e.AsIdent() != ConditionVariable || len(rev) == 0 {
				return nil, false
			}
			slices.Reverse(rev)
			return rev, true
		case celast.SelectKind:
			sel := e.AsSelect()
			if sel.IsTestOnly() {
				return nil, false
			}
			rev = append(rev, sel.FieldName())
			e = sel.Operand()
		case celast.CallKind:
			call := e.AsCall()
			if call.FunctionName() != operators.Index || len(call.Args()) != 2 {
				return nil, false
			}
			key, ok := stringLiteral(call.Args()[1])
			if !ok {
				return nil, false
			}
			rev = append(rev, key)
			e = call.Args()[0]
		default:
			return nil, false
		}
	}
	return nil, false
}

// stringLiterals lists the string literals of an expression.
func stringLiterals(e celast.Expr) []string {
	if e == nil {
		return nil
	}
	var out []string
	celast.PreOrderVisit(e, celast.NewExprVisitor(func(x celast.Expr) {
		if s, ok := stringLiteral(x); ok {
			out = append(out, s)
		}
	}))
	return out
}

// topLevelClaims lists the top-level claims an expression reads; opaque is
// set when it uses the claim map itself (size(claims), claims == ...).
func topLevelClaims(e celast.Expr) (names []string, opaque bool) {
	idents, reads := 0, 0
	isClaims := func(x celast.Expr) bool {
		return x.Kind() == celast.IdentKind && x.AsIdent() == ConditionVariable
	}
	celast.PreOrderVisit(e, celast.NewExprVisitor(func(x celast.Expr) {
		switch x.Kind() {
		case celast.IdentKind:
			if isClaims(x) {
				idents++
			}
		case celast.SelectKind:
			if isClaims(x.AsSelect().Operand()) {
				names = append(names, x.AsSelect().FieldName())
				reads++
			}
		case celast.CallKind:
			call := x.AsCall()
			if call.FunctionName() == operators.Index && len(call.Args()) == 2 && isClaims(call.Args()[0]) {
				if k, ok := stringLiteral(call.Args()[1]); ok {
					names = append(names, k)
					reads++
				}
			}
		}
	}))
	slices.Sort(names)
	return slices.Compact(names), idents > reads
}

// conditionPins reports whether no token of another tenant satisfies the
// condition, and otherwise why.
func (s *pinScope) conditionPins(cond *Condition) (bool, string) {
	if cond == nil || cond.residual == nil {
		return false, ""
	}
	v := s.eval(cond.residual)
	if !v.mayTrue {
		return true, ""
	}
	var why []string
	for _, r := range v.reasons {
		if len(why) == 3 {
			break
		}
		if w := s.explain(r); !slices.Contains(why, w) {
			why = append(why, w)
		}
	}
	return false, strings.Join(why, "; ")
}

func (s *pinScope) text(e celast.Expr) string {
	t, err := parser.Unparse(e, s.info)
	if err != nil {
		return "part of the condition"
	}
	return "`" + t + "`"
}

func (s *pinScope) explain(r pinReason) string {
	msg := s.explainNode(r.node)
	if r.optional != nil {
		msg = fmt.Sprintf("the || makes the pin %s optional: %s", s.text(r.optional), msg)
	}
	return msg
}

func (s *pinScope) explainNode(e celast.Expr) string {
	text := s.text(e)
	if e.Kind() == celast.LiteralKind && e.AsLiteral() == types.True {
		return "it is true for every token"
	}
	names, opaque := topLevelClaims(e)
	if opaque {
		return fmt.Sprintf("%s reads the claim map as a whole, so it does not hold the %s to values the rule names", text, s.w.Unit)
	}
	var touched []tenantPath
	for _, p := range s.paths {
		if slices.Contains(names, p.path[0]) {
			touched = append(touched, p)
		}
	}
	if len(touched) == 0 {
		return fmt.Sprintf("%s reads no claim that names the %s, so a token from any %s can satisfy it", text, s.w.Unit, s.w.Unit)
	}
	for _, p := range touched {
		if w, ok := s.witness(e, p, names); ok {
			return fmt.Sprintf("%s is also true when %s is %q, which another %s's token can carry", text, p.name(), w, s.w.Unit)
		}
	}
	how := "compare it with == or in [...]"
	switch touched[0].kind {
	case pathPrefixed:
		how += fmt.Sprintf(", or test startsWith(\"<tenant>%s\") with a whole tenant", touched[0].sep)
	case pathSubject:
		how += fmt.Sprintf(", or test startsWith(%q) with a whole tenant", s.w.SubjectTenantPrefix)
	}
	return fmt.Sprintf("%s does not hold %s to values the rule names (%s)", text, touched[0].name(), how)
}

// witness looks for a value of p that another tenant can carry and that
// makes e true whatever the other claims are.
func (s *pinScope) witness(e celast.Expr, p tenantPath, names []string) (string, bool) {
	if p.typ != "string" {
		return "", false
	}
	src, err := parser.Unparse(e, s.info)
	if err != nil {
		return "", false
	}
	kit, err := celEnv()
	if err != nil {
		return "", false
	}
	checked, iss := kit.env.Compile(src)
	if iss.Err() != nil {
		return "", false
	}
	prg, err := kit.env.Program(checked, cel.EvalOptions(cel.OptPartialEval), cel.CostLimit(ConditionCostLimit))
	if err != nil {
		return "", false
	}
	var unknowns []*cel.AttributePatternType
	for _, n := range names {
		if n != p.path[0] {
			unknowns = append(unknowns, cel.AttributePattern(ConditionVariable).QualString(n))
		}
	}
	for _, cand := range s.candidates(p, stringLiterals(e)) {
		var v any = cand
		for i := len(p.path) - 1; i > 0; i-- {
			v = map[string]any{p.path[i]: v}
		}
		act, err := cel.PartialVars(map[string]any{ConditionVariable: map[string]any{p.path[0]: v}}, unknowns...)
		if err != nil {
			return "", false
		}
		if out, _, err := prg.Eval(act); err == nil && out == types.True {
			return cand, true
		}
	}
	return "", false
}

// candidates are values of p that belong to no tenant the rule names:
// the path's sample, and variations of the expression's own literals.
func (s *pinScope) candidates(p tenantPath, lits []string) []string {
	out := []string{p.sample}
	for _, l := range lits {
		if p.sep != "" {
			out = append(out, otherTenant+p.sep+l, l+"-other"+p.sep+"app")
		}
		if p.kind == pathSubject && len(s.w.SubjectForms) > 0 {
			out = append(out, l+"-other"+s.w.SubjectForms[0].End+"app")
		}
		out = append(out, "other-"+l, l+"-other", "other"+l, l+"other")
	}
	return slices.DeleteFunc(slices.Compact(out), func(v string) bool { return v == "" || !s.foreign(p, v) })
}

// foreign: v names a tenant the rule does not.
func (s *pinScope) foreign(p tenantPath, v string) bool {
	if s.literals[v] {
		return false
	}
	switch p.kind {
	case pathPrefixed:
		tenant, _, _ := strings.Cut(v, p.sep)
		if tenant == "" {
			return false
		}
		for l := range s.literals {
			if l == tenant || strings.HasPrefix(l, tenant+p.sep) {
				return false
			}
		}
	case pathSubject:
		for _, f := range s.w.SubjectForms {
			rest, ok := strings.CutPrefix(v, f.Prefix)
			if !ok {
				continue
			}
			i := strings.Index(rest, f.End)
			if i <= 0 {
				return false
			}
			for l := range s.literals {
				if l == rest[:i] || strings.HasPrefix(l, f.Prefix+rest[:i+len(f.End)]) {
					return false
				}
			}
		}
	}
	return true
}
