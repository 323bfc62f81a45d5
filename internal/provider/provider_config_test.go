package provider

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
)

func TestCheckBaseURL(t *testing.T) {
	for _, tc := range []struct {
		url string
		ok  bool
	}{
		{"https://api.anthropic.com", true},
		{"http://127.0.0.1:8787", true},
		{"http://[::1]:8787", true},
		{"http://localhost:8787", true},
		{"http://api.example.com", false},
		{"http://10.0.0.5:8080", false},
		{"ftp://api.anthropic.com", false},
		{"api.anthropic.com", false},
	} {
		err := checkBaseURL(tc.url)
		if (err == nil) != tc.ok {
			t.Errorf("checkBaseURL(%q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

func TestCredentialProblem(t *testing.T) {
	t.Parallel() // ANTHROPIC_API_KEY and ANTHROPIC_ADMIN_KEY are unset (TestMain)
	for _, tc := range []struct {
		token string
		ok    bool
		want  string
	}{
		{"sk-ant-oat01-abc", true, ""},
		{"opaque-oauth-token", true, ""},
		{"", false, "Missing Anthropic credential"},
		{"sk-ant-admin01-abc", false, "Admin API key"},
		{"sk-ant-api03-abc", false, "API key"},
	} {
		d, ok := credentialProblem(tc.token)
		if ok != tc.ok || !regexp.MustCompile(tc.want).MatchString(d.summary) {
			t.Errorf("credentialProblem(%q) = %+v, %v", tc.token, d, ok)
		}
		if tc.token != "" && regexp.MustCompile(regexp.QuoteMeta(tc.token)).MatchString(d.detail) {
			t.Errorf("diagnostic repeats the credential: %q", d.detail)
		}
	}
}

// Without any credential, in the configuration or the environment, the
// provider refuses to plan, before any request. (The mistakes the provider
// block alone shows are rows of TestAccInvalidConfigurations.)
func TestAccProvider_missingCredential(t *testing.T) {
	t.Parallel() // no credential in the environment either (TestMain unsets it)
	env := newTestEnv(t)
	resource.Test(t, resource.TestCase{ProtoV6ProviderFactories: testAccProtoV6ProviderFactories, Steps: []resource.TestStep{{
		Config:      fmt.Sprintf("provider \"anthropic\" {\nbase_url = %q\n}\n", env.server.URL) + serviceAccountConfig("cfg-check", ""),
		PlanOnly:    true,
		ExpectError: regexp.MustCompile(`Missing Anthropic credential`),
	}}})
	if n := env.emu.TotalRequests(); n != 0 {
		t.Errorf("an unconfigured provider reached the API: %d requests", n)
	}
}

// Credentials come from the environment like the SDKs'.
func TestAccProvider_environment(t *testing.T) {
	env := newTestEnv(t)
	t.Setenv(envBaseURL, env.server.URL)
	t.Setenv(envAuthToken, env.emu.AdminToken())
	t.Setenv(envOrganizationID, env.emu.OrganizationID())
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []resource.TestStep{{
			Config: serviceAccountConfig("from-env", ""),
			Check:  resource.TestCheckResourceAttrSet("anthropic_service_account.test", "id"),
		}},
	})
}
