package policy

import (
	"fmt"
	"testing"
)

// A rule's plan compiles its condition several times; the second and later
// compiles of one expression reuse the first result, errors included.
func TestCompileConditionIsCached(t *testing.T) {
	const expr = `claims.repository_owner_id == "cache-test-1342004"`
	a, err := CompileCondition(expr)
	if err != nil {
		t.Fatal(err)
	}
	b, err := CompileCondition(expr)
	if err != nil || a != b {
		t.Errorf("second compile: %p, %v; want the cached %p", b, err, a)
	}
	_, err1 := CompileCondition(`claims.cache_test == `)
	_, err2 := CompileCondition(`claims.cache_test == `)
	if err1 == nil || err1 != err2 {
		t.Errorf("errors: %v, %v; want the same cached error", err1, err2)
	}
	if ok, _ := a.Eval(map[string]any{"repository_owner_id": "cache-test-1342004"}); !ok {
		t.Error("cached condition does not evaluate")
	}
}

func TestCompileConditionCacheIsBounded(t *testing.T) {
	for i := range maxCachedConditions + 10 {
		if _, err := CompileCondition(fmt.Sprintf(`claims.bound == "%d"`, i)); err != nil {
			t.Fatal(err)
		}
	}
	conditionCache.Lock()
	n := len(conditionCache.m)
	conditionCache.Unlock()
	if n > maxCachedConditions {
		t.Errorf("%d cached conditions, want at most %d", n, maxCachedConditions)
	}
}

// BenchmarkCompileConditionCached is what a repeated compile costs now
// (BenchmarkCompileCondition measures a first compile).
func BenchmarkCompileConditionCached(b *testing.B) {
	const expr = `claims.repository_owner == "octo" && claims.ref.startsWith("refs/heads/") && "deploy" in claims.groups`
	for b.Loop() {
		if _, err := CompileCondition(expr); err != nil {
			b.Fatal(err)
		}
	}
}
