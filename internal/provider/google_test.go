package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	iam "google.golang.org/api/iam/v1"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
)

func TestNormalizeGoogleEndpoint(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "https://iam.googleapis.com", want: "https://iam.googleapis.com/"},
		{in: "https://iam.googleapis.com/", want: "https://iam.googleapis.com/"},
		{in: "https://iam.googleapis.com/v1/", want: "https://iam.googleapis.com/"},
		{in: "https://iam.googleapis.com/v1", want: "https://iam.googleapis.com/"},
		{in: "https://private.example.com/iam/v1/", want: "https://private.example.com/iam/"},
		{in: "  https://private.example.com/iam  ", want: "https://private.example.com/iam/"},
		{in: "https://private.example.com/iamv1/", want: "https://private.example.com/iamv1/"},
		{in: "https://private.example.com/v1/v1/", want: "https://private.example.com/v1/"},
		{in: "http://127.0.0.1:8787/google/iam/", want: "http://127.0.0.1:8787/google/iam/"},
		{in: "http://127.0.0.1:8787/google/iam/v1", want: "http://127.0.0.1:8787/google/iam/"},
		{in: "http://localhost:8787/google/iamcredentials", want: "http://localhost:8787/google/iamcredentials/"},
		{in: "http://[::1]:8787/", want: "http://[::1]:8787/"},
		{in: "http://iam.example.com/", err: "plain http"},
		{in: "http://10.1.2.3/iam/", err: "plain http"},
		{in: "ftp://iam.googleapis.com/", err: "not an absolute http(s) URL"},
		{in: "iam.googleapis.com", err: "not an absolute http(s) URL"},
		{in: "https://iam.googleapis.com/?alt=json", err: "query"},
		{in: "https://user:pw@iam.googleapis.com/", err: "user information"},
	} {
		got, err := normalizeGoogleEndpoint(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("normalizeGoogleEndpoint(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("normalizeGoogleEndpoint(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestResolveGoogleSettings(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	allEnv := env(map[string]string{
		envGoogleAccessToken:            "ya29.from-env",
		envGoogleCredentials:            "/env/creds.json",
		envGoogleImpersonate:            "env-sa@p-123456.iam.gserviceaccount.com",
		envGoogleIAMEndpoint:            "https://iam.example.com/v1/",
		envGoogleIAMCredentialsEndpoint: "https://iamcredentials.example.com",
	})
	ctx := context.Background()

	// Environment only: the access token wins over credentials, as in
	// terraform-provider-google; endpoints are normalised.
	s, err := resolveGoogleSettings(ctx, googleModel{}, allEnv)
	if err != nil {
		t.Fatal(err)
	}
	if s.accessToken != "ya29.from-env" || s.accessTokenFrom != envGoogleAccessToken || s.credentials != "" {
		t.Errorf("env token: got %+v", s)
	}
	if s.impersonate != "env-sa@p-123456.iam.gserviceaccount.com" || s.iamEndpoint != "https://iam.example.com/" ||
		s.iamCredentialsEndpoint != "https://iamcredentials.example.com/" {
		t.Errorf("env defaults: got %+v", s)
	}

	// Anything in the block beats every environment variable.
	s, err = resolveGoogleSettings(ctx, googleModel{
		Credentials:                  types.StringValue("/cfg/creds.json"),
		ImpersonateServiceAccount:    types.StringValue(""),
		IAMCustomEndpoint:            types.StringValue("http://127.0.0.1:1/google/iam/v1/"),
		IAMCredentialsCustomEndpoint: types.StringNull(),
	}, allEnv)
	if err != nil {
		t.Fatal(err)
	}
	if s.credentials != "/cfg/creds.json" || s.credentialsFrom != "google.credentials" || s.accessToken != "" {
		t.Errorf("config credentials must beat the env token: got %+v", s)
	}
	if s.impersonate != "" {
		t.Errorf("impersonate_service_account = \"\" must turn impersonation off, got %q", s.impersonate)
	}
	if s.iamEndpoint != "http://127.0.0.1:1/google/iam/" {
		t.Errorf("iam endpoint = %q", s.iamEndpoint)
	}

	// Bad environment values are reported with the variable's name.
	for name, bad := range map[string]string{
		envGoogleIAMEndpoint:            "http://iam.example.com/",
		envGoogleIAMCredentialsEndpoint: "not a url",
		envGoogleImpersonate:            "not-an-email",
	} {
		_, err := resolveGoogleSettings(ctx, googleModel{}, env(map[string]string{name: bad}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want one naming the variable", name, bad, err)
		}
	}
}

// Credentials given as content must never be echoed: they hold a key.
func TestGoogleCredentialsErrorsDoNotEchoContent(t *testing.T) {
	const secret = "-----BEGIN PRIVATE KEY-----SECRETSECRET"
	for _, tc := range []struct{ value, want string }{
		{`{"type": "service_account", "private_key": "` + secret, "not valid JSON"},
		{`{"private_key": "` + secret + `"}`, `no "type"`},
		{`{"type": "mystery", "private_key": "` + secret + `"}`, `unsupported type "mystery"`},
		{`{"type": "service_account", "private_key": "` + secret + `"}`, "loading the Google credentials"},
	} {
		g := newGoogleConfig(bg, googleSettings{credentials: tc.value, credentialsFrom: "google.credentials"}, "test")
		_, err := g.clientOptions(bg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("credentials %.30q...: err = %v, want %q", tc.value, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error repeats the credentials: %v", err)
		}
	}

	missing := filepath.Join(t.TempDir(), "nope.json")
	g := newGoogleConfig(bg, googleSettings{credentials: missing, credentialsFrom: envGoogleCredentials}, "test")
	if _, err := g.clientOptions(bg); err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), envGoogleCredentials) {
		t.Errorf("missing file: err = %v", err)
	}
}

// A credentials file is read once, on first use, and not before.
func TestGoogleCredentialsAreResolvedLazilyAndOnce(t *testing.T) {
	env := newGoogleOnlyEnv(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "creds.json")
	g := newGoogleConfig(bg, googleSettings{
		credentials: file, credentialsFrom: "google.credentials",
		iamEndpoint: env.server.URL + googleemu.IAMPathPrefix,
	}, "test")
	// The file is written only after the configuration exists (as after
	// Configure): an eager read would have failed and kept the error.
	authorizedUser := map[string]string{
		"type": "authorized_user", "client_id": "id.apps.googleusercontent.com", "client_secret": "s", "refresh_token": "r",
	}
	b, _ := json.Marshal(authorizedUser)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := g.iamOptions(bg); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, err := g.iamCredentialsOptions(bg); err != nil {
		t.Fatalf("second use must reuse the credentials, not re-read the file: %v", err)
	}
}

// googleOnlyEnv serves just the Google emulator, for tests that do not go
// through Terraform.
type googleOnlyEnv struct {
	google *googleemu.Google
	server *httptest.Server
}

func newGoogleOnlyEnv(t *testing.T) *googleOnlyEnv {
	t.Helper()
	g := googleemu.New(googleemu.Options{})
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return &googleOnlyEnv{google: g, server: srv}
}

// fakeAccessTokenImpersonation stands in for IAM Credentials
// generateAccessToken, which googleemu does not serve: it checks the caller
// is the emulator's default caller and answers with an emulator token of
// the target, so IAM calls made with it act as the target.
type fakeAccessTokenImpersonation struct {
	server *httptest.Server

	mu        sync.Mutex
	calls     int
	delegates [][]string
}

func newFakeAccessTokenImpersonation(t *testing.T, g *googleemu.Google) *fakeAccessTokenImpersonation {
	t.Helper()
	f := &fakeAccessTokenImpersonation{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/projects/-/serviceAccounts/{call}", func(w http.ResponseWriter, r *http.Request) {
		target, ok := strings.CutSuffix(r.PathValue("call"), ":generateAccessToken")
		var req struct {
			Delegates []string `json:"delegates"`
			Scope     []string `json:"scope"`
			Lifetime  string   `json:"lifetime"`
		}
		if !ok || json.NewDecoder(r.Body).Decode(&req) != nil || len(req.Scope) == 0 {
			http.Error(w, `{"error":{"code":400,"message":"bad request","status":"INVALID_ARGUMENT"}}`, http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		f.calls++
		f.delegates = append(f.delegates, req.Delegates)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer "+g.AccessToken() {
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":{"code":403,"message":"Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).","status":"PERMISSION_DENIED"}}`))
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{
			"accessToken": g.IssueAccessToken(target),
			"expireTime":  time.Now().Add(time.Hour).UTC().Format(time.RFC3339),
		})
	})
	f.server = httptest.NewServer(mux)
	t.Cleanup(f.server.Close)
	return f
}

func (f *fakeAccessTokenImpersonation) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// Impersonation goes through the custom IAM Credentials endpoint, and the
// impersonated token is minted once and reused.
func TestGoogleImpersonationUsesCustomEndpointAndCaches(t *testing.T) {
	env := newGoogleOnlyEnv(t)
	fake := newFakeAccessTokenImpersonation(t, env.google)
	g := newGoogleConfig(bg, googleSettings{
		accessToken: env.google.AccessToken(), accessTokenFrom: "google.access_token",
		impersonate: googleemu.WorkloadAccount,
		delegates:   []string{googleemu.CIRunnerAccount},
		iamEndpoint: env.server.URL + googleemu.IAMPathPrefix, iamCredentialsEndpoint: fake.server.URL + "/",
	}, "test")
	for range 3 {
		opts, err := g.iamOptions(bg)
		if err != nil {
			t.Fatal(err)
		}
		svc, err := iam.NewService(bg, opts...)
		if err != nil {
			t.Fatal(err)
		}
		sa, err := svc.Projects.ServiceAccounts.Get("projects/-/serviceAccounts/" + googleemu.CIRunnerAccount).Context(bg).Do()
		if err != nil {
			t.Fatal(err)
		}
		if sa.UniqueId != googleemu.UniqueIDFor(googleemu.CIRunnerAccount) {
			t.Fatalf("unique id %q", sa.UniqueId)
		}
	}
	if n := fake.callCount(); n != 1 {
		t.Errorf("generateAccessToken called %d times, want 1 (the token is cached)", n)
	}
	if want := "projects/-/serviceAccounts/" + googleemu.CIRunnerAccount; len(fake.delegates) != 1 || len(fake.delegates[0]) != 1 || fake.delegates[0][0] != want {
		t.Errorf("delegates sent = %v, want [[%s]]", fake.delegates, want)
	}
	if d := g.describe(); !strings.Contains(d, "impersonating "+googleemu.WorkloadAccount) || strings.Contains(d, env.google.AccessToken()) {
		t.Errorf("describe() = %q", d)
	}

	// A refused impersonation names the role to grant.
	denied := newGoogleConfig(bg, googleSettings{
		accessToken: "ya29.someone-else", accessTokenFrom: "google.access_token", impersonate: googleemu.WorkloadAccount,
		iamEndpoint: env.server.URL + googleemu.IAMPathPrefix, iamCredentialsEndpoint: fake.server.URL + "/",
	}, "test")
	opts, err := denied.iamOptions(bg)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := iam.NewService(bg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Projects.ServiceAccounts.Get("projects/-/serviceAccounts/" + googleemu.CIRunnerAccount).Context(bg).Do()
	if err == nil || !strings.Contains(err.Error(), "roles/iam.serviceAccountTokenCreator on "+googleemu.WorkloadAccount) {
		t.Errorf("denied impersonation: err = %v", err)
	}
	if err != nil && strings.Contains(err.Error(), "ya29.someone-else") {
		t.Errorf("error repeats the token: %v", err)
	}
}

// Unknown values in the google block only matter once Google is used.
func TestGoogleConfigUnknownIsReportedOnUse(t *testing.T) {
	g := googleConfigFromModel(bg, types.ObjectUnknown(map[string]attr.Type{}), "test")
	if _, err := g.clientOptions(bg); err == nil || !strings.Contains(err.Error(), "unknown until apply") {
		t.Errorf("err = %v", err)
	}
}
