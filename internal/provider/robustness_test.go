package provider

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	tfresource "github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
)

// fastRetries shortens the client's waits for tests; users keep the
// documented defaults.
func fastRetries(o *client.Options) {
	o.RetryWaitMin = time.Millisecond
	o.RetryWaitMax = 5 * time.Millisecond
	o.RetryAfterMax = 5 * time.Millisecond
}

func tunedProviderFactories(tune func(*client.Options)) map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"anthropic": protocolServer(&anthropicProvider{version: "test", tuneClient: tune}),
	}
}

// providerConfigDefaults points at the emulator with the retry settings
// users get when they set nothing.
func (e *testEnv) providerConfigDefaults() string {
	return fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  auth_token      = %q
  organization_id = %q
}
`, e.server.URL, e.emu.AdminToken(), e.emu.OrganizationID())
}

func liveServiceAccounts(t *testing.T, e *testEnv, name string) []client.ServiceAccount {
	t.Helper()
	all, err := client.Collect(e.client.ListServiceAccounts(bg, client.ListParams{Limit: 100}))
	if err != nil {
		t.Fatal(err)
	}
	var out []client.ServiceAccount
	for _, sa := range all {
		if name == "" || sa.Name == name {
			out = append(out, sa)
		}
	}
	return out
}

func TestCreateRecovering(t *testing.T) {
	ambiguous := &client.AmbiguousError{Err: &client.APIError{StatusCode: 500, Type: "api_error", Message: "boom", RequestID: "req_1"}}
	conflict := &client.APIError{StatusCode: 409, Type: "conflict_error", Message: "name taken"}
	type obj struct{ id string }
	since := time.Now()

	t.Run("found after an ambiguous failure: recorded with a warning", func(t *testing.T) {
		var diags diag.Diagnostics
		creates := 0
		got, err := createRecovering(t.Context(), &diags, "service account", "sa",
			func(context.Context) (*obj, error) { creates++; return nil, ambiguous },
			func(_ context.Context, s time.Time) (*obj, error) {
				if s.After(since) {
					t.Errorf("since = %v must allow for clock skew before the call", s)
				}
				return &obj{"svac_1"}, nil
			})
		if err != nil || got == nil || got.id != "svac_1" || creates != 1 {
			t.Fatalf("got=%v err=%v creates=%d", got, err, creates)
		}
		if diags.WarningsCount() != 1 || !strings.Contains(diags[0].Detail(), "req_1") {
			t.Errorf("diags = %v", diags)
		}
	})
	t.Run("not found: sent again", func(t *testing.T) {
		var diags diag.Diagnostics
		creates := 0
		got, err := createRecovering(t.Context(), &diags, "service account", "sa",
			func(context.Context) (*obj, error) {
				creates++
				if creates < 3 {
					return nil, ambiguous
				}
				return &obj{"svac_2"}, nil
			},
			func(context.Context, time.Time) (*obj, error) { return nil, nil })
		if err != nil || got.id != "svac_2" || creates != 3 || diags.WarningsCount() != 0 {
			t.Fatalf("got=%v err=%v creates=%d diags=%v", got, err, creates, diags)
		}
	})
	t.Run("409 after our own ambiguous attempt: looked up again", func(t *testing.T) {
		var diags diag.Diagnostics
		creates, finds := 0, 0
		got, err := createRecovering(t.Context(), &diags, "service account", "sa",
			func(context.Context) (*obj, error) {
				creates++
				if creates == 1 {
					return nil, ambiguous
				}
				return nil, conflict
			},
			func(context.Context, time.Time) (*obj, error) {
				finds++
				if finds == 1 {
					return nil, nil // not visible yet
				}
				return &obj{"svac_3"}, nil
			})
		if err != nil || got.id != "svac_3" || creates != 2 || diags.WarningsCount() != 1 {
			t.Fatalf("got=%v err=%v creates=%d diags=%v", got, err, creates, diags)
		}
	})
	t.Run("plain failures are not looked up", func(t *testing.T) {
		for _, e := range []error{conflict, &client.APIError{StatusCode: 400}, errors.New("dial tcp: refused")} {
			var diags diag.Diagnostics
			got, err := createRecovering(t.Context(), &diags, "service account", "sa",
				func(context.Context) (*obj, error) { return nil, e },
				func(context.Context, time.Time) (*obj, error) { t.Fatal("looked up"); return nil, nil })
			if got != nil || !errors.Is(err, e) {
				t.Errorf("got=%v err=%v", got, err)
			}
		}
	})
	t.Run("lookup failure keeps the original error and says so", func(t *testing.T) {
		var diags diag.Diagnostics
		_, err := createRecovering(t.Context(), &diags, "service account", "sa",
			func(context.Context) (*obj, error) { return nil, ambiguous },
			func(context.Context, time.Time) (*obj, error) { return nil, errors.New("list failed") })
		if !client.IsAmbiguous(err) || !strings.Contains(err.Error(), "looking it up by name failed too: list failed") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("interrupted and not found: not sent again", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var diags diag.Diagnostics
		creates := 0
		_, err := createRecovering(ctx, &diags, "service account", "sa",
			func(context.Context) (*obj, error) { creates++; return nil, ambiguous },
			func(ctx context.Context, _ time.Time) (*obj, error) {
				if ctx.Err() != nil {
					t.Error("the lookup must run detached from the interrupt")
				}
				return nil, nil
			})
		if err == nil || creates != 1 {
			t.Errorf("err=%v creates=%d", err, creates)
		}
	})
}

// A create in flight when Terraform interrupts (it cancels the provider's
// context) completes, and its object is saved to state.
func TestServiceAccountCreateSurvivesInterrupt(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	// Terraform's Ctrl-C lands when the POST has reached the service, which
	// then takes a while to answer: the interrupt is in flight by
	// construction, whatever the machine's speed.
	ctx, cancel := context.WithCancel(bg)
	defer cancel()
	interrupting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			cancel()
		}
		env.emu.ServeHTTP(w, r)
	}))
	t.Cleanup(interrupting.Close)
	c, err := client.New(client.Options{BaseURL: interrupting.URL, AuthToken: env.emu.AdminToken(), Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	r := &serviceAccountResource{configuredResource{data: &providerData{client: c}}}
	var sch resource.SchemaResponse
	r.Schema(bg, resource.SchemaRequest{}, &sch)
	typ := sch.Schema.Type().TerraformType(bg)
	unknown := tftypes.NewValue(tftypes.String, tftypes.UnknownValue)
	plan := tftypes.NewValue(typ, map[string]tftypes.Value{
		"id": unknown, "name": tftypes.NewValue(tftypes.String, "interrupted"),
		"description":       tftypes.NewValue(tftypes.String, nil),
		"organization_role": tftypes.NewValue(tftypes.String, "developer"),
		"created_at":        unknown, "created_by_actor_id": unknown, "updated_at": unknown, "updated_by_actor_id": unknown,
	})
	req := resource.CreateRequest{Plan: tfsdk.Plan{Schema: sch.Schema, Raw: plan}}
	resp := &resource.CreateResponse{State: tfsdk.State{Schema: sch.Schema, Raw: tftypes.NewValue(typ, nil)}}

	env.emu.InjectFault(emulator.RouteCreateServiceAccount, emulator.Fault{Latency: 300 * time.Millisecond})
	r.Create(ctx, req, resp)
	if ctx.Err() == nil {
		t.Fatal("the interrupt never came: the create sent no POST")
	}

	var state serviceAccountModel
	resp.Diagnostics.Append(resp.State.Get(bg, &state)...)
	if state.ID.ValueString() == "" {
		t.Fatalf("the created object is not in state: %v", resp.Diagnostics)
	}
	live := liveServiceAccounts(t, env, "interrupted")
	if len(live) != 1 || live[0].ID != state.ID.ValueString() {
		t.Fatalf("state id %s, live %v", state.ID.ValueString(), live)
	}
	for _, d := range resp.Diagnostics.Errors() {
		t.Errorf("unexpected error: %s: %s", d.Summary(), d.Detail())
	}
}

// A create answered `{}` or `null` never reaches state; when the object was
// in fact created, it is found by name and recorded.
func TestAccRobust_brokenCreateAnswer(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	const addr = "anthropic_service_account.test"
	cfg := env.config(`
resource "anthropic_service_account" "test" {
  name = "broken-answer"
}
`)
	var firstID string
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: tunedProviderFactories(fastRetries),
		Steps: []tfresource.TestStep{
			{
				// A server that keeps answering {} without creating anything.
				PreConfig: func() {
					env.emu.InjectFault(emulator.RouteCreateServiceAccount, emulator.Fault{Body: `{}`, Times: createAttempts})
				},
				Config:      cfg,
				ExpectError: regexp.MustCompile(`(?s)answered\s+HTTP\s+200\s+with\s+an\s+unusable\s+body:\s+id:\s+missing.*request_id\s+req_`),
			},
			{
				// Nothing (no tainted id="" resource) blocks the next apply.
				PreConfig: func() {
					if n := len(liveServiceAccounts(t, env, "broken-answer")); n != 0 {
						t.Fatalf("%d objects created by a refused create", n)
					}
				},
				Config: cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("id"), knownvalue.StringRegexp(regexp.MustCompile(`^svac_01`))),
				},
				Check: func(s *terraform.State) error {
					firstID = s.RootModule().Resources[addr].Primary.ID
					return nil
				},
			},
			{
				// A read answered null fails clearly instead of emptying state.
				PreConfig: func() {
					env.emu.InjectFault(emulator.RouteGetServiceAccount, emulator.Fault{Body: `null`, Times: 100})
				},
				Config:      cfg,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`unusable\s+body:\s+id:\s+missing`),
			},
			{
				PreConfig: env.emu.ClearFaults,
				Config:    cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("name"), knownvalue.StringExact("broken-answer")),
				},
				Check: func(s *terraform.State) error {
					if got := s.RootModule().Resources[addr].Primary.ID; got != firstID {
						return fmt.Errorf("id changed from %s to %s", firstID, got)
					}
					return nil
				},
			},
		},
	})
}

// Creates that fail after the service processed them (a 500, a dropped
// connection, a 200 with a broken body) are recovered by name: the apply
// succeeds, state holds exactly the created objects, and the next plan is
// empty.
func TestAccRobust_recoverAmbiguousCreates(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	prod := env.workspaceID(t, "production")
	cfg := env.config(fmt.Sprintf(`
resource "anthropic_service_account" "sa" {
  name = "after-500"
}

resource "anthropic_federation_issuer" "iss" {
  name       = "after-drop"
  issuer_url = "https://issuer.recover.example.com"
}

resource "anthropic_federation_rule" "rule" {
  name      = "after-broken-body"
  issuer_id = anthropic_federation_issuer.iss.id
  match = {
    subject_prefix = "repo:acme/app:"
  }
  target = {
    service_account_id = anthropic_service_account.sa.id
  }
  oauth_scope   = "workspace:developer"
  workspace_ids = [%[2]q]
}

resource "anthropic_service_account_workspace" "m" {
  service_account_id = anthropic_service_account.sa.id
  workspace_id       = %[1]q
  workspace_role     = "workspace_developer"
}
`, prod, env.emu.DefaultWorkspaceID()))
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: tunedProviderFactories(fastRetries),
		Steps: []tfresource.TestStep{{
			PreConfig: func() {
				env.emu.InjectFault(emulator.RouteCreateServiceAccount, emulator.Fault{Status: 500, AfterProcessing: true})
				env.emu.InjectFault(emulator.RouteCreateIssuer, emulator.Fault{DropConnection: true, AfterProcessing: true})
				env.emu.InjectFault(emulator.RouteCreateRule, emulator.Fault{Body: `{}`, AfterProcessing: true})
				env.emu.InjectFault(emulator.RouteAddServiceAccountWorkspace, emulator.Fault{Status: 502, AfterProcessing: true})
			},
			Config: cfg,
			Check: func(s *terraform.State) error {
				sas := liveServiceAccounts(t, env, "after-500")
				if len(sas) != 1 || sas[0].ID != s.RootModule().Resources["anthropic_service_account.sa"].Primary.ID {
					return fmt.Errorf("service accounts %v", sas)
				}
				iss, err := env.client.FindFederationIssuerByName(bg, "after-drop")
				if err != nil || iss == nil || iss.ID != s.RootModule().Resources["anthropic_federation_issuer.iss"].Primary.ID {
					return fmt.Errorf("issuer %v %v", iss, err)
				}
				rule, err := env.client.FindFederationRuleByName(bg, "after-broken-body")
				if err != nil || rule == nil || rule.ID != s.RootModule().Resources["anthropic_federation_rule.rule"].Primary.ID {
					return fmt.Errorf("rule %v %v", rule, err)
				}
				for _, route := range []string{emulator.RouteCreateServiceAccount, emulator.RouteCreateIssuer, emulator.RouteCreateRule, emulator.RouteAddServiceAccountWorkspace} {
					if n := env.emu.RequestCount(route); n != 1 {
						return fmt.Errorf("%s called %d times; a recovered create must not be sent again", route, n)
					}
				}
				return nil
			},
		}},
	})
}

// After a hard kill the objects exist but are not in state: the 409s of the
// next apply name them as ready-to-paste import blocks.
func TestAccRobust_conflictPrintsImportBlock(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	orphanSA := env.serviceAccount(t, "orphaned")
	orphanIss := env.issuer(t, "orphaned-issuer", "https://orphans.example.com")
	orphanRule, err := env.client.CreateFederationRule(bg, client.FederationRuleCreateParams{
		Name: "orphaned-rule", IssuerID: orphanIss.ID, OAuthScope: "workspace:developer",
		Match:                  client.RuleMatch{SubjectPrefix: ptr("repo:acme/app:")},
		Target:                 client.RuleTarget{Type: "service_account", ServiceAccountID: orphanSA.ID},
		AppliesToAllWorkspaces: ptr(true),
	})
	if err != nil {
		t.Fatal(err)
	}
	block := func(typ, id string) string {
		return `import \{\s+to = ` + typ + `\.this\s+id = "` + id + `"\s+\}`
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{
			{
				Config: env.config(`
resource "anthropic_service_account" "test" {
  name = "orphaned"
}
`),
				ExpectError: regexp.MustCompile(block("anthropic_service_account", orphanSA.ID)),
			},
			{
				Config: env.config(`
resource "anthropic_federation_issuer" "test" {
  name       = "orphaned-issuer"
  issuer_url = "https://orphans.example.com"
}
`),
				ExpectError: regexp.MustCompile(block("anthropic_federation_issuer", orphanIss.ID)),
			},
			{
				Config: env.config(fmt.Sprintf(`
resource "anthropic_federation_rule" "test" {
  name      = "orphaned-rule"
  issuer_id = %q
  match = {
    subject_prefix = "repo:acme/app:"
  }
  target = {
    service_account_id = %q
  }
  oauth_scope               = "workspace:developer"
  applies_to_all_workspaces = true
}
`, orphanIss.ID, orphanSA.ID)),
				ExpectError: regexp.MustCompile(block("anthropic_federation_rule", orphanRule.ID)),
			},
		},
	})
}

// With 30% of requests refused (529, 503, 429 with retry-after) and latency
// spikes, an apply with default settings succeeds on the first try, leaves
// exactly the configured objects, and re-plans empty. Only the waits are
// shortened (fastRetries); attempts and budget are the user defaults.
func TestAccRobust_faultsUsersNeverSee(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	prod := env.workspaceID(t, "production")
	const n = 10
	cfg := env.providerConfigDefaults() + fmt.Sprintf(`
resource "anthropic_service_account" "sa" {
  count = %[1]d
  name  = "faulty-${count.index}"
}

resource "anthropic_federation_issuer" "iss" {
  count      = 2
  name       = "faulty-issuer-${count.index}"
  issuer_url = "https://issuer-${count.index}.faults.example.com"
}

resource "anthropic_federation_rule" "rule" {
  count     = %[1]d
  name      = "faulty-rule-${count.index}"
  issuer_id = anthropic_federation_issuer.iss[count.index %% 2].id
  match = {
    subject_prefix = "repo:acme/app-${count.index}:"
  }
  target = {
    service_account_id = anthropic_service_account.sa[count.index].id
  }
  oauth_scope   = "workspace:developer"
  workspace_ids = [%[3]q]
}

resource "anthropic_service_account_workspace" "m" {
  count              = %[1]d - 2
  service_account_id = anthropic_service_account.sa[count.index].id
  workspace_id       = %[2]q
  workspace_role     = "workspace_developer"
}
`, n, prod, env.emu.DefaultWorkspaceID())
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: tunedProviderFactories(fastRetries),
		Steps: []tfresource.TestStep{{
			PreConfig: func() {
				env.emu.SetRandomFaults(emulator.RandomFaults{
					Rate: 0.3, Statuses: []int{529, 503, 429}, RetryAfter: time.Second,
					SpikeRate: 0.05, Spike: 20 * time.Millisecond,
				})
			},
			Config: cfg,
			// resource.Test plans again after the apply and fails on a
			// non-empty plan.
			Check: func(*terraform.State) error {
				env.emu.SetRandomFaults(emulator.RandomFaults{})
				if got := len(liveServiceAccounts(t, env, "")); got != n {
					return fmt.Errorf("%d live service accounts, want %d", got, n)
				}
				rules, err := client.Collect(env.client.ListFederationRules(bg, client.FederationRuleListParams{}))
				if err != nil || len(rules) != n {
					return fmt.Errorf("%d live rules (%v), want %d", len(rules), err, n)
				}
				issuers, err := client.Collect(env.client.ListFederationIssuers(bg, client.ListParams{}))
				if err != nil || len(issuers) != 2 {
					return fmt.Errorf("%d live issuers (%v), want 2", len(issuers), err)
				}
				members := 0
				for _, sa := range liveServiceAccounts(t, env, "") {
					ms, err := env.client.ListServiceAccountWorkspaces(bg, sa.ID)
					if err != nil {
						return err
					}
					for _, m := range ms {
						if m.WorkspaceID == prod {
							members++
						}
					}
				}
				if members != n-2 {
					return fmt.Errorf("%d memberships in production, want %d", members, n-2)
				}
				env.emu.SetRandomFaults(emulator.RandomFaults{Rate: 0.3, Statuses: []int{529, 503, 429}, RetryAfter: time.Second})
				return nil
			},
		}},
	})
}

// max_retries stays an override of the default budget.
func TestAccRobust_maxRetriesOverride(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	cfg := func(retries int) string {
		return fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  auth_token      = %q
  organization_id = %q
  max_retries     = %d
}

resource "anthropic_service_account" "test" {
  name = "override"
}
`, env.server.URL, env.emu.AdminToken(), env.emu.OrganizationID(), retries)
	}
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: tunedProviderFactories(fastRetries),
		Steps: []tfresource.TestStep{
			{
				PreConfig: func() {
					env.emu.InjectFault(emulator.RouteCreateServiceAccount, emulator.Fault{Status: 529, Times: 2})
				},
				Config:      cfg(1),
				ExpectError: regexp.MustCompile(`HTTP 529 \(overloaded_error\)`),
			},
			{
				PreConfig: func() {
					env.emu.ClearFaults()
					env.emu.ResetCounters()
					env.emu.InjectFault(emulator.RouteCreateServiceAccount, emulator.Fault{Status: 529, Times: 2})
				},
				Config: cfg(2),
				Check: func(*terraform.State) error {
					if n := env.emu.RequestCount(emulator.RouteCreateServiceAccount); n != 3 {
						return fmt.Errorf("create sent %d times, want 3", n)
					}
					return nil
				},
			},
		},
	})
}

// The list data source against a server whose next_page never ends stops at
// the page cap with a clear error (it used to request without end).
func TestAccRobust_endlessListCursor(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	target, err := url.Parse(env.server.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var pages atomic.Int32
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || r.URL.Path != "/v1/organizations/service_accounts" {
			proxy.ServeHTTP(w, r)
			return
		}
		n := pages.Add(1)
		w.Header().Set("content-type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": []any{}, "next_page": fmt.Sprintf("fresh-%d", n)})
	}))
	t.Cleanup(hostile.Close)
	tfresource.Test(t, tfresource.TestCase{
		ProtoV6ProviderFactories: testAccProtoV6ProviderFactories,
		Steps: []tfresource.TestStep{{
			Config: fmt.Sprintf(`
provider "anthropic" {
  base_url        = %q
  auth_token      = %q
  organization_id = %q
}

data "anthropic_service_accounts" "all" {}
`, hostile.URL, env.emu.AdminToken(), env.emu.OrganizationID()),
			ExpectError: regexp.MustCompile(`still\s+more\s+pages\s+after\s+1000`),
		}},
	})
	if n := pages.Load(); n > 2000 {
		t.Errorf("%d list requests; the cap is 1000 per read", n)
	}
}
