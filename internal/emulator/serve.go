package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
)

// CheckLoopback refuses listen addresses that are not loopback: the official
// SDKs accept plain http only for localhost, and an emulator whose tokens are
// printed to the terminal must not be reachable from the network.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	if host == "" {
		return fmt.Errorf("listen address %q listens on every interface; the emulator only serves loopback (use 127.0.0.1:PORT)", addr)
	}
	return fmt.Errorf("listen address %q is not a loopback address; the emulator only serves loopback (use 127.0.0.1:PORT)", addr)
}

// Listen opens a loopback listener after CheckLoopback; ":0" ports pick a
// free port.
func Listen(addr string) (net.Listener, error) {
	if err := CheckLoopback(addr); err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	// "localhost" resolves through the system; make sure it stayed loopback.
	if ta, ok := l.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		_ = l.Close()
		return nil, fmt.Errorf("listen address %q resolved to non-loopback %s", addr, l.Addr())
	}
	return l, nil
}

// BaseURL is the http base URL of a listener, with its real port.
func BaseURL(addr net.Addr) string {
	return "http://" + addr.String()
}

// EnvVar is one variable to export for tools pointed at the emulator.
type EnvVar struct{ Name, Value string }

// Env lists the variables that point the provider, the SDKs and Google's
// client libraries at this emulator and its local Google (the metadata
// server, IAM and IAM Credentials on the same listener).
// ANTHROPIC_WORKSPACE_ID comes last: scripts wait for it to know the list
// is complete.
func (e *Emulator) Env(baseURL string) []EnvVar {
	vars := []EnvVar{
		{"ANTHROPIC_BASE_URL", baseURL},
		{"ANTHROPIC_AUTH_TOKEN", e.AdminToken()},
		{"ANTHROPIC_ORGANIZATION_ID", e.OrganizationID()},
		{"GCE_METADATA_HOST", hostPort(baseURL)},
		{"GOOGLE_IAM_CUSTOM_ENDPOINT", strings.TrimSuffix(baseURL, "/") + googleemu.IAMPathPrefix},
		{"GOOGLE_IAM_CREDENTIALS_CUSTOM_ENDPOINT", strings.TrimSuffix(baseURL, "/") + googleemu.IAMCredentialsPathPrefix},
		{"GOOGLE_OAUTH_ACCESS_TOKEN", e.google.AccessToken()},
	}
	if w, ok := e.WorkspaceByName("production"); ok {
		vars = append(vars, EnvVar{"ANTHROPIC_WORKSPACE_ID", w.ID})
	}
	return vars
}

// hostPort is the host:port of a base URL, the form GCE_METADATA_HOST takes.
func hostPort(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Host != "" {
		return u.Host
	}
	return strings.TrimPrefix(strings.TrimPrefix(baseURL, "http://"), "https://")
}

// WriteExports prints one shell `export NAME=value` line per variable, values
// single-quoted so `eval "$(…)"` is safe whatever they contain. The lines go
// out in one write, so a reader never sees half of the list.
func WriteExports(w io.Writer, vars []EnvVar) error {
	var b strings.Builder
	for _, v := range vars {
		fmt.Fprintf(&b, "export %s=%s\n", v.Name, shellQuote(v.Value))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func shellQuote(s string) string {
	plain := func(r rune) bool {
		return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:@%+=,", r)
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Serve serves h on l until ctx is done, then shuts down gracefully, giving
// in-flight requests up to grace to finish.
func Serve(ctx context.Context, l net.Listener, h http.Handler, logger *slog.Logger, grace time.Duration) error {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if logger != nil {
		srv.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	} else {
		srv.ErrorLog = log.New(io.Discard, "", 0)
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
