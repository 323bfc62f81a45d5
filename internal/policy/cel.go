package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
)

// ConditionVariable is the one variable a rule condition sees: the token's
// full claim map, nested maps included.
const ConditionVariable = "claims"

// ConditionCostLimit bounds the work of one condition evaluation (CEL cost
// units, roughly operations). Real conditions cost tens of units; the bound
// keeps a hostile condition, such as nested comprehensions over literal lists,
// from stalling the emulator or the compile-time constant check.
const ConditionCostLimit = 1_000_000

// ConditionErrorReason says why a condition was rejected.
type ConditionErrorReason string

// Reasons a condition is rejected.
const (
	// ConditionInvalid: CEL syntax or type errors; the message is CEL's own,
	// with line and column.
	ConditionInvalid ConditionErrorReason = "invalid"
	// ConditionNotBool: the result type is statically known not to be bool.
	ConditionNotBool ConditionErrorReason = "not_bool"
	// ConditionConstantTrue: the condition is true whatever the claims are,
	// so it would let every token of the issuer through.
	ConditionConstantTrue ConditionErrorReason = "constant_true"
	// ConditionTooExpensive: evaluating the condition exceeds ConditionCostLimit.
	ConditionTooExpensive ConditionErrorReason = "too_expensive"
)

// ConditionError is the error CompileCondition returns.
type ConditionError struct {
	Reason  ConditionErrorReason
	Message string
}

func (e *ConditionError) Error() string { return e.Message }

// Condition is a compiled rule condition. It is immutable and safe for
// concurrent use; compile once and evaluate per exchange.
type Condition struct {
	expr    string
	program cel.Program
	// constant is set when the result does not depend on the claims.
	constant *bool
	// claimRefs lists top-level claims whose values the condition reads
	// (has() tests excluded); opaqueClaims is set when it also uses the
	// claim map in ways that cannot be attributed to named claims.
	claimRefs      map[string]bool
	opaqueClaims   bool
	mentionsClaims bool
	// testedClaims are claims tested with has(), for the tautology probes.
	testedClaims map[string]bool
	// residual is the condition after partial evaluation with every claim
	// unknown: the parts that do not depend on the token are folded into
	// literals. Tenant-pin analysis reads it (see pin.go).
	residual     celast.Expr
	residualInfo *celast.SourceInfo
	// root is the checked expression, for result-type checks.
	root celast.Expr
}

type celToolkit struct {
	env *cel.Env
}

// celEnv is built once: cel.Env is safe for concurrent use and costly to make.
var celEnv = sync.OnceValues(func() (*celToolkit, error) {
	env, err := cel.NewEnv(
		cel.Variable(ConditionVariable, cel.MapType(cel.StringType, cel.DynType)),
		// JSON numbers arrive as doubles; without this `claims.iat > 5`
		// would be a "no such overload" error at runtime.
		cel.CrossTypeNumericComparisons(true),
		// Keeps macros (exists, all, ...) printable in residual expressions,
		// which tenant-pin messages quote.
		cel.EnableMacroCallTracking(),
	)
	if err != nil {
		return nil, err
	}
	return &celToolkit{env: env}, nil
})

// compileCondition compiles a rule condition: a CEL expression over the one
// variable `claims` (map(string, dyn)), using CEL's standard library.
//
// It rejects syntax and type errors (CEL's message, with line and column), a
// result that is not a bool, and conditions that are true whatever the
// claims are. A result is known not to be bool when the checker says so
// (`"x"`, `claims.a + 1`) or when the whole condition is a registered JWT
// claim, whose JSON type RFC 7519 fixes (`claims.sub` is a string, which
// would deny every exchange). Another dyn result (`claims.email_verified`)
// is accepted: its type is only known per token, and Eval reports a non-bool
// value as an error, which means no match.
//
// Constant truth is found in two steps. First the condition is partially
// evaluated with the claims unknown: anything CEL can decide without them
// is decided, so `true`, `1 == 1`, `true || claims.x == "y"` and
// `[1].exists(claims, claims == 1)` are all caught; this subsumes cel's
// constant-folding optimizer and, unlike it, runs under ConditionCostLimit.
// Then tautologies that need reasoning about values (`has(claims.x) ||
// !has(claims.x)`, `claims == claims`, `size(claims) >= 0`) are caught by
// probes: a condition true on every probe token is rejected (see
// trueForEveryProbe; it can only err toward rejecting).
//
// A condition that is constant false is accepted (ValidateMatch warns): it
// fails closed, admitting no token, so it is a mistake to point out rather
// than a hole to refuse, and the service stores such rules.
func compileCondition(expr string) (*Condition, error) {
	kit, err := celEnv()
	if err != nil {
		return nil, fmt.Errorf("building the CEL environment: %w", err)
	}
	if strings.TrimSpace(expr) == "" {
		return nil, &ConditionError{ConditionInvalid, "condition must not be empty"}
	}
	checked, iss := kit.env.CompileSource(common.NewStringSource(expr, "condition"))
	if iss.Err() != nil {
		return nil, &ConditionError{ConditionInvalid, celIssuesMessage(iss)}
	}
	switch out := checked.OutputType(); out.Kind() {
	case types.BoolKind, types.DynKind, types.AnyKind, types.TypeParamKind:
	default:
		return nil, &ConditionError{ConditionNotBool, fmt.Sprintf("condition must evaluate to a bool, but its result type is %s; compare it, e.g. claims.x == \"value\"", out)}
	}
	program, err := kit.env.Program(checked, cel.CostLimit(ConditionCostLimit))
	if err != nil {
		return nil, &ConditionError{ConditionInvalid, err.Error()}
	}
	native := checked.NativeRep()
	c := &Condition{expr: expr, program: program, claimRefs: map[string]bool{}, testedClaims: map[string]bool{}, root: native.Expr()}
	c.analyze(native.Expr())
	if msg, notBool := c.registeredClaimNotBool(); notBool {
		return nil, &ConditionError{ConditionNotBool, msg}
	}

	constant, err := c.partialEval(kit.env, checked)
	if err != nil {
		return nil, err
	}
	if constant != nil && *constant {
		return nil, &ConditionError{ConditionConstantTrue, "condition is always true, whatever the token's claims are, so it would accept every token from the issuer; test a claim, e.g. claims.email == \"robot@example.com\""}
	}
	c.constant = constant
	if constant == nil && c.trueForEveryProbe() {
		return nil, &ConditionError{ConditionConstantTrue, "condition is always true in effect: it holds for a token with no claims and for every sample value of the claims it reads, so it would accept every token from the issuer; test a claim against an exact value, e.g. claims.email == \"robot@example.com\""}
	}
	return c, nil
}

// partialEval evaluates the condition with every claim unknown. A concrete
// bool means the claims cannot change the outcome; otherwise the residual
// (the condition with everything token-independent folded) is kept for
// tenant-pin analysis.
func (c *Condition) partialEval(env *cel.Env, checked *cel.Ast) (*bool, error) {
	readsClaims := c.readsClaims()
	c.residual, c.residualInfo = checked.NativeRep().Expr(), checked.NativeRep().SourceInfo()
	partial, err := env.Program(checked,
		cel.EvalOptions(cel.OptPartialEval, cel.OptTrackState),
		cel.CostLimit(ConditionCostLimit))
	if err != nil {
		return nil, &ConditionError{ConditionInvalid, err.Error()}
	}
	act, err := cel.PartialVars(map[string]any{}, cel.AttributePattern(ConditionVariable))
	if err != nil {
		return nil, fmt.Errorf("building the partial activation: %w", err)
	}
	val, details, err := partial.Eval(act)
	if err == nil && details != nil {
		native := checked.NativeRep()
		pruned := interpreter.PruneAst(native.Expr(), native.SourceInfo().MacroCalls(), details.State())
		c.residual, c.residualInfo = pruned.Expr(), pruned.SourceInfo()
	}
	if err != nil {
		if isCostLimit(err) {
			return nil, &ConditionError{ConditionTooExpensive, fmt.Sprintf("condition is too expensive to evaluate (over %d cost units); simplify it", ConditionCostLimit)}
		}
		if !readsClaims {
			// Fails the same way for every token: Eval is always false.
			f := false
			return &f, nil
		}
		// Otherwise the error may hinge on the claims (e.g. `||` absorbs
		// errors); either way it is not a constant true.
		return nil, nil
	}
	if b, ok := val.(types.Bool); ok {
		v := bool(b)
		return &v, nil
	}
	if !types.IsUnknown(val) {
		// dyn at compile time, e.g. dyn("x"), but a non-bool for every token.
		return nil, &ConditionError{ConditionNotBool, fmt.Sprintf("condition must evaluate to a bool, but it always evaluates to %s", typeName(val))}
	}
	return nil, nil
}

func isCostLimit(err error) bool {
	var ec interpreter.EvalCancelledError
	return errors.As(err, &ec) && ec.Cause == interpreter.CostLimitExceeded
}

// celIssuesMessage keeps CEL's text, with its condition:LINE:COL locations and
// caret snippets, minus the "ERROR: " tag that repeats what the caller says.
func celIssuesMessage(iss *cel.Issues) string {
	lines := strings.Split(strings.TrimSpace(iss.String()), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimPrefix(l, "ERROR: ")
	}
	return strings.Join(lines, "\n")
}

// readsClaims reports whether the condition mentions the claims at all,
// has() tests included.
func (c *Condition) readsClaims() bool {
	return c.opaqueClaims || c.mentionsClaims
}

// String returns the condition's source text.
func (c *Condition) String() string { return c.expr }

// Constant reports whether the condition's result is independent of the
// claims, and if so what it is. CompileCondition already rejected constant
// true, so a known constant is false: a rule that can never match (this
// includes a condition that fails to evaluate for every token).
func (c *Condition) Constant() (value, known bool) {
	if c.constant == nil {
		return false, false
	}
	return *c.constant, true
}

// ReferencedClaims returns the top-level claims whose values the condition
// reads, sorted. has() tests do not count: they do not constrain a value.
func (c *Condition) ReferencedClaims() []string {
	return slices.Sorted(maps.Keys(c.claimRefs))
}

// Eval runs the condition against a token's claims (as decoded from JSON:
// nested map[string]any, []any, float64 or json.Number). A runtime error, such
// as a missing claim, yields false with the error, which callers treat as no
// match; the error names the problem but never a claim's value.
func (c *Condition) Eval(claims map[string]any) (bool, error) {
	if claims == nil {
		claims = map[string]any{}
	}
	val, _, err := c.program.Eval(map[string]any{ConditionVariable: normalizeClaims(claims)})
	if err != nil {
		return false, fmt.Errorf("condition: %w", err)
	}
	b, ok := val.(types.Bool)
	if !ok {
		return false, fmt.Errorf("condition: evaluated to %s, not bool", typeName(val))
	}
	return bool(b), nil
}

func typeName(v ref.Val) string {
	if v == nil || v.Type() == nil {
		return "null"
	}
	return v.Type().TypeName()
}

// normalizeClaims turns json.Number (from a decoder with UseNumber) into
// int64 or float64, which CEL understands; json.Number would otherwise be
// seen as a string. Maps without numbers are returned as they are.
func normalizeClaims(m map[string]any) map[string]any {
	if !containsJSONNumber(m) {
		return m
	}
	out, _ := normalizeValue(m).(map[string]any)
	return out
}

func containsJSONNumber(v any) bool {
	switch t := v.(type) {
	case json.Number:
		return true
	case map[string]any:
		for _, e := range t {
			if containsJSONNumber(e) {
				return true
			}
		}
	case []any:
		for _, e := range t {
			if containsJSONNumber(e) {
				return true
			}
		}
	}
	return false
}

func normalizeValue(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		if f, err := strconv.ParseFloat(string(t), 64); err == nil {
			return f
		}
		return string(t)
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = normalizeValue(e)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = normalizeValue(e)
		}
		return out
	}
	return v
}

// analyze records which claims the condition reads. Comprehension variables
// may shadow `claims`, so the walk tracks the names bound in scope.
func (c *Condition) analyze(e celast.Expr) {
	c.walk(e, nil)
}

func (c *Condition) walk(e celast.Expr, bound []string) {
	if e == nil {
		return
	}
	switch e.Kind() {
	case celast.IdentKind:
		if c.isClaims(e, bound) {
			// The bare map is used (passed to a function, `in`, size ...);
			// any claim may matter.
			c.opaqueClaims = true
		}
	case celast.SelectKind:
		sel := e.AsSelect()
		if c.isClaims(sel.Operand(), bound) {
			c.mentionsClaims = true
			if sel.IsTestOnly() {
				c.testedClaims[sel.FieldName()] = true
			} else {
				c.claimRefs[sel.FieldName()] = true
			}
			return
		}
		c.walk(sel.Operand(), bound)
	case celast.CallKind:
		call := e.AsCall()
		if name, ok := c.claimIndex(e, bound); ok {
			c.mentionsClaims = true
			c.claimRefs[name] = true
			return
		}
		if call.IsMemberFunction() {
			c.walk(call.Target(), bound)
		}
		for _, a := range call.Args() {
			c.walk(a, bound)
		}
	case celast.ListKind:
		for _, el := range e.AsList().Elements() {
			c.walk(el, bound)
		}
	case celast.MapKind:
		for _, en := range e.AsMap().Entries() {
			me := en.AsMapEntry()
			c.walk(me.Key(), bound)
			c.walk(me.Value(), bound)
		}
	case celast.StructKind:
		for _, f := range e.AsStruct().Fields() {
			c.walk(f.AsStructField().Value(), bound)
		}
	case celast.ComprehensionKind:
		comp := e.AsComprehension()
		c.walk(comp.IterRange(), bound)
		c.walk(comp.AccuInit(), bound)
		inner := append(slices.Clip(bound), comp.IterVar(), comp.AccuVar())
		if comp.HasIterVar2() {
			inner = append(inner, comp.IterVar2())
		}
		c.walk(comp.LoopCondition(), inner)
		c.walk(comp.LoopStep(), inner)
		// The accumulator, not the iteration variables, is in scope here,
		// but binding both only errs toward "not a claims reference".
		c.walk(comp.Result(), inner)
	}
}

func (c *Condition) isClaims(e celast.Expr, bound []string) bool {
	return e != nil && e.Kind() == celast.IdentKind && e.AsIdent() == ConditionVariable && !slices.Contains(bound, ConditionVariable)
}

// claimIndex matches claims["name"] with a literal key.
func (c *Condition) claimIndex(e celast.Expr, bound []string) (string, bool) {
	if e.Kind() != celast.CallKind {
		return "", false
	}
	call := e.AsCall()
	if call.FunctionName() != operators.Index || len(call.Args()) != 2 || !c.isClaims(call.Args()[0], bound) {
		return "", false
	}
	if s, ok := stringLiteral(call.Args()[1]); ok {
		return s, true
	}
	return "", false
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e == nil || e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// errIsConditionReason reports whether err is a ConditionError for reason.
func errIsConditionReason(err error, reason ConditionErrorReason) bool {
	var ce *ConditionError
	return errors.As(err, &ce) && ce.Reason == reason
}

// registeredClaimTypes are the JSON types RFC 7519 gives its registered
// claims; a condition that is one of them bare can never be a bool.
var registeredClaimTypes = map[string]string{
	"iss": "string", "sub": "string", "jti": "string", "aud": "string or list of strings",
	"exp": "number", "nbf": "number", "iat": "number",
}

// bareClaimPath returns the claim path when the whole condition is a claim
// read (claims.x, claims.a.b): its type is then the claim's.
func (c *Condition) bareClaimPath() ([]string, bool) {
	return claimPath(c.root)
}

// registeredClaimNotBool explains a condition that is a bare registered claim.
func (c *Condition) registeredClaimNotBool() (string, bool) {
	p, ok := c.bareClaimPath()
	if !ok || len(p) != 1 {
		return "", false
	}
	typ, ok := registeredClaimTypes[p[0]]
	if !ok {
		return "", false
	}
	return fmt.Sprintf("condition must evaluate to a bool, but it is claims.%s, which is a %s in every token (RFC 7519); compare it, e.g. claims.%s == \"value\"", p[0], typ, p[0]), true
}

// Bounds of the tautology probes: a condition is evaluated on at most
// maxProbes claim maps, and the probing stops (accepting the condition)
// once their total cost passes ConditionCostLimit.
const (
	maxProbes      = 256
	maxProbeValues = 32
	maxProbeClaims = 8
)

// trueForEveryProbe reports whether the condition is true on every probe:
// the empty claim map, and maps that give the claims it reads (or, when it
// uses the map as a whole, a few common ones) sample values of every JSON
// type, including its own literals. A condition that is true whatever the
// claims are is true on every probe, so none is accepted
// (`has(claims.sub) || !has(claims.sub)`, `claims == claims`,
// `size(claims) >= 0`); a condition that really tests a claim is false on
// the probe that gives it the wrong value or leaves it out. The check is
// conservative in that direction: it may reject a condition that is false
// only for values no probe tries, never accept an always-true one.
func (c *Condition) trueForEveryProbe() bool {
	names := slices.Collect(maps.Keys(c.claimRefs))
	names = append(names, slices.Collect(maps.Keys(c.testedClaims))...)
	if c.opaqueClaims || len(names) == 0 {
		names = append(names, "sub", "iss", "aud", "email", "x")
	}
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) > maxProbeClaims {
		names = names[:maxProbeClaims]
	}
	values := []any{"", "probe", int64(0), int64(1), 0.5, true, false, nil, []any{}, []any{"probe"}, map[string]any{}}
	celast.PreOrderVisit(c.root, celast.NewExprVisitor(func(e celast.Expr) {
		if e.Kind() != celast.LiteralKind {
			return
		}
		switch v := e.AsLiteral().(type) {
		case types.String:
			values = append(values, string(v), []any{string(v)})
		case types.Int:
			values = append(values, int64(v), int64(v)-1, int64(v)+1, float64(v))
		case types.Double:
			values = append(values, float64(v), float64(v)-1, float64(v)+1)
		case types.Uint:
			values = append(values, int64(v), int64(v)+1)
		}
	}))
	if len(values) > maxProbeValues {
		values = values[:maxProbeValues]
	}
	probes := []map[string]any{{}}
	if c.opaqueClaims {
		// A large token, for conditions on the map's size.
		big := make(map[string]any, 100)
		for i := range 100 {
			big["claim"+strconv.Itoa(i)] = "probe"
		}
		probes = append(probes, big)
	}
	for _, v := range values {
		all := make(map[string]any, len(names))
		for _, n := range names {
			all[n] = v
		}
		probes = append(probes, all)
	}
	for _, n := range names {
		for _, v := range values {
			probes = append(probes, map[string]any{n: v})
		}
	}
	var spent uint64
	for i, p := range probes {
		if i == maxProbes {
			return false
		}
		val, details, err := c.program.Eval(map[string]any{ConditionVariable: p})
		if err != nil || val != types.True {
			return false
		}
		if details != nil && details.ActualCost() != nil {
			spent += *details.ActualCost()
		}
		if spent > ConditionCostLimit {
			return false
		}
	}
	return true
}
