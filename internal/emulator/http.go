package emulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// maxBodyBytes is the request size above which the API answers 413.
const maxBodyBytes = 1 << 20

// supportedAPIVersion is the only anthropic-version the WIF endpoints accept.
const supportedAPIVersion = "2023-06-01"

// apiError is an error the API reports in its envelope.
type apiError struct {
	status int
	typ    string
	msg    string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.typ, e.msg) }

// errorType maps a status to the envelope's error.type as the service does.
func errorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusConflict:
		return "conflict_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	return "invalid_request_error"
}

func newAPIError(status int, format string, args ...any) *apiError {
	return &apiError{status: status, typ: errorType(status), msg: fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return newAPIError(http.StatusBadRequest, format, args...)
}

func notFound(format string, args ...any) *apiError {
	return newAPIError(http.StatusNotFound, format, args...)
}

func conflict(format string, args ...any) *apiError {
	return newAPIError(http.StatusConflict, format, args...)
}

func forbidden(format string, args ...any) *apiError {
	return newAPIError(http.StatusForbidden, format, args...)
}

// fieldErr prefixes a validation error with the field it concerns, the
// service's message style ("issuer_url: url must use https scheme").
func fieldErr(field string, err error) *apiError {
	return badRequest("%s: %s", field, err.Error())
}

// requiredChecked is checked for a member the request must send.
func requiredChecked[T any](o opt[T], field string, check func(T) error) (T, *apiError) {
	if !o.Set {
		var zero T
		return zero, badRequest("%s: required", field)
	}
	return checked(o, field, check)
}

// idCheck checks an ID with the given prefix.
func idCheck(prefix string) func(string) error {
	return func(id string) error { return policy.ValidateID(prefix, id) }
}

// checked is the value of the request member field (which must not be
// null) when check accepts it; check's error is a 400 naming field.
func checked[T any](o opt[T], field string, check func(T) error) (T, *apiError) {
	v, err := o.value(field)
	if err != nil {
		return v, err
	}
	if err := check(v); err != nil {
		var zero T
		return zero, fieldErr(field, err)
	}
	return v, nil
}

// call is one authenticated request as handlers see it.
type call struct {
	r      *http.Request
	caller caller
	body   []byte
	// respHeader holds headers a handler adds to its answer.
	respHeader http.Header
}

func (c *call) header() http.Header {
	if c.respHeader == nil {
		c.respHeader = http.Header{}
	}
	return c.respHeader
}

type ctxKey struct{}

func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(ctxKey{}).(string)
	return id
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// ServeHTTP serves the emulated Anthropic API and, on the paths of
// googleemu.Routes(), the local Google.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	e.root.ServeHTTP(w, r)
}

// serveAPI serves the Anthropic side: Google's answers carry no request-id
// and see no Anthropic latency or faults.
func (e *Emulator) serveAPI(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	e.mu.Lock()
	reqID := policy.NewID(policy.PrefixRequest, e.reqRand)
	e.mu.Unlock()
	w.Header().Set("request-id", reqID)
	r = r.WithContext(context.WithValue(r.Context(), ctxKey{}, reqID))
	sw := &statusWriter{ResponseWriter: w}

	if e.latency > 0 && !sleepCtx(r.Context(), e.latency) {
		return
	}
	e.mux.ServeHTTP(sw, r)

	if e.logger != nil {
		// Only method, path and outcome: headers carry credentials.
		e.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.String("request_id", reqID),
			slog.Duration("duration", time.Since(start)))
	}
}

// logged logs the local Google's requests like the API's, without a
// request id (Google's answers carry none).
func (e *Emulator) logged(h http.Handler) http.Handler {
	if e.logger == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		e.logger.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", sw.status),
			slog.String("upstream", "google"),
			slog.Duration("duration", time.Since(start)))
	})
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (e *Emulator) unrouted(w http.ResponseWriter, r *http.Request) {
	e.mu.Lock()
	e.total++
	e.mu.Unlock()
	if _, p := e.pathMux.Handler(r); p != "" {
		writeError(w, r, newAPIError(http.StatusMethodNotAllowed, "method %s not allowed for %s", r.Method, r.URL.Path))
		return
	}
	writeError(w, r, notFound("no route for %s %s", r.Method, r.URL.Path))
}

func (e *Emulator) routeHandler(rt route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		e.mu.Lock()
		e.total++
		e.counts[rt.pattern]++
		randomStatus, spike := e.drawRandomFault()
		randomRetryAfter := e.random.RetryAfter
		var fault *Fault
		if randomStatus == 0 {
			// A queued fault is spent only on a call it actually shapes.
			fault = e.takeFault(rt.pattern)
		}
		e.mu.Unlock()

		if spike > 0 && !sleepCtx(r.Context(), spike) {
			return
		}
		if randomStatus != 0 {
			setRetryAfter(w, randomRetryAfter)
			msg := "Overloaded"
			if randomStatus != 529 {
				msg = http.StatusText(randomStatus) + " (random fault)"
			}
			writeError(w, r, newAPIError(randomStatus, "%s", msg))
			return
		}
		if fault != nil && fault.Latency > 0 && !sleepCtx(r.Context(), fault.Latency) {
			return
		}
		if fault == nil || (fault.Status == 0 && !fault.DropConnection && fault.Body == "") {
			e.process(w, r, rt)
			return
		}
		if fault.AfterProcessing {
			e.process(&discardWriter{header: http.Header{}}, r, rt)
		}
		if fault.DropConnection {
			dropConnection(w)
			return
		}
		setRetryAfter(w, fault.RetryAfter)
		if fault.Body != "" {
			status := fault.Status
			if status == 0 {
				status = http.StatusOK
			}
			w.Header().Set("content-type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, fault.Body)
			return
		}
		writeError(w, r, newAPIError(fault.Status, "%s (injected fault)", http.StatusText(fault.Status)))
	}
}

func setRetryAfter(w http.ResponseWriter, d time.Duration) {
	if d > 0 {
		w.Header().Set("retry-after", strconv.Itoa(int(math.Ceil(d.Seconds()))))
	}
}

// discardWriter swallows the real answer of a request whose response the
// fault then replaces.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}

func dropConnection(w http.ResponseWriter) {
	if sw, ok := w.(*statusWriter); ok {
		w = sw.ResponseWriter
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	// Not hijackable (HTTP/2): aborting the handler resets the stream.
	panic(http.ErrAbortHandler)
}

// process runs checks shared by every route, then the handler.
func (e *Emulator) process(w http.ResponseWriter, r *http.Request, rt route) {
	if v := r.Header.Get("anthropic-version"); v != "" && v != supportedAPIVersion {
		writeError(w, r, badRequest("anthropic-version: unsupported version %q (use %s)", v, supportedAPIVersion))
		return
	}
	c := &call{r: r}
	if !rt.public {
		who, err := e.authenticate(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		c.caller = who
	}
	if r.Method == http.MethodPost {
		if r.ContentLength > maxBodyBytes {
			writeError(w, r, newAPIError(http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", maxBodyBytes))
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeError(w, r, newAPIError(http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", maxBodyBytes))
				return
			}
			writeError(w, r, badRequest("could not read request body"))
			return
		}
		c.body = body
	}
	out, err := rt.h(c)
	for k, v := range c.respHeader {
		w.Header()[k] = v
	}
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = newAPIError(http.StatusInternalServerError, "internal error")
		}
		writeError(w, r, ae)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

func (e *Emulator) authenticate(r *http.Request) (caller, *apiError) {
	authz := r.Header.Get("Authorization")
	if token, ok := bearerToken(r); ok {
		if who, ok := e.callers[token]; ok {
			return who, nil
		}
		if who, minted, err := e.adminCallerForMinted(token); minted {
			return who, err
		}
	}
	if r.Header.Get("x-api-key") != "" {
		return caller{}, newAPIError(http.StatusUnauthorized,
			"x-api-key: admin API keys and API keys cannot be used on workload identity federation admin endpoints; an OAuth access token with org:admin scope is required (Authorization: Bearer …)")
	}
	if authz == "" {
		return caller{}, newAPIError(http.StatusUnauthorized,
			"authorization: missing credentials; an OAuth access token with org:admin scope is required (Authorization: Bearer …)")
	}
	return caller{}, newAPIError(http.StatusUnauthorized, "authorization: invalid bearer token")
}

type errorBody struct {
	Type      string      `json:"type"`
	Error     errorDetail `json:"error"`
	RequestID string      `json:"request_id"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func writeError(w http.ResponseWriter, r *http.Request, e *apiError) {
	writeJSON(w, e.status, errorBody{
		Type:      "error",
		Error:     errorDetail{Type: e.typ, Message: e.msg},
		RequestID: requestIDFrom(r.Context()),
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"type":"error","error":{"type":"api_error","message":"internal error"}}`)
	}
	w.Header().Set("content-type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// decodeBody decodes a request body strictly: unknown fields, trailing data
// and type mismatches are 400s naming the field. An empty body is {}.
func decodeBody(body []byte, v any) *apiError {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if err := strictUnmarshal(body, v, ""); err != nil {
		return jsonError(err)
	}
	return nil
}

// fieldError is a decode failure already attributed to a field path.
type fieldError struct{ field, msg string }

func (f *fieldError) Error() string { return f.field + ": " + f.msg }

// strictUnmarshal decodes one JSON value into v, refusing unknown fields.
// prefix is the path of v inside the request, so unknown nested fields are
// reported as "jwks.foo".
func strictUnmarshal(b []byte, v any, prefix string) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if name, ok := strings.CutPrefix(err.Error(), `json: unknown field "`); ok {
			name = strings.TrimSuffix(name, `"`)
			if prefix != "" {
				name = prefix + "." + name
			}
			return &fieldError{field: name, msg: "unknown field"}
		}
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return &json.SyntaxError{Offset: dec.InputOffset()}
	}
	return nil
}

func jsonError(err error) *apiError {
	var fe *fieldError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &fe):
		return badRequest("%s", fe.Error())
	case errors.As(err, &te):
		if te.Field == "" {
			return badRequest("request body must be a JSON object")
		}
		return badRequest("%s: must be %s", te.Field, describeType(te.Type))
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("request body is not valid JSON")
	}
	return badRequest("request body is not valid JSON: %s", err.Error())
}

func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "of type " + t.String()
}

// opt is a request field that distinguishes omitted, null and a value, so
// updates can leave omitted fields unchanged and clear nullable ones.
type opt[T any] struct {
	Set  bool
	Null bool
	V    T
}

func (o *opt[T]) UnmarshalJSON(b []byte) error {
	o.Set = true
	if string(b) == "null" {
		o.Null = true
		return nil
	}
	return json.Unmarshal(b, &o.V)
}

// value returns the field's value, refusing null for fields that have no
// "cleared" state.
func (o opt[T]) value(field string) (T, *apiError) {
	if o.Null {
		var zero T
		return zero, badRequest("%s: must not be null", field)
	}
	return o.V, nil
}
