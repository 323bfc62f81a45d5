package googleemu

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// routes are the ServeMux patterns Handler owns, for servers that share a
// mux with other handlers: mux.Handle(p, g.Handler()) for each.
var routes = []string{
	"/computeMetadata/",
	"/.well-known/openid-configuration",
	"/oauth2/v3/certs",
	"/google/",
}

// Routes returns a copy of routes.
func Routes() []string { return slices.Clone(routes) }

// Handler serves every emulated Google endpoint; mount it at the server root
// (or under each of Routes).
//
//	GET  /computeMetadata/v1/instance/service-accounts/{default|EMAIL}/{email,identity,token}
//	GET  /computeMetadata/v1/project/{project-id,numeric-project-id}, /computeMetadata/v1/instance/{id,name,zone}
//	GET  /.well-known/openid-configuration, /oauth2/v3/certs (and the same under /google/oidc/)
//	GET  /google/iam/v1/projects/{project|-}/serviceAccounts/{email|uniqueId}
//	POST /google/iamcredentials/v1/projects/-/serviceAccounts/{email|uniqueId}:generateIdToken
func (g *Google) Handler() http.Handler {
	mux := http.NewServeMux()

	mux.Handle("/computeMetadata/", g.metadataHandler())

	mux.HandleFunc("GET /.well-known/openid-configuration", g.serveDiscovery(""))
	mux.HandleFunc("GET /oauth2/v3/certs", g.serveJWKS)
	mux.HandleFunc("GET "+OIDCPathPrefix+".well-known/openid-configuration", g.serveDiscovery(strings.TrimSuffix(OIDCPathPrefix, "/")))
	mux.HandleFunc("GET "+OIDCPathPrefix+"oauth2/v3/certs", g.serveJWKS)

	mux.HandleFunc("GET "+IAMPathPrefix+"v1/projects/{project}/serviceAccounts/{account}", g.serveGetServiceAccount)
	mux.HandleFunc("POST "+IAMCredentialsPathPrefix+"v1/projects/{project}/serviceAccounts/{call}", g.serveCredentialsCall)
	mux.HandleFunc("/google/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("The requested URL %s was not found on this server.", r.URL.Path))
	})
	return mux
}

// ---- Google JSON error envelope ----

type apiError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []any  `json:"details,omitempty"`
	} `json:"error"`
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, code int, status, message string, details ...any) {
	var e apiError
	e.Error.Code, e.Error.Status, e.Error.Message, e.Error.Details = code, status, message, details
	writeJSON(w, code, e)
}

func errorInfo(reason, domain string, metadata map[string]string) map[string]any {
	d := map[string]any{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason, "domain": domain}
	if metadata != nil {
		d["metadata"] = metadata
	}
	return d
}

func writePermissionDenied(w http.ResponseWriter, permission string) {
	writeError(w, http.StatusForbidden, "PERMISSION_DENIED",
		fmt.Sprintf("Permission '%s' denied on resource (or it may not exist).", permission),
		errorInfo("IAM_PERMISSION_DENIED", "iam.googleapis.com", map[string]string{"permission": permission}))
}

// authenticate resolves the bearer token to a principal or writes Google's 401.
func (g *Google) authenticate(w http.ResponseWriter, r *http.Request) (string, bool) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
	auth := r.Header.Get("Authorization")
	scheme, tok, _ := strings.Cut(auth, " ")
	if auth == "" || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
			errorInfo("CREDENTIALS_MISSING", "googleapis.com", nil))
		return "", false
	}
	caller, ok := g.callerFor(strings.TrimSpace(tok))
	if !ok {
		writeError(w, http.StatusUnauthorized, "UNAUTHENTICATED",
			"Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.",
			errorInfo("ACCESS_TOKEN_TYPE_UNSUPPORTED", "googleapis.com", nil))
		return "", false
	}
	w.Header().Del("WWW-Authenticate")
	return caller, true
}

// ---- IAM v1 ----

type serviceAccountJSON struct {
	Name           string `json:"name"`
	ProjectID      string `json:"projectId"`
	UniqueID       string `json:"uniqueId"`
	Email          string `json:"email"`
	DisplayName    string `json:"displayName,omitempty"`
	Etag           string `json:"etag"`
	OAuth2ClientID string `json:"oauth2ClientId"`
	Disabled       bool   `json:"disabled,omitempty"`
}

var uniqueIDPattern = regexp.MustCompile(`^[0-9]{1,30}$`)

func validAccountID(id string) bool {
	return uniqueIDPattern.MatchString(id) || (strings.Count(id, "@") == 1 && !strings.HasPrefix(id, "@") && !strings.HasSuffix(id, "@"))
}

func invalidAccountID(w http.ResponseWriter, id string) {
	writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
		fmt.Sprintf("Invalid form of account ID %s. Should be [Gaia ID |Email |Unique ID |] of the account", id))
}

func (g *Google) serveGetServiceAccount(w http.ResponseWriter, r *http.Request) {
	caller, ok := g.authenticate(w, r)
	if !ok {
		return
	}
	project, account := r.PathValue("project"), r.PathValue("account")
	if !validAccountID(account) {
		invalidAccountID(w, account)
		return
	}
	sa, found := g.Lookup(account)
	// Google checks the permission on the account's project first, so an
	// account in a project the caller cannot see is indistinguishable from a
	// missing one ("or it may not exist").
	permProject := projectOfEmail(strings.ToLower(account))
	switch {
	case found:
		permProject = sa.ProjectID
	case project != "-":
		permProject = project
	}
	if permProject != "" && !g.canView(caller, permProject) {
		writePermissionDenied(w, "iam.serviceAccounts.get")
		return
	}
	if !found || (project != "-" && project != sa.ProjectID) {
		writeError(w, http.StatusNotFound, "NOT_FOUND", "Unknown service account")
		return
	}
	writeJSON(w, http.StatusOK, serviceAccountJSON{
		Name:           "projects/" + sa.ProjectID + "/serviceAccounts/" + sa.Email,
		ProjectID:      sa.ProjectID,
		UniqueID:       sa.UniqueID,
		Email:          sa.Email,
		DisplayName:    sa.DisplayName,
		Etag:           "MDEwMjE5MjA=",
		OAuth2ClientID: sa.OAuth2ClientID,
		Disabled:       sa.Disabled,
	})
}

// ---- IAM Credentials v1 ----

type generateIDTokenRequest struct {
	Audience     string   `json:"audience"`
	IncludeEmail bool     `json:"includeEmail"`
	Delegates    []string `json:"delegates"`
}

const getOpenIDTokenPermission = "iam.serviceAccounts.getOpenIdToken"

func (g *Google) serveCredentialsCall(w http.ResponseWriter, r *http.Request) {
	call := r.PathValue("call")
	i := strings.LastIndex(call, ":")
	if i < 0 || call[i+1:] != "generateIdToken" {
		writeError(w, http.StatusNotFound, "NOT_FOUND", fmt.Sprintf("The requested URL %s was not found on this server.", r.URL.Path))
		return
	}
	account := call[:i]
	caller, ok := g.authenticate(w, r)
	if !ok {
		return
	}
	if r.PathValue("project") != "-" {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
			"The - wildcard character is required for the project; replacing it with a project ID is invalid.")
		return
	}
	if !validAccountID(account) {
		invalidAccountID(w, account)
		return
	}
	var req generateIDTokenRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil && !errors.Is(err, io.EOF) {
		msg := "Invalid JSON payload received."
		if name, found := strings.CutPrefix(err.Error(), "json: unknown field "); found {
			msg = fmt.Sprintf("Invalid JSON payload received. Unknown name %s: Cannot find field.", name)
		}
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", msg)
		return
	}
	if strings.TrimSpace(req.Audience) == "" {
		writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT", "Request contains an invalid argument: audience must not be empty.")
		return
	}

	// The chain runs caller -> delegates... -> target; every hop needs a grant.
	hops := []string{caller}
	for _, d := range req.Delegates {
		id, ok := strings.CutPrefix(d, "projects/-/serviceAccounts/")
		if !ok || !validAccountID(id) {
			writeError(w, http.StatusBadRequest, "INVALID_ARGUMENT",
				fmt.Sprintf("Invalid delegate %q: delegates must have the form projects/-/serviceAccounts/{ACCOUNT_EMAIL_OR_UNIQUEID}.", d))
			return
		}
		hops = append(hops, g.canonical(id))
	}
	hops = append(hops, g.canonical(account))
	for i := 0; i+1 < len(hops); i++ {
		if !g.granted(hops[i], hops[i+1]) {
			writePermissionDenied(w, getOpenIDTokenPermission)
			return
		}
	}
	for _, id := range hops[1:] {
		sa, found := g.Lookup(id)
		if !found {
			writeError(w, http.StatusNotFound, "NOT_FOUND", "Not found; Gaia id not found for email "+id)
			return
		}
		if sa.Disabled {
			writeError(w, http.StatusBadRequest, "FAILED_PRECONDITION", "Precondition check failed.")
			return
		}
	}
	tok, err := g.Mint(hops[len(hops)-1], req.Audience, req.IncludeEmail, nil)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "INTERNAL", "Internal error encountered.")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"token": tok})
}

// canonical maps a unique id to its email so grants recorded by email apply.
func (g *Google) canonical(id string) string {
	if sa, ok := g.Lookup(id); ok {
		return sa.Email
	}
	return strings.ToLower(id)
}

// ---- OIDC discovery ----

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func (g *Google) serveDiscovery(prefix string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		writeJSON(w, http.StatusOK, map[string]any{
			"issuer":                                Issuer,
			"authorization_endpoint":                "https://accounts.google.com/o/oauth2/v2/auth",
			"device_authorization_endpoint":         "https://oauth2.googleapis.com/device/code",
			"token_endpoint":                        "https://oauth2.googleapis.com/token",
			"userinfo_endpoint":                     "https://openidconnect.googleapis.com/v1/userinfo",
			"revocation_endpoint":                   "https://oauth2.googleapis.com/revoke",
			"jwks_uri":                              baseURL(r) + prefix + "/oauth2/v3/certs",
			"response_types_supported":              []string{"code", "token", "id_token", "code token", "code id_token", "token id_token", "code token id_token", "none"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
			"scopes_supported":                      []string{"openid", "email", "profile"},
			"token_endpoint_auth_methods_supported": []string{"client_secret_post", "client_secret_basic"},
			"claims_supported":                      []string{"aud", "email", "email_verified", "exp", "family_name", "given_name", "iat", "iss", "name", "picture", "sub"},
			"code_challenge_methods_supported":      []string{"plain", "S256"},
			"grant_types_supported":                 []string{"authorization_code", "refresh_token", "urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer"},
		})
	}
}

func (g *Google) serveJWKS(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.Header().Set("Cache-Control", "public, max-age=3600, must-revalidate, no-transform")
	w.Header().Set("Content-Length", strconv.Itoa(len(g.jwks)))
	_, _ = w.Write(g.jwks)
}
