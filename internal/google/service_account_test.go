package google

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
)

func TestParseAccountID(t *testing.T) {
	const email = "agent-sa@my-project.iam.gserviceaccount.com"
	for _, tc := range []struct {
		id, project       string
		resource, display string
		field, err        string // an *AccountIDError on field, with err in its text
		needsProject      bool
	}{
		{id: email, resource: "projects/-/serviceAccounts/" + email, display: email},
		{id: email, project: "my-project", resource: "projects/my-project/serviceAccounts/" + email, display: email},
		{id: "112233445566778899001", resource: "projects/-/serviceAccounts/112233445566778899001", display: "with unique ID 112233445566778899001"},
		{id: "projects/my-project/serviceAccounts/" + email, resource: "projects/my-project/serviceAccounts/" + email, display: email},
		{id: "projects/-/serviceAccounts/" + email, project: "my-project", resource: "projects/my-project/serviceAccounts/" + email, display: email},
		{id: "agent-sa", project: "my-project", resource: "projects/my-project/serviceAccounts/" + email, display: email},
		{id: "agent-sa", project: "example.com:my-project", resource: "projects/example.com:my-project/serviceAccounts/agent-sa@my-project.example.com.iam.gserviceaccount.com",
			display: "agent-sa@my-project.example.com.iam.gserviceaccount.com"},
		{id: "agent-sa", field: "account_id", err: "Missing project for a short account_id", needsProject: true},
		{id: email, project: "Bad_Project", field: "project", err: "is not a Google Cloud project ID"},
		{id: "projects/other-project/serviceAccounts/" + email, project: "my-project", field: "project", err: "Conflicting Google project"},
		{id: "projects/my-project/serviceAccounts/x/y", field: "account_id", err: "is not a full name"},
		{id: "projects/my-project/serviceAccounts/not-an-email", field: "account_id", err: "must end in the account's email or numeric unique ID"},
		{id: " " + email, field: "account_id", err: "surrounding spaces"},
		{id: "a@b", field: "account_id", err: "Invalid Google service account email"},
		{id: "Agent!", field: "account_id", err: "is neither an email"},
	} {
		ref, err := ParseAccountID(tc.id, tc.project)
		if tc.err == "" {
			if err != nil || ref.Resource != tc.resource || ref.Display != tc.display {
				t.Errorf("ParseAccountID(%q, %q) = %+v, %v; want %s, %s", tc.id, tc.project, ref, err, tc.resource, tc.display)
			}
			continue
		}
		var aerr *AccountIDError
		if !errors.As(err, &aerr) || aerr.Field != tc.field || !strings.Contains(err.Error(), tc.err) || aerr.NeedsProject != tc.needsProject {
			t.Errorf("ParseAccountID(%q, %q) = %+v, %#v; want an error on %s containing %q (needs project %v)", tc.id, tc.project, ref, err, tc.field, tc.err, tc.needsProject)
		}
	}
}

// Each way a lookup fails is told apart, and the account's fields are
// IAM's.
func TestServiceAccountLookup(t *testing.T) {
	emu := googleemu.New(googleemu.Options{})
	srv := httptest.NewServer(emu.Handler())
	t.Cleanup(srv.Close)
	config := func(token string) *Config {
		return newTestConfig(Settings{AccessToken: token, AccessTokenFrom: "test", IAMEndpoint: srv.URL + googleemu.IAMPathPrefix})
	}
	lookup := func(g *Config, id string) (*ServiceAccount, error) {
		ref, err := ParseAccountID(id, "")
		if err != nil {
			t.Fatal(err)
		}
		return g.ServiceAccount(bg, ref)
	}

	workload := emu.DefaultServiceAccount()
	for _, id := range []string{workload.Email, workload.UniqueID} {
		sa, err := lookup(config(emu.AccessToken()), id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		want := ServiceAccount{UniqueID: workload.UniqueID, Email: workload.Email, Name: "projects/" + googleemu.DemoProject + "/serviceAccounts/" + workload.Email,
			DisplayName: sa.DisplayName, ProjectID: googleemu.DemoProject, OAuth2ClientID: workload.UniqueID}
		if *sa != want || sa.DisplayName == "" {
			t.Errorf("%s: got %+v, want %+v", id, *sa, want)
		}
	}
	if sa, err := lookup(config(emu.AccessToken()), googleemu.DisabledAccount); err != nil || !sa.Disabled {
		t.Errorf("disabled account: %+v, %v", sa, err)
	}

	for _, tc := range []struct {
		name string
		g    *Config
		id   string
		want LookupErrorKind
		text string
	}{
		{"unknown", config(emu.AccessToken()), "nobody@" + googleemu.DemoProject + ".iam.gserviceaccount.com", LookupNotFound, "HTTP 404"},
		{"hidden", config(emu.AccessToken()), googleemu.SecretAccount, LookupForbidden, "HTTP 403"},
		{"bad token", config("ya29.bogus"), workload.Email, LookupUnauthorized, "HTTP 401"},
		{"unreachable", newTestConfig(Settings{AccessToken: "t", AccessTokenFrom: "test", IAMEndpoint: "http://127.0.0.1:1/"}), workload.Email, LookupNoAnswer, "127.0.0.1:1"},
		{"bad credentials", newTestConfig(Settings{Credentials: "{", CredentialsFrom: "test"}), workload.Email, LookupNoCredentials, "not valid JSON"},
		{"configuration problem", New(Settings{}, Options{Problem: errors.New("unknown until apply")}), workload.Email, LookupInvalidConfig, "unknown until apply"},
	} {
		_, err := lookup(tc.g, tc.id)
		var lerr *LookupError
		if !errors.As(err, &lerr) || lerr.Kind != tc.want || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: err = %#v (%v), want kind %d containing %q", tc.name, err, err, tc.want, tc.text)
		}
	}

	// IAM answers 400 to an id it cannot read; ParseAccountID refuses such
	// ids, so the request is made by hand.
	_, err := config(emu.AccessToken()).ServiceAccount(bg, AccountRef{Resource: "projects/-/serviceAccounts/not-an-account"})
	if lerr := (*LookupError)(nil); !errors.As(err, &lerr) || lerr.Kind != LookupBadRequest {
		t.Errorf("malformed id: err = %v, want a bad request", err)
	}
}
