package emulator

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// fakeClock is the injectable clock tests advance by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type harness struct {
	t     *testing.T
	emu   *Emulator
	srv   *httptest.Server
	clock *fakeClock
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	clock := newFakeClock()
	emu := New(Options{Seed: 42, Now: clock.Now})
	return &harness{t: t, emu: emu, srv: newServer(t, emu), clock: clock}
}

func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// resp is a decoded answer.
type resp struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (r resp) str(path string) string {
	v := r.get(path)
	s, _ := v.(string)
	return s
}

// get walks a dotted path through objects (and numeric indexes through arrays).
func (r resp) get(path string) any {
	var cur any = r.body
	for _, p := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[p]
		case []any:
			var i int
			if _, err := fmt.Sscan(p, &i); err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

// list returns the array at path (nil if it is not one).
func (r resp) list(path string) []any {
	l, _ := r.get(path).([]any)
	return l
}

func (r resp) data() []map[string]any {
	arr, _ := r.body["data"].([]any)
	out := make([]map[string]any, len(arr))
	for i, v := range arr {
		out[i], _ = v.(map[string]any)
	}
	return out
}

func (r resp) errType() string { return r.str("error.type") }
func (r resp) errMsg() string  { return r.str("error.message") }

// call sends a request with token as bearer ("" for none); body may be a
// string (sent verbatim), nil (no body) or a value to encode.
func (h *harness) call(method, path, token string, body any, hdr ...string) resp {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
	}
	req, err := http.NewRequest(method, h.srv.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("anthropic-version", "2023-06-01")
	if rd != nil {
		req.Header.Set("content-type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := h.srv.Client().Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = res.Body.Close() }()
	raw, _ := io.ReadAll(res.Body)
	out := resp{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			h.t.Fatalf("%s %s: body is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return out
}

func (h *harness) admin(method, path string, body any) resp {
	h.t.Helper()
	return h.call(method, path, h.emu.AdminToken(), body)
}

// consolePost posts as an interactive Console session.
func (h *harness) consolePost(path string, body any) resp {
	h.t.Helper()
	return h.call("POST", path, h.emu.ConsoleToken(), body)
}

// must asserts a 200 and returns the response.
func must(t *testing.T, r resp) resp {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.status, r.raw)
	}
	return r
}

func wantError(t *testing.T, r resp, status int, typ, msgContains string) {
	t.Helper()
	if r.status != status || r.errType() != typ || !strings.Contains(r.errMsg(), msgContains) {
		t.Fatalf("got %d %s %q, want %d %s containing %q", r.status, r.errType(), r.errMsg(), status, typ, msgContains)
	}
}

const (
	saPath    = "/v1/organizations/service_accounts"
	issPath   = "/v1/organizations/federation_issuers"
	rulesPath = "/v1/organizations/federation_rules"
	wsPath    = "/v1/organizations/workspaces"
)

func (h *harness) createSA(name string) string {
	h.t.Helper()
	return must(h.t, h.admin("POST", saPath, map[string]any{"name": name})).str("id")
}

func (h *harness) createAdminSA(name string) string {
	h.t.Helper()
	return must(h.t, h.consolePost(saPath, map[string]any{"name": name, "organization_role": "admin"})).str("id")
}

func (h *harness) createIssuer(name, url string) string {
	h.t.Helper()
	return must(h.t, h.admin("POST", issPath, map[string]any{"name": name, "issuer_url": url})).str("id")
}

// ruleBody is a valid rule on a generic (not well-known) issuer.
func ruleBody(name, issuerID, saID string) map[string]any {
	return map[string]any{
		"name":         name,
		"issuer_id":    issuerID,
		"match":        map[string]any{"subject_prefix": "system:serviceaccount:ci:*"},
		"target":       map[string]any{"type": "service_account", "service_account_id": saID},
		"oauth_scope":  "workspace:developer",
		"workspace_id": "default",
	}
}

func (h *harness) createRule(name, issuerID, saID string) string {
	h.t.Helper()
	return must(h.t, h.admin("POST", rulesPath, ruleBody(name, issuerID, saID))).str("id")
}

// fixture is an issuer, a service account and a live rule joining them.
type fixture struct{ issuer, sa, rule string }

func (h *harness) fixture(prefix string) fixture {
	h.t.Helper()
	f := fixture{issuer: h.createIssuer(prefix+"-iss", "https://"+prefix+".example.com"), sa: h.createSA(prefix + "-sa")}
	f.rule = h.createRule(prefix+"-rule", f.issuer, f.sa)
	return f
}

var (
	idShape = regexp.MustCompile(`^(svac|fdis|fdrl|wrkspc|user|req)_01[0-9A-Za-z]{24}$`)
	tsShape = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func testJWK(t *testing.T, kid string) json.RawMessage {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jose.JSONWebKey{Key: &k.PublicKey, KeyID: kid, Algorithm: "ES256", Use: "sig"}.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testCACert(t *testing.T) string {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "emulator test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}
