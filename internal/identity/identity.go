// Package identity produces the OIDC identity tokens (JWTs) that the provider
// exchanges for Anthropic access tokens, and inspects them (unverified) for
// pre-flight checks.
//
// Every Source is safe for concurrent use. Errors never contain a token.
package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// Source yields an OIDC identity token (a JWT) for the exchange.
type Source interface {
	// Token returns an identity token. Renewable sources fetch a fresh one on
	// every call; callers cache if they need to.
	Token(ctx context.Context) (string, error)
	// Renewable reports whether calling Token again yields a NEW assertion
	// (file re-read, metadata, impersonation, executable). A literal token is
	// not renewable and must never be re-sent: with a jti it would be a replay.
	Renewable() bool
	// Describe returns a short, secret-free description for diagnostics, e.g.
	// `file "/var/run/token"` or `GCE metadata server (audience "...")`.
	Describe() string
}

// maxTokenBytes bounds what we are willing to read from a file or a server.
// The exchange caps assertions at 16 KiB; anything far above that is not a
// token, and reading it unbounded would let a wrong path exhaust memory.
const maxTokenBytes = 1 << 20

// Literal returns a Source that always yields token. It is not renewable.
func Literal(token string) Source { return literalSource{token: strings.TrimSpace(token)} }

type literalSource struct{ token string }

func (s literalSource) Token(context.Context) (string, error) {
	if s.token == "" {
		return "", errors.New("identity token is empty")
	}
	return s.token, nil
}

func (literalSource) Renewable() bool  { return false }
func (literalSource) Describe() string { return "literal identity token" }

// File returns a Source that re-reads path on every call, so a token rotated
// by a sidecar or the kubelet is picked up. Surrounding whitespace (the usual
// trailing newline) is trimmed.
func File(path string) Source { return fileSource{path: path} }

type fileSource struct{ path string }

func (s fileSource) Token(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if s.path == "" {
		return "", errors.New("identity token file: no path given")
	}
	b, err := ReadRegularFile(s.path, maxTokenBytes)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return "", fmt.Errorf("identity token file %q does not exist", s.path)
		}
		return "", fmt.Errorf("identity token file %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("identity token file %q is empty", s.path)
	}
	return tok, nil
}

// ErrNotRegularFile is returned by ReadRegularFile for FIFOs, devices,
// sockets and directories.
var ErrNotRegularFile = errors.New("not a regular file")

// ReadRegularFile reads a small file that must be a regular file (after
// symlinks), without ever blocking: a FIFO would hang the open until
// something writes to it, and a device can stream without end. Files larger
// than limit bytes are refused. Errors start with the quoted path.
func ReadRegularFile(path string, limit int64) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", path, unwrapPathError(err))
	}
	if err := checkRegular(path, info, limit); err != nil {
		return nil, err
	}
	f, err := openNoBlock(path)
	if err != nil {
		return nil, fmt.Errorf("%q: %w", path, unwrapPathError(err))
	}
	defer func() { _ = f.Close() }() // read-only: nothing to flush
	// Checked again on the open file: the path may have been replaced
	// between Stat and Open.
	if info, err = f.Stat(); err != nil {
		return nil, fmt.Errorf("%q: %w", path, err)
	}
	if err := checkRegular(path, info, limit); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%q: %w", path, unwrapPathError(err))
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%q is larger than %d bytes", path, limit)
	}
	return b, nil
}

func checkRegular(path string, info os.FileInfo, limit int64) error {
	if !info.Mode().IsRegular() {
		kind := "special file"
		switch m := info.Mode(); {
		case m.IsDir():
			kind = "directory"
		case m&os.ModeNamedPipe != 0:
			kind = "named pipe (FIFO)"
		case m&os.ModeDevice != 0 || m&os.ModeCharDevice != 0:
			kind = "device"
		case m&os.ModeSocket != 0:
			kind = "socket"
		}
		return fmt.Errorf("%q is %w but a %s; point it at a file holding the value", path, ErrNotRegularFile, kind)
	}
	if info.Size() > limit {
		return fmt.Errorf("%q is larger than %d bytes", path, limit)
	}
	return nil
}

// unwrapPathError drops the *fs.PathError wrapper, whose text repeats the
// path the message already quotes.
func unwrapPathError(err error) error {
	var perr *fs.PathError
	if errors.As(err, &perr) {
		if errors.Is(err, os.ErrNotExist) {
			return err // keep errors.Is working for callers
		}
		return perr.Err
	}
	return err
}

func (fileSource) Renewable() bool    { return true }
func (s fileSource) Describe() string { return fmt.Sprintf("file %q", s.path) }

var htmlTag = regexp.MustCompile(`<[^>]*>`)

// stripTags turns an HTML error page (Google front ends send those) into its text.
func stripTags(b []byte) []byte { return htmlTag.ReplaceAll(b, []byte(" ")) }

// Snippet returns a short, single-line, secret-free excerpt of b for an
// error message.
func Snippet(b []byte, limit int) string {
	s := strings.TrimSpace(string(b))
	s = redact.String(s)
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// looksLikeJWT is a cheap shape check used before handing a server's answer
// to the caller, so an HTML error page served with status 200 is not
// mistaken for a token.
func looksLikeJWT(s string) bool {
	return strings.Count(s, ".") == 2 && !strings.ContainsAny(s, " \t\r\n<>{}\"")
}
