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
	"strings"
	"time"
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

// Env lists the variables that point the provider and SDKs at this emulator.
func (e *Emulator) Env(baseURL string) []EnvVar {
	vars := []EnvVar{
		{"ANTHROPIC_BASE_URL", baseURL},
		{"ANTHROPIC_AUTH_TOKEN", e.AdminToken()},
		{"ANTHROPIC_ORGANIZATION_ID", e.OrganizationID()},
	}
	if w, ok := e.WorkspaceByName("production"); ok {
		vars = append(vars, EnvVar{"ANTHROPIC_WORKSPACE_ID", w.ID})
	}
	return vars
}

// WriteExports prints one shell `export NAME=value` line per variable, values
// single-quoted so `eval "$(…)"` is safe whatever they contain.
func WriteExports(w io.Writer, vars []EnvVar) error {
	for _, v := range vars {
		if _, err := fmt.Fprintf(w, "export %s=%s\n", v.Name, shellQuote(v.Value)); err != nil {
			return err
		}
	}
	return nil
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
