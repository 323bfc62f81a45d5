package emulator_test

// SDK conformance: the official Go SDK (github.com/anthropics/anthropic-sdk-go)
// drives the emulator through its typed WIF admin methods, its federation
// exchange and Messages.New. The SDK is the wire-format reference: every
// response is decoded into the SDK's structs and checked field by field
// (assertWire), so a renamed, missing, mistyped or unknown JSON member shows
// up here as a failure whose message starts with "SDK MISMATCH".
//
// Where the SDK's documentation describes behaviour the emulator does not
// follow, TestSDKDocumentedBehaviour fails with the same prefix: those are
// for the lead to rule on, not bugs this file hides.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	sdkconfig "github.com/anthropics/anthropic-sdk-go/config"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/anthropics/anthropic-sdk-go/packages/param"
	"github.com/anthropics/anthropic-sdk-go/packages/respjson"
	"github.com/anthropics/anthropic-sdk-go/shared"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator"
	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
)

const (
	googleIssuer      = "https://accounts.google.com"
	anthropicAudience = "https://api.anthropic.com"
	sdkModel          = "claude-sonnet-4-5"
)

// envCredentials are the variables the SDK's default client reads; the
// admin client must ignore them, so tests set them to values that would
// break any request they leaked into.
var envCredentials = []string{"ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_PROFILE"}

// sdkEnv is one emulator behind httptest and an SDK client acting as its
// org:admin OAuth caller.
type sdkEnv struct {
	emu    *emulator.Emulator
	srv    *httptest.Server
	client anthropic.Client
	ctx    context.Context

	mu sync.Mutex
	// leaked records requests that carried an x-api-key or a credential
	// taken from the environment.
	leaked []string
}

const (
	leakedAPIKey    = "sk-ant-api03-from-environment-must-not-be-sent"
	leakedAuthToken = "sk-ant-oat01-from-environment-must-not-be-sent"
)

func newSDKEnv(t *testing.T) *sdkEnv {
	t.Helper()
	// Poison the SDK's environment defaults: with WithoutEnvironmentDefaults
	// none of these may reach the wire.
	t.Setenv("ANTHROPIC_API_KEY", leakedAPIKey)
	t.Setenv("ANTHROPIC_AUTH_TOKEN", leakedAuthToken)
	t.Setenv("ANTHROPIC_PROFILE", "")
	t.Setenv("ANTHROPIC_CONFIG_DIR", t.TempDir())

	env := &sdkEnv{emu: emulator.New(emulator.Options{})}
	env.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != "" || strings.Contains(r.Header.Get("Authorization"), leakedAuthToken) {
			env.mu.Lock()
			env.leaked = append(env.leaked, r.Method+" "+r.URL.Path)
			env.mu.Unlock()
		}
		env.emu.ServeHTTP(w, r)
	}))
	t.Cleanup(env.srv.Close)
	t.Cleanup(func() {
		env.mu.Lock()
		defer env.mu.Unlock()
		if len(env.leaked) > 0 {
			t.Errorf("the SDK sent an environment credential despite WithoutEnvironmentDefaults on: %v", env.leaked)
		}
	})
	env.client = env.newClient(option.WithAuthToken(env.emu.AdminToken()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	env.ctx = ctx
	return env
}

// newClient builds an SDK client for the emulator that reads nothing from
// the environment and never retries, so a 409 or 429 is seen as is.
func (env *sdkEnv) newClient(opts ...option.RequestOption) anthropic.Client {
	base := []option.RequestOption{
		option.WithoutEnvironmentDefaults(),
		option.WithBaseURL(env.srv.URL),
		option.WithHTTPClient(env.srv.Client()),
		option.WithMaxRetries(0),
	}
	return anthropic.NewClient(append(base, opts...)...)
}

// ---- wire checks ---------------------------------------------------------

var respField = reflect.TypeFor[respjson.Field]()

// wireIssues walks an SDK response value and lists every JSON member that
// the SDK requires but the emulator omitted, that has a type the SDK could
// not decode, that carries the wrong constant in a defaulted field (type
// discriminators), or that the SDK does not know at all.
func wireIssues(v any) []string {
	var out []string
	walkWire(reflect.ValueOf(v), "", &out)
	sort.Strings(out)
	return slices.Compact(out)
}

func joinPath(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

func walkWire(rv reflect.Value, path string, out *[]string) {
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return
		}
		rv = rv.Elem()
	}
	switch rv.Kind() {
	case reflect.Slice, reflect.Array:
		// Elements share one path ("data[]") so a per-item issue is reported once.
		for i := range rv.Len() {
			walkWire(rv.Index(i), path+"[]", out)
		}
		return
	case reflect.Struct:
	default:
		return
	}
	meta := rv.FieldByName("JSON")
	if !meta.IsValid() || meta.Kind() != reflect.Struct {
		return
	}
	// A union's metadata is the union of its variants' members: absent
	// ones are expected; callers check the variant itself.
	union := strings.HasSuffix(rv.Type().Name(), "Union")
	for i := range meta.NumField() {
		mf := meta.Type().Field(i)
		if mf.Name == "ExtraFields" {
			for _, k := range meta.Field(i).MapKeys() {
				*out = append(*out, fmt.Sprintf("%s: the emulator sends it; the SDK has no such field", joinPath(path, k.String())))
			}
			continue
		}
		if mf.Type != respField {
			continue
		}
		sf, ok := rv.Type().FieldByName(mf.Name)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		p := joinPath(path, name)
		f, ok := meta.Field(i).Interface().(respjson.Field)
		if !ok {
			continue
		}
		raw := f.Raw()
		switch {
		case raw == "" && !union && strings.Contains(sf.Tag.Get("api"), "required"):
			*out = append(*out, fmt.Sprintf("%s: required by the SDK, omitted by the emulator", p))
		case raw != "" && raw != "null" && !f.Valid():
			*out = append(*out, fmt.Sprintf("%s: the SDK (%s) cannot decode the emulator's %s", p, sf.Type, raw))
		case raw != "" && raw != "null" && !jsonKindFits(sf.Type, raw):
			// The SDK's decoder coerces (7 into "7"); the wire must not rely on it.
			*out = append(*out, fmt.Sprintf("%s: the SDK (%s) cannot decode the emulator's %s", p, sf.Type, raw))
		}
		if def := sf.Tag.Get("default"); def != "" && raw != "" && raw != strconv.Quote(def) {
			*out = append(*out, fmt.Sprintf("%s: the SDK expects %q, the emulator sends %s", p, def, raw))
		}
		// An omitted or null parent would only repeat its members as missing.
		if raw != "" && raw != "null" {
			walkWire(rv.FieldByIndex(sf.Index), p, out)
		}
	}
}

var timeType = reflect.TypeFor[time.Time]()

// jsonKindFits reports whether a raw JSON value has the JSON kind the Go
// type takes without coercion.
func jsonKindFits(t reflect.Type, raw string) bool {
	if t == timeType {
		var s string
		if json.Unmarshal([]byte(raw), &s) != nil {
			return false
		}
		_, err := time.Parse(time.RFC3339Nano, s)
		return err == nil
	}
	switch t.Kind() {
	case reflect.String:
		return strings.HasPrefix(raw, `"`)
	case reflect.Bool:
		return raw == "true" || raw == "false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		_, err := strconv.ParseInt(raw, 10, 64)
		return err == nil
	case reflect.Float32, reflect.Float64:
		_, err := strconv.ParseFloat(raw, 64)
		return err == nil
	case reflect.Slice, reflect.Array:
		return strings.HasPrefix(raw, "[")
	case reflect.Map:
		return strings.HasPrefix(raw, "{")
	case reflect.Struct:
		// Unions may be a scalar or an array on the wire.
		return strings.HasSuffix(t.Name(), "Union") || strings.HasPrefix(raw, "{")
	}
	return true
}

// acceptedWireDivergences holds wire differences the lead has ruled
// acceptable, as the wireIssues text (without the "in <what>" part) mapped
// to the reason. Empty: every difference fails.
var acceptedWireDivergences = map[string]string{}

// assertWire fails the test for every wire difference between an SDK
// response struct and what the emulator sent.
func assertWire(t *testing.T, what string, v any) {
	t.Helper()
	for _, issue := range wireIssues(v) {
		if _, ok := acceptedWireDivergences[issue]; !ok {
			t.Errorf("SDK MISMATCH in %s: %s", what, issue)
		}
	}
}

// TestWireIssuesDetects keeps the checker honest: it must see an omitted
// required member, a mistyped one, a wrong type discriminator and an
// unknown member.
func TestWireIssuesDetects(t *testing.T) {
	var sa anthropic.ServiceAccount
	body := `{"id":"svac_x","name":7,"type":"user","surplus":true,"description":"","organization_role":"developer",
		"created_at":"2026-01-02T03:04:05.000Z","created_by_actor_id":"user_x","updated_at":"2026-01-02T03:04:05.000Z",
		"updated_by_actor_id":"user_x","archived_at":null}`
	mustNoErr(t, "decode", json.Unmarshal([]byte(body), &sa))
	got := strings.Join(wireIssues(&sa), "\n")
	for _, want := range []string{
		"archived_by_actor_id: required by the SDK, omitted",
		"name: the SDK (string) cannot decode the emulator's 7",
		`type: the SDK expects "service_account", the emulator sends "user"`,
		"surplus: the emulator sends it; the SDK has no such field",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("wireIssues missed %q; got:\n%s", want, got)
		}
	}
	if strings.Contains(got, "archived_at:") {
		t.Errorf("a null member was reported:\n%s", got)
	}

	var is anthropic.FederationIssuer
	mustNoErr(t, "decode", json.Unmarshal([]byte(`{"max_jwt_lifetime_seconds":"3600","created_at":"yesterday"}`), &is))
	got = strings.Join(wireIssues(&is), "\n")
	for _, want := range []string{"max_jwt_lifetime_seconds: the SDK (int64)", "created_at: the SDK (time.Time)"} {
		if !strings.Contains(got, want) {
			t.Errorf("wireIssues missed %q; got:\n%s", want, got)
		}
	}
}

// ---- helpers -------------------------------------------------------------

// apiFailure is what tests inspect of an API error beyond status and type.
type apiFailure struct {
	body   string
	header http.Header
}

// apiError unwraps the SDK's *anthropic.Error and checks the envelope the
// SDK decodes: status, error type and request id.
func apiError(t *testing.T, err error, status int, typ string) apiFailure {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %d %s", status, typ)
	}
	var ae *anthropic.Error
	if !errors.As(err, &ae) {
		t.Fatalf("error %T is not an *anthropic.Error: %v", err, err)
	}
	if ae.StatusCode != status {
		t.Errorf("status = %d, want %d (%s)", ae.StatusCode, status, ae.RawJSON())
	}
	if string(ae.Type()) != typ {
		t.Errorf("error type = %q, want %q (%s)", ae.Type(), typ, ae.RawJSON())
	}
	if !strings.HasPrefix(ae.RequestID, "req_") {
		t.Errorf("request id = %q, want req_…", ae.RequestID)
	}
	var body struct {
		Type  string `json:"type"`
		Error struct {
			Type    string `json:"type"`
			Message string `json:"message"`
		} `json:"error"`
		RequestID string `json:"request_id"`
	}
	if err := json.Unmarshal([]byte(ae.RawJSON()), &body); err != nil {
		t.Fatalf("error body is not JSON: %v", err)
	}
	if body.Type != "error" || body.Error.Message == "" || body.RequestID != ae.RequestID {
		t.Errorf("error envelope = %s, want type error, a message and request_id = the request-id header %q", ae.RawJSON(), ae.RequestID)
	}
	var envelope shared.ErrorResponse
	mustNoErr(t, "decode error envelope", json.Unmarshal([]byte(ae.RawJSON()), &envelope))
	assertWire(t, "error envelope", &envelope)
	return apiFailure{body: ae.RawJSON(), header: ae.Response.Header}
}

func workspaceID(t *testing.T, emu *emulator.Emulator, name string) string {
	t.Helper()
	w, ok := emu.WorkspaceByName(name)
	if !ok {
		t.Fatalf("emulator has no workspace %q", name)
	}
	return w.ID
}

func mustNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func (env *sdkEnv) newServiceAccount(t *testing.T, name string) *anthropic.ServiceAccount {
	t.Helper()
	sa, err := env.client.Organization.ServiceAccounts.New(env.ctx, anthropic.OrganizationServiceAccountNewParams{Name: name})
	mustNoErr(t, "create service account "+name, err)
	return sa
}

func (env *sdkEnv) newGoogleIssuer(t *testing.T, name string) *anthropic.FederationIssuer {
	t.Helper()
	is, err := env.client.Organization.Federation.Issuers.New(env.ctx, anthropic.OrganizationFederationIssuerNewParams{
		Name:      name,
		IssuerURL: googleIssuer,
	})
	mustNoErr(t, "create issuer "+name, err)
	return is
}

// googlePin is the match the contract prescribes for Google: the account's
// numeric uniqueId and email, and the audience.
func googlePin(sa googleemu.ServiceAccount) anthropic.FederationRuleMatchParam {
	return anthropic.FederationRuleMatchParam{
		Audience: anthropic.String(anthropicAudience),
		Claims:   map[string]string{"sub": sa.UniqueID, "email": sa.Email},
	}
}

// ---- service accounts ----------------------------------------------------

func TestSDKServiceAccountLifecycle(t *testing.T) {
	env := newSDKEnv(t)
	sas := &env.client.Organization.ServiceAccounts

	created, err := sas.New(env.ctx, anthropic.OrganizationServiceAccountNewParams{
		Name:        "summarizer",
		Description: anthropic.String("Summarizer on Cloud Run"),
	})
	mustNoErr(t, "create", err)
	assertWire(t, "service account (create)", created)
	if !strings.HasPrefix(created.ID, "svac_") || created.Name != "summarizer" || created.Description != "Summarizer on Cloud Run" {
		t.Errorf("created = %s", created.RawJSON())
	}
	if created.OrganizationRole != anthropic.ServiceAccountOrganizationRoleDeveloper {
		t.Errorf("organization_role = %q, want the developer default", created.OrganizationRole)
	}
	if created.CreatedByActorID != env.emu.UserID() || created.UpdatedByActorID != env.emu.UserID() {
		t.Errorf("actor ids = %q/%q, want %q", created.CreatedByActorID, created.UpdatedByActorID, env.emu.UserID())
	}
	if created.CreatedAt.IsZero() || created.CreatedAt.Location() != time.UTC {
		t.Errorf("created_at = %v, want a UTC RFC 3339 time", created.CreatedAt)
	}
	if created.JSON.ArchivedAt.Raw() != "null" || created.JSON.ArchivedByActorID.Raw() != "null" {
		t.Errorf("archived_at/by = %s/%s, want null/null", created.JSON.ArchivedAt.Raw(), created.JSON.ArchivedByActorID.Raw())
	}

	got, err := sas.Get(env.ctx, created.ID)
	mustNoErr(t, "get", err)
	assertWire(t, "service account (get)", got)
	if got.RawJSON() != created.RawJSON() {
		t.Errorf("get = %s\nwant the created object %s", got.RawJSON(), created.RawJSON())
	}

	updated, err := sas.Update(env.ctx, created.ID, anthropic.OrganizationServiceAccountUpdateParams{
		Description: anthropic.String("Summarizes tickets"),
	})
	mustNoErr(t, "update description", err)
	assertWire(t, "service account (update)", updated)
	if updated.Description != "Summarizes tickets" || updated.OrganizationRole != created.OrganizationRole {
		t.Errorf("updated = %s", updated.RawJSON())
	}
	if !updated.UpdatedAt.After(created.UpdatedAt) {
		t.Errorf("updated_at %v not after %v", updated.UpdatedAt, created.UpdatedAt)
	}

	// The SDK sends an explicit null to clear; the contract stores "".
	cleared, err := sas.Update(env.ctx, created.ID, anthropic.OrganizationServiceAccountUpdateParams{
		Description: param.Null[string](),
	})
	mustNoErr(t, "clear description", err)
	if cleared.Description != "" || cleared.JSON.Description.Raw() != `""` {
		t.Errorf("description after null = %s, want \"\"", cleared.JSON.Description.Raw())
	}

	// A user's OAuth token is an interactive credential: it promotes and
	// demotes (TestSDKInteractiveCallers covers the minted token's refusal).
	promoted, err := sas.Update(env.ctx, created.ID, anthropic.OrganizationServiceAccountUpdateParams{
		OrganizationRole: anthropic.OrganizationServiceAccountUpdateParamsOrganizationRoleAdmin,
	})
	mustNoErr(t, "promote with a user's OAuth token", err)
	if promoted.OrganizationRole != anthropic.ServiceAccountOrganizationRoleAdmin {
		t.Errorf("promoted = %s", promoted.RawJSON())
	}
	_, err = sas.Update(env.ctx, created.ID, anthropic.OrganizationServiceAccountUpdateParams{
		OrganizationRole: anthropic.OrganizationServiceAccountUpdateParamsOrganizationRoleDeveloper,
	})
	mustNoErr(t, "demote", err)

	archived, err := sas.Archive(env.ctx, created.ID)
	mustNoErr(t, "archive", err)
	assertWire(t, "service account (archive)", archived)
	if archived.ArchivedAt.IsZero() || archived.ArchivedByActorID != env.emu.UserID() {
		t.Errorf("archived = %s", archived.RawJSON())
	}
	again, err := sas.Archive(env.ctx, created.ID)
	mustNoErr(t, "archive again", err)
	if !again.ArchivedAt.Equal(archived.ArchivedAt) {
		t.Errorf("re-archive archived_at = %v, want the first %v", again.ArchivedAt, archived.ArchivedAt)
	}
	if readBack, err := sas.Get(env.ctx, created.ID); err != nil || readBack.ArchivedAt.IsZero() {
		t.Errorf("archived account must stay readable by id: %v", err)
	}
	_, err = sas.Update(env.ctx, created.ID, anthropic.OrganizationServiceAccountUpdateParams{Description: anthropic.String("x")})
	apiError(t, err, http.StatusBadRequest, "invalid_request_error")
}

func TestSDKServiceAccountPaging(t *testing.T) {
	env := newSDKEnv(t)
	sas := &env.client.Organization.ServiceAccounts

	want := map[string]bool{}
	for i := range 5 {
		want[env.newServiceAccount(t, fmt.Sprintf("paged-%d", i)).ID] = true
	}
	archived := env.newServiceAccount(t, "paged-archived")
	_, err := sas.Archive(env.ctx, archived.ID)
	mustNoErr(t, "archive", err)

	first, err := sas.List(env.ctx, anthropic.OrganizationServiceAccountListParams{Limit: anthropic.Int(2)})
	mustNoErr(t, "list page 1", err)
	assertWire(t, "service account list page", first)
	if len(first.Data) != 2 || first.NextPage == "" {
		t.Fatalf("page 1 = %d items, next_page %q; want 2 and a cursor", len(first.Data), first.NextPage)
	}

	// Follow the cursor with the SDK's own pager.
	seen := map[string]bool{}
	pages := 0
	for page := first; page != nil; page, err = page.GetNextPage() {
		pages++
		for _, sa := range page.Data {
			if seen[sa.ID] {
				t.Errorf("%s listed twice", sa.ID)
			}
			seen[sa.ID] = true
		}
	}
	mustNoErr(t, "next page", err)
	if pages != 3 || !reflect.DeepEqual(seen, want) {
		t.Errorf("paged through %d pages, saw %v; want 3 pages and exactly %v (archived hidden)", pages, seen, want)
	}

	var all []string
	iter := sas.ListAutoPaging(env.ctx, anthropic.OrganizationServiceAccountListParams{
		Limit:           anthropic.Int(4),
		IncludeArchived: anthropic.Bool(true),
	})
	for iter.Next() {
		all = append(all, iter.Current().ID)
	}
	mustNoErr(t, "auto-paging", iter.Err())
	if len(all) != 6 || !slices.Contains(all, archived.ID) {
		t.Errorf("include_archived auto-paging = %v, want 6 ids including %s", all, archived.ID)
	}
}

func TestSDKServiceAccountMemberships(t *testing.T) {
	env := newSDKEnv(t)
	members := &env.client.Organization.ServiceAccounts.Workspaces
	sa := env.newServiceAccount(t, "member")
	prod := workspaceID(t, env.emu, "production")

	added, err := members.Add(env.ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceAddParams{
		WorkspaceID:   prod,
		WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceDeveloper,
	})
	mustNoErr(t, "add membership", err)
	assertWire(t, "membership (add)", added)
	if added.ServiceAccountID != sa.ID || added.WorkspaceID != prod || added.WorkspaceRole != "workspace_developer" || added.Implicit {
		t.Errorf("added = %s", added.RawJSON())
	}
	if added.CreatedByActorID != env.emu.UserID() {
		t.Errorf("created_by_actor_id = %q, want %q", added.CreatedByActorID, env.emu.UserID())
	}

	list, err := members.List(env.ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceListParams{})
	mustNoErr(t, "list memberships", err)
	assertWire(t, "membership list", list)
	if len(list.Data) != 2 {
		t.Fatalf("memberships = %s, want the implicit default plus production", list.RawJSON())
	}
	implicit := list.Data[0]
	if !implicit.Implicit || implicit.WorkspaceID != env.emu.DefaultWorkspaceID() || implicit.WorkspaceRole != "workspace_user" {
		t.Errorf("first membership = %s, want the implicit default-workspace workspace_user entry", implicit.RawJSON())
	}
	if list.Data[1].WorkspaceID != prod || list.Data[1].Implicit {
		t.Errorf("second membership = %s, want explicit production", list.Data[1].RawJSON())
	}

	removed, err := members.Remove(env.ctx, prod, anthropic.OrganizationServiceAccountWorkspaceRemoveParams{ServiceAccountID: sa.ID})
	mustNoErr(t, "remove membership", err)
	assertWire(t, "membership (remove)", removed)
	if removed.ServiceAccountID != sa.ID || removed.WorkspaceID != prod {
		t.Errorf("removed = %s", removed.RawJSON())
	}
	// Removal is idempotent.
	_, err = members.Remove(env.ctx, prod, anthropic.OrganizationServiceAccountWorkspaceRemoveParams{ServiceAccountID: sa.ID})
	mustNoErr(t, "remove membership again", err)

	list, err = members.List(env.ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceListParams{})
	mustNoErr(t, "list memberships after remove", err)
	if len(list.Data) != 1 || !list.Data[0].Implicit {
		t.Errorf("memberships after remove = %s, want only the implicit default", list.RawJSON())
	}
}

// ---- issuers -------------------------------------------------------------

func TestSDKIssuerJWKSUnion(t *testing.T) {
	env := newSDKEnv(t)
	issuers := &env.client.Organization.Federation.Issuers

	// Discovery, the default: the SDK omits jwks entirely.
	disc := env.newGoogleIssuer(t, "google")
	assertWire(t, "issuer (discovery)", disc)
	if !strings.HasPrefix(disc.ID, "fdis_") || disc.IssuerURL != googleIssuer || !disc.CheckJTI || disc.MaxJWTLifetimeSeconds != 3600 {
		t.Errorf("discovery issuer = %s", disc.RawJSON())
	}
	d, ok := disc.JWKS.AsAny().(anthropic.JWKSDiscovery)
	if !ok {
		t.Fatalf("jwks = %s, want the discovery variant", disc.JWKS.RawJSON())
	}
	assertWire(t, "issuer jwks (discovery variant)", d)
	if d.JSON.DiscoveryBase.Raw() != "null" || d.JSON.CACertPEM.Raw() != "null" {
		t.Errorf("discovery jwks = %s, want discovery_base and ca_cert_pem null", d.RawJSON())
	}
	if disc.PollStatus.LastFetchedAt.IsZero() || disc.PollStatus.NextPollAt.IsZero() || disc.JSON.JWKSPollingDisabledAt.Raw() != "null" {
		t.Errorf("poll status = %s, polling disabled at %s", disc.PollStatus.RawJSON(), disc.JSON.JWKSPollingDisabledAt.Raw())
	}

	// Inline: the Google key set, as an array of JWK objects.
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	mustNoErr(t, "decode Google JWKS", json.Unmarshal(env.emu.Google().JWKS(), &set))
	inline, err := issuers.New(env.ctx, anthropic.OrganizationFederationIssuerNewParams{
		Name:                  "inline-keys",
		IssuerURL:             "https://issuer.example.com",
		CheckJTI:              anthropic.Bool(false),
		MaxJWTLifetimeSeconds: anthropic.Int(7200),
		JWKS: anthropic.OrganizationFederationIssuerNewParamsJWKSUnion{
			OfInline: &anthropic.JWKSInlineParam{Keys: set.Keys},
		},
	})
	mustNoErr(t, "create inline issuer", err)
	assertWire(t, "issuer (inline)", inline)
	in, ok := inline.JWKS.AsAny().(anthropic.JWKSInline)
	if !ok {
		t.Fatalf("jwks = %s, want the inline variant", inline.JWKS.RawJSON())
	}
	assertWire(t, "issuer jwks (inline variant)", in)
	if len(in.Keys) != len(set.Keys) || in.Keys[0]["kid"] != env.emu.Google().KeyID() {
		t.Errorf("inline keys = %v, want the Google key set (kid %s)", in.Keys, env.emu.Google().KeyID())
	}
	if inline.CheckJTI || inline.MaxJWTLifetimeSeconds != 7200 {
		t.Errorf("inline issuer = %s", inline.RawJSON())
	}

	// Update: replace jwks whole with an explicit URL, rename, tune.
	updated, err := issuers.Update(env.ctx, inline.ID, anthropic.OrganizationFederationIssuerUpdateParams{
		Name:                  anthropic.String("explicit-keys"),
		MaxJWTLifetimeSeconds: anthropic.Int(600),
		JWKS: anthropic.OrganizationFederationIssuerUpdateParamsJWKSUnion{
			OfExplicitURL: &anthropic.JWKSExplicitURLParam{URL: "https://issuer.example.com/keys.json"},
		},
	})
	mustNoErr(t, "update issuer jwks", err)
	assertWire(t, "issuer (explicit_url)", updated)
	ex, ok := updated.JWKS.AsAny().(anthropic.JWKSExplicitURL)
	if !ok {
		t.Fatalf("jwks = %s, want the explicit_url variant", updated.JWKS.RawJSON())
	}
	assertWire(t, "issuer jwks (explicit_url variant)", ex)
	if ex.URL != "https://issuer.example.com/keys.json" || ex.JSON.CACertPEM.Raw() != "null" {
		t.Errorf("explicit jwks = %s", ex.RawJSON())
	}
	if updated.Name != "explicit-keys" || updated.MaxJWTLifetimeSeconds != 600 || updated.CheckJTI {
		t.Errorf("updated issuer = %s", updated.RawJSON())
	}

	// As the SDK documents, only the service pauses polling (after repeated
	// fetch failures): jwks_polling_disabled: true is rejected, and false,
	// the only value a client may send, resumes it. The field is
	// write-only; jwks_polling_disabled_at is what reads show.
	_, err = issuers.Update(env.ctx, updated.ID, anthropic.OrganizationFederationIssuerUpdateParams{JWKSPollingDisabled: anthropic.Bool(true)})
	if failure := apiError(t, err, http.StatusBadRequest, "invalid_request_error"); !strings.Contains(failure.body, "jwks_polling_disabled: only false is accepted") {
		t.Errorf("error %s does not say only false is accepted", failure.body)
	}
	mustNoErr(t, "pause polling as the service", env.emu.DisableJWKSPolling(updated.ID))
	paused, err := issuers.Get(env.ctx, updated.ID)
	mustNoErr(t, "get paused issuer", err)
	assertWire(t, "issuer (polling paused)", paused)
	if paused.JWKSPollingDisabledAt.IsZero() || paused.PollStatus.ConsecutiveFailures == 0 || paused.PollStatus.JSON.NextPollAt.Raw() != "null" {
		t.Errorf("paused issuer: jwks_polling_disabled_at = %s, poll_status = %s, want a time, failures and no next poll",
			paused.JSON.JWKSPollingDisabledAt.Raw(), paused.PollStatus.RawJSON())
	}
	if _, unknown := paused.JSON.ExtraFields["jwks_polling_disabled"]; unknown {
		t.Errorf("the write-only jwks_polling_disabled is echoed back")
	}
	resumed, err := issuers.Update(env.ctx, updated.ID, anthropic.OrganizationFederationIssuerUpdateParams{JWKSPollingDisabled: anthropic.Bool(false)})
	mustNoErr(t, "resume polling", err)
	if resumed.JSON.JWKSPollingDisabledAt.Raw() != "null" || resumed.PollStatus.ConsecutiveFailures != 0 || resumed.PollStatus.NextPollAt.IsZero() {
		t.Errorf("resumed issuer: jwks_polling_disabled_at = %s, poll_status = %s, want null and a next poll",
			resumed.JSON.JWKSPollingDisabledAt.Raw(), resumed.PollStatus.RawJSON())
	}

	// Fetch URLs must be public https.
	_, err = issuers.New(env.ctx, anthropic.OrganizationFederationIssuerNewParams{
		Name:      "loopback",
		IssuerURL: "https://issuer.example.com",
		JWKS: anthropic.OrganizationFederationIssuerNewParamsJWKSUnion{
			OfExplicitURL: &anthropic.JWKSExplicitURLParam{URL: "http://127.0.0.1/keys"},
		},
	})
	failure := apiError(t, err, http.StatusBadRequest, "invalid_request_error")
	if !strings.Contains(failure.body, "jwks.url") {
		t.Errorf("error %s does not name jwks.url", failure.body)
	}

	// List with paging, then archive.
	page, err := issuers.List(env.ctx, anthropic.OrganizationFederationIssuerListParams{Limit: anthropic.Int(1)})
	mustNoErr(t, "list issuers", err)
	assertWire(t, "issuer list page", page)
	var ids []string
	for ; page != nil; page, err = page.GetNextPage() {
		for _, is := range page.Data {
			ids = append(ids, is.ID)
		}
	}
	mustNoErr(t, "list issuers next page", err)
	if len(ids) != 2 || !slices.Contains(ids, disc.ID) || !slices.Contains(ids, inline.ID) {
		t.Errorf("issuers = %v, want %s and %s", ids, disc.ID, inline.ID)
	}
	arch, err := issuers.Archive(env.ctx, inline.ID)
	mustNoErr(t, "archive issuer", err)
	assertWire(t, "issuer (archive)", arch)
	if arch.ArchivedAt.IsZero() {
		t.Errorf("archived issuer = %s", arch.RawJSON())
	}
	live, err := issuers.List(env.ctx, anthropic.OrganizationFederationIssuerListParams{})
	mustNoErr(t, "list live issuers", err)
	if len(live.Data) != 1 || live.Data[0].ID != disc.ID {
		t.Errorf("live issuers = %s, want only %s", live.RawJSON(), disc.ID)
	}
}

// ---- rules ---------------------------------------------------------------

func TestSDKRuleLifecycle(t *testing.T) {
	env := newSDKEnv(t)
	rules := &env.client.Organization.Federation.Rules
	gsa := env.emu.Google().DefaultServiceAccount()
	sa := env.newServiceAccount(t, "rule-target")
	iss := env.newGoogleIssuer(t, "google")
	prod := workspaceID(t, env.emu, "production")
	staging := workspaceID(t, env.emu, "staging")

	created, err := rules.New(env.ctx, anthropic.OrganizationFederationRuleNewParams{
		Name:                 "cloud-run",
		Description:          anthropic.String("Cloud Run summarizer"),
		IssuerID:             iss.ID,
		Match:                googlePin(gsa),
		Target:               anthropic.ServiceAccountTargetParam{ServiceAccountID: sa.ID},
		OAuthScope:           "workspace:developer",
		WorkspaceID:          anthropic.String(prod),
		TokenLifetimeSeconds: anthropic.Int(900),
	})
	mustNoErr(t, "create rule", err)
	assertWire(t, "rule (create)", created)
	if !strings.HasPrefix(created.ID, "fdrl_") || created.IssuerID != iss.ID || created.IssuerName != "google" {
		t.Errorf("rule = %s", created.RawJSON())
	}
	if created.Target.Type != "service_account" || created.Target.ServiceAccountID != sa.ID || created.Target.ServiceAccountName != sa.Name {
		t.Errorf("target = %s", created.Target.RawJSON())
	}
	if created.Match.Audience != anthropicAudience || created.Match.Claims["sub"] != gsa.UniqueID || created.Match.Claims["email"] != gsa.Email {
		t.Errorf("match = %s", created.Match.RawJSON())
	}
	if created.Match.JSON.SubjectPrefix.Raw() != "null" || created.Match.JSON.Condition.Raw() != "null" {
		t.Errorf("unset matchers = %s, want null", created.Match.RawJSON())
	}
	if created.AppliesToAllWorkspaces || !slices.Equal(created.WorkspaceIDs, []string{prod}) {
		t.Errorf("workspaces = all:%v ids:%v, want false and [%s]", created.AppliesToAllWorkspaces, created.WorkspaceIDs, prod)
	}
	if _, echoed := created.JSON.ExtraFields["workspace_id"]; echoed {
		t.Errorf("rule echoes the write-only workspace_id")
	}
	if created.OAuthScope != "workspace:developer" || created.TokenLifetimeSeconds != 900 || created.Description != "Cloud Run summarizer" {
		t.Errorf("rule = %s", created.RawJSON())
	}

	// Workspaces sub-resource.
	ws := &rules.Workspaces
	enabled, err := ws.Add(env.ctx, created.ID, anthropic.OrganizationFederationRuleWorkspaceAddParams{WorkspaceID: staging})
	mustNoErr(t, "enable staging", err)
	assertWire(t, "rule workspace (add)", enabled)
	if enabled.FederationRuleID != created.ID || enabled.WorkspaceID != staging || enabled.CreatedAt.IsZero() || enabled.CreatedByActorID != env.emu.UserID() {
		t.Errorf("enablement = %s", enabled.RawJSON())
	}
	again, err := ws.Add(env.ctx, created.ID, anthropic.OrganizationFederationRuleWorkspaceAddParams{WorkspaceID: staging})
	mustNoErr(t, "enable staging again", err)
	if !again.CreatedAt.Equal(enabled.CreatedAt) {
		t.Errorf("re-enabling created a new enablement: %s vs %s", again.RawJSON(), enabled.RawJSON())
	}
	listed, err := ws.List(env.ctx, created.ID, anthropic.OrganizationFederationRuleWorkspaceListParams{})
	mustNoErr(t, "list rule workspaces", err)
	assertWire(t, "rule workspace list", listed)
	var listedIDs []string
	for _, en := range listed.Data {
		listedIDs = append(listedIDs, en.WorkspaceID)
		if en.WorkspaceName == "" {
			t.Errorf("listed enablement %s has no workspace_name", en.RawJSON())
		}
	}
	if !slices.Equal(listedIDs, []string{prod, staging}) || listed.NextPage != "" {
		t.Errorf("enablements = %v next_page %q, want [%s %s] and no cursor", listedIDs, listed.NextPage, prod, staging)
	}
	got, err := rules.Get(env.ctx, created.ID)
	mustNoErr(t, "get rule", err)
	assertWire(t, "rule (get)", got)
	if !slices.Equal(got.WorkspaceIDs, []string{prod, staging}) {
		t.Errorf("workspace_ids = %v after enabling staging", got.WorkspaceIDs)
	}
	disabled, err := ws.Remove(env.ctx, staging, anthropic.OrganizationFederationRuleWorkspaceRemoveParams{FederationRuleID: created.ID})
	mustNoErr(t, "disable staging", err)
	assertWire(t, "rule workspace (remove)", disabled)
	if disabled.FederationRuleID != created.ID || disabled.WorkspaceID != staging {
		t.Errorf("disabled = %s", disabled.RawJSON())
	}
	_, err = ws.Remove(env.ctx, staging, anthropic.OrganizationFederationRuleWorkspaceRemoveParams{FederationRuleID: created.ID})
	mustNoErr(t, "disable staging again", err)

	// Partial update: omitted fields stay; match is replaced whole.
	updated, err := rules.Update(env.ctx, created.ID, anthropic.OrganizationFederationRuleUpdateParams{
		Name:                 anthropic.String("cloud-run-v2"),
		TokenLifetimeSeconds: anthropic.Int(1800),
		Match: anthropic.FederationRuleMatchParam{
			Claims:    map[string]string{"sub": gsa.UniqueID, "email": gsa.Email},
			Condition: anthropic.String(`claims.email_verified == true`),
		},
	})
	mustNoErr(t, "update rule", err)
	assertWire(t, "rule (update)", updated)
	if updated.Name != "cloud-run-v2" || updated.TokenLifetimeSeconds != 1800 || updated.Description != created.Description || updated.OAuthScope != created.OAuthScope {
		t.Errorf("updated = %s", updated.RawJSON())
	}
	if updated.Match.JSON.Audience.Raw() != "null" || updated.Match.Condition != `claims.email_verified == true` {
		t.Errorf("match after replace = %s, want audience gone and the condition set", updated.Match.RawJSON())
	}

	// Round-tripping the read match (nulls included) changes nothing.
	same, err := rules.Update(env.ctx, created.ID, anthropic.OrganizationFederationRuleUpdateParams{Match: updated.Match.ToParam()})
	mustNoErr(t, "update with the read match", err)
	if same.Match.RawJSON() != updated.Match.RawJSON() {
		t.Errorf("match after round trip = %s, want %s", same.Match.RawJSON(), updated.Match.RawJSON())
	}

	// Filter by issuer.
	other := env.newGoogleIssuer(t, "google-two")
	filtered, err := rules.List(env.ctx, anthropic.OrganizationFederationRuleListParams{IssuerID: anthropic.String(other.ID)})
	mustNoErr(t, "list rules of another issuer", err)
	if len(filtered.Data) != 0 {
		t.Errorf("rules of %s = %s, want none", other.ID, filtered.RawJSON())
	}
	mine, err := rules.List(env.ctx, anthropic.OrganizationFederationRuleListParams{IssuerID: anthropic.String(iss.ID)})
	mustNoErr(t, "list rules of the issuer", err)
	assertWire(t, "rule list page", mine)
	if len(mine.Data) != 1 || mine.Data[0].ID != created.ID {
		t.Errorf("rules of %s = %s", iss.ID, mine.RawJSON())
	}

	// Tenant pinning: a Google rule on a subject prefix alone is refused.
	_, err = rules.New(env.ctx, anthropic.OrganizationFederationRuleNewParams{
		Name:        "unpinned",
		IssuerID:    iss.ID,
		Match:       anthropic.FederationRuleMatchParam{SubjectPrefix: anthropic.String("1*")},
		Target:      anthropic.ServiceAccountTargetParam{ServiceAccountID: sa.ID},
		OAuthScope:  "workspace:developer",
		WorkspaceID: anthropic.String(prod),
	})
	apiError(t, err, http.StatusBadRequest, "invalid_request_error")

	// A live rule blocks archiving its issuer and target.
	_, err = env.client.Organization.Federation.Issuers.Archive(env.ctx, iss.ID)
	apiError(t, err, http.StatusBadRequest, "invalid_request_error")
	_, err = env.client.Organization.ServiceAccounts.Archive(env.ctx, sa.ID)
	apiError(t, err, http.StatusBadRequest, "invalid_request_error")

	archived, err := rules.Archive(env.ctx, created.ID)
	mustNoErr(t, "archive rule", err)
	assertWire(t, "rule (archive)", archived)
	if archived.ArchivedAt.IsZero() || len(archived.WorkspaceIDs) != 0 {
		t.Errorf("archived rule = %s, want archived_at set and workspace_ids empty", archived.RawJSON())
	}
	_, err = env.client.Organization.Federation.Issuers.Archive(env.ctx, iss.ID)
	mustNoErr(t, "archive issuer once its rule is archived", err)
}

func TestSDKRuleAllWorkspaces(t *testing.T) {
	env := newSDKEnv(t)
	rules := &env.client.Organization.Federation.Rules
	sa := env.newServiceAccount(t, "everywhere")
	iss := env.newGoogleIssuer(t, "google")

	r, err := rules.New(env.ctx, anthropic.OrganizationFederationRuleNewParams{
		Name:                   "everywhere",
		IssuerID:               iss.ID,
		Match:                  googlePin(env.emu.Google().DefaultServiceAccount()),
		Target:                 anthropic.ServiceAccountTargetParam{ServiceAccountID: sa.ID},
		OAuthScope:             "workspace:inference",
		AppliesToAllWorkspaces: anthropic.Bool(true),
	})
	mustNoErr(t, "create all-workspaces rule", err)
	assertWire(t, "rule (all workspaces)", r)
	if !r.AppliesToAllWorkspaces || len(r.WorkspaceIDs) != 0 || r.JSON.WorkspaceIDs.Raw() != "[]" {
		t.Errorf("all-workspaces rule = %s, want applies_to_all_workspaces true and workspace_ids []", r.RawJSON())
	}
	if r.TokenLifetimeSeconds != 3600 {
		t.Errorf("token_lifetime_seconds = %d, want the 3600 default", r.TokenLifetimeSeconds)
	}

	// Neither workspace_id nor applies_to_all_workspaces: 400.
	_, err = rules.New(env.ctx, anthropic.OrganizationFederationRuleNewParams{
		Name:       "nowhere",
		IssuerID:   iss.ID,
		Match:      googlePin(env.emu.Google().DefaultServiceAccount()),
		Target:     anthropic.ServiceAccountTargetParam{ServiceAccountID: sa.ID},
		OAuthScope: "workspace:inference",
	})
	apiError(t, err, http.StatusBadRequest, "invalid_request_error")

	// OAuth callers may not grant org:admin.
	_, err = rules.New(env.ctx, anthropic.OrganizationFederationRuleNewParams{
		Name:                   "admin",
		IssuerID:               iss.ID,
		Match:                  googlePin(env.emu.Google().DefaultServiceAccount()),
		Target:                 anthropic.ServiceAccountTargetParam{ServiceAccountID: sa.ID},
		OAuthScope:             "org:admin",
		AppliesToAllWorkspaces: anthropic.Bool(true),
	})
	apiError(t, err, http.StatusForbidden, "permission_error")
}

// ---- errors --------------------------------------------------------------

func TestSDKErrorDecoding(t *testing.T) {
	env := newSDKEnv(t)
	sas := &env.client.Organization.ServiceAccounts

	_, err := sas.Get(env.ctx, "svac_01AAAAAAAAAAAAAAAAAAAAAAAA")
	apiError(t, err, http.StatusNotFound, "not_found_error")
	_, err = env.client.Organization.Federation.Issuers.Get(env.ctx, "fdis_01AAAAAAAAAAAAAAAAAAAAAAAA")
	apiError(t, err, http.StatusNotFound, "not_found_error")
	_, err = env.client.Organization.Federation.Rules.Get(env.ctx, "fdrl_01AAAAAAAAAAAAAAAAAAAAAAAA")
	apiError(t, err, http.StatusNotFound, "not_found_error")

	env.newServiceAccount(t, "taken")
	_, err = sas.New(env.ctx, anthropic.OrganizationServiceAccountNewParams{Name: "taken"})
	apiError(t, err, http.StatusConflict, "conflict_error")

	_, err = sas.New(env.ctx, anthropic.OrganizationServiceAccountNewParams{Name: "Not A Slug"})
	failure := apiError(t, err, http.StatusBadRequest, "invalid_request_error")
	if !strings.Contains(failure.body, `"name: `) {
		t.Errorf("validation message %s does not name the field first", failure.body)
	}

	// Admin API keys are refused on the admin endpoints, reads included.
	keyClient := env.newClient(option.WithAPIKey("sk-ant-admin01-not-accepted"))
	_, err = keyClient.Organization.ServiceAccounts.List(env.ctx, anthropic.OrganizationServiceAccountListParams{})
	apiError(t, err, http.StatusUnauthorized, "authentication_error")
	env.mu.Lock()
	env.leaked = nil // that x-api-key was sent on purpose
	env.mu.Unlock()

	// Injected overload and rate limits decode too.
	env.emu.InjectFault(emulator.RouteListIssuers, emulator.Fault{Status: 529})
	_, err = env.client.Organization.Federation.Issuers.List(env.ctx, anthropic.OrganizationFederationIssuerListParams{})
	apiError(t, err, 529, "overloaded_error")
	env.emu.InjectFault(emulator.RouteListIssuers, emulator.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	_, err = env.client.Organization.Federation.Issuers.List(env.ctx, anthropic.OrganizationFederationIssuerListParams{})
	failure = apiError(t, err, http.StatusTooManyRequests, "rate_limit_error")
	if ra := failure.header.Get("retry-after"); ra != "1" {
		t.Errorf("retry-after = %q, want 1", ra)
	}
}

// ---- federation exchange and Messages ------------------------------------

// exchangeFixture is a Google-pinned rule for the metadata server's default
// account, in the production workspace, and the account's membership there.
type exchangeFixture struct {
	env    *sdkEnv
	google googleemu.ServiceAccount
	saID   string
	ruleID string
	wsID   string
}

func newExchangeFixture(t *testing.T) *exchangeFixture {
	t.Helper()
	env := newSDKEnv(t)
	fx := &exchangeFixture{env: env, google: env.emu.Google().DefaultServiceAccount(), wsID: workspaceID(t, env.emu, "production")}
	sa := env.newServiceAccount(t, "cloud-run-summarizer")
	fx.saID = sa.ID
	_, err := env.client.Organization.ServiceAccounts.Workspaces.Add(env.ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceAddParams{
		WorkspaceID:   fx.wsID,
		WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceDeveloper,
	})
	mustNoErr(t, "add membership", err)
	iss := env.newGoogleIssuer(t, "google")
	r, err := env.client.Organization.Federation.Rules.New(env.ctx, anthropic.OrganizationFederationRuleNewParams{
		Name:                 "cloud-run-summarizer",
		IssuerID:             iss.ID,
		Match:                googlePin(fx.google),
		Target:               anthropic.ServiceAccountTargetParam{ServiceAccountID: sa.ID},
		OAuthScope:           "workspace:developer",
		WorkspaceID:          anthropic.String(fx.wsID),
		TokenLifetimeSeconds: anthropic.Int(900),
	})
	mustNoErr(t, "create rule", err)
	fx.ruleID = r.ID
	return fx
}

func (fx *exchangeFixture) mint(t *testing.T) string {
	t.Helper()
	tok, err := fx.env.emu.Google().Mint(fx.google.Email, anthropicAudience, true, nil)
	mustNoErr(t, "mint Google ID token", err)
	return tok
}

func (fx *exchangeFixture) params(assertion string) sdkconfig.FederationExchangeParams {
	return sdkconfig.FederationExchangeParams{
		Assertion:        assertion,
		FederationRuleID: fx.ruleID,
		OrganizationID:   fx.env.emu.OrganizationID(),
		ServiceAccountID: fx.saID,
		WorkspaceID:      fx.wsID,
		BaseURL:          fx.env.srv.URL,
		HTTPClient:       fx.env.srv.Client(),
	}
}

func (fx *exchangeFixture) ask(t *testing.T, c anthropic.Client) *anthropic.Message {
	t.Helper()
	msg, err := c.Messages.New(fx.env.ctx, anthropic.MessageNewParams{
		Model:     sdkModel,
		MaxTokens: 64,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Say hello in one line."))},
	})
	mustNoErr(t, "Messages.New", err)
	return msg
}

func replyText(m *anthropic.Message) string {
	var b strings.Builder
	for _, c := range m.Content {
		if c.Type == "text" {
			b.WriteString(c.Text)
		}
	}
	return b.String()
}

// tokenResponseRecorder captures the JSON members of /v1/oauth/token
// answers (minus the token) so tests can check what the SDK does not surface.
type tokenResponseRecorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	resp []map[string]any
}

func (rec *tokenResponseRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := rec.next.RoundTrip(r)
	if err != nil || r.URL.Path != sdkconfig.TokenEndpoint {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(strings.NewReader(string(body)))
	var m map[string]any
	if json.Unmarshal(body, &m) == nil {
		delete(m, "access_token")
		rec.mu.Lock()
		rec.resp = append(rec.resp, m)
		rec.mu.Unlock()
	}
	return res, nil
}

func TestSDKFederationExchange(t *testing.T) {
	fx := newExchangeFixture(t)
	env := fx.env

	rec := &tokenResponseRecorder{next: env.srv.Client().Transport}
	p := fx.params(fx.mint(t))
	p.HTTPClient = &http.Client{Transport: rec}
	creds, err := sdkconfig.ExchangeFederationAssertion(env.ctx, p)
	mustNoErr(t, "ExchangeFederationAssertion", err)
	if !strings.HasPrefix(creds.AccessToken, "sk-ant-oat01-") || creds.RefreshToken != "" {
		t.Errorf("credentials: access token prefix ok=%v, refresh token set=%v", strings.HasPrefix(creds.AccessToken, "sk-ant-oat01-"), creds.RefreshToken != "")
	}
	if creds.ExpiresAt == nil || time.Until(*creds.ExpiresAt) > 900*time.Second || time.Until(*creds.ExpiresAt) < 800*time.Second {
		t.Errorf("expires at %v, want about 900 s from now (the rule's token lifetime)", creds.ExpiresAt)
	}
	if len(rec.resp) != 1 {
		t.Fatalf("recorded %d token responses", len(rec.resp))
	}
	want := map[string]any{"token_type": "Bearer", "expires_in": float64(900), "scope": "workspace:developer"}
	if !reflect.DeepEqual(rec.resp[0], want) {
		t.Errorf("token response members (minus access_token) = %v, want %v", rec.resp[0], want)
	}

	// The minted token calls Messages the way the SDK's auth middleware does.
	bearer := env.newClient(option.WithAuthToken(creds.AccessToken), option.WithHeader("anthropic-beta", sdkconfig.OAuthAPIBetaHeader))
	msg := fx.ask(t, bearer)
	if !strings.Contains(replyText(msg), fx.saID) || !strings.Contains(replyText(msg), fx.wsID) {
		t.Errorf("reply %q does not name %s in %s", replyText(msg), fx.saID, fx.wsID)
	}
	if msg.Model != sdkModel || msg.Role != "assistant" || msg.StopReason != anthropic.StopReasonEndTurn || msg.Usage.OutputTokens == 0 {
		t.Errorf("message = %s", msg.RawJSON())
	}

	// The minted workspace:developer token is no admin credential.
	_, err = bearer.Organization.ServiceAccounts.List(env.ctx, anthropic.OrganizationServiceAccountListParams{})
	apiError(t, err, http.StatusForbidden, "permission_error")
	// Nor is the admin token a Messages credential.
	_, err = env.client.Messages.New(env.ctx, anthropic.MessageNewParams{
		Model:     sdkModel,
		MaxTokens: 8,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	})
	apiError(t, err, http.StatusForbidden, "permission_error")

	hist := env.emu.AuthHistory()
	if len(hist) == 0 || hist[0].Outcome != emulator.AuthOutcomeSuccess || hist[0].RuleID != fx.ruleID || hist[0].Subject != fx.google.UniqueID {
		t.Errorf("latest auth event = %+v, want a success for %s as %s", hist, fx.ruleID, fx.google.UniqueID)
	}
}

func TestSDKFederationTokenProvider(t *testing.T) {
	fx := newExchangeFixture(t)
	env := fx.env

	var mints int
	var mu sync.Mutex
	c := env.newClient(option.WithFederationTokenProvider(func(ctx context.Context) (string, error) {
		mu.Lock()
		mints++
		mu.Unlock()
		return env.emu.Google().Mint(fx.google.Email, anthropicAudience, true, nil)
	}, option.FederationOptions{
		FederationRuleID: fx.ruleID,
		OrganizationID:   env.emu.OrganizationID(),
		ServiceAccountID: fx.saID,
		WorkspaceID:      fx.wsID,
	}))
	before := env.emu.RequestCount(emulator.RouteOAuthToken)
	for range 2 {
		if reply := replyText(fx.ask(t, c)); !strings.Contains(reply, fx.saID) {
			t.Errorf("reply %q does not name %s", reply, fx.saID)
		}
	}
	if n := env.emu.RequestCount(emulator.RouteOAuthToken) - before; n != 1 || mints != 1 {
		t.Errorf("%d exchanges and %d identity tokens for two calls, want 1 and 1 (the SDK caches the minted token)", n, mints)
	}
}

// TestSDKFederationFromEnvironment runs the SDK's zero-config path: the
// ANTHROPIC_* variables a Cloud Run service gets, with the identity token in
// ANTHROPIC_IDENTITY_TOKEN_FILE.
func TestSDKFederationFromEnvironment(t *testing.T) {
	fx := newExchangeFixture(t)
	env := fx.env

	tokenFile := filepath.Join(t.TempDir(), "token")
	mustNoErr(t, "write token file", os.WriteFile(tokenFile, []byte(fx.mint(t)+"\n"), 0o600))
	for _, k := range envCredentials {
		t.Setenv(k, "")
	}
	t.Setenv("ANTHROPIC_BASE_URL", env.srv.URL)
	t.Setenv("ANTHROPIC_FEDERATION_RULE_ID", fx.ruleID)
	t.Setenv("ANTHROPIC_ORGANIZATION_ID", env.emu.OrganizationID())
	t.Setenv("ANTHROPIC_SERVICE_ACCOUNT_ID", fx.saID)
	t.Setenv("ANTHROPIC_WORKSPACE_ID", fx.wsID)
	t.Setenv("ANTHROPIC_IDENTITY_TOKEN_FILE", tokenFile)

	c := anthropic.NewClient(option.WithMaxRetries(0))
	if reply := replyText(fx.ask(t, c)); !strings.Contains(reply, fx.saID) {
		t.Errorf("reply %q does not name %s", reply, fx.saID)
	}
}

func TestSDKFederationDenied(t *testing.T) {
	fx := newExchangeFixture(t)
	env := fx.env

	// A token for another Google account fails the rule's claims: one opaque 401.
	other, err := env.emu.Google().Mint(googleemu.CIRunnerAccount, anthropicAudience, true, nil)
	mustNoErr(t, "mint", err)
	_, err = sdkconfig.ExchangeFederationAssertion(env.ctx, fx.params(other))
	var fe *sdkconfig.FederationExchangeError
	if !errors.As(err, &fe) {
		t.Fatalf("error %T (%v) is not a *config.FederationExchangeError", err, err)
	}
	if fe.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(fe.RequestID, "req_") {
		t.Errorf("denial = status %d request id %q, want 401 and req_…", fe.StatusCode, fe.RequestID)
	}
	var body struct {
		Type  string `json:"type"`
		Error struct{ Type, Message string }
	}
	mustNoErr(t, "decode denial", json.Unmarshal([]byte(fe.Body), &body))
	if body.Type != "error" || body.Error.Type != "authentication_error" || body.Error.Message != "Authentication failed" {
		t.Errorf("denial body = %s, want the opaque authentication_error", fe.Body)
	}
	if h := env.emu.AuthHistory(); len(h) == 0 || h[0].Reason != emulator.ReasonMatchClaims+":sub" && h[0].Reason != emulator.ReasonMatchClaims+":email" {
		t.Errorf("history = %+v, want a match_claims denial", h)
	}

	// A malformed request is a 400 naming the field.
	_, err = sdkconfig.ExchangeFederationAssertion(env.ctx, fx.params("not-a-jwt"))
	if !errors.As(err, &fe) || fe.StatusCode != http.StatusBadRequest || !strings.Contains(fe.Body, "assertion") {
		t.Errorf("malformed assertion: %v, want a 400 naming assertion", err)
	}

	// Through the token provider, the SDK's request fails with the exchange's error.
	c := env.newClient(option.WithFederationTokenProvider(func(context.Context) (string, error) { return other, nil },
		option.FederationOptions{FederationRuleID: fx.ruleID, OrganizationID: env.emu.OrganizationID(), ServiceAccountID: fx.saID, WorkspaceID: fx.wsID}))
	_, err = c.Messages.New(env.ctx, anthropic.MessageNewParams{
		Model:     sdkModel,
		MaxTokens: 8,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	})
	if err == nil || !strings.Contains(err.Error(), "401") || strings.Contains(err.Error(), other) {
		t.Errorf("Messages.New with a denied identity = %v, want a 401 that does not echo the assertion", err)
	}
}

// ---- documented behaviour ------------------------------------------------

// TestSDKDocumentedBehaviour checks what the SDK's method documentation
// promises about the service beyond field names. Failures are real
// disagreements between the emulator and the SDK's description of the API.
func TestSDKDocumentedBehaviour(t *testing.T) {
	t.Run("service account list is newest first", func(t *testing.T) {
		env := newSDKEnv(t)
		a := env.newServiceAccount(t, "first")
		b := env.newServiceAccount(t, "second")
		page, err := env.client.Organization.ServiceAccounts.List(env.ctx, anthropic.OrganizationServiceAccountListParams{})
		mustNoErr(t, "list", err)
		if len(page.Data) != 2 || page.Data[0].ID != b.ID || page.Data[1].ID != a.ID {
			t.Errorf("SDK MISMATCH: OrganizationServiceAccountService.List documents \"ordered by creation time, newest first\"; the emulator lists %v (want [%s %s])",
				ids(page.Data, func(s anthropic.ServiceAccount) string { return s.ID }), b.ID, a.ID)
		}
	})

	t.Run("adding an existing membership replaces its role", func(t *testing.T) {
		env := newSDKEnv(t)
		sa := env.newServiceAccount(t, "member")
		prod := workspaceID(t, env.emu, "production")
		add := func(role anthropic.NoBillingWorkspaceRole) (*anthropic.ServiceAccountWorkspaceMember, error) {
			return env.client.Organization.ServiceAccounts.Workspaces.Add(env.ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceAddParams{WorkspaceID: prod, WorkspaceRole: role})
		}
		_, err := add(anthropic.NoBillingWorkspaceRoleWorkspaceUser)
		mustNoErr(t, "add", err)
		m, err := add(anthropic.NoBillingWorkspaceRoleWorkspaceDeveloper)
		if err != nil || m.WorkspaceRole != "workspace_developer" {
			t.Errorf("SDK MISMATCH: OrganizationServiceAccountWorkspaceService.Add documents \"If the service account is already an explicit member of the workspace, its workspace_role is replaced\"; the emulator answers %v", err)
		}
	})

	t.Run("removing the implicit default membership is a no-op 200", func(t *testing.T) {
		env := newSDKEnv(t)
		sa := env.newServiceAccount(t, "member")
		_, err := env.client.Organization.ServiceAccounts.Workspaces.Remove(env.ctx, env.emu.DefaultWorkspaceID(),
			anthropic.OrganizationServiceAccountWorkspaceRemoveParams{ServiceAccountID: sa.ID})
		if err != nil {
			t.Errorf("SDK MISMATCH: OrganizationServiceAccountWorkspaceService.Remove documents \"A DELETE against the implicit default-workspace membership returns 200 but is a no-op\"; the emulator answers %v", err)
		}
	})

	t.Run("archived service account lists no memberships", func(t *testing.T) {
		env := newSDKEnv(t)
		sa := env.newServiceAccount(t, "gone")
		_, err := env.client.Organization.ServiceAccounts.Archive(env.ctx, sa.ID)
		mustNoErr(t, "archive", err)
		page, err := env.client.Organization.ServiceAccounts.Workspaces.List(env.ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceListParams{})
		mustNoErr(t, "list", err)
		if len(page.Data) != 0 {
			t.Errorf("SDK MISMATCH: OrganizationServiceAccountWorkspaceService.List documents \"Without a page cursor, an archived service account returns an empty list\"; the emulator lists %s", page.RawJSON())
		}
	})

	t.Run("membership list pages with limit", func(t *testing.T) {
		env := newSDKEnv(t)
		sa := env.newServiceAccount(t, "many")
		for _, name := range []string{"production", "staging", "research"} {
			_, err := env.client.Organization.ServiceAccounts.Workspaces.Add(env.ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceAddParams{
				WorkspaceID: workspaceID(t, env.emu, name), WorkspaceRole: anthropic.NoBillingWorkspaceRoleWorkspaceUser,
			})
			mustNoErr(t, "add", err)
		}
		page, err := env.client.Organization.ServiceAccounts.Workspaces.List(env.ctx, sa.ID, anthropic.OrganizationServiceAccountWorkspaceListParams{Limit: anthropic.Int(1)})
		mustNoErr(t, "list", err)
		if len(page.Data) > 2 || page.NextPage == "" {
			t.Errorf("SDK MISMATCH: OrganizationServiceAccountWorkspaceService.List documents limit/next_page paging (with limit=1 \"the first page may return up to 2 entries\"); the emulator returns %d entries and next_page %q",
				len(page.Data), page.NextPage)
		}
	})

	t.Run("rule update workspace_id replaces the single enablement", func(t *testing.T) {
		fx := newExchangeFixture(t)
		staging := workspaceID(t, fx.env.emu, "staging")
		r, err := fx.env.client.Organization.Federation.Rules.Update(fx.env.ctx, fx.ruleID, anthropic.OrganizationFederationRuleUpdateParams{WorkspaceID: anthropic.String(staging)})
		if err != nil || !slices.Equal(r.WorkspaceIDs, []string{staging}) {
			var got any = err
			if err == nil {
				got = r.WorkspaceIDs
			}
			t.Errorf("SDK MISMATCH: OrganizationFederationRuleUpdateParams.WorkspaceID documents \"Replaces the existing single workspace enablement (the previous one is removed)\"; the emulator gives %v (want [%s])", got, staging)
		}
	})

	t.Run("rule applies_to_all_workspaces false with nothing enabled is a 400", func(t *testing.T) {
		env := newSDKEnv(t)
		sa := env.newServiceAccount(t, "everywhere")
		iss := env.newGoogleIssuer(t, "google")
		r, err := env.client.Organization.Federation.Rules.New(env.ctx, anthropic.OrganizationFederationRuleNewParams{
			Name: "everywhere", IssuerID: iss.ID, Match: googlePin(env.emu.Google().DefaultServiceAccount()),
			Target: anthropic.ServiceAccountTargetParam{ServiceAccountID: sa.ID}, OAuthScope: "workspace:developer",
			AppliesToAllWorkspaces: anthropic.Bool(true),
		})
		mustNoErr(t, "create", err)
		_, err = env.client.Organization.Federation.Rules.Update(env.ctx, r.ID, anthropic.OrganizationFederationRuleUpdateParams{AppliesToAllWorkspaces: anthropic.Bool(false)})
		var ae *anthropic.Error
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusBadRequest {
			t.Errorf("SDK MISMATCH: OrganizationFederationRuleUpdateParams.AppliesToAllWorkspaces documents \"Setting false is rejected with 400 if no workspace would remain enabled\"; the emulator answers %v", err)
		}
	})

	t.Run("rule target service_account_name is ignored on writes", func(t *testing.T) {
		fx := newExchangeFixture(t)
		rules := &fx.env.client.Organization.Federation.Rules
		got, err := rules.Get(fx.env.ctx, fx.ruleID)
		mustNoErr(t, "get", err)
		// Round-tripping the read object is what SDK users do; the name is read-only.
		_, err = rules.Update(fx.env.ctx, fx.ruleID, anthropic.OrganizationFederationRuleUpdateParams{Target: got.Target.ToParam()})
		if err != nil {
			t.Errorf("SDK MISMATCH: ServiceAccountTarget.ServiceAccountName is documented \"Ignored on writes\" and ServiceAccountTargetParam has the field; the emulator refuses it: %v", err)
		}
	})

	t.Run("workspace list uses the Page shape", func(t *testing.T) {
		env := newSDKEnv(t)
		page, err := env.client.Organization.Workspaces.List(env.ctx, anthropic.OrganizationWorkspaceListParams{})
		mustNoErr(t, "list workspaces", err)
		if page.JSON.HasMore.Raw() == "" || page.JSON.FirstID.Raw() == "" || page.JSON.LastID.Raw() == "" {
			t.Errorf("SDK MISMATCH: GET /v1/organizations/workspaces decodes into pagination.Page {data, has_more, first_id, last_id}; the emulator sends %s", page.RawJSON())
		}
		assertWire(t, "workspace list", page)
	})

	t.Run("message response members", func(t *testing.T) {
		fx := newExchangeFixture(t)
		creds, err := sdkconfig.ExchangeFederationAssertion(fx.env.ctx, fx.params(fx.mint(t)))
		mustNoErr(t, "exchange", err)
		msg := fx.ask(t, fx.env.newClient(option.WithAuthToken(creds.AccessToken), option.WithHeader("anthropic-beta", sdkconfig.OAuthAPIBetaHeader)))
		assertWire(t, "message", msg)
	})
}

func ids[T any](xs []T, id func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = id(x)
	}
	return out
}
