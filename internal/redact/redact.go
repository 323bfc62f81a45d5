// Package redact is the provider's one place for scrubbing secrets out of
// text that leaves the process: error messages turned into Terraform
// diagnostics, and log lines. Servers, proxies and buggy front ends echo
// request headers, bodies and URLs into their error pages; whatever the
// source (the Anthropic API, Google IAM, a metadata server, a program's
// stderr), the text goes through String before a person or a CI log sees it.
//
// Patterns are case-insensitive: a server that upper-cases what it echoes
// must not defeat them.
package redact

import (
	"regexp"
	"strings"
)

// Placeholder replaces every secret.
const Placeholder = "[REDACTED]"

// rule matches a secret. When the expression has two groups, group 1 is
// context kept as is (a header name, a field name, a URL scheme) and group 2
// the secret; otherwise the whole match is the secret.
type rule struct {
	re *regexp.Regexp
}

// token characters of opaque bearer tokens (RFC 6750 b64token).
const b64token = `[A-Za-z0-9._~+/=\-]`

var rules = []rule{
	// PEM private keys, also JSON-escaped ("\n") and cut short by a
	// truncated error body (then everything after BEGIN goes).
	{regexp.MustCompile(`(?i)-----BEGIN[A-Z ]*PRIVATE KEY-----(?:[\s\S]*?-----END[A-Z ]*PRIVATE KEY-----|[\s\S]*)`)},
	// Authorization headers however they are echoed: "Authorization: Bearer x",
	// Go's map[Authorization:[Bearer x]], JSON {"authorization":["Bearer x"]}.
	// The scheme goes with the credential: Basic carries a password.
	{regexp.MustCompile(`(?i)(\b(?:proxy-)?authorization["']?\s*[:=]\s*\[?\s*["']?)((?:(?:bearer|basic|token|negotiate|digest)\s+)?[^\s"',;)>\]}]+)`)},
	// Bearer tokens anywhere else.
	{regexp.MustCompile(`(?i)(\bbearer\s+)(` + b64token + `{16,})`)},
	// Secret-named JSON fields and query or form parameters.
	{regexp.MustCompile(`(?i)("(?:access_?token|refresh_?token|id_?token|subject_?token|private_?key|client_?secret|assertion|password|api_?key|token|secret)"\s*:\s*")((?:[^"\\]|\\.)+)`)},
	{regexp.MustCompile(`(?i)(\b(?:access_?token|refresh_?token|id_?token|subject_?token|client_?secret|assertion|password|api_?key|key|token)=)([^&\s"'<>]+)`)},
	// Userinfo in URLs: https://user:password@host, https://token@host.
	{regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.\-]*://)([^/\s@"'<>?#\[\]]+)@`)},
	// Anthropic API keys and OAuth tokens (sk-ant-api03-, sk-ant-oat01-, ...).
	{regexp.MustCompile(`(?i)sk-ant-[A-Za-z0-9_\-]+`)},
	// Google OAuth access tokens, refresh tokens and API keys.
	{regexp.MustCompile(`(?i)\bya29\.[A-Za-z0-9_\-.]+`)},
	{regexp.MustCompile(`\b1//[A-Za-z0-9_\-]{20,}`)},
	{regexp.MustCompile(`(?i)\bAIza[A-Za-z0-9_\-]{30,}`)},
	// JWS/JWT: identity tokens, assertions, Google ID tokens. Most start
	// with eyJ ({"); the second form catches headers serialised otherwise.
	{regexp.MustCompile(`(?i)\beyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]*`)},
	{regexp.MustCompile(`[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{32,}`)},
}

// minSecretLen is the shortest caller-supplied secret replaced verbatim:
// shorter values are test placeholders, and replacing them would garble
// messages without protecting anything.
const minSecretLen = 4

// String returns s with secrets removed: each of secrets (the request's own
// credentials, matched in any letter case) and anything shaped like a
// credential.
func String(s string, secrets ...string) string {
	if s == "" {
		return s
	}
	for _, sec := range secrets {
		if len(sec) >= minSecretLen {
			s = replaceFold(s, sec)
		}
	}
	for _, r := range rules {
		s = r.apply(s)
	}
	return s
}

func (r rule) apply(s string) string {
	if r.re.NumSubexp() < 2 {
		return r.re.ReplaceAllLiteralString(s, Placeholder)
	}
	matches := r.re.FindAllStringSubmatchIndex(s, -1)
	if matches == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range matches {
		start, end := m[4], m[5] // group 2, the secret
		if start < 0 || alreadyRedacted(s, start) {
			continue // keep String idempotent
		}
		b.WriteString(s[last:start])
		b.WriteString(Placeholder)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

// alreadyRedacted reports a secret position holding the placeholder, or
// its inside when a pattern's context swallowed the opening bracket.
func alreadyRedacted(s string, start int) bool {
	return strings.HasPrefix(s[start:], Placeholder) || (start > 0 && strings.HasPrefix(s[start-1:], Placeholder))
}

// replaceFold replaces every occurrence of sec in s, ignoring ASCII case.
func replaceFold(s, sec string) string {
	re, err := regexp.Compile(`(?i)` + regexp.QuoteMeta(sec))
	if err != nil {
		return strings.ReplaceAll(s, sec, Placeholder)
	}
	return re.ReplaceAllLiteralString(s, Placeholder)
}

// Patterns are the expressions behind String, for log masking
// (tflog.MaskMessageRegexes, tflog.MaskAllFieldValuesRegexes), which
// replaces a whole match.
func Patterns() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(rules))
	for i, r := range rules {
		out[i] = r.re
	}
	return out
}

// Error returns err with its text redacted. errors.Is and errors.As still
// reach err: code that takes a wrapped error apart (a *googleapi.Error's
// Message, an *url.Error's URL) must redact what it prints itself.
func Error(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := String(msg, secrets...); clean != msg {
		return &redactedError{msg: clean, err: err}
	}
	return err
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
