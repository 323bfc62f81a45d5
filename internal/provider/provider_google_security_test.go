package provider

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/google"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
)

const (
	leakyGoogleToken  = "ya29.a0-leaky-google-access-token-0123456789"
	opaqueGoogleToken = "opaque-static-google-token-0123456789"
)

// echoingGoogle serves googleemu.EchoingHandler: every request answered
// with 500 and an echo of it, headers included, in the given style.
func echoingGoogle(t *testing.T, style string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(googleemu.EchoingHandler(style))
	t.Cleanup(srv.Close)
	return srv
}

// noLeak fails when text holds a secret in any letter case.
func noLeak(t *testing.T, what, text string, secrets ...string) {
	t.Helper()
	lower := strings.ToLower(text)
	for _, s := range secrets {
		if i := strings.Index(lower, strings.ToLower(s)); i >= 0 {
			t.Errorf("%s leaks %q: …%s…", what, s, text[max(0, i-300):min(len(text), i+len(s)+100)])
		}
	}
}

func leakSecrets(token string) []string {
	// The part after "ya29." too: a redactor that keeps the tail leaks it.
	return []string{token, strings.TrimPrefix(token, "ya29."), "hunter2"}
}

// An IAM endpoint that echoes the request (its Authorization header, a URL
// with a password) in a 500 gets none of it into the diagnostic, whether the
// echo is JSON, text or upper case, and whether the token has a known shape.
func TestGoogleServiceAccountErrorsNeverLeakCredentials(t *testing.T) {
	for _, token := range []string{leakyGoogleToken, opaqueGoogleToken} {
		for _, style := range []string{googleemu.EchoText, googleemu.EchoJSON, googleemu.EchoUpper} {
			t.Run(token[:6]+"/"+style, func(t *testing.T) {
				srv := echoingGoogle(t, style)
				pd := &providerData{google: newGoogleConfig(google.Settings{
					AccessToken: token, AccessTokenFrom: "google.access_token", IAMEndpoint: srv.URL + "/",
				}, "test", 0, nil)}
				_, diags := readGoogleServiceAccount(t, pd, googleemu.WorkloadAccount)
				if !diags.HasError() || !strings.Contains(diagText(diags), "500") {
					t.Fatalf("want a 500 error, got %s", diagText(diags))
				}
				noLeak(t, "diagnostic", diagText(diags), leakSecrets(token)...)
			})
		}
	}
}

// The same through the provider's own impersonation (generateAccessToken)
// and through google_impersonation identity tokens (generateIdToken).
func TestGoogleImpersonationErrorsNeverLeakCredentials(t *testing.T) {
	t.Parallel()
	env := newGoogleOnlyEnv(t)
	for _, style := range []string{googleemu.EchoText, googleemu.EchoJSON, googleemu.EchoUpper} {
		t.Run(style, func(t *testing.T) {
			srv := echoingGoogle(t, style)
			pd := &providerData{google: newGoogleConfig(google.Settings{
				AccessToken: leakyGoogleToken, AccessTokenFrom: "google.access_token", Impersonate: googleemu.WorkloadAccount,
				IAMEndpoint: env.server.URL + googleemu.IAMPathPrefix, IAMCredentialsEndpoint: srv.URL + "/",
			}, "test", 0, nil)}
			_, diags := readGoogleServiceAccount(t, pd, googleemu.WorkloadAccount)
			if !diags.HasError() || !strings.Contains(diagText(diags), "500") {
				t.Fatalf("want a 500 error, got %s", diagText(diags))
			}
			noLeak(t, "diagnostic", diagText(diags), leakSecrets(leakyGoogleToken)...)

			src := google.ImpersonationSource(newGoogleConfig(google.Settings{
				AccessToken: leakyGoogleToken, AccessTokenFrom: "google.access_token", IAMCredentialsEndpoint: srv.URL + "/",
			}, "test", 0, nil), identity.ImpersonationOptions{ServiceAccount: googleemu.WorkloadAccount, Audience: "aud"})
			_, err := src.Token(bg)
			if err == nil {
				t.Fatal("want an error")
			}
			noLeak(t, "error", err.Error(), leakSecrets(leakyGoogleToken)...)
		})
	}
}

// redirectingGoogle answers every request with a redirect to another host
// that records what reaches it.
type redirectingGoogle struct {
	redirector *httptest.Server
	other      *httptest.Server

	mu       sync.Mutex
	received []string // Authorization headers the other host saw
}

func newRedirectingGoogle(t *testing.T, status int) *redirectingGoogle {
	t.Helper()
	f := &redirectingGoogle{}
	f.other = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.received = append(f.received, r.Header.Get("Authorization"))
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"token":"x.y.z"}`))
	}))
	t.Cleanup(f.other.Close)
	// Another host name for the same machine, so this is a cross-host redirect.
	otherURL := strings.Replace(f.other.URL, "127.0.0.1", "localhost", 1)
	f.redirector = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, otherURL+r.URL.RequestURI(), status)
	}))
	t.Cleanup(f.redirector.Close)
	return f
}

func (f *redirectingGoogle) check(t *testing.T, what string, text string) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range f.received {
		if a != "" {
			t.Errorf("%s: the other host received credentials %q", what, a)
		}
	}
	if len(f.received) > 0 {
		t.Errorf("%s: the redirect was followed (%d requests reached the other host)", what, len(f.received))
	}
	if !strings.Contains(text, "redirect") {
		t.Errorf("%s: the error does not say it was a redirect:\n%s", what, text)
	}
	noLeak(t, what, text, leakyGoogleToken)
}

// No Google client of the provider follows a redirect with Credentials: not
// IAM (the data source), not IAM Credentials (the provider's impersonation,
// google_impersonation identity tokens).
func TestGoogleClientsRefuseRedirects(t *testing.T) {
	env := newGoogleOnlyEnv(t)
	for _, status := range []int{http.StatusFound, http.StatusTemporaryRedirect} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			f := newRedirectingGoogle(t, status)
			pd := &providerData{google: newGoogleConfig(google.Settings{
				AccessToken: leakyGoogleToken, AccessTokenFrom: "google.access_token", IAMEndpoint: f.redirector.URL + "/",
			}, "test", 0, nil)}
			_, diags := readGoogleServiceAccount(t, pd, googleemu.WorkloadAccount)
			f.check(t, "IAM", diagText(diags))

			f = newRedirectingGoogle(t, status)
			pd = &providerData{google: newGoogleConfig(google.Settings{
				AccessToken: leakyGoogleToken, AccessTokenFrom: "google.access_token", Impersonate: googleemu.WorkloadAccount,
				IAMEndpoint: env.server.URL + googleemu.IAMPathPrefix, IAMCredentialsEndpoint: f.redirector.URL + "/",
			}, "test", 0, nil)}
			_, diags = readGoogleServiceAccount(t, pd, googleemu.WorkloadAccount)
			f.check(t, "generateAccessToken", diagText(diags))

			f = newRedirectingGoogle(t, status)
			src := google.ImpersonationSource(newGoogleConfig(google.Settings{
				AccessToken: leakyGoogleToken, AccessTokenFrom: "google.access_token", IAMCredentialsEndpoint: f.redirector.URL + "/",
			}, "test", 0, nil), identity.ImpersonationOptions{ServiceAccount: googleemu.WorkloadAccount, Audience: "aud"})
			_, err := src.Token(bg)
			if err == nil {
				t.Fatal("generateIdToken: want an error")
			}
			f.check(t, "generateIdToken", err.Error())
		})
	}
}

// hangingGoogle accepts requests and answers none before release (10 s at
// most, so that a client without a timeout fails the test instead of
// hanging it).
func hangingGoogle(t *testing.T, header http.Header) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		select {
		case <-release:
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("answered too late"))
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// Every Google call is bounded by request_timeout, and the error says so.
func TestGoogleCallsHonourRequestTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	hang := hangingGoogle(t, nil)
	bounded := func(t *testing.T, what string, f func() string, wants ...string) {
		t.Helper()
		start := time.Now()
		text := f()
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s: took %s with request_timeout %s", what, d, timeout)
		}
		for _, want := range append([]string{"did not answer within 300ms", "request_timeout"}, wants...) {
			if !strings.Contains(text, want) {
				t.Errorf("%s: error does not contain %q:\n%s", what, want, text)
			}
		}
	}
	config := func(s google.Settings) *google.Config {
		s.AccessToken, s.AccessTokenFrom = leakyGoogleToken, "google.access_token"
		g := newGoogleConfig(s, "test", timeout, nil)
		return g
	}

	bounded(t, "IAM", func() string {
		_, diags := readGoogleServiceAccount(t, &providerData{google: config(google.Settings{IAMEndpoint: hang.URL + "/"})}, googleemu.WorkloadAccount)
		return diagText(diags)
	}, "IAM ("+hang.URL)
	bounded(t, "generateAccessToken", func() string {
		env := newGoogleOnlyEnv(t)
		g := config(google.Settings{Impersonate: googleemu.WorkloadAccount, IAMEndpoint: env.server.URL + googleemu.IAMPathPrefix, IAMCredentialsEndpoint: hang.URL + "/"})
		_, diags := readGoogleServiceAccount(t, &providerData{google: g}, googleemu.WorkloadAccount)
		return diagText(diags)
	}, "IAM Credentials ("+hang.URL) // the impersonation timed out, not IAM
	bounded(t, "generateIdToken", func() string {
		src := google.ImpersonationSource(config(google.Settings{IAMCredentialsEndpoint: hang.URL + "/"}), identity.ImpersonationOptions{ServiceAccount: googleemu.WorkloadAccount, Audience: "aud"})
		_, err := src.Token(bg)
		return fmt.Sprint(err)
	}, "IAM Credentials ("+hang.URL)

	// gce_metadata: a metadata server that accepts but does not answer is
	// slow, not absent.
	metadata := hangingGoogle(t, http.Header{"Metadata-Flavor": {"Google"}})
	t.Setenv(identity.MetadataHostEnv, strings.TrimPrefix(metadata.URL, "http://"))
	bounded(t, "gce_metadata", func() string {
		gce := types.ObjectValueMust(map[string]attr.Type{"audience": types.StringType, "format_full": types.BoolType},
			map[string]attr.Value{"audience": types.StringNull(), "format_full": types.BoolNull()})
		var diags diag.Diagnostics
		src := identitySourceModel{GCEMetadata: gce}.source(bg, config(google.Settings{}), path.Empty(), &diags)
		if diags.HasError() || src == nil {
			t.Fatalf("source: %s", diagText(diags))
		}
		_, err := src.Token(bg)
		if err != nil && strings.Contains(err.Error(), "not running on Google Cloud") {
			t.Errorf("a slow metadata server is reported as missing: %v", err)
		}
		return fmt.Sprint(err)
	})
}

// hostileGoogleConfig is a provider block whose IAM endpoint is endpoint;
// the Google token comes from the environment, since the test harness logs
// the configuration itself (not the provider's doing).
func hostileGoogleConfig(t *testing.T, env *testEnv, endpoint, timeout string) string {
	t.Helper()
	clearGoogleEnv(t)
	t.Setenv(google.EnvAccessToken, leakyGoogleToken)
	return fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  auth_token      = %q
  organization_id = %q
  request_timeout = %q
  google = {
    iam_custom_endpoint         = %q
    impersonate_service_account = ""
  }
}
`, env.server.URL, env.emu.AdminToken(), env.emu.OrganizationID(), timeout, endpoint) + googleSADataSource("sa", googleemu.WorkloadAccount, "")
}

// Through Terraform: when IAM echoes the request, neither the diagnostic nor
// Terraform's trace log (core and provider) holds the token.
func TestAccGoogleServiceAccountDataSource_echoingEndpoint(t *testing.T) {
	env := newTestEnv(t)
	echo := echoingGoogle(t, googleemu.EchoText)
	logFile := filepath.Join(t.TempDir(), "terraform.log")
	t.Setenv("TF_ACC_LOG_PATH", logFile)
	t.Setenv("TF_LOG", "TRACE")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: hostileGoogleConfig(t, env, echo.URL+"/", "30s"), ExpectError: regexp.MustCompile(`HTTP 500`)},
		},
	})
	log, err := os.ReadFile(logFile)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "backend failure") {
		t.Fatalf("the trace log does not hold the diagnostic; the check below would prove nothing (%d bytes)", len(log))
	}
	noLeak(t, "trace log", string(log), leakSecrets(leakyGoogleToken)...)
}

// Through Terraform: an IAM endpoint that never answers fails after
// request_timeout, with a message naming it.
func TestAccGoogleServiceAccountDataSource_silentEndpoint(t *testing.T) {
	env := newTestEnv(t)
	hang := hangingGoogle(t, nil)
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{
			{Config: hostileGoogleConfig(t, env, hang.URL+"/", "1s"), ExpectError: regexp.MustCompile(`(?s)did not answer within 1s.*request_timeout`)},
		},
	})
}

// Messages about a bad URL do not repeat the password it carries.
func TestURLPasswordsAreNotEchoed(t *testing.T) {
	for _, raw := range []string{"http://admin:hunter2@api.example.com", "ftp://admin:hunter2@api.example.com", "HTTP://ADMIN:HUNTER2@API.EXAMPLE.COM"} {
		err := checkBaseURL(raw)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "api.example.com") {
			t.Fatalf("checkBaseURL(%q) = %v", raw, err)
		}
		noLeak(t, "base_url error", err.Error(), "hunter2")
	}
	for _, raw := range []string{"https://svc:hunter2@iam.example.com/", "http://svc:hunter2@iam.example.com/", "HTTPS://SVC:HUNTER2@IAM.EXAMPLE.COM/"} {
		_, err := google.NormalizeEndpoint(raw)
		if err == nil || !strings.Contains(strings.ToLower(err.Error()), "iam.example.com") {
			t.Fatalf("google.NormalizeEndpoint(%q) = %v", raw, err)
		}
		noLeak(t, "endpoint error", err.Error(), "hunter2")
	}
}

// Errors that are not API answers (transport failures, a federation token
// source failing) are redacted on their way into a diagnostic too.
func TestAPIErrorDetailRedactsOtherErrors(t *testing.T) {
	err := fmt.Errorf("exchanging the identity token: %w", fmt.Errorf(`Post "https://svc:hunter2@proxy.example/v1/oauth/token": proxy said AUTHORIZATION: BEARER %s`, strings.ToUpper(opaqueGoogleToken)))
	d := apiErrorDetail(err)
	if !strings.Contains(d, "proxy.example") {
		t.Errorf("detail lost its useful part: %s", d)
	}
	noLeak(t, "detail", d, "hunter2", opaqueGoogleToken)
}

// Application Default Credentials on Google Cloud fetch their access token
// from the metadata server; that wait is bounded by request_timeout too.
func TestGoogleADCTokenFetchHonoursRequestTimeout(t *testing.T) {
	clearGoogleEnv(t)
	t.Setenv("HOME", t.TempDir()) // no gcloud application default login
	t.Setenv("CLOUDSDK_CONFIG", t.TempDir())
	metadata := hangingGoogle(t, http.Header{"Metadata-Flavor": {"Google"}})
	t.Setenv(identity.MetadataHostEnv, strings.TrimPrefix(metadata.URL, "http://"))
	iam := newGoogleOnlyEnv(t)
	g := newGoogleConfig(google.Settings{IAMEndpoint: iam.server.URL + googleemu.IAMPathPrefix}, "test", 300*time.Millisecond, nil)
	start := time.Now()
	_, diags := readGoogleServiceAccount(t, &providerData{google: g}, googleemu.WorkloadAccount)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %s with request_timeout 300ms", d)
	}
	text := diagText(diags)
	for _, want := range []string{"Google access token", "300ms", "request_timeout"} {
		if !strings.Contains(text, want) {
			t.Errorf("error does not contain %q:\n%s", want, text)
		}
	}
}
