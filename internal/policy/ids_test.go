package policy

import (
	"bytes"
	"crypto/rand"
	mathrand "math/rand/v2"
	"strings"
	"sync"
	"testing"
)

func TestNewIDShapeAndRoundTrip(t *testing.T) {
	prefixes := []string{PrefixServiceAccount, PrefixIssuer, PrefixRule, PrefixWorkspace, PrefixUser, PrefixRequest}
	for _, p := range prefixes {
		for range 50 {
			id := NewID(p, rand.Reader)
			if len(id) != len(p)+26 {
				t.Fatalf("NewID(%q) = %q: length %d, want %d", p, id, len(id), len(p)+26)
			}
			if !strings.HasPrefix(id, p+"01") {
				t.Fatalf("NewID(%q) = %q: missing %q", p, id, p+"01")
			}
			if err := ValidateID(p, id); err != nil {
				t.Fatalf("ValidateID(%q, NewID) = %v", p, err)
			}
			if !IDRegexp(p).MatchString(id) {
				t.Fatalf("IDRegexp(%q) does not match %q", p, id)
			}
			if !IDPattern(p).MatchString(id) {
				t.Fatalf("IDPattern(%q) does not match %q", p, id)
			}
		}
	}
}

func TestNewIDDeterministicWithSeededReader(t *testing.T) {
	seeded := func() *mathrand.ChaCha8 { return mathrand.NewChaCha8([32]byte{1, 2, 3}) }
	a := NewID(PrefixRule, seeded())
	b := NewID(PrefixRule, seeded())
	if a != b {
		t.Fatalf("same seed gave %q and %q", a, b)
	}
	if c := NewID(PrefixRule, mathrand.NewChaCha8([32]byte{9})); c == a {
		t.Fatalf("different seeds gave the same id %q", a)
	}
}

// Rejection sampling must still produce every character of the alphabet and
// skip the biased bytes instead of mapping them.
func TestNewIDUsesWholeAlphabetAndSkipsBiasedBytes(t *testing.T) {
	seen := map[byte]bool{}
	r := mathrand.NewChaCha8([32]byte{42})
	for range 400 {
		id := NewID("", r)
		for i := 2; i < len(id); i++ {
			seen[id[i]] = true
		}
	}
	if len(seen) != 62 {
		t.Fatalf("saw %d distinct characters, want 62", len(seen))
	}
	// 248..255 are all rejected; 0..23 map to the first 24 characters.
	in := append(bytes.Repeat([]byte{255}, 40), make([]byte, 24)...)
	for i := range 24 {
		in[40+i] = byte(i)
	}
	if got, want := NewID("x_", bytes.NewReader(in)), "x_01"+base62Alphabet[:24]; got != want {
		t.Fatalf("NewID = %q, want %q", got, want)
	}
}

func TestNewIDPanicsOnReaderFailure(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("NewID did not panic on a failing reader")
		}
	}()
	NewID(PrefixUser, bytes.NewReader([]byte{1, 2, 3}))
}

func TestValidateID(t *testing.T) {
	valid := "svac_01ABCDEFabcdef0123456789XY"
	tests := []struct {
		prefix, id string
		ok         bool
	}{
		{PrefixServiceAccount, valid, true},
		{PrefixIssuer, "fdis_01" + strings.Repeat("z", 24), true},
		{PrefixServiceAccount, "", false},
		{PrefixServiceAccount, "fdis_01ABCDEFabcdef0123456789XY", false},
		{PrefixServiceAccount, "svac_02ABCDEFabcdef0123456789XY", false},
		{PrefixServiceAccount, "svac_01ABCDEFabcdef0123456789X", false},
		{PrefixServiceAccount, "svac_01ABCDEFabcdef0123456789XYZ", false},
		{PrefixServiceAccount, "svac_01ABCDEFabcdef0123456789X-", false},
		{PrefixServiceAccount, "SVAC_01ABCDEFabcdef0123456789XY", false},
		{PrefixServiceAccount, " " + valid, false},
		{PrefixServiceAccount, "svac_01ABCDEFabcdef0123456789Xé", false},
	}
	for _, tt := range tests {
		err := ValidateID(tt.prefix, tt.id)
		if (err == nil) != tt.ok {
			t.Errorf("ValidateID(%q, %q) = %v, want ok=%v", tt.prefix, tt.id, err, tt.ok)
		}
		if re := IDRegexp(tt.prefix).MatchString(tt.id); re != tt.ok {
			t.Errorf("IDRegexp(%q).MatchString(%q) = %v, want %v", tt.prefix, tt.id, re, tt.ok)
		}
	}
	err := ValidateID(PrefixServiceAccount, "x")
	if err == nil || err.Error() != `must look like svac_01… (got "x")` {
		t.Errorf("message = %v", err)
	}
	long := ValidateID(PrefixRule, strings.Repeat("a", 5000)).Error()
	if len(long) > 200 {
		t.Errorf("message echoes too much (%d bytes): %s", len(long), long)
	}
}

func TestIDRegexpConcurrentAndCached(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				IDRegexp("cc_")
			}
		})
	}
	wg.Wait()
	if first, second := IDRegexp("cc_"), IDRegexp("cc_"); first != second {
		t.Fatal("IDRegexp is not cached")
	}
	if !IDRegexp("a.b_").MatchString("a.b_01"+strings.Repeat("0", 24)) || IDRegexp("a.b_").MatchString("axb_01"+strings.Repeat("0", 24)) {
		t.Fatal("prefix is not quoted")
	}
}

func TestValidateWorkspaceID(t *testing.T) {
	for _, ok := range []string{"default", "wrkspc_01" + strings.Repeat("A", 24)} {
		if err := ValidateWorkspaceID(ok); err != nil {
			t.Errorf("ValidateWorkspaceID(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Default", "DEFAULT", "wrkspc_", "svac_01" + strings.Repeat("A", 24), "default "} {
		if err := ValidateWorkspaceID(bad); err == nil {
			t.Errorf("ValidateWorkspaceID(%q) = nil", bad)
		}
	}
}

func TestValidateName(t *testing.T) {
	tests := []struct {
		name    string
		wantErr string
	}{
		{"ci-deployer", ""},
		{"a", ""},
		{"0", ""},
		{"-", ""},
		{strings.Repeat("a", 255), ""},
		{"", "must not be empty"},
		{strings.Repeat("a", 256), "at most 255"},
		{"CI", "lowercase"},
		{"ci_deployer", "lowercase"},
		{"ci deployer", "lowercase"},
		{"ci.deployer", "lowercase"},
		{"é", "lowercase"},
		{strings.Repeat("é", 200), "lowercase"},
	}
	for _, tt := range tests {
		err := ValidateName(tt.name)
		checkErr(t, "ValidateName", tt.name, err, tt.wantErr)
	}
}

func TestValidateDescription(t *testing.T) {
	for _, ok := range []string{"", "x", strings.Repeat("é", 2000)} {
		if err := ValidateDescription(ok); err != nil {
			t.Errorf("len %d: %v", len(ok), err)
		}
	}
	err := ValidateDescription(strings.Repeat("a", 2001))
	checkErr(t, "ValidateDescription", "2001 chars", err, "at most 2000 characters (got 2001)")
}

func TestValidateUUID(t *testing.T) {
	for _, ok := range []string{"123e4567-e89b-12d3-a456-426614174000", "123E4567-E89B-12D3-A456-426614174000", "00000000-0000-0000-0000-000000000000"} {
		if err := ValidateUUID(ok); err != nil {
			t.Errorf("ValidateUUID(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "123e4567e89b12d3a456426614174000", "123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456-4266141740000", "g23e4567-e89b-12d3-a456-426614174000", "123e4567_e89b-12d3-a456-426614174000", "{123e4567-e89b-12d3-a456-426614174000}"} {
		if err := ValidateUUID(bad); err == nil {
			t.Errorf("ValidateUUID(%q) = nil", bad)
		}
	}
}

func TestQuoteForMessageTruncatesOnRuneBoundary(t *testing.T) {
	got := quoteForMessage(strings.Repeat("é", 100))
	if !strings.HasSuffix(got, "…") || strings.Count(got, "é") != maxEcho {
		t.Fatalf("quoteForMessage = %s", got)
	}
	if quoteForMessage("ab") != `"ab"` {
		t.Fatal("short values are quoted whole")
	}
}

// checkErr asserts err is nil when want is "", else that it contains want.
func checkErr(t *testing.T, fn, input string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s(%q) = %v, want nil", fn, input, err)
	case want != "" && err == nil:
		t.Errorf("%s(%q) = nil, want error containing %q", fn, input, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s(%q) = %q, want it to contain %q", fn, input, err, want)
	}
}
