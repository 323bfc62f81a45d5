package googleemu_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
	iam "google.golang.org/api/iam/v1"
	iamcredentials "google.golang.org/api/iamcredentials/v1"
	"google.golang.org/api/option"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
)

// One key for the whole test binary: RSA generation dominates New's cost.
var sharedKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

var fixedNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newServer(t testing.TB) (*googleemu.Google, *httptest.Server) {
	t.Helper()
	g := googleemu.New(googleemu.Options{SigningKey: sharedKey(), Now: func() time.Time { return fixedNow }})
	srv := httptest.NewServer(g.Handler())
	t.Cleanup(srv.Close)
	return g, srv
}

func iamService(t *testing.T, srv *httptest.Server, opts ...option.ClientOption) *iam.Service {
	t.Helper()
	svc, err := iam.NewService(t.Context(), append([]option.ClientOption{option.WithEndpoint(srv.URL + googleemu.IAMPathPrefix)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func credentialsService(t *testing.T, srv *httptest.Server, accessToken string) *iamcredentials.Service {
	t.Helper()
	svc, err := iamcredentials.NewService(t.Context(),
		option.WithEndpoint(srv.URL+googleemu.IAMCredentialsPathPrefix),
		option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: accessToken})))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func withToken(tok string) option.ClientOption {
	return option.WithTokenSource(oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}))
}

func apiCode(t *testing.T, err error) (int, string) {
	t.Helper()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("want *googleapi.Error, got %T: %v", err, err)
	}
	return gerr.Code, gerr.Message
}

// unverifiedClaims reads a token's claims; signature checks live in TestDiscoveryVerifiesMetadataToken.
func unverifiedClaims(t *testing.T, tok string) (jose.Header, map[string]any) {
	t.Helper()
	parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := parsed.UnsafeClaimsWithoutVerification(&m); err != nil {
		t.Fatal(err)
	}
	return parsed.Headers[0], m
}

func TestSeededAccounts(t *testing.T) {
	g, _ := newServer(t)
	got := map[string]googleemu.ServiceAccount{}
	for _, sa := range g.ServiceAccounts() {
		got[sa.Email] = sa
		if len(sa.UniqueID) != 21 || sa.UniqueID[0] != '1' || strings.Trim(sa.UniqueID, "0123456789") != "" {
			t.Errorf("%s: uniqueId %q is not a 21-digit number", sa.Email, sa.UniqueID)
		}
		if sa.OAuth2ClientID != sa.UniqueID {
			t.Errorf("%s: oauth2ClientId %q != uniqueId %q", sa.Email, sa.OAuth2ClientID, sa.UniqueID)
		}
	}
	want := map[string]string{
		googleemu.WorkloadAccount: googleemu.DemoProject,
		googleemu.CIRunnerAccount: googleemu.DemoProject,
		googleemu.DisabledAccount: googleemu.DemoProject,
		googleemu.SecretAccount:   googleemu.ForbiddenProject,
	}
	if len(got) != len(want) {
		t.Fatalf("accounts = %v", got)
	}
	for email, project := range want {
		if got[email].ProjectID != project {
			t.Errorf("%s project = %q, want %q", email, got[email].ProjectID, project)
		}
	}
	if !got[googleemu.DisabledAccount].Disabled || got[googleemu.WorkloadAccount].Disabled {
		t.Error("only disabled-sa must be disabled")
	}
	if g.DefaultServiceAccount().Email != googleemu.WorkloadAccount {
		t.Errorf("default account = %q", g.DefaultServiceAccount().Email)
	}
	// Deterministic across instances so demos and docs can rely on them.
	g2 := googleemu.New(googleemu.Options{SigningKey: sharedKey()})
	if g2.DefaultServiceAccount().UniqueID != g.DefaultServiceAccount().UniqueID {
		t.Error("uniqueIds differ between emulator instances")
	}
}

func TestAccessTokenGeneration(t *testing.T) {
	a := googleemu.New(googleemu.Options{SigningKey: sharedKey(), Seed: 7})
	b := googleemu.New(googleemu.Options{SigningKey: sharedKey(), Seed: 7})
	c := googleemu.New(googleemu.Options{SigningKey: sharedKey()})
	if !strings.HasPrefix(a.AccessToken(), "ya29.emu-") {
		t.Errorf("access token %q lacks the ya29.emu- prefix", a.AccessToken())
	}
	if a.AccessToken() != b.AccessToken() {
		t.Error("same seed must give the same access token")
	}
	if a.AccessToken() == c.AccessToken() {
		t.Error("unseeded access token equals a seeded one")
	}
	if d := googleemu.New(googleemu.Options{SigningKey: sharedKey(), AccessToken: "ya29.fixed"}); d.AccessToken() != "ya29.fixed" {
		t.Errorf("explicit access token ignored: %q", d.AccessToken())
	}
}

func TestGeneratedKeyAndJWKS(t *testing.T) {
	g := googleemu.New(googleemu.Options{}) // the one test that pays for key generation
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(g.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	if len(set.Keys) != 1 {
		t.Fatalf("keys = %d", len(set.Keys))
	}
	k := set.Keys[0]
	pub, ok := k.Key.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Fatalf("key is %T, want RSA-2048", k.Key)
	}
	if !k.IsPublic() || k.KeyID != g.KeyID() || len(k.KeyID) != 40 || k.Algorithm != "RS256" || k.Use != "sig" {
		t.Errorf("jwk = kid %q alg %q use %q public %v", k.KeyID, k.Algorithm, k.Use, k.IsPublic())
	}
	if raw := string(g.JWKS()); strings.Contains(raw, `"d"`) || strings.Contains(raw, `"p"`) {
		t.Error("JWKS leaks private key material")
	}
	if ks := g.KeySet(); len(ks.Key(g.KeyID())) != 1 {
		t.Error("KeySet does not hold the signing kid")
	}
}

func TestMintShapesLikeGoogle(t *testing.T) {
	g, _ := newServer(t)
	tok, err := g.Mint(googleemu.CIRunnerAccount, "https://api.anthropic.com", true, map[string]any{"extra": "x", "azp": "override"})
	if err != nil {
		t.Fatal(err)
	}
	hdr, c := unverifiedClaims(t, tok)
	if hdr.Algorithm != "RS256" || hdr.KeyID != g.KeyID() || hdr.ExtraHeaders["typ"] != "JWT" {
		t.Errorf("header = %+v", hdr)
	}
	sa, _ := g.Lookup(googleemu.CIRunnerAccount)
	want := map[string]any{
		"iss": googleemu.Issuer, "aud": "https://api.anthropic.com", "sub": sa.UniqueID,
		"azp": "override", "email": sa.Email, "email_verified": true, "extra": "x",
		"iat": float64(fixedNow.Unix()), "exp": float64(fixedNow.Add(time.Hour).Unix()),
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("%s = %v, want %v", k, c[k], v)
		}
	}
	if _, ok := c["jti"]; ok {
		t.Error("Google ID tokens carry no jti")
	}
	tok, err = g.Mint(sa.UniqueID, "aud", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, c = unverifiedClaims(t, tok); c["email"] != nil || c["azp"] != sa.UniqueID {
		t.Errorf("includeEmail=false claims = %v", c)
	}
	if _, err := g.Mint("nobody@x.iam.gserviceaccount.com", "aud", true, nil); err == nil {
		t.Error("Mint for an unknown account must fail")
	}
}

func TestIAMGetServiceAccountWithRealClient(t *testing.T) {
	g, srv := newServer(t)
	svc := iamService(t, srv, withToken(g.AccessToken()))
	ctx := t.Context()
	workload := g.DefaultServiceAccount()

	for _, name := range []string{
		"projects/" + googleemu.DemoProject + "/serviceAccounts/" + workload.Email,
		"projects/-/serviceAccounts/" + workload.Email,
		"projects/-/serviceAccounts/" + workload.UniqueID,
		"projects/" + googleemu.DemoProject + "/serviceAccounts/" + workload.UniqueID,
	} {
		got, err := svc.Projects.ServiceAccounts.Get(name).Context(ctx).Do()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got.UniqueId != workload.UniqueID || got.Email != workload.Email || got.ProjectId != googleemu.DemoProject ||
			got.Oauth2ClientId != workload.UniqueID || got.Disabled || got.DisplayName == "" ||
			got.Name != "projects/"+googleemu.DemoProject+"/serviceAccounts/"+workload.Email {
			t.Errorf("%s: got %+v", name, got)
		}
	}

	disabled, err := svc.Projects.ServiceAccounts.Get("projects/-/serviceAccounts/" + googleemu.DisabledAccount).Context(ctx).Do()
	if err != nil || !disabled.Disabled {
		t.Errorf("disabled account: %+v, %v", disabled, err)
	}

	cases := []struct {
		name, msg string
		code      int
	}{
		{"projects/-/serviceAccounts/nobody@" + googleemu.DemoProject + ".iam.gserviceaccount.com", "Unknown service account", 404},
		{"projects/-/serviceAccounts/123456789012345678901", "Unknown service account", 404},
		{"projects/other-project/serviceAccounts/" + workload.Email, "Unknown service account", 404},
		{"projects/-/serviceAccounts/" + googleemu.SecretAccount, "Permission 'iam.serviceAccounts.get' denied on resource (or it may not exist).", 403},
		{"projects/-/serviceAccounts/nobody@" + googleemu.ForbiddenProject + ".iam.gserviceaccount.com", "Permission 'iam.serviceAccounts.get' denied on resource (or it may not exist).", 403},
		{"projects/-/serviceAccounts/not-an-account", "Invalid form of account ID not-an-account. Should be [Gaia ID |Email |Unique ID |] of the account", 400},
	}
	for _, c := range cases {
		_, err := svc.Projects.ServiceAccounts.Get(c.name).Context(ctx).Do()
		if code, msg := apiCode(t, err); code != c.code || msg != c.msg {
			t.Errorf("%s: got %d %q, want %d %q", c.name, code, msg, c.code, c.msg)
		}
	}

	// 401 without credentials and with a token the emulator never issued.
	for _, opt := range []option.ClientOption{option.WithoutAuthentication(), withToken("ya29.bogus")} {
		_, err := iamService(t, srv, opt).Projects.ServiceAccounts.Get("projects/-/serviceAccounts/" + workload.Email).Context(ctx).Do()
		if code, msg := apiCode(t, err); code != 401 || !strings.Contains(msg, "authentication credential") {
			t.Errorf("unauthenticated get: %d %q", code, msg)
		}
	}

	// Another principal without a viewer grant cannot read the demo project.
	_, err = iamService(t, srv, withToken(g.IssueAccessToken("stranger@example.com"))).
		Projects.ServiceAccounts.Get("projects/-/serviceAccounts/" + workload.Email).Context(ctx).Do()
	if code, _ := apiCode(t, err); code != 403 {
		t.Errorf("stranger got %d, want 403", code)
	}
}

func TestIAMErrorEnvelope(t *testing.T) {
	g, srv := newServer(t)
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/google/iam/v1/projects/-/serviceAccounts/"+googleemu.SecretAccount, nil)
	req.Header.Set("Authorization", "Bearer "+g.AccessToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var env struct {
		Error struct {
			Code    int
			Message string
			Status  string
			Details []map[string]any
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 403 || env.Error.Code != 403 || env.Error.Status != "PERMISSION_DENIED" ||
		len(env.Error.Details) != 1 || env.Error.Details[0]["reason"] != "IAM_PERMISSION_DENIED" {
		t.Errorf("envelope = %d %+v", resp.StatusCode, env)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("content type %q", ct)
	}
}

func TestGenerateIDTokenWithRealClient(t *testing.T) {
	g, srv := newServer(t)
	ctx := t.Context()
	svc := credentialsService(t, srv, g.AccessToken())
	name := func(email string) string { return "projects/-/serviceAccounts/" + email }

	resp, err := svc.Projects.ServiceAccounts.GenerateIdToken(name(googleemu.WorkloadAccount),
		&iamcredentials.GenerateIdTokenRequest{Audience: "https://api.anthropic.com", IncludeEmail: true}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	_, c := unverifiedClaims(t, resp.Token)
	wl := g.DefaultServiceAccount()
	if c["iss"] != googleemu.Issuer || c["aud"] != "https://api.anthropic.com" || c["sub"] != wl.UniqueID ||
		c["email"] != wl.Email || c["email_verified"] != true {
		t.Errorf("claims = %v", c)
	}

	// By unique id, without email.
	resp, err = svc.Projects.ServiceAccounts.GenerateIdToken(name(wl.UniqueID),
		&iamcredentials.GenerateIdTokenRequest{Audience: "aud"}).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}
	if _, c = unverifiedClaims(t, resp.Token); c["email"] != nil || c["sub"] != wl.UniqueID {
		t.Errorf("claims = %v", c)
	}

	// Delegation: terraform -> ci-runner -> workload needs both hops granted.
	chain := &iamcredentials.GenerateIdTokenRequest{Audience: "aud", IncludeEmail: true, Delegates: []string{name(googleemu.CIRunnerAccount)}}
	_, err = svc.Projects.ServiceAccounts.GenerateIdToken(name(googleemu.WorkloadAccount), chain).Context(ctx).Do()
	if code, msg := apiCode(t, err); code != 403 || msg != "Permission 'iam.serviceAccounts.getOpenIdToken' denied on resource (or it may not exist)." {
		t.Errorf("ungranted hop: %d %q", code, msg)
	}
	g.GrantTokenCreator(googleemu.CIRunnerAccount, googleemu.WorkloadAccount)
	resp, err = svc.Projects.ServiceAccounts.GenerateIdToken(name(googleemu.WorkloadAccount), chain).Context(ctx).Do()
	if err != nil {
		t.Fatalf("granted chain: %v", err)
	}
	if _, c = unverifiedClaims(t, resp.Token); c["email"] != googleemu.WorkloadAccount {
		t.Errorf("delegated token email = %v", c["email"])
	}

	cases := []struct {
		desc, target string
		req          *iamcredentials.GenerateIdTokenRequest
		code         int
	}{
		{"no grant on target", googleemu.DisabledAccount, &iamcredentials.GenerateIdTokenRequest{Audience: "aud"}, 403},
		{"forbidden project", googleemu.SecretAccount, &iamcredentials.GenerateIdTokenRequest{Audience: "aud"}, 403},
		{"missing audience", googleemu.WorkloadAccount, &iamcredentials.GenerateIdTokenRequest{}, 400},
		{"malformed delegate", googleemu.WorkloadAccount, &iamcredentials.GenerateIdTokenRequest{Audience: "aud", Delegates: []string{googleemu.CIRunnerAccount}}, 400},
	}
	for _, c := range cases {
		_, err := svc.Projects.ServiceAccounts.GenerateIdToken(name(c.target), c.req).Context(ctx).Do()
		if code, _ := apiCode(t, err); code != c.code {
			t.Errorf("%s: code %d, want %d", c.desc, code, c.code)
		}
	}

	// Granted but disabled or missing.
	g.GrantTokenCreator(googleemu.DefaultCaller, googleemu.DisabledAccount)
	_, err = svc.Projects.ServiceAccounts.GenerateIdToken(name(googleemu.DisabledAccount), &iamcredentials.GenerateIdTokenRequest{Audience: "aud"}).Context(ctx).Do()
	if code, _ := apiCode(t, err); code != 400 {
		t.Errorf("disabled target: %d", code)
	}
	ghost := "ghost@" + googleemu.DemoProject + ".iam.gserviceaccount.com"
	g.GrantTokenCreator(googleemu.DefaultCaller, ghost)
	_, err = svc.Projects.ServiceAccounts.GenerateIdToken(name(ghost), &iamcredentials.GenerateIdTokenRequest{Audience: "aud"}).Context(ctx).Do()
	if code, msg := apiCode(t, err); code != 404 || !strings.Contains(msg, ghost) {
		t.Errorf("missing target: %d %q", code, msg)
	}

	// A project id instead of "-" is invalid; bad credentials are 401.
	_, err = svc.Projects.ServiceAccounts.GenerateIdToken("projects/"+googleemu.DemoProject+"/serviceAccounts/"+googleemu.WorkloadAccount,
		&iamcredentials.GenerateIdTokenRequest{Audience: "aud"}).Context(ctx).Do()
	if code, _ := apiCode(t, err); code != 400 {
		t.Errorf("project id instead of -: %d", code)
	}
	_, err = credentialsService(t, srv, "ya29.bogus").Projects.ServiceAccounts.GenerateIdToken(name(googleemu.WorkloadAccount),
		&iamcredentials.GenerateIdTokenRequest{Audience: "aud"}).Context(ctx).Do()
	if code, _ := apiCode(t, err); code != 401 {
		t.Errorf("bogus token: %d", code)
	}
}

func TestGenerateIDTokenRejectsUnknownFields(t *testing.T) {
	g, srv := newServer(t)
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/google/iamcredentials/v1/projects/-/serviceAccounts/"+googleemu.WorkloadAccount+":generateIdToken",
		strings.NewReader(`{"audience":"a","includeEmails":true}`))
	req.Header.Set("Authorization", "Bearer "+g.AccessToken())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 400 || !strings.Contains(string(body), `Unknown name \"includeEmails\"`) {
		t.Errorf("got %d %s", resp.StatusCode, body)
	}
}

func metadataGet(t *testing.T, srv *httptest.Server, path string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	return resp, string(body)
}

var flavor = map[string]string{"Metadata-Flavor": "Google"}

func TestMetadataServer(t *testing.T) {
	g, srv := newServer(t)
	const idPath = "/computeMetadata/v1/instance/service-accounts/default/identity"
	wl := g.DefaultServiceAccount()

	resp, body := metadataGet(t, srv, idPath+"?audience=aud", nil)
	if resp.StatusCode != 403 || !strings.Contains(body, "Missing Metadata-Flavor:Google header") || resp.Header.Get("Metadata-Flavor") != "Google" {
		t.Errorf("without flavor: %d %q", resp.StatusCode, body)
	}
	resp, _ = metadataGet(t, srv, idPath+"?audience=aud", map[string]string{"Metadata-Flavor": "Google", "X-Forwarded-For": "1.2.3.4"})
	if resp.StatusCode != 403 {
		t.Errorf("proxied request: %d", resp.StatusCode)
	}
	resp, body = metadataGet(t, srv, idPath, flavor)
	if resp.StatusCode != 400 || !strings.Contains(body, "non-empty audience parameter required") {
		t.Errorf("without audience: %d %q", resp.StatusCode, body)
	}
	resp, _ = metadataGet(t, srv, idPath+"?audience=aud&format=fancy", flavor)
	if resp.StatusCode != 400 {
		t.Errorf("bad format: %d", resp.StatusCode)
	}

	resp, body = metadataGet(t, srv, idPath+"?audience=aud", flavor)
	if resp.StatusCode != 200 || resp.Header.Get("Metadata-Flavor") != "Google" {
		t.Fatalf("standard: %d", resp.StatusCode)
	}
	if _, c := unverifiedClaims(t, body); c["email"] != nil || c["google"] != nil || c["sub"] != wl.UniqueID || c["aud"] != "aud" {
		t.Errorf("format=standard claims = %v", c)
	}

	resp, body = metadataGet(t, srv, "/computeMetadata/v1/instance/service-accounts/"+wl.Email+"/identity?audience=aud&format=full&licenses=FALSE", flavor)
	if resp.StatusCode != 200 {
		t.Fatalf("full: %d", resp.StatusCode)
	}
	_, c := unverifiedClaims(t, body)
	google, _ := c["google"].(map[string]any)
	ce, _ := google["compute_engine"].(map[string]any)
	in := g.Instance()
	if c["email"] != wl.Email || c["email_verified"] != true || ce["project_id"] != googleemu.DemoProject ||
		ce["project_number"] != float64(in.ProjectNumber) || ce["zone"] != in.Zone || ce["instance_name"] != in.InstanceName ||
		ce["instance_id"] != in.InstanceID || ce["instance_creation_timestamp"] == nil {
		t.Errorf("format=full claims = %v", c)
	}

	if resp, body = metadataGet(t, srv, "/computeMetadata/v1/instance/service-accounts/default/email", flavor); resp.StatusCode != 200 || body != wl.Email {
		t.Errorf("email: %d %q", resp.StatusCode, body)
	}
	if resp, body = metadataGet(t, srv, "/computeMetadata/v1/project/project-id", flavor); body != googleemu.DemoProject {
		t.Errorf("project-id: %d %q", resp.StatusCode, body)
	}
	if resp, _ = metadataGet(t, srv, "/computeMetadata/v1/instance/service-accounts/other@x.iam.gserviceaccount.com/email", flavor); resp.StatusCode != 404 {
		t.Errorf("other account: %d", resp.StatusCode)
	}
	if resp, _ = metadataGet(t, srv, "/computeMetadata/v1/nothing", flavor); resp.StatusCode != 404 || resp.Header.Get("Metadata-Flavor") != "Google" {
		t.Errorf("unknown path: %d", resp.StatusCode)
	}
}

// The metadata server's access token acts as the default account against IAM,
// as on a real VM.
func TestMetadataAccessTokenIdentity(t *testing.T) {
	_, srv := newServer(t)
	_, body := metadataGet(t, srv, "/computeMetadata/v1/instance/service-accounts/default/token", flavor)
	var tok struct {
		AccessToken string `json:"access_token"`
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal([]byte(body), &tok); err != nil || tok.AccessToken == "" || tok.TokenType != "Bearer" || tok.ExpiresIn <= 0 {
		t.Fatalf("token response %q: %v", body, err)
	}
	got, err := iamService(t, srv, withToken(tok.AccessToken)).Projects.ServiceAccounts.
		Get("projects/-/serviceAccounts/" + googleemu.CIRunnerAccount).Do()
	if err != nil || got.Email != googleemu.CIRunnerAccount {
		t.Errorf("get as metadata identity: %+v %v", got, err)
	}
	// workload@ holds no token-creator grant.
	_, err = credentialsService(t, srv, tok.AccessToken).Projects.ServiceAccounts.GenerateIdToken(
		"projects/-/serviceAccounts/"+googleemu.CIRunnerAccount, &iamcredentials.GenerateIdTokenRequest{Audience: "aud"}).Do()
	if code, _ := apiCode(t, err); code != 403 {
		t.Errorf("generateIdToken as workload: %d", code)
	}
}

func TestDiscoveryVerifiesMetadataToken(t *testing.T) {
	g, srv := newServer(t)
	ctx := t.Context()
	const audience = "https://api.anthropic.com/v1/oauth/token"
	_, tok := metadataGet(t, srv, "/computeMetadata/v1/instance/service-accounts/default/identity?audience="+audience+"&format=full", flavor)

	// The unique id the IAM API reports is the token's sub.
	sa, err := iamService(t, srv, withToken(g.AccessToken())).Projects.ServiceAccounts.
		Get("projects/-/serviceAccounts/" + g.DefaultServiceAccount().Email).Context(ctx).Do()
	if err != nil {
		t.Fatal(err)
	}

	for _, prefix := range []string{"", strings.TrimSuffix(googleemu.OIDCPathPrefix, "/")} {
		var doc struct {
			Issuer  string   `json:"issuer"`
			JWKSURI string   `json:"jwks_uri"`
			Algs    []string `json:"id_token_signing_alg_values_supported"`
		}
		getJSON(t, srv.URL+prefix+"/.well-known/openid-configuration", &doc)
		if doc.Issuer != googleemu.Issuer || doc.JWKSURI != srv.URL+prefix+"/oauth2/v3/certs" || len(doc.Algs) != 1 || doc.Algs[0] != "RS256" {
			t.Fatalf("discovery = %+v", doc)
		}
		var keys jose.JSONWebKeySet
		getJSON(t, doc.JWKSURI, &keys)

		parsed, err := jwt.ParseSigned(tok, []jose.SignatureAlgorithm{jose.RS256})
		if err != nil {
			t.Fatal(err)
		}
		matches := keys.Key(parsed.Headers[0].KeyID)
		if len(matches) != 1 {
			t.Fatalf("kid %q not in JWKS", parsed.Headers[0].KeyID)
		}
		var std jwt.Claims
		var extra struct {
			Email         string `json:"email"`
			EmailVerified bool   `json:"email_verified"`
		}
		if err := parsed.Claims(matches[0].Public().Key, &std, &extra); err != nil {
			t.Fatalf("signature does not verify against discovered JWKS: %v", err)
		}
		err = std.ValidateWithLeeway(jwt.Expected{Issuer: googleemu.Issuer, AnyAudience: jwt.Audience{audience}, Subject: sa.UniqueId, Time: fixedNow.Add(time.Minute)}, 0)
		if err != nil {
			t.Errorf("claims: %v", err)
		}
		if extra.Email != sa.Email || !extra.EmailVerified {
			t.Errorf("email = %q verified %v", extra.Email, extra.EmailVerified)
		}
		if err := std.ValidateWithLeeway(jwt.Expected{Time: fixedNow.Add(2 * time.Hour)}, 0); !errors.Is(err, jwt.ErrExpired) {
			t.Errorf("token must expire within the hour, got %v", err)
		}
	}

	// A token signed by another key must not verify against these keys.
	other := googleemu.New(googleemu.Options{SigningKey: mustKey(t)})
	forged, _ := other.Mint(googleemu.WorkloadAccount, audience, true, nil)
	parsed, _ := jwt.ParseSigned(forged, []jose.SignatureAlgorithm{jose.RS256})
	var std jwt.Claims
	if err := parsed.Claims(g.KeySet().Keys[0].Public().Key, &std); err == nil {
		t.Error("a foreign token verified")
	}
}

func mustKey(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024) //nolint:gosec // test-only forgery key; size irrelevant
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

// The Anthropic emulator shares its listener: mounting Routes on another mux
// must reach every endpoint.
func TestRoutesMountOnSharedMux(t *testing.T) {
	g := googleemu.New(googleemu.Options{SigningKey: sharedKey()})
	mux := http.NewServeMux()
	mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusTeapot) })
	for _, p := range googleemu.Routes() {
		mux.Handle(p, g.Handler())
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if resp, _ := metadataGet(t, srv, "/computeMetadata/v1/instance/service-accounts/default/identity?audience=a", flavor); resp.StatusCode != 200 {
		t.Errorf("metadata: %d", resp.StatusCode)
	}
	for _, p := range []string{"/.well-known/openid-configuration", "/oauth2/v3/certs", "/google/oidc/oauth2/v3/certs"} {
		if resp, _ := metadataGet(t, srv, p, nil); resp.StatusCode != 200 {
			t.Errorf("%s: %d", p, resp.StatusCode)
		}
	}
	if _, err := iamService(t, srv, withToken(g.AccessToken())).Projects.ServiceAccounts.Get("projects/-/serviceAccounts/" + googleemu.WorkloadAccount).Do(); err != nil {
		t.Errorf("iam: %v", err)
	}
	if _, err := credentialsService(t, srv, g.AccessToken()).Projects.ServiceAccounts.GenerateIdToken("projects/-/serviceAccounts/"+googleemu.WorkloadAccount,
		&iamcredentials.GenerateIdTokenRequest{Audience: "a"}).Do(); err != nil {
		t.Errorf("iamcredentials: %v", err)
	}
	if resp, _ := metadataGet(t, srv, "/v1/organizations", nil); resp.StatusCode != http.StatusTeapot {
		t.Errorf("the emulator's own routes were shadowed: %d", resp.StatusCode)
	}
}

func BenchmarkMint(b *testing.B) {
	g := googleemu.New(googleemu.Options{SigningKey: sharedKey()})
	for b.Loop() {
		if _, err := g.Mint(googleemu.WorkloadAccount, "aud", true, nil); err != nil {
			b.Fatal(err)
		}
	}
}
