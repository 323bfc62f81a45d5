package identity_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
)

var sharedKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newGoogle(t testing.TB) (*googleemu.Google, *httptest.Server) {
	t.Helper()
	g := googleemu.New(googleemu.Options{SigningKey: sharedKey()})
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return g, srv
}

func hostOf(srv *httptest.Server) string { return strings.TrimPrefix(srv.URL, "http://") }

func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want an error containing %q, got nil", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

// noSecret fails when a token shows up in an error or description.
func noSecret(t *testing.T, s, secret string) {
	t.Helper()
	if secret != "" && strings.Contains(s, secret) {
		t.Errorf("%q leaks the token", s)
	}
}

func TestLiteral(t *testing.T) {
	s := identity.Literal("  a.b.c\n")
	tok, err := s.Token(t.Context())
	if err != nil || tok != "a.b.c" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
	if s.Renewable() {
		t.Error("a literal token must not be renewable")
	}
	noSecret(t, s.Describe(), "a.b.c")
	_, err = identity.Literal("").Token(t.Context())
	wantErr(t, err, "empty")
}

func TestFile(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	path := filepath.Join(dir, "token")
	s := identity.File(path)
	if !s.Renewable() || !strings.Contains(s.Describe(), path) {
		t.Errorf("Renewable=%v Describe=%q", s.Renewable(), s.Describe())
	}

	_, err := s.Token(ctx)
	wantErr(t, err, path, "does not exist")

	if err := os.WriteFile(path, []byte(" \n\t\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = s.Token(ctx)
	wantErr(t, err, path, "is empty")

	if err := os.WriteFile(path, []byte("first.jwt.sig\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Token(ctx); err != nil || tok != "first.jwt.sig" {
		t.Fatalf("Token = %q, %v", tok, err)
	}
	// Rotated by a sidecar: the next call must see the new token.
	if err := os.WriteFile(path, []byte("second.jwt.sig"), 0o600); err != nil {
		t.Fatal(err)
	}
	if tok, err := s.Token(ctx); err != nil || tok != "second.jwt.sig" {
		t.Fatalf("after rotation Token = %q, %v", tok, err)
	}

	_, err = identity.File(dir).Token(ctx)
	if err == nil {
		t.Error("reading a directory must fail")
	}
	_, err = identity.File("").Token(ctx)
	wantErr(t, err, "no path")
}

func TestMetadata(t *testing.T) {
	g, srv := newGoogle(t)
	ctx := t.Context()
	wl := g.DefaultServiceAccount()

	s := identity.Metadata(identity.MetadataOptions{Audience: "https://api.anthropic.com", FormatFull: true, Host: hostOf(srv)})
	if !s.Renewable() || !strings.Contains(s.Describe(), `audience "https://api.anthropic.com"`) {
		t.Errorf("Renewable=%v Describe=%q", s.Renewable(), s.Describe())
	}
	tok, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c, err := identity.Inspect(tok)
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != googleemu.Issuer || c.Subject != wl.UniqueID || c.Email != wl.Email ||
		len(c.Audience) != 1 || c.Audience[0] != "https://api.anthropic.com" || c.Raw["google"] == nil {
		t.Errorf("claims = %+v", c)
	}

	// format=standard: no email.
	tok, err = identity.Metadata(identity.MetadataOptions{Audience: "other", Host: hostOf(srv)}).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := identity.Inspect(tok); c.Email != "" || c.Audience[0] != "other" {
		t.Errorf("standard claims = %+v", c)
	}

	_, err = identity.Metadata(identity.MetadataOptions{Host: hostOf(srv)}).Token(ctx)
	wantErr(t, err, "audience is required")
}

func TestMetadataHostFromEnv(t *testing.T) {
	_, srv := newGoogle(t)
	t.Setenv(identity.MetadataHostEnv, hostOf(srv))
	s := identity.Metadata(identity.MetadataOptions{Audience: "aud"})
	if _, err := s.Token(t.Context()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Describe(), hostOf(srv)) {
		t.Errorf("Describe = %q", s.Describe())
	}
	// Read at Token time, not at construction.
	t.Setenv(identity.MetadataHostEnv, closedAddr(t))
	_, err := s.Token(t.Context())
	wantErr(t, err, "not running on Google Cloud")
}

func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func TestMetadataFailures(t *testing.T) {
	_, srv := newGoogle(t)
	ctx := t.Context()

	addr := closedAddr(t)
	_, err := identity.Metadata(identity.MetadataOptions{Audience: "aud", Host: addr}).Token(ctx)
	wantErr(t, err, "not running on Google Cloud (metadata server "+addr+" unreachable)", "GCE_METADATA_HOST")

	// A client that drops the flavor header gets the fake's 403 and the
	// source reports it with the server's reason.
	strip := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		r = r.Clone(r.Context())
		r.Header.Del("Metadata-Flavor")
		return http.DefaultTransport.RoundTrip(r)
	})}
	_, err = identity.Metadata(identity.MetadataOptions{Audience: "aud", Host: hostOf(srv), HTTPClient: strip}).Token(ctx)
	wantErr(t, err, "403", "Missing Metadata-Flavor:Google header")
	if strings.Contains(err.Error(), "<p>") {
		t.Errorf("HTML tags in error: %v", err)
	}

	// An impostor (no Metadata-Flavor response header) is not trusted even with 200.
	impostor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))
	}))
	defer impostor.Close()
	_, err = identity.Metadata(identity.MetadataOptions{Audience: "aud", Host: impostor.URL}).Token(ctx)
	wantErr(t, err, "host is not a Google metadata server")
	noSecret(t, err.Error(), "eyJhbGciOiJSUzI1NiJ9")

	// A metadata server that returns 200 but no token.
	junk := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Metadata-Flavor", "Google")
		_, _ = w.Write([]byte("<html>hello</html>"))
	}))
	defer junk.Close()
	_, err = identity.Metadata(identity.MetadataOptions{Audience: "aud", Host: hostOf(junk)}).Token(ctx)
	wantErr(t, err, "not a JWT")

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = identity.Metadata(identity.MetadataOptions{Audience: "aud", Host: hostOf(srv)}).Token(cctx)
	wantErr(t, err, "context canceled")
	if strings.Contains(err.Error(), "not running on Google Cloud") {
		t.Errorf("a cancelled call is not a missing metadata server: %v", err)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func impersonationOpts(srv *httptest.Server, accessToken string) []option.ClientOption {
	return []option.ClientOption{
		option.WithEndpoint(srv.URL + googleemu.IAMCredentialsPathPrefix),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken})),
	}
}

func TestImpersonation(t *testing.T) {
	g, srv := newGoogle(t)
	ctx := t.Context()
	opts := impersonationOpts(srv, g.AccessToken())

	s := identity.Impersonation(identity.ImpersonationOptions{
		ServiceAccount: googleemu.CIRunnerAccount, Audience: "aud", IncludeEmail: true, ClientOptions: opts,
	})
	tok, err := s.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ci, _ := g.Lookup(googleemu.CIRunnerAccount)
	if c, _ := identity.Inspect(tok); c.Subject != ci.UniqueID || c.Email != ci.Email || c.Audience[0] != "aud" {
		t.Errorf("claims = %+v", c)
	}
	if !s.Renewable() || !strings.Contains(s.Describe(), googleemu.CIRunnerAccount) {
		t.Errorf("Renewable=%v Describe=%q", s.Renewable(), s.Describe())
	}

	// Delegation chain terraform -> ci-runner -> workload.
	chain := identity.Impersonation(identity.ImpersonationOptions{
		ServiceAccount: googleemu.WorkloadAccount, Audience: "aud", IncludeEmail: true,
		Delegates: []string{googleemu.CIRunnerAccount}, ClientOptions: opts,
	})
	_, err = chain.Token(ctx)
	wantErr(t, err, "denied", "roles/iam.serviceAccountTokenCreator", "roles/iam.serviceAccountOpenIdTokenCreator", googleemu.CIRunnerAccount,
		"Permission 'iam.serviceAccounts.getOpenIdToken' denied")
	g.GrantTokenCreator(googleemu.CIRunnerAccount, googleemu.WorkloadAccount)
	tok, err = chain.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := identity.Inspect(tok); c.Email != googleemu.WorkloadAccount {
		t.Errorf("delegated email = %q", c.Email)
	}

	// Direct, without a grant.
	_, err = identity.Impersonation(identity.ImpersonationOptions{
		ServiceAccount: googleemu.SecretAccount, Audience: "aud", ClientOptions: opts,
	}).Token(ctx)
	wantErr(t, err, "roles/iam.serviceAccountOpenIdTokenCreator on "+googleemu.SecretAccount)
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) || gerr.Code != http.StatusForbidden {
		t.Errorf("the Google API error must stay reachable with errors.As: %v", err)
	}
	if strings.Contains(err.Error(), "Details") {
		t.Errorf("error repeats the JSON details: %v", err)
	}

	// Rejected caller credentials.
	_, err = identity.Impersonation(identity.ImpersonationOptions{
		ServiceAccount: googleemu.CIRunnerAccount, Audience: "aud", ClientOptions: impersonationOpts(srv, "ya29.bogus"),
	}).Token(ctx)
	wantErr(t, err, "credentials were rejected")

	_, err = identity.Impersonation(identity.ImpersonationOptions{ServiceAccount: googleemu.CIRunnerAccount, ClientOptions: opts}).Token(ctx)
	wantErr(t, err, "audience is required")
	_, err = identity.Impersonation(identity.ImpersonationOptions{Audience: "aud", ClientOptions: opts}).Token(ctx)
	wantErr(t, err, "service account is required")
}

// ---- Executable ----

func script(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cred.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	return path
}

const fakeJWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJleGVjIn0.c2lnbmF0dXJl"

func TestExecutable(t *testing.T) {
	t.Setenv(identity.AllowExecutablesEnv, "1")
	ctx := t.Context()
	envOut := filepath.Join(t.TempDir(), "env")
	future := time.Now().Add(time.Hour).Unix()

	ok := script(t, `printf '%s|%s|%s' "$GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE" "$GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE" "$EXTRA" > "`+envOut+`"
cat <<EOF
{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:id_token","id_token":"`+fakeJWT+`","expiration_time":`+itoa(future)+`}
EOF`)
	s := identity.Executable(identity.ExecutableOptions{Command: []string{ok, "--secret-arg"}, Audience: "aud-x", Env: []string{"EXTRA=yes"}})
	tok, err := s.Token(ctx)
	if err != nil || tok != fakeJWT {
		t.Fatalf("Token = %q, %v", tok, err)
	}
	env, _ := os.ReadFile(envOut)
	if string(env) != "aud-x|"+identity.TokenTypeJWT+"|yes" {
		t.Errorf("executable saw env %q", env)
	}
	if !s.Renewable() || !strings.Contains(s.Describe(), "cred.sh") || strings.Contains(s.Describe(), "--secret-arg") {
		t.Errorf("Renewable=%v Describe=%q", s.Renewable(), s.Describe())
	}

	cases := []struct {
		name, body string
		want       []string
	}{
		{"failure", `echo '{"version":1,"success":false,"code":"401","message":"Caller not authorized."}'`, []string{"reported failure", "401", "Caller not authorized."}},
		{"failure with exit 1", `echo '{"version":1,"success":false,"code":"ENOCRED","message":"no cred"}'; exit 1`, []string{"ENOCRED", "no cred"}},
		{"garbage", `echo 'hello world'`, []string{"not Google's executable-sourced credential JSON", "hello world"}},
		{"garbage with token", `echo 'oops ` + fakeJWT + `'`, []string{"not Google's executable-sourced credential JSON", "[REDACTED]"}},
		{"nothing", `true`, []string{"printed nothing"}},
		{"exit status", `echo "boom: ` + fakeJWT + `" >&2; exit 3`, []string{"exited with status 3", "stderr: boom: [REDACTED]"}},
		{"version", `echo '{"version":2,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt","id_token":"a.b.c"}'`, []string{"unsupported response version 2"}},
		{"no version", `echo '{"success":true}'`, []string{"no version"}},
		{"no success", `echo '{"version":1}'`, []string{"no success"}},
		{"saml", `echo '{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:saml2","saml_response":"x"}'`, []string{"SAML"}},
		{"token type", `echo '{"version":1,"success":true,"token_type":"bearer","id_token":"a.b.c"}'`, []string{`unsupported token_type "bearer"`}},
		{"no token", `echo '{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt"}'`, []string{"no id_token"}},
		{"expired", `echo '{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:jwt","id_token":"a.b.c","expiration_time":1600000000}'`, []string{"expired at 2020-09-13T12:26:40Z"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := identity.Executable(identity.ExecutableOptions{Command: []string{script(t, c.body)}}).Token(ctx)
			wantErr(t, err, c.want...)
			if err != nil {
				noSecret(t, err.Error(), fakeJWT)
			}
		})
	}

	t.Run("timeout", func(t *testing.T) {
		_, err := identity.Executable(identity.ExecutableOptions{Command: []string{script(t, "sleep 30")}, Timeout: 200 * time.Millisecond}).Token(ctx)
		wantErr(t, err, "timed out after 200ms")
	})
	t.Run("output cap", func(t *testing.T) {
		_, err := identity.Executable(identity.ExecutableOptions{Command: []string{script(t, `head -c 5000 /dev/zero`)}, MaxOutputBytes: 1024}).Token(ctx)
		wantErr(t, err, "more than 1024 bytes")
	})
	t.Run("missing program", func(t *testing.T) {
		_, err := identity.Executable(identity.ExecutableOptions{Command: []string{filepath.Join(t.TempDir(), "nope")}}).Token(ctx)
		wantErr(t, err, "nope")
	})
	t.Run("no command", func(t *testing.T) {
		_, err := identity.Executable(identity.ExecutableOptions{}).Token(ctx)
		wantErr(t, err, "no command")
	})
}

func TestExecutableRequiresOptIn(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "ran")
	cmd := script(t, "touch "+marker)
	for _, v := range []string{"", "0", "true"} {
		t.Setenv(identity.AllowExecutablesEnv, v)
		_, err := identity.Executable(identity.ExecutableOptions{Command: []string{cmd}}).Token(t.Context())
		wantErr(t, err, identity.AllowExecutablesEnv+"=1")
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("the executable ran without the opt-in")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// ---- Inspect ----

func signWith(t testing.TB, alg jose.SignatureAlgorithm, key any, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestInspect(t *testing.T) {
	g, _ := newGoogle(t)
	tok, err := g.Mint(googleemu.WorkloadAccount, "https://api.anthropic.com", true, map[string]any{"jti": "j-1", "nbf": 1700000000, "custom": map[string]any{"a": 1}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := identity.Inspect(tok)
	if err != nil {
		t.Fatal(err)
	}
	wl := g.DefaultServiceAccount()
	if c.Algorithm != "RS256" || c.KeyID != g.KeyID() || c.Issuer != googleemu.Issuer || c.Subject != wl.UniqueID ||
		c.Email != wl.Email || c.JTI != "j-1" || len(c.Audience) != 1 || c.Audience[0] != "https://api.anthropic.com" ||
		c.Expiry.Sub(c.IssuedAt) != time.Hour || !c.NotBefore.Equal(time.Unix(1700000000, 0)) || c.Raw["custom"] == nil {
		t.Errorf("claims = %+v", c)
	}

	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	arr := signWith(t, jose.ES256, ec, map[string]any{"iss": "i", "sub": "s", "aud": []string{"a", "b"}, "iat": 1.7e9})
	c, err = identity.Inspect(arr)
	if err != nil {
		t.Fatal(err)
	}
	if c.Algorithm != "ES256" || len(c.Audience) != 2 || c.Audience[1] != "b" || c.IssuedAt.Unix() != 1.7e9 || !c.Expiry.IsZero() || c.Email != "" {
		t.Errorf("array aud claims = %+v", c)
	}

	hs := signWith(t, jose.HS256, []byte("0123456789abcdef0123456789abcdef"), map[string]any{"sub": "s"})
	none := b64(`{"alg":"none","typ":"JWT"}`) + "." + b64(`{"sub":"s"}`) + "."
	cases := []struct{ name, token, want string }{
		{"hs256", hs, "alg HS256 is symmetric; the exchange only accepts RS/PS/ES 256/384/512"},
		{"none", none, "alg none"},
		{"eddsa", b64(`{"alg":"EdDSA"}`) + "." + b64(`{}`) + ".c2ln", `alg "EdDSA" is not accepted`},
		{"garbage", "garbage", "not a JWT: 1 dot-separated part(s)"},
		{"empty", "", "not a JWT: empty"},
		{"jwe", "a.b.c.d.e", "encrypted JWE"},
		{"bad header", "!!!.e30.c2ln", "header is not base64url"},
		{"header not json", b64("nope") + ".e30.c2ln", "header is not a JSON object"},
		{"no alg", b64(`{"typ":"JWT"}`) + ".e30.c2ln", "no alg"},
		{"payload not json", b64(`{"alg":"RS256"}`) + "." + b64("[1,2") + ".c2ln", "not a JWT"},
		{"exp string", b64(`{"alg":"RS256"}`) + "." + b64(`{"exp":"tomorrow"}`) + ".c2ln", "malformed JWT claims"},
		{"aud number", b64(`{"alg":"RS256"}`) + "." + b64(`{"aud":7}`) + ".c2ln", "malformed JWT claims"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := identity.Inspect(c.token)
			wantErr(t, err, c.want)
			if err != nil && len(c.token) > 20 {
				noSecret(t, err.Error(), c.token)
			}
		})
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func BenchmarkInspect(b *testing.B) {
	g := googleemu.New(googleemu.Options{SigningKey: sharedKey()})
	tok, err := g.Mint(googleemu.WorkloadAccount, "aud", true, nil)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := identity.Inspect(tok); err != nil {
			b.Fatal(err)
		}
	}
}
