package googleemu

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
	"strings"
)

// metadataHandler serves the subset of the GCE metadata server the provider
// and Google's client libraries use.
func (g *Google) metadataHandler() http.Handler {
	mux := http.NewServeMux()
	const sa = "GET /computeMetadata/v1/instance/service-accounts/{account}/"
	mux.HandleFunc(sa+"email", g.withAccount(func(w http.ResponseWriter, _ *http.Request, acct ServiceAccount) {
		writeMetadataText(w, acct.Email)
	}))
	mux.HandleFunc(sa+"identity", g.withAccount(g.serveMetadataIdentity))
	mux.HandleFunc(sa+"token", g.withAccount(func(w http.ResponseWriter, _ *http.Request, _ ServiceAccount) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": g.metadataToken, "expires_in": 3599, "token_type": "Bearer"})
	}))
	mux.HandleFunc(sa+"aliases", g.withAccount(func(w http.ResponseWriter, _ *http.Request, _ ServiceAccount) {
		writeMetadataText(w, "default")
	}))
	mux.HandleFunc(sa+"scopes", g.withAccount(func(w http.ResponseWriter, _ *http.Request, _ ServiceAccount) {
		writeMetadataText(w, "https://www.googleapis.com/auth/cloud-platform\n")
	}))
	values := map[string]string{
		"project/project-id":         g.instance.ProjectID,
		"project/numeric-project-id": strconv.FormatInt(g.instance.ProjectNumber, 10),
		"instance/id":                g.instance.InstanceID,
		"instance/name":              g.instance.InstanceName,
		"instance/hostname":          g.instance.InstanceName + "." + g.instance.Zone + ".c." + g.instance.ProjectID + ".internal",
		"instance/zone":              "projects/" + strconv.FormatInt(g.instance.ProjectNumber, 10) + "/zones/" + g.instance.Zone,
	}
	for path, v := range values {
		mux.HandleFunc("GET /computeMetadata/v1/"+path, func(w http.ResponseWriter, _ *http.Request) { writeMetadataText(w, v) })
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeMetadataError(w, http.StatusNotFound, "404 page not found: "+r.URL.Path)
	})

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The real server stamps every response, errors included; clients
		// use it to tell the metadata server from an impostor.
		w.Header().Set("Metadata-Flavor", "Google")
		w.Header().Set("Server", "Metadata Server for VM")
		// The real server refuses proxied requests (SSRF protection) and
		// requests without the flavor header (so a browser or a naive
		// redirect cannot read tokens).
		if r.Header.Get("X-Forwarded-For") != "" {
			writeMetadataError(w, http.StatusForbidden, "Request had an X-Forwarded-For header, which indicates it was proxied; the metadata server refuses proxied requests.")
			return
		}
		if r.Header.Get("Metadata-Flavor") != "Google" {
			writeMetadataError(w, http.StatusForbidden, fmt.Sprintf("Your client does not have permission to get URL %s from this server. Missing Metadata-Flavor:Google header.", r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeMetadataText(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "application/text")
	_, _ = w.Write([]byte(s))
}

func writeMetadataError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, "<!DOCTYPE html>\n<html lang=en>\n<title>Error %d (%s)!!1</title>\n<p><b>%d.</b> <ins>That’s an error.</ins>\n<p>%s <ins>That’s all we know.</ins>\n",
		code, http.StatusText(code), code, html.EscapeString(msg))
}

// withAccount resolves {account}, which the real server accepts as
// "default" or the default account's email.
func (g *Google) withAccount(h func(http.ResponseWriter, *http.Request, ServiceAccount)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		def := g.DefaultServiceAccount()
		if a := strings.ToLower(r.PathValue("account")); a != "default" && a != def.Email {
			writeMetadataError(w, http.StatusNotFound, "404 page not found: "+r.URL.Path)
			return
		}
		h(w, r, def)
	}
}

func (g *Google) serveMetadataIdentity(w http.ResponseWriter, r *http.Request, acct ServiceAccount) {
	q := r.URL.Query()
	audience := q.Get("audience")
	if audience == "" {
		writeMetadataText400(w, "non-empty audience parameter required")
		return
	}
	var full bool
	switch q.Get("format") {
	case "", "standard":
	case "full":
		full = true
	default:
		writeMetadataText400(w, `format parameter must be "standard" or "full"`)
		return
	}
	var extra map[string]any
	if full {
		in := g.instance
		extra = map[string]any{"google": map[string]any{"compute_engine": map[string]any{
			"project_id":                  in.ProjectID,
			"project_number":              in.ProjectNumber,
			"zone":                        in.Zone,
			"instance_id":                 in.InstanceID,
			"instance_name":               in.InstanceName,
			"instance_creation_timestamp": in.CreationTimestamp,
		}}}
	}
	tok, err := g.Mint(acct.Email, audience, full, extra)
	if err != nil {
		writeMetadataError(w, http.StatusInternalServerError, "internal error")
		return
	}
	writeMetadataText(w, tok)
}

func writeMetadataText400(w http.ResponseWriter, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusBadRequest)
	_, _ = w.Write([]byte(msg + "\n"))
}
