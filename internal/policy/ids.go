package policy

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// ID prefixes of the objects the API hands out.
const (
	PrefixServiceAccount = "svac_"
	PrefixIssuer         = "fdis_"
	PrefixRule           = "fdrl_"
	PrefixWorkspace      = "wrkspc_"
	PrefixUser           = "user_"
	PrefixRequest        = "req_"
)

// DefaultWorkspaceID is the literal the API accepts in place of the default
// workspace's id.
const DefaultWorkspaceID = "default"

const (
	base62Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	idVersion      = "01"
	idRandomLen    = 24
	// maxEcho bounds how much of a rejected value is quoted back, so a
	// pasted blob (or a secret in the wrong field) does not flood messages.
	maxEcho = 64
)

var idRegexps sync.Map // prefix -> *regexp.Regexp

// IDRegexp returns the anchored pattern of ids with the given prefix:
// prefix + "01" + 24 base62 characters. Patterns are cached, so calling it on
// a hot path is cheap.
func IDRegexp(prefix string) *regexp.Regexp {
	if re, ok := idRegexps.Load(prefix); ok {
		return re.(*regexp.Regexp) //nolint:forcetypeassert // the map only ever holds *regexp.Regexp
	}
	re := regexp.MustCompile(`^` + regexp.QuoteMeta(prefix) + idVersion + `[0-9A-Za-z]{24}$`)
	actual, _ := idRegexps.LoadOrStore(prefix, re)
	return actual.(*regexp.Regexp) //nolint:forcetypeassert // as above
}

// IDPattern is IDRegexp under the other name the API sketch used; both stay
// so callers written against either compile.
func IDPattern(prefix string) *regexp.Regexp { return IDRegexp(prefix) }

// ValidateID reports whether id has the shape of an id with the given prefix.
func ValidateID(prefix, id string) error {
	if isID(prefix, id) {
		return nil
	}
	if id == "" {
		return fmt.Errorf("must not be empty; expected an id like %s01…", prefix)
	}
	return fmt.Errorf("must look like %s01… (got %s)", prefix, quoteForMessage(id))
}

// isID avoids the regexp on the hot path (every request carries ids).
func isID(prefix, id string) bool {
	rest, ok := strings.CutPrefix(id, prefix)
	if !ok || len(rest) != len(idVersion)+idRandomLen || !strings.HasPrefix(rest, idVersion) {
		return false
	}
	for i := len(idVersion); i < len(rest); i++ {
		if !isBase62(rest[i]) {
			return false
		}
	}
	return true
}

func isBase62(c byte) bool {
	return '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z'
}

// NewID returns prefix + "01" + 24 base62 characters drawn from r. Pass
// crypto/rand.Reader in production and a seeded reader in tests that want
// stable ids. Characters are chosen by rejection sampling so each is uniform.
// It panics if r fails: ids are minted where there is no sensible recovery,
// and crypto/rand does not fail.
func NewID(prefix string, r io.Reader) string {
	var b strings.Builder
	b.Grow(len(prefix) + len(idVersion) + idRandomLen)
	b.WriteString(prefix)
	b.WriteString(idVersion)
	buf := make([]byte, 32)
	n := 0
	for n < idRandomLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			panic(fmt.Sprintf("policy.NewID: reading randomness: %v", err))
		}
		for _, c := range buf {
			// 248 = 4*62: bytes at or above it would bias the first characters.
			if c >= 248 {
				continue
			}
			b.WriteByte(base62Alphabet[c%62])
			n++
			if n == idRandomLen {
				break
			}
		}
	}
	return b.String()
}

// ValidateWorkspaceID accepts a workspace id or the literal "default".
func ValidateWorkspaceID(id string) error {
	if id == DefaultWorkspaceID || isID(PrefixWorkspace, id) {
		return nil
	}
	return fmt.Errorf("must be %q or look like %s01… (got %s)", DefaultWorkspaceID, PrefixWorkspace, quoteForMessage(id))
}

// MaxNameLength is the longest name of a service account, issuer or rule.
const MaxNameLength = 255

// ValidateName checks the slug used for service account, issuer and rule names.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("must not be empty")
	}
	if n := utf8.RuneCountInString(name); n > MaxNameLength {
		return fmt.Errorf("must be at most %d characters (got %d)", MaxNameLength, n)
	}
	pos := 0
	for _, c := range name {
		pos++
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return fmt.Errorf("must contain only lowercase letters, digits and hyphens (got %s; character %d is %U)", quoteForMessage(name), pos, c)
		}
	}
	return nil
}

// MaxDescriptionLength is the longest description, in characters.
const MaxDescriptionLength = 2000

// ValidateDescription checks a description's length in characters (not
// bytes) and its text: lines, but no control or bidirectional formatting
// characters (see ValidateText).
func ValidateDescription(s string) error {
	if n := utf8.RuneCountInString(s); n > MaxDescriptionLength {
		return fmt.Errorf("must be at most %d characters (got %d)", MaxDescriptionLength, n)
	}
	return ValidateText(s, MultiLine)
}

// ValidateUUID checks an organization id: the canonical 8-4-4-4-12 hex form,
// either case.
func ValidateUUID(s string) error {
	if isUUID(s) {
		return nil
	}
	return fmt.Errorf("must be a UUID like 123e4567-e89b-12d3-a456-426614174000 (got %s)", quoteForMessage(s))
}

func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// quoteForMessage quotes a user value for an error message, truncated so
// that messages stay one readable line.
func quoteForMessage(s string) string {
	if utf8.RuneCountInString(s) <= maxEcho {
		return fmt.Sprintf("%q", s)
	}
	r := []rune(s)
	return fmt.Sprintf("%q…", string(r[:maxEcho]))
}
