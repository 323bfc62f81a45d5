package google

import (
	"strings"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func TestResolveGoogleSettings(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }
	allEnv := env(map[string]string{
		EnvAccessToken:            "ya29.from-env",
		EnvCredentials:            "/env/creds.json",
		EnvImpersonate:            "env-sa@p-123456.iam.gserviceaccount.com",
		EnvIAMEndpoint:            "https://iam.example.com/v1/",
		EnvIAMCredentialsEndpoint: "https://iamcredentials.example.com",
	})

	// Environment only: the access token wins over credentials, as in
	// terraform-provider-google; endpoints are normalised.
	s, err := ResolveSettings(Inputs{}, allEnv)
	if err != nil {
		t.Fatal(err)
	}
	if s.AccessToken != "ya29.from-env" || s.AccessTokenFrom != EnvAccessToken || s.Credentials != "" {
		t.Errorf("env token: got %+v", s)
	}
	if s.Impersonate != "env-sa@p-123456.iam.gserviceaccount.com" || s.IAMEndpoint != "https://iam.example.com/" ||
		s.IAMCredentialsEndpoint != "https://iamcredentials.example.com/" {
		t.Errorf("env defaults: got %+v", s)
	}

	// Anything in the block beats every environment variable.
	s, err = ResolveSettings(Inputs{
		Credentials:            ptr("/cfg/creds.json"),
		Impersonate:            ptr(""),
		IAMEndpoint:            ptr("http://127.0.0.1:1/google/iam/v1/"),
		IAMCredentialsEndpoint: nil,
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
		EnvIAMEndpoint:            "http://iam.example.com/",
		EnvIAMCredentialsEndpoint: "not a url",
		EnvImpersonate:            "not-an-email",
	} {
		_, err := ResolveSettings(Inputs{}, env(map[string]string{name: bad}))
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want one naming the variable", name, bad, err)
		}
	}
}
