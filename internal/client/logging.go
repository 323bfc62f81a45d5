package client

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Log lines of the client. Each names only the method, the escaped path
// (ids, never a query string), the attempt number, the status and request
// id or the transport error, and timings: never headers or bodies, so no
// bearer token or assertion can reach them. The Logger masks secrets on
// top of that (the provider's routes them to a tflog subsystem).
const (
	// logAttempt is one line per HTTP attempt, at debug level.
	logAttempt = "anthropic API request"
	// logRetry is one line before each retry, at warn level: why, and how
	// long the client waits first.
	logRetry = "anthropic API: retrying request"
	// logRetryBudget is the warn line when the retry budget ends a call
	// whose server would still have it retry.
	logRetryBudget = "anthropic API: retry budget exhausted"
)

// logAttemptDone reports one attempt: what was sent, what came back and
// how long it took (connection, request and response headers; the body is
// read afterwards).
func (t *attemptTransport) logAttemptDone(ctx context.Context, req *http.Request, attempt int, resp *http.Response, err error, took time.Duration) {
	if t.logger == nil {
		return
	}
	kv := []any{"method", req.Method, "path", req.URL.EscapedPath(), "attempt", attempt}
	if err != nil {
		kv = append(kv, "error", transportErrorKind(err))
	} else {
		kv = append(kv, "status", resp.StatusCode, "request_id", resp.Header.Get("Request-Id"))
	}
	kv = append(kv, "duration_ms", took.Milliseconds())
	t.logger.Debug(ctx, logAttempt, kv...)
}

// logRetry reports the retry that follows the call's latest attempt (msg
// logRetry), or that the retry budget ends the call (logRetryBudget): why,
// and the wait.
func (c *Client) logRetry(ctx context.Context, msg string, st *callState, attempt int, resp *http.Response, err error, wait time.Duration) {
	if c.logger == nil || st == nil {
		return
	}
	kv := []any{"method", st.method, "path", st.path, "attempt", attempt}
	if resp != nil {
		kv = append(kv, "reason", retryReason(resp.StatusCode), "status", resp.StatusCode, "request_id", resp.Header.Get("Request-Id"))
		if ra := resp.Header.Get("Retry-After"); ra != "" {
			kv = append(kv, "retry_after", ra)
		}
	} else {
		kv = append(kv, "reason", "transport error", "error", transportErrorKind(err))
	}
	kv = append(kv, "wait_ms", wait.Milliseconds())
	c.logger.Warn(ctx, msg, kv...)
}

// retryReason names a retryable status in words.
func retryReason(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return "rate limited"
	case status == statusOverloaded:
		return "overloaded"
	case status >= 500:
		return "server error"
	default:
		return "status " + strconv.Itoa(status)
	}
}
