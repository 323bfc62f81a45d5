package google

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
)

var bg = context.Background()

func newTestConfig(s Settings) *Config {
	return New(s, Options{UserAgent: "test"})
}

// newGoogleServer serves just the Google emulator.
func newGoogleServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(googleemu.New(googleemu.Options{}).Handler())
	t.Cleanup(srv.Close)
	return srv
}

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
		got, err := NormalizeEndpoint(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("NormalizeEndpoint(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
		case tc.err == "" && (err != nil || got != tc.want):
			t.Errorf("NormalizeEndpoint(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
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
		g := newTestConfig(Settings{Credentials: tc.value, CredentialsFrom: "google.credentials"})
		_, err := g.ClientOptions(bg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("credentials %.30q...: err = %v, want %q", tc.value, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "SECRET") {
			t.Errorf("error repeats the Credentials: %v", err)
		}
	}

	missing := filepath.Join(t.TempDir(), "nope.json")
	g := newTestConfig(Settings{Credentials: missing, CredentialsFrom: EnvCredentials})
	if _, err := g.ClientOptions(bg); err == nil || !strings.Contains(err.Error(), "does not exist") || !strings.Contains(err.Error(), EnvCredentials) {
		t.Errorf("missing file: err = %v", err)
	}
}

// A credentials file is read once, on first use, and not before.
func TestGoogleCredentialsAreResolvedLazilyAndOnce(t *testing.T) {
	srv := newGoogleServer(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "creds.json")
	g := newTestConfig(Settings{
		Credentials: file, CredentialsFrom: "google.credentials",
		IAMEndpoint: srv.URL + googleemu.IAMPathPrefix,
	})
	// The file is written only after the configuration exists (as after
	// Configure): an eager read would have failed and kept the error.
	authorizedUser := map[string]string{
		"type": "authorized_user", "client_id": "id.apps.googleusercontent.com", "client_secret": "s", "refresh_token": "r",
	}
	b, _ := json.Marshal(authorizedUser)
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := g.IAMOptions(bg); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, err := g.IAMCredentialsOptions(bg); err != nil {
		t.Fatalf("second use must reuse the credentials, not re-read the file: %v", err)
	}
}
