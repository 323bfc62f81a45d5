package emulator

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

func TestEnvelopeAndRequestID(t *testing.T) {
	h := newHarness(t)
	ok := must(t, h.admin("GET", saPath, nil))
	if id := ok.header.Get("request-id"); !idShape.MatchString(id) || !strings.HasPrefix(id, "req_") {
		t.Fatalf("success request-id = %q", id)
	}
	if ok.header.Get("content-type") != "application/json" {
		t.Fatalf("content-type = %q", ok.header.Get("content-type"))
	}

	bad := h.admin("GET", saPath+"/svac_01AAAAAAAAAAAAAAAAAAAAAAAA", nil)
	wantError(t, bad, 404, "not_found_error", "not found")
	if bad.body["type"] != "error" || len(bad.body) != 3 {
		t.Fatalf("envelope = %s", bad.raw)
	}
	if rid := bad.str("request_id"); rid == "" || rid != bad.header.Get("request-id") || rid == ok.header.Get("request-id") {
		t.Fatalf("request_id %q, header %q", rid, bad.header.Get("request-id"))
	}

	// Unrouted paths and methods stay inside the envelope.
	wantError(t, h.admin("GET", "/v1/organizations/nothing", nil), 404, "not_found_error", "no route")
	r := h.admin("PUT", saPath, nil)
	if r.status != http.StatusMethodNotAllowed || r.str("type") != "error" || r.header.Get("request-id") == "" {
		t.Fatalf("PUT: %d %s", r.status, r.raw)
	}
	wantError(t, h.call("POST", "/v1/oauth/token", "", map[string]any{"grant_type": "x"}), 400, "invalid_request_error", "grant_type:")
}

func TestAuthentication(t *testing.T) {
	h := newHarness(t)
	wantError(t, h.call("GET", saPath, "", nil), 401, "authentication_error", "OAuth access token with org:admin scope")
	wantError(t, h.call("GET", saPath, "sk-ant-oat01-wrong", nil), 401, "authentication_error", "invalid bearer token")
	for _, key := range []string{"sk-ant-admin01-abc", "sk-ant-api03-abc"} {
		r := h.call("GET", saPath, "", nil, "x-api-key", key)
		wantError(t, r, 401, "authentication_error", "cannot be used on workload identity federation admin endpoints")
		wantError(t, r, 401, "authentication_error", "an OAuth access token with org:admin scope is required")
		if strings.Contains(string(r.raw), key) {
			t.Fatal("error echoes the key")
		}
		// Reads are refused too, and an API key is no substitute for a bad bearer.
		wantError(t, h.call("POST", saPath, "bogus", map[string]any{"name": "x"}, "x-api-key", key), 401, "authentication_error", "x-api-key")
	}
	// A valid bearer wins, whatever else is sent.
	must(t, h.call("GET", saPath, h.emu.AdminToken(), nil, "x-api-key", "sk-ant-api03-abc"))

	// SDK decorations are accepted and ignored.
	must(t, h.call("GET", saPath+"?beta=true", h.emu.AdminToken(), nil, "anthropic-beta", "oauth-2025-04-20,oidc-federation-2026-04-01"))
	must(t, h.call("GET", saPath, h.emu.AdminToken(), nil, "anthropic-version", ""))
	wantError(t, h.call("GET", saPath, h.emu.AdminToken(), nil, "anthropic-version", "2020-01-01"), 400, "invalid_request_error", "anthropic-version:")

	if !strings.HasPrefix(h.emu.AdminToken(), "sk-ant-oat01-emu-") || h.emu.ConsoleToken() == h.emu.AdminToken() {
		t.Fatalf("tokens %q / %q", h.emu.AdminToken(), h.emu.ConsoleToken())
	}
	if New(Options{AdminToken: "tok"}).AdminToken() != "tok" {
		t.Fatal("AdminToken option ignored")
	}
}

func TestServiceAccountLifecycle(t *testing.T) {
	h := newHarness(t)
	user := h.emu.UserID()
	created := must(t, h.admin("POST", saPath, map[string]any{"name": "ci-bot", "description": "CI"}))
	id := created.str("id")
	if !strings.HasPrefix(id, "svac_01") || !idShape.MatchString(id) {
		t.Fatalf("id %q", id)
	}
	if created.str("type") != "service_account" || created.str("organization_role") != "developer" || created.str("description") != "CI" {
		t.Fatalf("created %s", created.raw)
	}
	for _, f := range []string{"created_at", "updated_at"} {
		ts := created.str(f)
		if !tsShape.MatchString(ts) {
			t.Fatalf("%s = %q", f, ts)
		}
		if _, err := time.Parse(time.RFC3339, ts); err != nil {
			t.Fatal(err)
		}
	}
	if created.str("created_by_actor_id") != user || !strings.HasPrefix(user, "user_") {
		t.Fatalf("actor %q (user %q)", created.str("created_by_actor_id"), user)
	}
	if created.get("archived_at") != nil || created.get("archived_by_actor_id") != nil {
		t.Fatalf("archived fields should be null: %s", created.raw)
	}
	if _, ok := created.body["archived_at"]; !ok {
		t.Fatal("archived_at must be present (null)")
	}

	// Omitted description is unchanged; null clears to "".
	h.clock.Advance(time.Second)
	r := must(t, h.admin("POST", saPath+"/"+id, map[string]any{"name": "ci-bot"}))
	if r.str("description") != "CI" || r.str("updated_at") <= created.str("updated_at") {
		t.Fatalf("after no-op update: %s", r.raw)
	}
	r = must(t, h.admin("POST", saPath+"/"+id, map[string]any{"description": nil}))
	if v, ok := r.body["description"]; !ok || v != "" {
		t.Fatalf("description after null = %#v", v)
	}
	r = must(t, h.consolePost(saPath+"/"+id, map[string]any{"organization_role": "admin"}))
	if r.str("organization_role") != "admin" {
		t.Fatalf("role %q", r.str("organization_role"))
	}
	got := must(t, h.admin("GET", saPath+"/"+id, nil))
	if string(got.raw) != string(r.raw) {
		t.Fatalf("GET differs from update response:\n%s\n%s", got.raw, r.raw)
	}

	// Archive is idempotent and keeps the first archived_at.
	first := must(t, h.admin("POST", saPath+"/"+id+"/archive", nil))
	if first.str("archived_at") == "" || first.str("archived_by_actor_id") != user {
		t.Fatalf("archive: %s", first.raw)
	}
	h.clock.Advance(time.Minute)
	again := must(t, h.admin("POST", saPath+"/"+id+"/archive", nil))
	if again.str("archived_at") != first.str("archived_at") {
		t.Fatalf("archived_at moved: %s -> %s", first.str("archived_at"), again.str("archived_at"))
	}
	if must(t, h.admin("GET", saPath+"/"+id, nil)).str("archived_at") != first.str("archived_at") {
		t.Fatal("archived object not readable by id")
	}
	wantError(t, h.admin("POST", saPath+"/"+id, map[string]any{"description": "x"}), 400, "invalid_request_error", "archived")

	// Archived names are free again; live names are unique.
	must(t, h.admin("POST", saPath, map[string]any{"name": "ci-bot"}))
	wantError(t, h.admin("POST", saPath, map[string]any{"name": "ci-bot"}), 409, "conflict_error", "ci-bot")
}

func TestPaginationAndArchivedVisibility(t *testing.T) {
	h := newHarness(t)
	var ids []string
	for i := range 25 {
		ids = append(ids, h.createSA(fmt.Sprintf("sa-%02d", i)))
	}
	for _, i := range []int{3, 12} {
		must(t, h.admin("POST", saPath+"/"+ids[i]+"/archive", nil))
	}
	live := slices.Delete(slices.Clone(ids), 12, 13)
	live = slices.Delete(live, 3, 4)
	// The SDK documents service accounts as listed newest first.
	slices.Reverse(live)
	newestFirst := slices.Clone(ids)
	slices.Reverse(newestFirst)

	collect := func(query string, limit int) ([]string, int) {
		var got []string
		pages := 0
		next := ""
		for {
			q := fmt.Sprintf("%s?limit=%d%s", saPath, limit, query)
			if next != "" {
				q += "&page=" + next
			}
			r := must(t, h.admin("GET", q, nil))
			pages++
			for _, d := range r.data() {
				id, _ := d["id"].(string)
				got = append(got, id)
			}
			if _, ok := r.body["next_page"]; !ok {
				t.Fatal("next_page missing")
			}
			np := r.get("next_page")
			if np == nil {
				return got, pages
			}
			next = r.str("next_page")
			if pages > 30 {
				t.Fatal("pagination does not end")
			}
		}
	}
	got, pages := collect("", 10)
	if !slices.Equal(got, live) || pages != 3 {
		t.Fatalf("live listing: %d pages, %v", pages, got)
	}
	got, _ = collect("&include_archived=true", 7)
	if !slices.Equal(got, newestFirst) {
		t.Fatalf("include_archived listing: %v", got)
	}
	// Exactly-full last page: no dangling empty page.
	got, pages = collect("", 23)
	if len(got) != 23 || pages != 1 {
		t.Fatalf("%d items over %d pages", len(got), pages)
	}
	// Default limit is 20.
	r := must(t, h.admin("GET", saPath, nil))
	if len(r.data()) != 20 || r.get("next_page") == nil {
		t.Fatalf("default page: %d items, next %v", len(r.data()), r.get("next_page"))
	}
	// A cursor stays valid while objects are created between pages: the
	// new one lands before the first page and shifts nothing.
	first := must(t, h.admin("GET", saPath+"?limit=5", nil))
	late := h.createSA("late")
	second := must(t, h.admin("GET", saPath+"?limit=5&page="+first.str("next_page"), nil))
	if second.data()[0]["id"] != live[5] {
		t.Fatalf("second page starts at %v", second.data()[0]["id"])
	}
	if top := must(t, h.admin("GET", saPath+"?limit=1", nil)).data(); top[0]["id"] != late {
		t.Fatalf("newest first: the first entry is %v, want %s", top[0]["id"], late)
	}
}

func TestIssuerLifecycle(t *testing.T) {
	h := newHarness(t)
	r := must(t, h.admin("POST", issPath, map[string]any{"name": "corp-idp", "issuer_url": "https://idp.example.com"}))
	id := r.str("id")
	if !strings.HasPrefix(id, "fdis_01") || r.str("type") != "federation_issuer" {
		t.Fatalf("created %s", r.raw)
	}
	if r.str("jwks.type") != "discovery" || r.get("jwks.discovery_base") != nil || r.get("check_jti") != true || r.get("max_jwt_lifetime_seconds") != float64(3600) {
		t.Fatalf("defaults: %s", r.raw)
	}
	if _, ok := r.get("jwks").(map[string]any)["discovery_base"]; !ok {
		t.Fatal("jwks.discovery_base must be present (null)")
	}
	if r.get("poll_status.consecutive_failures") != float64(0) || r.str("poll_status.last_fetched_at") == "" || r.str("poll_status.next_poll_at") == "" || r.get("jwks_polling_disabled_at") != nil {
		t.Fatalf("poll status: %s", r.raw)
	}

	// Only the service pauses polling; a client can only resume it.
	h.clock.Advance(90 * time.Minute)
	wantError(t, h.admin("POST", issPath+"/"+id, map[string]any{"jwks_polling_disabled": true}), 400, "invalid_request_error", "jwks_polling_disabled: only false is accepted")
	if err := h.emu.DisableJWKSPolling(id); err != nil {
		t.Fatal(err)
	}
	r = must(t, h.admin("GET", issPath+"/"+id, nil))
	disabledAt := r.str("jwks_polling_disabled_at")
	if disabledAt == "" || r.get("poll_status.next_poll_at") != nil || r.get("poll_status.consecutive_failures") == float64(0) {
		t.Fatalf("paused: %s", r.raw)
	}
	h.clock.Advance(time.Minute)
	r = must(t, h.admin("POST", issPath+"/"+id, map[string]any{"jwks_polling_disabled": false}))
	if _, ok := r.body["jwks_polling_disabled"]; ok {
		t.Fatal("jwks_polling_disabled is write-only")
	}
	if r.get("jwks_polling_disabled_at") != nil || r.get("poll_status.next_poll_at") == nil || r.get("poll_status.consecutive_failures") != float64(0) {
		t.Fatalf("resumed: %s", r.raw)
	}
	// Resuming an issuer whose polling runs is accepted and changes nothing.
	r = must(t, h.admin("POST", issPath+"/"+id, map[string]any{"jwks_polling_disabled": false}))
	if r.get("jwks_polling_disabled_at") != nil {
		t.Fatalf("resumed twice: %s", r.raw)
	}

	// jwks is replaced whole; inline has no poller.
	jwk := testJWK(t, "k1")
	r = must(t, h.admin("POST", issPath+"/"+id, map[string]any{"jwks": map[string]any{"type": "inline", "keys": []any{jwk}}}))
	if r.str("jwks.type") != "inline" || len(r.list("jwks.keys")) != 1 || r.str("jwks.keys.0.kid") != "k1" {
		t.Fatalf("inline: %s", r.raw)
	}
	if _, ok := r.get("jwks").(map[string]any)["discovery_base"]; ok {
		t.Fatal("inline jwks carries discovery members")
	}
	if r.get("poll_status.last_fetched_at") != nil || r.get("poll_status.next_poll_at") != nil {
		t.Fatalf("inline poll status: %s", r.raw)
	}
	// issuer_url is only string-compared in inline mode: a non-fetchable host is fine.
	must(t, h.admin("POST", issPath+"/"+id, map[string]any{"issuer_url": "https://kubernetes.default.svc:6443"}))
	// Back to discovery: now issuer_url is fetched and must be public.
	wantError(t, h.admin("POST", issPath+"/"+id, map[string]any{"jwks": map[string]any{"type": "discovery"}}), 400, "invalid_request_error", "issuer_url:")
	ca := testCACert(t)
	r = must(t, h.admin("POST", issPath+"/"+id, map[string]any{"jwks": map[string]any{"type": "discovery", "discovery_base": "https://oidc.example.com/k8s", "ca_cert_pem": ca}}))
	if r.str("jwks.discovery_base") != "https://oidc.example.com/k8s" || r.str("jwks.ca_cert_pem") != ca {
		t.Fatalf("discovery_base: %s", r.raw)
	}
	r = must(t, h.admin("POST", issPath+"/"+id, map[string]any{"name": "renamed", "check_jti": false, "max_jwt_lifetime_seconds": 176400, "jwks": map[string]any{"type": "explicit_url", "url": "https://keys.example.com/jwks.json"}}))
	if r.str("name") != "renamed" || r.get("check_jti") != false || r.get("max_jwt_lifetime_seconds") != float64(176400) || r.str("jwks.url") != "https://keys.example.com/jwks.json" || r.get("jwks.ca_cert_pem") != nil {
		t.Fatalf("explicit: %s", r.raw)
	}

	// Listed until archived; archived issuers vanish from lists but stay readable.
	if n := len(must(t, h.admin("GET", issPath, nil)).data()); n != 1 {
		t.Fatalf("%d issuers listed", n)
	}
	must(t, h.admin("POST", issPath+"/"+id+"/archive", nil))
	if n := len(must(t, h.admin("GET", issPath, nil)).data()); n != 0 {
		t.Fatalf("%d issuers listed after archive", n)
	}
	if n := len(must(t, h.admin("GET", issPath+"?include_archived=true", nil)).data()); n != 1 {
		t.Fatalf("%d issuers with include_archived", n)
	}
}

// The service pauses polling after repeated fetch failures
// (DisableJWKSPolling); poll_status tells the story and a client resumes
// with jwks_polling_disabled: false, the only value it may send.
func TestJWKSPollingPausedByService(t *testing.T) {
	h := newHarness(t)
	t0 := h.clock.Now()
	at := func(d time.Duration) string { return fmtTime(t0.Add(d)) }
	id := h.createIssuer("flaky", "https://flaky.example.com")

	h.clock.Advance(6*time.Hour + 30*time.Minute)
	if err := h.emu.DisableJWKSPolling(id); err != nil {
		t.Fatal(err)
	}
	paused := func(what string) {
		t.Helper()
		r := must(t, h.admin("GET", issPath+"/"+id, nil))
		// Polls at 0h..6h; the last five failed, so 1h was the last success.
		if r.str("jwks_polling_disabled_at") != at(6*time.Hour+30*time.Minute) ||
			r.get("poll_status.consecutive_failures") != float64(jwksPollFailuresBeforePause) ||
			r.str("poll_status.last_fetched_at") != at(time.Hour) || r.get("poll_status.next_poll_at") != nil {
			t.Fatalf("%s: %s", what, r.raw)
		}
		if r.str("updated_at") != at(0) {
			t.Fatalf("%s: the poller moved updated_at: %s", what, r.raw)
		}
	}
	paused("paused")
	h.clock.Advance(2 * time.Hour)
	paused("later")
	if err := h.emu.DisableJWKSPolling(id); err != nil {
		t.Fatal(err)
	}
	paused("paused again")
	wantError(t, h.admin("POST", issPath+"/"+id, map[string]any{"jwks_polling_disabled": true}), 400, "invalid_request_error",
		"jwks_polling_disabled: only false is accepted (it resumes polling); the service disables polling by itself after repeated JWKS fetch failures")
	paused("after a refused true")

	// Resuming fetches right away and schedules the next poll.
	r := must(t, h.admin("POST", issPath+"/"+id, map[string]any{"jwks_polling_disabled": false}))
	if r.get("jwks_polling_disabled_at") != nil || r.get("poll_status.consecutive_failures") != float64(0) ||
		r.str("poll_status.last_fetched_at") != at(8*time.Hour+30*time.Minute) || r.str("poll_status.next_poll_at") != at(9*time.Hour+30*time.Minute) {
		t.Fatalf("resumed: %s", r.raw)
	}

	// Paused right after the key source was set: no fetch ever succeeded.
	fresh := h.createIssuer("never-fetched", "https://never.example.com")
	if err := h.emu.DisableJWKSPolling(fresh); err != nil {
		t.Fatal(err)
	}
	if r := must(t, h.admin("GET", issPath+"/"+fresh, nil)); r.get("poll_status.last_fetched_at") != nil {
		t.Fatalf("never fetched: %s", r.raw)
	}

	// Only polled, live issuers can be paused.
	inline := must(t, h.admin("POST", issPath, map[string]any{"name": "inline", "issuer_url": "https://inline.example.com",
		"jwks": map[string]any{"type": "inline", "keys": []any{testJWK(t, "k1")}}})).str("id")
	archived := h.createIssuer("archived", "https://archived.example.com")
	must(t, h.admin("POST", issPath+"/"+archived+"/archive", nil))
	for name, id := range map[string]string{"inline": inline, "archived": archived, "unknown": "fdis_01AAAAAAAAAAAAAAAAAAAAAAAA"} {
		if err := h.emu.DisableJWKSPolling(id); err == nil {
			t.Errorf("%s issuer: DisableJWKSPolling succeeded", name)
		}
	}

	// An issuer backing a privileged rule is resumed from a Console session only.
	admin := h.createAdminSA("admin-sa")
	must(t, h.consolePost(rulesPath, withRule(ruleBody("admin-rule", fresh, admin), "oauth_scope", "org:admin")))
	wantError(t, h.admin("POST", issPath+"/"+fresh, map[string]any{"jwks_polling_disabled": false}), 403, "permission_error", "only a Console session can update it")
	if r := must(t, h.consolePost(issPath+"/"+fresh, map[string]any{"jwks_polling_disabled": false})); r.get("jwks_polling_disabled_at") != nil {
		t.Fatalf("resumed from the Console: %s", r.raw)
	}
}

func TestRuleLifecycle(t *testing.T) {
	h := newHarness(t)
	iss := h.createIssuer("k8s", "https://oidc.example.com")
	sa := h.createSA("deployer")
	prod, _ := h.emu.WorkspaceByName("production")
	staging, _ := h.emu.WorkspaceByName("staging")

	body := ruleBody("deploy", iss, sa)
	body["workspace_id"] = prod.ID
	body["description"] = "deploys"
	body["match"] = map[string]any{"subject_prefix": "system:serviceaccount:ci:*", "audience": "https://api.anthropic.com", "claims": map[string]any{"kubernetes.io/namespace": "ci"}, "condition": `claims.sub.startsWith("system:")`}
	r := must(t, h.admin("POST", rulesPath, body))
	id := r.str("id")
	if !strings.HasPrefix(id, "fdrl_01") || r.str("type") != "federation_rule" || r.str("issuer_name") != "k8s" || r.str("target.service_account_name") != "deployer" || r.str("target.type") != "service_account" {
		t.Fatalf("created %s", r.raw)
	}
	if r.get("applies_to_all_workspaces") != false || fmt.Sprint(r.get("workspace_ids")) != fmt.Sprint([]any{prod.ID}) || r.get("token_lifetime_seconds") != float64(3600) {
		t.Fatalf("workspaces/defaults: %s", r.raw)
	}
	if _, ok := r.body["workspace_id"]; ok {
		t.Fatal("workspace_id is write-only")
	}
	if claims, _ := r.get("match.claims").(map[string]any); claims["kubernetes.io/namespace"] != "ci" {
		t.Fatalf("claims: %s", r.raw)
	}

	// Names of referenced objects follow renames.
	must(t, h.admin("POST", issPath+"/"+iss, map[string]any{"name": "k8s-prod"}))
	if must(t, h.admin("GET", rulesPath+"/"+id, nil)).str("issuer_name") != "k8s-prod" {
		t.Fatal("issuer_name not refreshed")
	}

	// match is replaced whole.
	r = must(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"match": map[string]any{"claims": map[string]any{"sub": "x"}}, "issuer_id": iss}))
	if r.get("match.subject_prefix") != nil || r.get("match.audience") != nil || r.get("match.condition") != nil || r.str("match.claims.sub") != "x" {
		t.Fatalf("match not replaced: %s", r.raw)
	}

	// workspace_id on update replaces the single enablement (the SDK's
	// documented behaviour); with several enablements it is a 400.
	r = must(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"workspace_id": staging.ID}))
	if fmt.Sprint(r.get("workspace_ids")) != fmt.Sprint([]any{staging.ID}) {
		t.Fatalf("workspace_ids %v", r.get("workspace_ids"))
	}
	enabledAt := must(t, h.admin("GET", rulesPath+"/"+id+"/workspaces", nil)).data()[0]["created_at"]
	h.clock.Advance(time.Second)
	r = must(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"workspace_id": staging.ID}))
	if fmt.Sprint(r.get("workspace_ids")) != fmt.Sprint([]any{staging.ID}) || must(t, h.admin("GET", rulesPath+"/"+id+"/workspaces", nil)).data()[0]["created_at"] != enabledAt {
		t.Fatalf("re-sending the enabled workspace_id must keep the enablement: %s", r.raw)
	}
	must(t, h.admin("POST", rulesPath+"/"+id+"/workspaces", map[string]any{"workspace_id": prod.ID}))
	wantError(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"workspace_id": prod.ID}), 400, "invalid_request_error", "workspace_id: replaces a single workspace enablement")
	must(t, h.admin("DELETE", rulesPath+"/"+id+"/workspaces/"+prod.ID, nil))
	// applies_to_all keeps the explicit enablements (ignored at exchange
	// while it holds), and enabling more stays possible, as the SDK documents.
	r = must(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"applies_to_all_workspaces": true}))
	if r.get("applies_to_all_workspaces") != true || fmt.Sprint(r.list("workspace_ids")) != fmt.Sprint([]any{staging.ID}) {
		t.Fatalf("all: %s", r.raw)
	}
	must(t, h.admin("POST", rulesPath+"/"+id+"/workspaces", map[string]any{"workspace_id": prod.ID}))
	must(t, h.admin("DELETE", rulesPath+"/"+id+"/workspaces/"+prod.ID, nil))
	must(t, h.admin("DELETE", rulesPath+"/"+id+"/workspaces/"+staging.ID, nil))
	// Narrowing must leave a workspace enabled.
	wantError(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"applies_to_all_workspaces": false}), 400, "invalid_request_error", "applies_to_all_workspaces: false would leave")
	if must(t, h.admin("GET", rulesPath+"/"+id, nil)).get("applies_to_all_workspaces") != true {
		t.Fatal("a refused narrowing changed the rule")
	}
	// "default" is accepted as the default workspace and answered by its id.
	r = must(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"workspace_id": "default", "applies_to_all_workspaces": false}))
	if r.get("applies_to_all_workspaces") != false || fmt.Sprint(r.get("workspace_ids")) != "["+h.emu.DefaultWorkspaceID()+"]" {
		t.Fatalf("narrowed: %s", r.raw)
	}
	// false is fine while a workspace stays enabled.
	must(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"applies_to_all_workspaces": false}))

	// Target replaced whole; org:admin via Console needs an admin target.
	other := h.createSA("other")
	r = must(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"target": map[string]any{"type": "service_account", "service_account_id": other}, "token_lifetime_seconds": 60}))
	if r.str("target.service_account_id") != other || r.str("target.service_account_name") != "other" || r.get("token_lifetime_seconds") != float64(60) {
		t.Fatalf("target: %s", r.raw)
	}
	// Now the first service account is free to archive.
	must(t, h.admin("POST", saPath+"/"+sa+"/archive", nil))

	// Rule list filtering by issuer.
	iss2 := h.createIssuer("other-iss", "https://other.example.com")
	h.createRule("on-other", iss2, other)
	all := must(t, h.admin("GET", rulesPath, nil)).data()
	filtered := must(t, h.admin("GET", rulesPath+"?issuer_id="+iss2, nil)).data()
	if len(all) != 2 || len(filtered) != 1 || filtered[0]["issuer_id"] != iss2 {
		t.Fatalf("filter: all %d, filtered %v", len(all), filtered)
	}

	// Archive clears enablements, is idempotent, and frees the issuer.
	h.clock.Advance(time.Second)
	a := must(t, h.admin("POST", rulesPath+"/"+id+"/archive", nil))
	if len(a.list("workspace_ids")) != 0 || a.str("archived_at") == "" {
		t.Fatalf("archived: %s", a.raw)
	}
	h.clock.Advance(time.Second)
	if must(t, h.admin("POST", rulesPath+"/"+id+"/archive", nil)).str("archived_at") != a.str("archived_at") {
		t.Fatal("archive not idempotent")
	}
	wantError(t, h.admin("POST", rulesPath+"/"+id, map[string]any{"description": "x"}), 400, "invalid_request_error", "archived")
	if n := len(must(t, h.admin("GET", rulesPath+"/"+id+"/workspaces", nil)).data()); n != 0 {
		t.Fatalf("%d enablements after archive", n)
	}
	must(t, h.admin("POST", issPath+"/"+iss+"/archive", nil))
	if n := len(must(t, h.admin("GET", rulesPath, nil)).data()); n != 1 {
		t.Fatalf("%d live rules", n)
	}
}

func TestRuleWorkspacesSubresource(t *testing.T) {
	h := newHarness(t)
	f := h.fixture("ws")
	prod, _ := h.emu.WorkspaceByName("production")
	path := rulesPath + "/" + f.rule + "/workspaces"

	h.clock.Advance(time.Second)
	en := must(t, h.admin("POST", path, map[string]any{"workspace_id": prod.ID}))
	// The SDK documents workspace_name as null in the enable response.
	if en.str("type") != "federation_rule_workspace" || en.str("federation_rule_id") != f.rule || en.str("workspace_id") != prod.ID || !tsShape.MatchString(en.str("created_at")) || en.str("created_by_actor_id") != h.emu.UserID() {
		t.Fatalf("enablement %s", en.raw)
	}
	if v, ok := en.body["workspace_name"]; !ok || v != nil {
		t.Fatalf("enable response workspace_name = %v (present %v), want null", v, ok)
	}
	h.clock.Advance(time.Second)
	again := must(t, h.admin("POST", path, map[string]any{"workspace_id": prod.ID}))
	if string(again.raw) != string(en.raw) {
		t.Fatalf("enable not idempotent:\n%s\n%s", en.raw, again.raw)
	}
	list := must(t, h.admin("GET", path, nil))
	if len(list.data()) != 2 || list.data()[0]["workspace_id"] != h.emu.DefaultWorkspaceID() || list.data()[0]["workspace_name"] != "Default" || list.data()[1]["workspace_id"] != prod.ID || list.data()[1]["workspace_name"] != "production" {
		t.Fatalf("list %s", list.raw)
	}
	// limit and page are accepted and have no effect, as the SDK documents.
	if paged := must(t, h.admin("GET", path+"?limit=1&page=anything", nil)); len(paged.data()) != 2 || paged.get("next_page") != nil {
		t.Fatalf("paged list %s", paged.raw)
	}
	if v, ok := list.body["next_page"]; !ok || v != nil {
		t.Fatalf("next_page %v", v)
	}
	if got := must(t, h.admin("GET", rulesPath+"/"+f.rule, nil)).get("workspace_ids"); fmt.Sprint(got) != fmt.Sprint([]any{h.emu.DefaultWorkspaceID(), prod.ID}) {
		t.Fatalf("workspace_ids %v", got)
	}

	// The default workspace is named by its id; "default" is accepted as an
	// alias and answered with the id.
	tagged := h.emu.DefaultWorkspaceID()
	del := must(t, h.admin("DELETE", path+"/"+tagged, nil))
	if del.str("type") != "federation_rule_workspace_deleted" || del.str("federation_rule_id") != f.rule || del.str("workspace_id") != tagged {
		t.Fatalf("delete %s", del.raw)
	}
	if del := must(t, h.admin("DELETE", path+"/default", nil)); del.str("workspace_id") != tagged { // idempotent
		t.Fatalf("delete by alias %s", del.raw)
	}
	if got := must(t, h.admin("GET", rulesPath+"/"+f.rule, nil)).get("workspace_ids"); fmt.Sprint(got) != fmt.Sprint([]any{prod.ID}) {
		t.Fatalf("workspace_ids after delete %v", got)
	}
	wantError(t, h.admin("GET", rulesPath+"/fdrl_01AAAAAAAAAAAAAAAAAAAAAAAA/workspaces", nil), 404, "not_found_error", "not found")
}

func TestMemberships(t *testing.T) {
	h := newHarness(t)
	sa := h.createSA("member")
	path := saPath + "/" + sa + "/workspaces"
	prod, _ := h.emu.WorkspaceByName("production")

	list := must(t, h.admin("GET", path, nil)).data()
	if len(list) != 1 || list[0]["workspace_id"] != h.emu.DefaultWorkspaceID() || list[0]["implicit"] != true || list[0]["workspace_role"] != "workspace_user" || list[0]["type"] != "service_account_workspace_member" || list[0]["service_account_id"] != sa {
		t.Fatalf("implicit entry: %v", list)
	}

	m := must(t, h.admin("POST", path, map[string]any{"workspace_id": prod.ID, "workspace_role": "workspace_developer"}))
	if m.get("implicit") != false || m.str("workspace_role") != "workspace_developer" || m.str("created_by_actor_id") != h.emu.UserID() {
		t.Fatalf("membership %s", m.raw)
	}
	// Adding an existing explicit membership replaces its role (the SDK's
	// documented behaviour); the entry keeps its place and creator.
	r := must(t, h.admin("POST", path, map[string]any{"workspace_id": prod.ID, "workspace_role": "workspace_admin"}))
	if r.str("workspace_role") != "workspace_admin" || r.str("workspace_id") != prod.ID || r.str("created_by_actor_id") != h.emu.UserID() {
		t.Fatalf("role replaced: %s", r.raw)
	}
	list = must(t, h.admin("GET", path, nil)).data()
	if len(list) != 2 || list[0]["implicit"] != true || list[1]["workspace_id"] != prod.ID || list[1]["workspace_role"] != "workspace_admin" {
		t.Fatalf("list %v", list)
	}

	// An explicit default membership replaces the implicit entry, and removing
	// it brings the implicit one back.
	must(t, h.admin("POST", path, map[string]any{"workspace_id": "default", "workspace_role": "workspace_admin"}))
	list = must(t, h.admin("GET", path, nil)).data()
	if len(list) != 2 || list[0]["workspace_id"] != prod.ID || list[1]["implicit"] != false || list[1]["workspace_role"] != "workspace_admin" {
		t.Fatalf("explicit default: %v", list)
	}
	must(t, h.admin("DELETE", path+"/default", nil))
	// Deleting the implicit entry answers 200 and changes nothing.
	del := must(t, h.admin("DELETE", path+"/default", nil))
	if del.str("type") != "service_account_workspace_member_deleted" || del.str("workspace_id") != h.emu.DefaultWorkspaceID() {
		t.Fatalf("implicit delete %s", del.raw)
	}
	if list = must(t, h.admin("GET", path, nil)).data(); len(list) != 2 || list[0]["implicit"] != true {
		t.Fatalf("after implicit delete %v", list)
	}

	del = must(t, h.admin("DELETE", path+"/"+prod.ID, nil))
	if del.str("type") != "service_account_workspace_member_deleted" || del.str("workspace_id") != prod.ID || del.str("service_account_id") != sa {
		t.Fatalf("delete %s", del.raw)
	}
	must(t, h.admin("DELETE", path+"/"+prod.ID, nil)) // idempotent
	if list = must(t, h.admin("GET", path, nil)).data(); len(list) != 1 {
		t.Fatalf("after delete %v", list)
	}
	// The default workspace by its id.
	m = must(t, h.admin("POST", path, map[string]any{"workspace_id": h.emu.DefaultWorkspaceID(), "workspace_role": "workspace_developer"}))
	if m.str("workspace_id") != h.emu.DefaultWorkspaceID() || m.get("implicit") != false {
		t.Fatalf("membership through the tagged default id: %s", m.raw)
	}
	wantError(t, h.admin("GET", saPath+"/svac_01AAAAAAAAAAAAAAAAAAAAAAAA/workspaces", nil), 404, "not_found_error", "not found")

	// Archived: no memberships are listed, and cursors stop matching.
	for _, name := range []string{"staging", "research"} {
		w, _ := h.emu.WorkspaceByName(name)
		must(t, h.admin("POST", path, map[string]any{"workspace_id": w.ID, "workspace_role": "workspace_user"}))
	}
	page := must(t, h.admin("GET", path+"?limit=1", nil))
	must(t, h.admin("POST", saPath+"/"+sa+"/archive", nil))
	r = must(t, h.admin("GET", path, nil))
	if len(r.data()) != 0 || r.get("next_page") != nil {
		t.Fatalf("archived account lists %s", r.raw)
	}
	wantError(t, h.admin("GET", path+"?page="+page.str("next_page"), nil), 400, "invalid_request_error", "page: the cursor does not match")
}

func TestMembershipPaging(t *testing.T) {
	h := newHarness(t)
	sa := h.createSA("paged")
	path := saPath + "/" + sa + "/workspaces"
	var want []string
	for _, name := range []string{"production", "staging", "research"} {
		w, _ := h.emu.WorkspaceByName(name)
		must(t, h.admin("POST", path, map[string]any{"workspace_id": w.ID, "workspace_role": "workspace_user"}))
		want = append(want, w.ID)
	}

	// limit counts explicit memberships; the implicit entry comes on top of
	// the first page, so limit=1 gives up to 2 entries there.
	var got []string
	var sizes []int
	next := ""
	for pages := 0; ; pages++ {
		q := path + "?limit=1"
		if next != "" {
			q += "&page=" + next
		}
		r := must(t, h.admin("GET", q, nil))
		sizes = append(sizes, len(r.data()))
		for _, d := range r.data() {
			if d["implicit"] == true {
				if pages != 0 || len(got) != 0 {
					t.Fatalf("implicit entry on page %d", pages)
				}
				continue
			}
			got = append(got, fmt.Sprint(d["workspace_id"]))
		}
		if r.get("next_page") == nil {
			break
		}
		next = r.str("next_page")
		if pages > 5 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(got, want) || fmt.Sprint(sizes) != "[2 1 1]" {
		t.Fatalf("paged %v in pages of %v, want %v in [2 1 1]", got, sizes, want)
	}
	// Exactly full: no dangling cursor.
	if r := must(t, h.admin("GET", path+"?limit=3", nil)); len(r.data()) != 4 || r.get("next_page") != nil {
		t.Fatalf("limit=3: %s", r.raw)
	}

	// A cursor names a membership: removing it invalidates the cursor.
	first := must(t, h.admin("GET", path+"?limit=1", nil))
	second := must(t, h.admin("GET", path+"?limit=1&page="+first.str("next_page"), nil))
	if second.data()[0]["workspace_id"] != want[1] {
		t.Fatalf("second page %s", second.raw)
	}
	must(t, h.admin("DELETE", path+"/"+want[0], nil))
	wantError(t, h.admin("GET", path+"?page="+first.str("next_page"), nil), 400, "invalid_request_error", "restart from the first page")
	// Another account's cursor is refused too.
	other := h.createSA("other")
	wantError(t, h.admin("GET", saPath+"/"+other+"/workspaces?page="+second.str("next_page"), nil), 400, "invalid_request_error", "page:")
}

func TestWorkspaces(t *testing.T) {
	h := newHarness(t)
	ws := h.emu.Workspaces()
	if len(ws) != 4 || ws[0] != (Workspace{ID: h.emu.DefaultWorkspaceID(), Name: "Default"}) {
		t.Fatalf("workspaces %v", ws)
	}
	for i, name := range []string{"production", "staging", "research"} {
		if ws[i+1].Name != name || !strings.HasPrefix(ws[i+1].ID, "wrkspc_01") || policy.ValidateWorkspaceID(ws[i+1].ID) != nil {
			t.Fatalf("workspace %d: %v", i+1, ws[i+1])
		}
	}
	if w, ok := h.emu.WorkspaceByName("staging"); !ok || w != ws[2] {
		t.Fatal("WorkspaceByName")
	}
	if _, ok := h.emu.WorkspaceByName("nope"); ok {
		t.Fatal("WorkspaceByName found a missing workspace")
	}
	tagged := h.emu.DefaultWorkspaceID()
	if !idShape.MatchString(tagged) || !strings.HasPrefix(tagged, "wrkspc_01") || tagged == ws[1].ID {
		t.Fatalf("default workspace tagged id %q", tagged)
	}
	if New(Options{OrganizationID: h.emu.OrganizationID()}).DefaultWorkspaceID() != tagged || New(Options{}).DefaultWorkspaceID() == tagged {
		t.Fatal("the default workspace's tagged id must follow the organization")
	}

	// The SDK's pagination.Page shape, and its Workspace object.
	list := must(t, h.admin("GET", wsPath, nil))
	data := list.data()
	if len(data) != 3 || data[0]["id"] != ws[1].ID || data[0]["name"] != "production" || data[0]["type"] != "workspace" || data[0]["archived_at"] != nil || !tsShape.MatchString(fmt.Sprint(data[0]["created_at"])) {
		t.Fatalf("list %s", list.raw)
	}
	if list.get("has_more") != false || list.str("first_id") != ws[1].ID || list.str("last_id") != ws[3].ID {
		t.Fatalf("page members %s", list.raw)
	}
	if _, ok := list.body["next_page"]; ok {
		t.Fatalf("next_page in a Page: %s", list.raw)
	}
	if !regexp.MustCompile(`^#[0-9A-F]{6}$`).MatchString(fmt.Sprint(data[0]["display_color"])) || policy.ValidateUUID(fmt.Sprint(data[0]["compartment_id"])) != nil ||
		data[0]["external_key_id"] != nil || fmt.Sprint(data[0]["tags"]) != "map[]" || data[0]["compartment_id"] == data[1]["compartment_id"] {
		t.Fatalf("workspace members %v", data[0])
	}
	if res, _ := data[0]["data_residency"].(map[string]any); res["workspace_geo"] != "us" || res["allowed_inference_geos"] != "unrestricted" || res["default_inference_geo"] != "global" {
		t.Fatalf("data_residency %v", data[0]["data_residency"])
	}

	// include_default lists the default workspace, by its tagged id, first.
	withDefault := must(t, h.admin("GET", wsPath+"?include_default=true", nil)).data()
	if len(withDefault) != 4 || withDefault[0]["id"] != tagged || withDefault[0]["name"] != "Default" || withDefault[1]["id"] != ws[1].ID {
		t.Fatalf("include_default %v", withDefault)
	}

	// after_id pages forward, before_id backward; has_more looks in the
	// direction of travel.
	page := must(t, h.admin("GET", wsPath+"?limit=2", nil))
	if len(page.data()) != 2 || page.get("has_more") != true || page.str("last_id") != ws[2].ID {
		t.Fatalf("paged %s", page.raw)
	}
	rest := must(t, h.admin("GET", wsPath+"?limit=2&after_id="+page.str("last_id"), nil))
	if len(rest.data()) != 1 || rest.data()[0]["name"] != "research" || rest.get("has_more") != false || rest.str("first_id") != ws[3].ID {
		t.Fatalf("rest %s", rest.raw)
	}
	back := must(t, h.admin("GET", wsPath+"?limit=1&include_default=true&before_id="+ws[2].ID, nil))
	if len(back.data()) != 1 || back.str("first_id") != ws[1].ID || back.get("has_more") != true {
		t.Fatalf("before_id %s", back.raw)
	}
	back = must(t, h.admin("GET", wsPath+"?limit=5&include_default=true&before_id="+back.str("first_id"), nil))
	if len(back.data()) != 1 || back.str("first_id") != tagged || back.get("has_more") != false {
		t.Fatalf("before_id to the start %s", back.raw)
	}
	// A cursor on a workspace the filters leave out still places the page.
	if r := must(t, h.admin("GET", wsPath+"?after_id="+tagged, nil)); len(r.data()) != 3 {
		t.Fatalf("after the unlisted default %s", r.raw)
	}
	end := must(t, h.admin("GET", wsPath+"?after_id="+ws[3].ID, nil))
	if len(end.data()) != 0 || end.get("has_more") != false || end.get("first_id") != nil || end.get("last_id") != nil {
		t.Fatalf("past the end %s", end.raw)
	}
}

func TestSeedDeterminism(t *testing.T) {
	ids := func(seed int64) []string {
		h := &harness{t: t, emu: New(Options{Seed: seed})}
		srv := newServer(t, h.emu)
		h.srv = srv
		out := []string{h.emu.OrganizationID(), h.emu.UserID(), h.emu.AdminToken()}
		for _, w := range h.emu.Workspaces() {
			out = append(out, w.ID)
		}
		return append(out, h.createSA("a"), h.createIssuer("i", "https://i.example.com"))
	}
	a, b, c := ids(7), ids(7), ids(8)
	if !slices.Equal(a, b) || slices.Equal(a, c) {
		t.Fatalf("seeded ids: %v / %v / %v", a, b, c)
	}
	if policy.ValidateUUID(a[0]) != nil || !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(a[0]) {
		t.Fatalf("org id %q", a[0])
	}
	x, y := New(Options{}), New(Options{})
	if x.OrganizationID() == y.OrganizationID() || x.AdminToken() == y.AdminToken() {
		t.Fatal("unseeded emulators share ids")
	}
	if New(Options{OrganizationID: "11111111-2222-4333-8444-555555555555"}).OrganizationID() != "11111111-2222-4333-8444-555555555555" {
		t.Fatal("OrganizationID option ignored")
	}
}

func TestStaleReads(t *testing.T) {
	h := newHarness(t)
	h.emu.SetStaleReads(500 * time.Millisecond)
	f := h.fixture("stale")

	// Creations are visible at once.
	must(t, h.admin("GET", saPath+"/"+f.sa, nil))

	v1 := must(t, h.admin("GET", saPath+"/"+f.sa, nil))
	h.clock.Advance(10 * time.Millisecond)
	v2 := must(t, h.admin("POST", saPath+"/"+f.sa, map[string]any{"description": "v2"}))
	h.clock.Advance(100 * time.Millisecond)
	got := must(t, h.admin("GET", saPath+"/"+f.sa, nil))
	if got.str("description") != "" || got.str("updated_at") != v1.str("updated_at") {
		t.Fatalf("inside the window GET should show the old version: %s", got.raw)
	}
	// Lists are not lagged, only GET by id.
	if d := must(t, h.admin("GET", saPath, nil)).data(); d[0]["description"] != "v2" {
		t.Fatalf("list %v", d)
	}
	h.clock.Advance(500 * time.Millisecond)
	got = must(t, h.admin("GET", saPath+"/"+f.sa, nil))
	if string(got.raw) != string(v2.raw) {
		t.Fatalf("after the window:\n%s\n%s", got.raw, v2.raw)
	}

	// Rules and issuers lag too, archive included.
	must(t, h.admin("POST", rulesPath+"/"+f.rule+"/archive", nil))
	if must(t, h.admin("GET", rulesPath+"/"+f.rule, nil)).get("archived_at") != nil {
		t.Fatal("archive visible inside the window")
	}
	must(t, h.admin("POST", issPath+"/"+f.issuer, map[string]any{"check_jti": false}))
	if must(t, h.admin("GET", issPath+"/"+f.issuer, nil)).get("check_jti") != true {
		t.Fatal("issuer update visible inside the window")
	}
	h.emu.SetStaleReads(0)
	if must(t, h.admin("GET", issPath+"/"+f.issuer, nil)).get("check_jti") != false {
		t.Fatal("stale reads not switched off")
	}
}

func TestUpdatedAtStrictlyIncreases(t *testing.T) {
	h := newHarness(t) // the fake clock does not move here
	sa := h.createSA("ticker")
	prev := must(t, h.admin("GET", saPath+"/"+sa, nil)).str("updated_at")
	for range 3 {
		cur := must(t, h.admin("POST", saPath+"/"+sa, map[string]any{"description": "x"})).str("updated_at")
		if cur <= prev {
			t.Fatalf("updated_at %s after %s", cur, prev)
		}
		prev = cur
	}
}

func TestConcurrentUse(t *testing.T) {
	h := newHarness(t)
	iss := h.createIssuer("par", "https://par.example.com")
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan string, workers*each)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				name := fmt.Sprintf("w%d-%d", w, i)
				r := h.call("POST", saPath, h.emu.AdminToken(), map[string]any{"name": name})
				if r.status != 200 {
					errs <- string(r.raw)
					continue
				}
				rr := h.call("POST", rulesPath, h.emu.AdminToken(), ruleBody(name, iss, r.str("id")))
				if rr.status != 200 {
					errs <- string(rr.raw)
				}
				h.call("GET", saPath+"?limit=100", h.emu.AdminToken(), nil)
				h.call("POST", saPath+"/"+r.str("id"), h.emu.AdminToken(), map[string]any{"description": name})
				_ = h.emu.RequestCount(RouteCreateServiceAccount)
			}
		}()
	}
	// Contending creates of one name: exactly one wins.
	var dupOK sync.WaitGroup
	wins := make(chan int, 4)
	for range 4 {
		dupOK.Add(1)
		go func() {
			defer dupOK.Done()
			wins <- h.call("POST", saPath, h.emu.AdminToken(), map[string]any{"name": "contended"}).status
		}()
	}
	wg.Wait()
	dupOK.Wait()
	close(errs)
	close(wins)
	for e := range errs {
		t.Error(e)
	}
	n200 := 0
	for s := range wins {
		if s == 200 {
			n200++
		} else if s != 409 {
			t.Errorf("contended create: %d", s)
		}
	}
	if n200 != 1 {
		t.Fatalf("%d contended creates succeeded", n200)
	}
	seen := map[string]bool{}
	next := ""
	for {
		q := saPath + "?limit=100"
		if next != "" {
			q += "&page=" + next
		}
		r := must(t, h.admin("GET", q, nil))
		for _, d := range r.data() {
			id := fmt.Sprint(d["id"])
			if seen[id] {
				t.Fatalf("duplicate id %s", id)
			}
			seen[id] = true
		}
		if r.get("next_page") == nil {
			break
		}
		next = r.str("next_page")
	}
	if len(seen) != workers*each+1 {
		t.Fatalf("%d service accounts", len(seen))
	}
	if got := h.emu.RequestCount(RouteCreateServiceAccount); got != workers*each+4 {
		t.Fatalf("RequestCount = %d", got)
	}
}
