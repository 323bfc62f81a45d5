package policy

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestCompileConditionAccepts(t *testing.T) {
	tests := []struct {
		expr string
		refs []string
	}{
		{`claims.email.endsWith("@x.iam.gserviceaccount.com")`, []string{"email"}},
		{`claims.google.compute_engine.project_id == "p"`, []string{"google"}},
		{`"x" in claims.groups`, []string{"groups"}},
		{`claims["sub"] == "123"`, []string{"sub"}},
		{`claims.repository_owner == "octo" && claims.ref == "refs/heads/main"`, []string{"ref", "repository_owner"}},
		{`has(claims.email) && claims.email == "a@b.c"`, []string{"email"}},
		{`has(claims.x)`, nil},
		{`claims.email_verified`, []string{"email_verified"}}, // dyn result: decided per token
		{`claims.iat > 5`, []string{"iat"}},
		{`claims.groups.exists(g, g.startsWith("team-"))`, []string{"groups"}},
		{`size(claims) > 3`, nil},
		{"claims.a == \"x\" ||\n  claims.b == \"y\"", []string{"a", "b"}},
		{`claims.sub.matches("^repo:octo/[a-z]+:")`, []string{"sub"}},
		{`false`, nil},
		// True for some tokens only: a probe falsifies each.
		{`!has(claims.admin)`, nil},
		{`!has(claims.admin) || claims.admin != true`, []string{"admin"}},
		{`!has(claims.groups) || !("banned" in claims.groups)`, []string{"groups"}},
		{`size(claims) < 40`, nil},
		{`claims.sub == claims.sub`, []string{"sub"}}, // fails without a sub
	}
	for _, tt := range tests {
		c, err := CompileCondition(tt.expr)
		if err != nil {
			t.Errorf("CompileCondition(%q) = %v", tt.expr, err)
			continue
		}
		if c.String() != tt.expr {
			t.Errorf("String() = %q", c.String())
		}
		if got := c.ReferencedClaims(); strings.Join(got, ",") != strings.Join(tt.refs, ",") {
			t.Errorf("ReferencedClaims(%q) = %v, want %v", tt.expr, got, tt.refs)
		}
	}
}

func TestCompileConditionRejects(t *testing.T) {
	tests := []struct {
		expr   string
		reason ConditionErrorReason
		want   string // substring of the message
	}{
		{``, ConditionInvalid, "must not be empty"},
		{"  \n", ConditionInvalid, "must not be empty"},
		// Syntax and type errors keep CEL's message with line and column.
		{`claims.email ==`, ConditionInvalid, "condition:1:16: Syntax error"},
		{"claims.a == \"x\" &&\n  claims.b ==", ConditionInvalid, "condition:2:14: Syntax error"},
		{`claims.email == "a`, ConditionInvalid, "condition:1:17: Syntax error"},
		{`foo == "x"`, ConditionInvalid, "condition:1:1: undeclared reference to 'foo'"},
		{`claims.email.noSuchMethod()`, ConditionInvalid, "undeclared reference to 'noSuchMethod'"},
		{`1 + "a" == 2`, ConditionInvalid, "found no matching overload for '_+_'"},
		{`claims == 1`, ConditionInvalid, "no matching overload"},
		{`size(1)`, ConditionInvalid, "no matching overload"},
		// Statically non-bool results.
		{`"x"`, ConditionNotBool, "result type is string"},
		{`1 + 1`, ConditionNotBool, "result type is int"},
		{`claims.email + "x"`, ConditionNotBool, "result type is"},
		{`[claims.a]`, ConditionNotBool, "result type is list"},
		{`claims`, ConditionNotBool, "result type is map"},
		{`null`, ConditionNotBool, "null_type"},
		{`dyn("x")`, ConditionNotBool, "always evaluates to string"},
		{`dyn(true)`, ConditionConstantTrue, "always true"},
		// Registered claims have a fixed JSON type, never bool.
		{`claims.sub`, ConditionNotBool, "condition must evaluate to a bool, but it is claims.sub, which is a string in every token"},
		{`claims["iss"]`, ConditionNotBool, "claims.iss, which is a string"},
		{`claims.exp`, ConditionNotBool, "claims.exp, which is a number"},
		{`claims.aud`, ConditionNotBool, "claims.aud, which is a string or list of strings"},
		// Always true whatever the claims: found by the probes.
		{`has(claims.sub) || !has(claims.sub)`, ConditionConstantTrue, "always true in effect"},
		{`claims == claims`, ConditionConstantTrue, "always true in effect"},
		{`size(claims) >= 0`, ConditionConstantTrue, "always true in effect"},
		{`!has(claims.x) || claims.x == claims.x`, ConditionConstantTrue, "always true in effect"},
		{`claims.exists(k, true) || size(claims) == 0`, ConditionConstantTrue, "always true in effect"},
		// Constant true, in its disguises.
		{`true`, ConditionConstantTrue, "always true"},
		{` true `, ConditionConstantTrue, "always true"},
		{`1 == 1`, ConditionConstantTrue, "always true"},
		{`!false`, ConditionConstantTrue, "always true"},
		{`"a" == "a"`, ConditionConstantTrue, "always true"},
		{`true || claims.x == "y"`, ConditionConstantTrue, "always true"},
		{`claims.x == "y" || true`, ConditionConstantTrue, "always true"},
		{`has(claims.x) || true`, ConditionConstantTrue, "always true"},
		{`true ? true : claims.x == "y"`, ConditionConstantTrue, "always true"},
		{`false ? claims.x == "y" : true`, ConditionConstantTrue, "always true"},
		{`[1, 2].all(x, x > 0)`, ConditionConstantTrue, "always true"},
		{`[1].exists(claims, claims == 1)`, ConditionConstantTrue, "always true"},
		{`size("abc") == 3`, ConditionConstantTrue, "always true"},
		{`"abc".startsWith("a") && (claims.x == "y" || true)`, ConditionConstantTrue, "always true"},
		{`(claims.a == "x" && false) || true`, ConditionConstantTrue, "always true"},
		// Bounded work, even at compile time.
		{strings.Repeat(`[1,2,3,4,5,6,7,8,9,10].all(a, `, 7) + "true" + strings.Repeat(")", 7), ConditionTooExpensive, "too expensive"},
	}
	for _, tt := range tests {
		_, err := CompileCondition(tt.expr)
		var ce *ConditionError
		if !errors.As(err, &ce) {
			t.Errorf("CompileCondition(%q) = %v, want a *ConditionError", tt.expr, err)
			continue
		}
		if ce.Reason != tt.reason || !strings.Contains(ce.Error(), tt.want) {
			t.Errorf("CompileCondition(%q) = %s %q, want %s containing %q", tt.expr, ce.Reason, ce.Error(), tt.reason, tt.want)
		}
		if strings.HasPrefix(ce.Error(), "ERROR: ") {
			t.Errorf("message keeps CEL's ERROR tag: %q", ce.Error())
		}
	}
}

func TestConditionConstant(t *testing.T) {
	tests := []struct {
		expr         string
		value, known bool
	}{
		{`false`, false, true},
		{`1 == 2`, false, true},
		{`1 / 0 == 1`, false, true}, // fails for every token
		{`claims.a == "x"`, false, false},
		{`claims.a == "x" && false`, false, true},
		{`has(claims.a)`, false, false},
		{`claims.a == "x" || 1 / 0 == 1`, false, false},
	}
	for _, tt := range tests {
		c, err := CompileCondition(tt.expr)
		if err != nil {
			t.Fatalf("CompileCondition(%q) = %v", tt.expr, err)
		}
		if v, k := c.Constant(); v != tt.value || k != tt.known {
			t.Errorf("Constant(%q) = %v, %v; want %v, %v", tt.expr, v, k, tt.value, tt.known)
		}
	}
}

func TestConditionEval(t *testing.T) {
	var jsonClaims map[string]any
	if err := json.Unmarshal([]byte(`{
		"sub": "112233445566778899001",
		"email": "robot@proj.iam.gserviceaccount.com",
		"email_verified": true,
		"iat": 1700000000,
		"groups": ["a", "team-x"],
		"google": {"compute_engine": {"project_id": "p", "zone": "us-central1-a"}}
	}`), &jsonClaims); err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(strings.NewReader(`{"iat": 1700000000, "ratio": 0.5, "nested": {"n": 7}, "list": [1, 2]}`))
	dec.UseNumber()
	var numberClaims map[string]any
	if err := dec.Decode(&numberClaims); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		expr    string
		claims  map[string]any
		want    bool
		wantErr string
	}{
		{`claims.email.endsWith("@proj.iam.gserviceaccount.com")`, jsonClaims, true, ""},
		{`claims.email.endsWith("@other.iam.gserviceaccount.com")`, jsonClaims, false, ""},
		{`claims.google.compute_engine.project_id == "p"`, jsonClaims, true, ""},
		{`claims.google.compute_engine.project_id == "q"`, jsonClaims, false, ""},
		{`"team-x" in claims.groups`, jsonClaims, true, ""},
		{`"team-y" in claims.groups`, jsonClaims, false, ""},
		{`claims.groups.exists(g, g.startsWith("team-"))`, jsonClaims, true, ""},
		{`claims.email_verified`, jsonClaims, true, ""},
		{`claims.iat > 1600000000`, jsonClaims, true, ""}, // double vs int
		{`claims.iat == 1700000000`, jsonClaims, true, ""},
		{`claims.sub == "112233445566778899001"`, jsonClaims, true, ""},
		{`has(claims.missing)`, jsonClaims, false, ""},
		{`has(claims.google.compute_engine.zone)`, jsonClaims, true, ""},
		{`claims.email == "robot@proj.iam.gserviceaccount.com" || claims.missing == "x"`, jsonClaims, true, ""},
		// A missing key is a runtime error: no match.
		{`claims.missing == "x"`, jsonClaims, false, "no such key: missing"},
		{`claims.google.compute_engine.missing == "x"`, jsonClaims, false, "no such key"},
		{`claims.missing == "x"`, nil, false, "no such key"},
		// A dyn result that is not a bool.
		{`claims.email_verified`, map[string]any{"email_verified": "yes"}, false, "evaluated to string, not bool"},
		{`claims.x`, map[string]any{"x": nil}, false, "not bool"},
		// Wrong runtime types.
		{`claims.groups.exists(g, g.startsWith("t"))`, map[string]any{"groups": "team"}, false, "condition:"},
		// json.Number (decoder with UseNumber) becomes a number, not a string.
		{`claims.iat == 1700000000`, numberClaims, true, ""},
		{`claims.iat > 5 && claims.ratio < 1.0`, numberClaims, true, ""},
		{`claims.nested.n == 7 && claims.list[1] == 2`, numberClaims, true, ""},
		// Go-typed claims, as an emulator may build them.
		{`"b" in claims.groups && claims.n == 3`, map[string]any{"groups": []string{"a", "b"}, "n": 3}, true, ""},
	}
	for _, tt := range tests {
		c, err := CompileCondition(tt.expr)
		if err != nil {
			t.Fatalf("CompileCondition(%q) = %v", tt.expr, err)
		}
		got, err := c.Eval(tt.claims)
		if got != tt.want {
			t.Errorf("Eval(%q) = %v, want %v (err %v)", tt.expr, got, tt.want, err)
		}
		checkErr(t, "Eval", tt.expr, err, tt.wantErr)
	}
}

func TestConditionEvalDoesNotMutateClaims(t *testing.T) {
	dec := json.NewDecoder(strings.NewReader(`{"n": 1, "m": {"k": 2}}`))
	dec.UseNumber()
	var claims map[string]any
	if err := dec.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	c, err := CompileCondition(`claims.n == 1 && claims.m.k == 2`)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Eval(claims); !ok || err != nil {
		t.Fatalf("Eval = %v, %v", ok, err)
	}
	if _, ok := claims["n"].(json.Number); !ok {
		t.Fatalf("Eval rewrote the caller's map: %T", claims["n"])
	}
	if _, ok := claims["m"].(map[string]any)["k"].(json.Number); !ok {
		t.Fatal("Eval rewrote the caller's nested map")
	}
}

func TestConditionEvalRuntimeCostLimit(t *testing.T) {
	// Cheap to compile (the list is a claim) but costly per token.
	expr := `claims.l.all(a, claims.l.all(b, claims.l.all(c, a + b + c >= 0)))`
	c, err := CompileCondition(expr)
	if err != nil {
		t.Fatal(err)
	}
	list := make([]any, 200)
	for i := range list {
		list[i] = float64(i)
	}
	ok, err := c.Eval(map[string]any{"l": list})
	if ok || err == nil || !strings.Contains(err.Error(), "cost limit") {
		t.Fatalf("Eval = %v, %v; want a cost limit error", ok, err)
	}
	if ok, err := c.Eval(map[string]any{"l": list[:5]}); !ok || err != nil {
		t.Fatalf("small input: Eval = %v, %v", ok, err)
	}
}

func TestConditionConcurrentUse(t *testing.T) {
	c, err := CompileCondition(`claims.sub == "a"`)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				sub := "a"
				if (i+j)%2 == 1 {
					sub = "b"
				}
				got, err := c.Eval(map[string]any{"sub": sub})
				if err != nil || got != (sub == "a") {
					t.Errorf("Eval(sub=%s) = %v, %v", sub, got, err)
					return
				}
			}
		})
		wg.Go(func() {
			if _, err := CompileCondition(`claims.email == "x"`); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func FuzzCompileCondition(f *testing.F) {
	for _, s := range []string{
		`true`, `claims.a == "b"`, `"x" in claims.groups`, `claims.sub.startsWith("repo:octo/")`,
		`[1].exists(claims, claims == 1)`, `claims["sub"] == "1"`, `has(claims.a) || true`, `1 +`, `"\xff"`,
		`claims.a.b.c[0] == 1.5e3`, `{"a": 1}.a == 1 ? claims.x : false`, `size(claims) > 0`,
	} {
		f.Add(s)
	}
	claims := map[string]any{"a": "b", "sub": "repo:octo/x", "groups": []any{"g"}, "n": 1.0, "m": map[string]any{"k": "v"}}
	f.Fuzz(func(t *testing.T, expr string) {
		c, err := CompileCondition(expr)
		if err != nil {
			var ce *ConditionError
			if !errors.As(err, &ce) || ce.Message == "" {
				t.Fatalf("CompileCondition(%q) = %v, want a non-empty *ConditionError", expr, err)
			}
			return
		}
		if v, k := c.Constant(); k && v {
			t.Fatalf("CompileCondition(%q) accepted a constant true", expr)
		}
		_, _ = c.Eval(claims)
		_ = c.ReferencedClaims()
	})
}

func FuzzValidateMatch(f *testing.F) {
	f.Add("repo:octo/*", "https://api.anthropic.com", "repository_owner", "octo", `claims.ref == "main"`, GitHubActionsIssuer)
	f.Add("*", "", "", "", "", GoogleIssuer)
	f.Add("a*b*", "aud", "sub", "someone@example.com", "true", GoogleIssuer)
	f.Add("", "", "email", "", `claims.sub.startsWith("project_path:grp/")`, GitLabIssuer)
	f.Add("organization:acme:*", "", "", "", "", BuildkiteIssuer)
	f.Fuzz(func(t *testing.T, subject, audience, claimName, claimValue, condition, issuer string) {
		m := Match{}
		if subject != "" {
			m.SubjectPrefix = &subject
		}
		if audience != "" {
			m.Audience = &audience
		}
		if claimName != "" || claimValue != "" {
			m.Claims = map[string]string{claimName: claimValue}
		}
		if condition != "" {
			m.Condition = &condition
		}
		for _, fs := range [][]Finding{ValidateMatch(m), CheckTenantPin(issuer, m, TenantOptions{}), CheckTenantPin(issuer, m, TenantOptions{AllowGoogleSubjectPrefix: true})} {
			for _, f := range fs {
				if len(f.Path) == 0 || f.Path[0] != "match" || f.Summary == "" || f.Detail == "" {
					t.Fatalf("malformed finding %#v", f)
				}
				_ = f.Error()
			}
		}
		if m.SubjectPrefix != nil {
			_ = MatchSubject(*m.SubjectPrefix, claimValue)
		}
	})
}

func BenchmarkCompileCondition(b *testing.B) {
	for _, expr := range []string{
		`claims.email == "robot@proj.iam.gserviceaccount.com"`,
		`claims.repository_owner == "octo" && claims.ref.startsWith("refs/heads/") && "deploy" in claims.groups`,
	} {
		b.Run(strings.SplitN(expr, " ", 2)[0], func(b *testing.B) {
			for b.Loop() {
				if _, err := compileCondition(expr); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkConditionEval(b *testing.B) {
	c, err := CompileCondition(`claims.email.endsWith("@proj.iam.gserviceaccount.com") && claims.google.compute_engine.project_id == "p" && "team-x" in claims.groups`)
	if err != nil {
		b.Fatal(err)
	}
	claims := map[string]any{
		"sub": "112233445566778899001", "email": "robot@proj.iam.gserviceaccount.com",
		"groups": []any{"a", "b", "team-x"},
		"google": map[string]any{"compute_engine": map[string]any{"project_id": "p"}},
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := c.Eval(claims); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}
