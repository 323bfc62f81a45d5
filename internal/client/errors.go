package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// APIError is a non-2xx response from the Anthropic API.
type APIError struct {
	StatusCode int
	// Type is the envelope's error.type, e.g. "not_found_error"; empty when
	// the body was not the Anthropic envelope.
	Type string
	// Message is the envelope's error.message, or a short snippet of a
	// non-JSON body; secrets are redacted.
	Message string
	// RequestID is the body's request_id or else the request-id header.
	RequestID string
	// RetryAfter is the server-requested pause, when the response had one.
	RetryAfter time.Duration
}

// Error formats as "anthropic API: 404 not_found_error: <message> (request_id req_...)".
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "anthropic API: %d", e.StatusCode)
	if e.Type != "" {
		b.WriteString(" " + e.Type)
	}
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	if msg != "" {
		b.WriteString(": " + msg)
	}
	if e.RequestID != "" {
		b.WriteString(" (request_id " + e.RequestID + ")")
	}
	return b.String()
}

// AsAPIError unwraps err to an *APIError.
func AsAPIError(err error) (*APIError, bool) {
	var e *APIError
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}

func hasStatus(err error, status int) bool {
	e, ok := AsAPIError(err)
	return ok && e.StatusCode == status
}

// IsNotFound reports a 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConflict reports a 409 (e.g. a duplicate name).
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

// IsBadRequest reports a 400 (validation failures).
func IsBadRequest(err error) bool { return hasStatus(err, http.StatusBadRequest) }

// IsUnauthorized reports a 401.
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsForbidden reports a 403.
func IsForbidden(err error) bool { return hasStatus(err, http.StatusForbidden) }

// IsRateLimited reports a 429.
func IsRateLimited(err error) bool { return hasStatus(err, http.StatusTooManyRequests) }

// maxSnippet bounds how much of a non-JSON error body (typically a proxy's
// HTML page) ends up in a Terraform diagnostic.
const maxSnippet = 512

func newAPIError(resp *http.Response, body []byte, secrets []string) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, RequestID: resp.Header.Get("Request-Id")}
	if d, ok := parseRetryAfter(resp.Header, time.Now()); ok {
		e.RetryAfter = d
	}

	// The Anthropic envelope, and RFC 6749 §5.2 as older token endpoints
	// (and some proxies) answer the exchange.
	var env struct {
		Error            json.RawMessage `json:"error"`
		ErrorDescription string          `json:"error_description"`
		RequestID        string          `json:"request_id"`
	}
	decoded := false
	if json.Unmarshal(body, &env) == nil && len(env.Error) > 0 {
		var inner struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		}
		var code string
		switch {
		case json.Unmarshal(env.Error, &inner) == nil && (inner.Type != "" || inner.Message != ""):
			e.Type, e.Message = inner.Type, inner.Message
			decoded = true
		case json.Unmarshal(env.Error, &code) == nil && code != "":
			e.Type, e.Message = code, env.ErrorDescription
			decoded = true
		}
		if env.RequestID != "" && e.RequestID == "" {
			e.RequestID = env.RequestID
		}
	}
	if !decoded {
		e.Message = snippet(redact.String(string(body), secrets...))
	}
	e.Type = truncate(redact.String(e.Type, secrets...), 128)
	e.Message = truncate(redact.String(e.Message, secrets...), 4096)
	e.RequestID = truncate(redact.String(e.RequestID, secrets...), 128)
	return e
}

func snippet(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Join(strings.Fields(s), " ")
	return truncate(s, maxSnippet)
}

// truncate cuts s to at most n bytes on a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// redacted stands in for a secret in String methods and errors.
const redacted = redact.Placeholder

// redactErr keeps err's chain (for errors.Is) but scrubs its text: a proxy
// or a buggy server may echo request headers or bodies into an error, and
// those errors end up in Terraform output and CI logs.
func redactErr(err error, secrets []string) error { return redact.Error(err, secrets...) }
