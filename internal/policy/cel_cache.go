package policy

import "sync"

// maxCachedConditions bounds the compiled-condition cache; past it the
// cache starts over, which only costs recompiling.
const maxCachedConditions = 512

type compiled struct {
	c   *Condition
	err error
}

var conditionCache = struct {
	sync.Mutex
	m map[string]compiled
}{m: map[string]compiled{}}

// CompileCondition compiles a rule condition: a CEL expression over the one
// variable `claims`; see compileCondition for what it checks. Compiling is
// pure and costs about a millisecond (parse, check, partial evaluation and
// the tautology probes), and one plan of a rule asks for the same
// condition several times (configuration checks, tenant pinning, the apply
// guards), so results, errors included, are kept per expression. A
// *Condition is immutable and safe for concurrent use.
func CompileCondition(expr string) (*Condition, error) {
	conditionCache.Lock()
	r, ok := conditionCache.m[expr]
	conditionCache.Unlock()
	if ok {
		return r.c, r.err
	}
	c, err := compileCondition(expr)
	conditionCache.Lock()
	if len(conditionCache.m) >= maxCachedConditions {
		conditionCache.m = map[string]compiled{}
	}
	conditionCache.m[expr] = compiled{c, err}
	conditionCache.Unlock()
	return c, err
}
