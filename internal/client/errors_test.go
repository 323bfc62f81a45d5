package client

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

func TestAPIErrorDecoding(t *testing.T) {
	longHTML := "<html><body>" + strings.Repeat("Bad gateway ", 200) + "</body></html>"
	tests := []struct {
		name   string
		status int
		header http.Header
		body   string
		want   APIError
		text   string
	}{
		{
			name:   "envelope",
			status: 404,
			header: http.Header{"Request-Id": {"req_from_header"}},
			body:   `{"type":"error","error":{"type":"not_found_error","message":"service account not found"},"request_id":"req_from_body"}`,
			want:   APIError{StatusCode: 404, Type: "not_found_error", Message: "service account not found", RequestID: "req_from_header"},
			text:   "anthropic API: 404 not_found_error: service account not found (request_id req_from_header)",
		},
		{
			name:   "request id only in body",
			status: 409,
			body:   `{"type":"error","error":{"type":"conflict_error","message":"name: already exists","extra":1},"request_id":"req_body"}`,
			want:   APIError{StatusCode: 409, Type: "conflict_error", Message: "name: already exists", RequestID: "req_body"},
			text:   "anthropic API: 409 conflict_error: name: already exists (request_id req_body)",
		},
		{
			name:   "rate limited with retry-after",
			status: 429,
			header: http.Header{"Retry-After": {"12"}, "Request-Id": {"req_1"}},
			body:   `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`,
			want:   APIError{StatusCode: 429, Type: "rate_limit_error", Message: "slow down", RequestID: "req_1", RetryAfter: 12 * time.Second},
		},
		{
			name:   "non-JSON body",
			status: 502,
			header: http.Header{"Request-Id": {"req_2"}, "Content-Type": {"text/html"}},
			body:   longHTML,
			want:   APIError{StatusCode: 502, RequestID: "req_2", Message: snippet(longHTML)},
		},
		{
			name:   "empty body",
			status: 503,
			want:   APIError{StatusCode: 503},
			text:   "anthropic API: 503: Service Unavailable",
		},
		{
			name:   "RFC 6749 error",
			status: 400,
			body:   `{"error":"invalid_grant","error_description":"assertion expired"}`,
			want:   APIError{StatusCode: 400, Type: "invalid_grant", Message: "assertion expired"},
			text:   "anthropic API: 400 invalid_grant: assertion expired",
		},
		{
			name:   "JSON but not an error envelope",
			status: 500,
			body:   `{"unexpected":true}`,
			want:   APIError{StatusCode: 500, Message: `{"unexpected":true}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tt.header {
					w.Header()[k] = v
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			}, func(o *Options) { o.MaxRetries = 0 })
			_, err := c.GetFederationIssuer(t.Context(), "fdis_1")
			got, ok := AsAPIError(err)
			if !ok {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if *got != tt.want {
				t.Errorf("got  %+v\nwant %+v", *got, tt.want)
			}
			if len(got.Message) > maxSnippet && tt.want.Type == "" {
				t.Errorf("snippet is %d bytes", len(got.Message))
			}
			if tt.text != "" && err.Error() != tt.text {
				t.Errorf("Error() = %q, want %q", err.Error(), tt.text)
			}
		})
	}
}

func TestSnippetBounded(t *testing.T) {
	s := snippet(strings.Repeat("é", 600)) // 2-byte runes: the cut must not split one
	if len(s) > maxSnippet || !strings.HasPrefix(s, "é") || strings.ContainsRune(s, '\uFFFD') {
		t.Errorf("snippet len %d: %q...", len(s), s[:10])
	}
	if got := snippet("a\n\t  b\x00\xff c"); got != "a b\x00 c" {
		t.Errorf("snippet = %q", got)
	}
}

func TestErrorPredicates(t *testing.T) {
	preds := map[int]func(error) bool{
		400: IsBadRequest, 401: IsUnauthorized, 403: IsForbidden,
		404: IsNotFound, 409: IsConflict, 429: IsRateLimited,
	}
	for status, pred := range preds {
		err := fmt.Errorf("wrapped: %w", &APIError{StatusCode: status})
		if !pred(err) {
			t.Errorf("predicate for %d false on its own status", status)
		}
		for other, p := range preds {
			if other != status && p(err) {
				t.Errorf("predicate for %d true on %d", other, status)
			}
		}
	}
	if IsNotFound(errors.New("404")) || IsNotFound(nil) {
		t.Error("IsNotFound on a non-API error")
	}
	if _, ok := AsAPIError(errors.New("x")); ok {
		t.Error("AsAPIError on a plain error")
	}
}

// echoServer is the worst case: a server (or proxy) that copies the
// request's headers and body into its error.
func echoServer(asJSON bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		echo := fmt.Sprintf("bad request; you sent Authorization=%q body=%s", r.Header.Get("Authorization"), body)
		w.Header().Set("request-id", "req_echo")
		if asJSON {
			writeAPIError(w, 401, "authentication_error", echo)
			return
		}
		w.WriteHeader(401)
		_, _ = io.WriteString(w, echo)
	}
}

func TestErrorsNeverContainSecrets(t *testing.T) {
	const opaqueToken = "opaque-token-without-known-prefix-42"
	for _, asJSON := range []bool{true, false} {
		for _, token := range []string{testToken, opaqueToken} {
			name := fmt.Sprintf("json=%v/token=%s", asJSON, token[:6])
			t.Run(name, func(t *testing.T) {
				c := newTestClient(t, echoServer(asJSON), func(o *Options) { o.AuthToken = token })

				_, err := c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "sa"})
				if err == nil {
					t.Fatal("want error")
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("admin error leaks the bearer token: %s", err)
				}
				if !strings.Contains(err.Error(), "(request_id req_") || !strings.Contains(err.Error(), "401") {
					t.Errorf("error lost its useful parts: %s", err)
				}

				_, err = c.ExchangeToken(t.Context(), exchangeParams())
				if err == nil {
					t.Fatal("want error")
				}
				if strings.Contains(err.Error(), testAssertion) || strings.Contains(err.Error(), "eyJ") {
					t.Errorf("exchange error leaks the assertion: %s", err)
				}
				if strings.Contains(err.Error(), token) {
					t.Errorf("exchange error leaks the token: %s", err)
				}
			})
		}
	}
}

func TestExchangeOpaqueAssertionRedacted(t *testing.T) {
	// Not JWT-shaped, so only the exact-match redaction can catch it.
	p := exchangeParams()
	p.Assertion = "not-a-jwt-but-still-secret-assertion"
	c := newTestClient(t, echoServer(false))
	_, err := c.ExchangeToken(t.Context(), p)
	if err == nil || strings.Contains(err.Error(), p.Assertion) {
		t.Errorf("err = %v", err)
	}
}

func TestRedact(t *testing.T) {
	in := "tok sk-ant-oat01-abc_DEF-123 jwt eyJhbGciOi.eyJzdWIi.sig-_x and Bearer abcdefghijklmnopqrstuvwxyz and secret-value"
	got := redact.String(in, "secret-value", "x")
	for _, leak := range []string{"sk-ant-", "eyJ", "abcdefghijklmnop", "secret-value"} {
		if strings.Contains(got, leak) {
			t.Errorf("redact left %q in %q", leak, got)
		}
	}
	if !strings.HasPrefix(got, "tok [REDACTED] jwt [REDACTED] and Bearer [REDACTED] and [REDACTED]") {
		t.Errorf("redact = %q", got)
	}
	if got := redact.String("Missing bearer token"); got != "Missing bearer token" {
		t.Errorf("ordinary prose was redacted: %q", got)
	}
}

// A server that upper-cases what it echoes, or names an upstream URL with
// its password, must not get either into an error.
func TestErrorsRedactUpperCaseEchoesAndURLPasswords(t *testing.T) {
	const opaqueToken = "opaque-token-without-known-prefix-42"
	for _, token := range []string{testToken, opaqueToken} {
		t.Run(token[:6], func(t *testing.T) {
			srv := func(w http.ResponseWriter, r *http.Request) {
				tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
				w.WriteHeader(502)
				_, _ = fmt.Fprintf(w, "UPSTREAM https://svc:hunter2@internal.example/ REJECTED CREDENTIAL %s", strings.ToUpper(tok))
			}
			c := newTestClient(t, srv, func(o *Options) { o.AuthToken = token; o.MaxRetries = 0 })
			_, err := c.CreateServiceAccount(t.Context(), ServiceAccountCreateParams{Name: "sa"})
			if err == nil {
				t.Fatal("want error")
			}
			for _, leak := range []string{strings.ToUpper(token), "hunter2"} {
				if strings.Contains(err.Error(), leak) {
					t.Errorf("error leaks %q: %s", leak, err)
				}
			}
			if !strings.Contains(err.Error(), "REJECTED CREDENTIAL [REDACTED]") {
				t.Errorf("error lost its useful parts: %s", err)
			}
		})
	}
}

// A base URL the client refuses is never echoed with a secret in it: the
// provider shows this error as a diagnostic.
func TestBaseURLErrorsDoNotEchoSecrets(t *testing.T) {
	for _, u := range []string{
		"https://api.example.com/v1?auth=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlc2lnbmF0dXJl",
		"https://api.example.com/v1#sk-ant-api03-SECRETSECRETSECRET",
		"http://api.example.com/?k=sk-ant-api03-SECRETSECRETSECRET",
		"ftp://host/sk-ant-api03-SECRETSECRETSECRET",
		"https://api.example.com/%zz?sk-ant-api03-SECRETSECRETSECRET",
	} {
		_, err := New(Options{BaseURL: u, AuthToken: "x"})
		if err == nil {
			t.Fatalf("%s: accepted", u)
		}
		if strings.Contains(err.Error(), "SECRETSECRET") || strings.Contains(err.Error(), "c2lnbmF0dXJl") {
			t.Errorf("%s: error echoes the secret: %v", u, err)
		}
	}
}
