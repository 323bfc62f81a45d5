package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
)

// demo is an emulated organization set up as examples/demo/main.tf leaves
// it: a Google issuer, a service account that is a member of production, and
// a rule pinning the metadata server's account by uniqueId and email.
type demo struct {
	emu    *emulator.Emulator
	srv    *httptest.Server
	admin  anthropic.Client
	saID   string
	ruleID string
	wsID   string
	issuer string
}

func newDemo(t *testing.T) *demo {
	t.Helper()
	d := &demo{emu: emulator.New(emulator.Options{})}
	d.srv = httptest.NewServer(d.emu)
	t.Cleanup(d.srv.Close)
	d.admin = anthropic.NewClient(
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(d.srv.URL),
		option.WithAuthToken(d.emu.AdminToken()),
		option.WithMaxRetries(0),
	)
	ws, ok := d.emu.WorkspaceByName("production")
	if !ok {
		t.Fatal("emulator has no production workspace")
	}
	d.wsID = ws.ID
	ctx := context.Background()

	sa, err := d.admin.Organization.ServiceAccounts.New(ctx, anthropic.OrganizationServiceAccountNewParams{Name: "cloud-run-summarizer"})
	must(t, err)
	d.saID = sa.ID
	_, err = d.admin.Organization.ServiceAccounts.Workspaces.Add(ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceAddParams{
		WorkspaceID:   d.wsID,
		WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceDeveloper,
	})
	must(t, err)
	iss, err := d.admin.Organization.Federation.Issuers.New(ctx, anthropic.OrganizationFederationIssuerNewParams{
		Name:      "google",
		IssuerURL: googleemu.Issuer,
	})
	must(t, err)
	d.issuer = iss.ID
	d.ruleID = d.newRule(t, "cloud-run-summarizer", d.emu.Google().DefaultServiceAccount())
	return d
}

// newRule creates a workspace:developer rule for the service account that
// matches tokens of the given Google account.
func (d *demo) newRule(t *testing.T, name string, g googleemu.ServiceAccount) string {
	t.Helper()
	r, err := d.admin.Organization.Federation.Rules.New(context.Background(), anthropic.OrganizationFederationRuleNewParams{
		Name:     name,
		IssuerID: d.issuer,
		Match: anthropic.FederationRuleMatchParam{
			Audience: anthropic.String(audience),
			Claims:   map[string]string{"sub": g.UniqueID, "email": g.Email},
		},
		Target:               anthropic.ServiceAccountTargetParam{ServiceAccountID: d.saID},
		OAuthScope:           "workspace:developer",
		WorkspaceID:          anthropic.String(d.wsID),
		TokenLifetimeSeconds: anthropic.Int(900),
	})
	must(t, err)
	return r.ID
}

// env is the container environment: sdk_environment plus the metadata host.
func (d *demo) env(t *testing.T) map[string]string {
	t.Helper()
	u, err := url.Parse(d.srv.URL)
	must(t, err)
	return map[string]string{
		"ANTHROPIC_FEDERATION_RULE_ID": d.ruleID,
		"ANTHROPIC_ORGANIZATION_ID":    d.emu.OrganizationID(),
		"ANTHROPIC_SERVICE_ACCOUNT_ID": d.saID,
		"ANTHROPIC_WORKSPACE_ID":       d.wsID,
		"ANTHROPIC_BASE_URL":           d.srv.URL,
		"GCE_METADATA_HOST":            u.Host,
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func getenv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// poisonProcessEnv puts credentials in the real environment, as the demo
// does for Terraform: the workload must not let the SDK pick them up. The
// admin token would be refused on /v1/messages, an API key by the emulator.
func poisonProcessEnv(t *testing.T, d *demo) {
	t.Setenv("ANTHROPIC_AUTH_TOKEN", d.emu.AdminToken())
	t.Setenv("ANTHROPIC_API_KEY", "sk-ant-api03-must-not-be-used")
	t.Setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:1")
}

func TestRunExchangesAndAsksClaude(t *testing.T) {
	d := newDemo(t)
	poisonProcessEnv(t, d)

	var out bytes.Buffer
	must(t, run(context.Background(), getenv(d.env(t)), &out))
	got := out.String()
	for _, want := range []string{
		`scope "workspace:developer"`,
		googleemu.WorkloadAccount,
		"issued by " + googleemu.Issuer,
		d.saID, // the emulator's reply names the authenticated service account
		d.wsID,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	// The rule's 900 s lifetime, seen a moment after the exchange.
	if !regexp.MustCompile(`expires \d{4}-\d\d-\d\dT[0-9:]+Z \(in 1[45]m\d+s\)`).MatchString(got) {
		t.Errorf("output lacks the token's expiry, about 15 minutes out:\n%s", got)
	}
	// No token of any kind on stdout: access tokens and JWTs.
	for _, secret := range []string{"sk-ant-", "eyJ"} {
		if strings.Contains(got, secret) {
			t.Errorf("output contains %q:\n%s", secret, got)
		}
	}
	if n := d.emu.RequestCount(emulator.RouteOAuthToken); n != 1 {
		t.Errorf("%d token exchanges, want 1", n)
	}
	if h := d.emu.AuthHistory(); len(h) != 1 || h[0].Outcome != emulator.AuthOutcomeSuccess || h[0].WorkspaceID != d.wsID {
		t.Errorf("auth history = %+v, want one success in %s", h, d.wsID)
	}
}

func TestRunWithIdentityTokenFile(t *testing.T) {
	d := newDemo(t)
	tok, err := d.emu.Google().Mint(googleemu.WorkloadAccount, audience, true, nil)
	must(t, err)
	file := filepath.Join(t.TempDir(), "token")
	must(t, os.WriteFile(file, []byte(tok+"\n"), 0o600))
	env := d.env(t)
	env["GCE_METADATA_HOST"] = "127.0.0.1:1" // unused: the file wins
	env["ANTHROPIC_IDENTITY_TOKEN_FILE"] = file

	var out bytes.Buffer
	must(t, run(context.Background(), getenv(env), &out))
	if !strings.Contains(out.String(), d.saID) {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestRunFailures(t *testing.T) {
	d := newDemo(t)
	otherRule := d.newRule(t, "ci-runner", mustLookup(t, d, googleemu.CIRunnerAccount))

	cases := []struct {
		name   string
		change func(map[string]string)
		want   []string
	}{
		{"missing rule and organization", func(e map[string]string) {
			delete(e, "ANTHROPIC_FEDERATION_RULE_ID")
			delete(e, "ANTHROPIC_ORGANIZATION_ID")
		}, []string{"ANTHROPIC_FEDERATION_RULE_ID, ANTHROPIC_ORGANIZATION_ID", "sdk_environment"}},
		{"not a rule id", func(e map[string]string) { e["ANTHROPIC_FEDERATION_RULE_ID"] = d.saID }, []string{"fdrl_"}},
		{"rule pins another Google account", func(e map[string]string) { e["ANTHROPIC_FEDERATION_RULE_ID"] = otherRule },
			[]string{"status 401", "Authentication failed", otherRule}},
		{"wrong service account", func(e map[string]string) { e["ANTHROPIC_SERVICE_ACCOUNT_ID"] = "svac_01AAAAAAAAAAAAAAAAAAAAAAAA" },
			[]string{"status 401"}},
		{"no metadata server", func(e map[string]string) { e["GCE_METADATA_HOST"] = closedAddr(t) },
			[]string{"identity token from", "metadata"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := d.env(t)
			tc.change(env)
			exchanges := d.emu.RequestCount(emulator.RouteOAuthToken)
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := run(ctx, getenv(env), &out)
			if err == nil {
				t.Fatalf("run succeeded:\n%s", out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "eyJ") || strings.Contains(err.Error(), "sk-ant-") {
				t.Errorf("error leaks a token: %v", err)
			}
			if out.Len() != 0 {
				t.Errorf("failed run printed:\n%s", out.String())
			}
			if n := d.emu.RequestCount(emulator.RouteOAuthToken) - exchanges; n > 1 {
				t.Errorf("%d exchanges for one run; a denied exchange must not be retried", n)
			}
		})
	}
}

func mustLookup(t *testing.T, d *demo, email string) googleemu.ServiceAccount {
	t.Helper()
	g, ok := d.emu.Google().Lookup(email)
	if !ok {
		t.Fatalf("Google has no %s", email)
	}
	return g
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.Listener.Addr().String()
	srv.Close()
	return addr
}
