package client

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/hashicorp/go-retryablehttp"
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
)

// logAttemptDone reports one attempt: what was sent, what came back and
// how long it took (connection, request and response headers; the body is
// read afterwards).
func (t *attemptTransport) logAttemptDone(ctx context.Context, req *http.Request, attempt int, resp *http.Response, err error, took time.Duration) {
	st := stateFrom(ctx)
	if err != nil && st != nil {
		// The reason a retry after this attempt will give.
		st.lastTransportError = transportErrorKind(err)
	}
	if t.logger == nil {
		return
	}
	kv := []any{"method", req.Method, "path", req.URL.EscapedPath(), "attempt", attempt}
	if err != nil {
		kv = append(kv, "error", transportErrorKind(err))
	} else {
		kv = append(kv, "status", resp.StatusCode, "request_id", resp.Header.Get("request-id"))
	}
	kv = append(kv, "duration_ms", took.Milliseconds())
	t.logger.Debug(ctx, logAttempt, kv...)
}

// retryingFor is the retry loop for one call: the client's own, with a
// Backoff that also reports the retry it is about to wait for. Backoff is
// the one hook retryablehttp calls with the final wait, but for a
// transport error it gets no response and so no request context; the call
// state is therefore bound here, per call.
func (c *Client) retryingFor(ctx context.Context, st *callState) *retryablehttp.Client {
	h := c.http
	return &retryablehttp.Client{
		HTTPClient:      h.HTTPClient,
		Logger:          h.Logger,
		RetryWaitMin:    h.RetryWaitMin,
		RetryWaitMax:    h.RetryWaitMax,
		RetryMax:        h.RetryMax,
		RequestLogHook:  h.RequestLogHook,
		ResponseLogHook: h.ResponseLogHook,
		CheckRetry:      h.CheckRetry,
		ErrorHandler:    h.ErrorHandler,
		PrepareRetry:    h.PrepareRetry,
		Backoff: func(minWait, maxWait time.Duration, attemptNum int, resp *http.Response) time.Duration {
			wait := h.Backoff(minWait, maxWait, attemptNum, resp)
			c.logRetry(ctx, st, resp, wait)
			return wait
		},
	}
}

// logRetry reports the retry that follows the call's latest attempt.
func (c *Client) logRetry(ctx context.Context, st *callState, resp *http.Response, wait time.Duration) {
	if c.logger == nil || st == nil {
		return
	}
	kv := []any{"method", st.method, "path", st.path, "attempt", int(st.attempts.Load())}
	if resp != nil {
		kv = append(kv, "reason", retryReason(resp.StatusCode), "status", resp.StatusCode, "request_id", resp.Header.Get("request-id"))
		if ra := resp.Header.Get("retry-after"); ra != "" {
			kv = append(kv, "retry_after", ra)
		}
	} else {
		kv = append(kv, "reason", "transport error", "error", st.lastTransportError)
	}
	kv = append(kv, "wait_ms", wait.Milliseconds())
	c.logger.Warn(ctx, logRetry, kv...)
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
