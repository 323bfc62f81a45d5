package provider

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/types"
	iam "google.golang.org/api/iam/v1"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
)

// googleOnlyEnv serves just the Google emulator, for tests that do not go
// through Terraform.
type googleOnlyEnv struct {
	google *googleemu.Google
	server *httptest.Server
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
	t.Parallel()
	env := newGoogleOnlyEnv(t)
	fake := newFakeAccessTokenImpersonation(t, env.google)
	g := newGoogleConfig(google.Settings{
		AccessToken: env.google.AccessToken(), AccessTokenFrom: "google.access_token",
		Impersonate: googleemu.WorkloadAccount,
		Delegates:   []string{googleemu.CIRunnerAccount},
		IAMEndpoint: env.server.URL + googleemu.IAMPathPrefix, IAMCredentialsEndpoint: fake.server.URL + "/",
	}, "test", 0, nil)
	for range 3 {
		opts, err := g.IAMOptions(bg)
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
	if d := g.Describe(); !strings.Contains(d, "impersonating "+googleemu.WorkloadAccount) || strings.Contains(d, env.google.AccessToken()) {
		t.Errorf("describe() = %q", d)
	}

	// A refused impersonation names the role to grant.
	denied := newGoogleConfig(google.Settings{
		AccessToken: "ya29.someone-else", AccessTokenFrom: "google.access_token", Impersonate: googleemu.WorkloadAccount,
		IAMEndpoint: env.server.URL + googleemu.IAMPathPrefix, IAMCredentialsEndpoint: fake.server.URL + "/",
	}, "test", 0, nil)
	opts, err := denied.IAMOptions(bg)
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
	g := googleConfigFromModel(bg, types.ObjectUnknown(map[string]attr.Type{}), "test", 0)
	if _, err := g.ClientOptions(bg); err == nil || !strings.Contains(err.Error(), "unknown until apply") {
		t.Errorf("err = %v", err)
	}
}

// The provider's mapping of its google block onto the settings: what the
// block says beats the environment, an explicit "" included (restored from
// before the Google code moved to internal/google, whose own test covers
// ResolveSettings from google.Inputs, not this mapping).
func TestResolveGoogleSettings(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	allEnv := env(map[string]string{
		google.EnvAccessToken:            "ya29.from-env",
		google.EnvCredentials:            "/env/creds.json",
		google.EnvImpersonate:            "env-sa@p-123456.iam.gserviceaccount.com",
		google.EnvIAMEndpoint:            "https://iam.example.com/v1/",
		google.EnvIAMCredentialsEndpoint: "https://iamcredentials.example.com",
	})
	ctx := context.Background()

	// Environment only: the access token wins over credentials, as in
	// terraform-provider-google; endpoints are normalised.
	s, err := resolveGoogleSettings(ctx, googleModel{}, allEnv)
	if err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "ya29.from-env" || s.AccessTokenFrom != google.EnvAccessToken || s.Credentials != "" {
		t.Errorf("env token: got %+v", s)
	}
	if s.Impersonate != "env-sa@p-123456.iam.gserviceaccount.com" || s.IAMEndpoint != "https://iam.example.com/" ||
		s.IAMCredentialsEndpoint != "https://iamcredentials.example.com/" {
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
	if s.Credentials != "/cfg/creds.json" || s.CredentialsFrom != "google.credentials" || s.AccessToken != "" {
		t.Errorf("config credentials must beat the env token: got %+v", s)
	}
	if s.Impersonate != "" {
		t.Errorf("impersonate_service_account = \"\" must turn impersonation off, got %q", s.Impersonate)
	}
	if s.IAMEndpoint != "http://127.0.0.1:1/google/iam/" {
		t.Errorf("iam endpoint = %q", s.IAMEndpoint)
	}

	// Bad environment values are reported with the variable's name.
	for name, bad := range map[string]string{
		google.EnvIAMEndpoint:            "http://iam.example.com/",
		google.EnvIAMCredentialsEndpoint: "not a url",
		google.EnvImpersonate:            "not-an-email",
	} {
		_, err := resolveGoogleSettings(ctx, googleModel{}, env(map[string]string{name: bad}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want one naming the variable", name, bad, err)
		}
	}
}
