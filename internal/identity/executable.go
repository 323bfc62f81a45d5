package identity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Environment variables of Google's executable-sourced credential format.
const (
	// AllowExecutablesEnv must be "1" before any executable is run: running
	// a program named in configuration is a code-execution risk, so Google's
	// libraries (and this one) refuse unless the operator opts in.
	AllowExecutablesEnv      = "GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES"
	executableAudienceEnv    = "GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE"
	executableTokenTypeEnv   = "GOOGLE_EXTERNAL_ACCOUNT_TOKEN_TYPE"
	executableInteractiveEnv = "GOOGLE_EXTERNAL_ACCOUNT_INTERACTIVE"
)

// Token types of Google's executable-sourced credential format.
const (
	TokenTypeIDToken = "urn:ietf:params:oauth:token-type:id_token"
	TokenTypeJWT     = "urn:ietf:params:oauth:token-type:jwt"
	tokenTypeSAML2   = "urn:ietf:params:oauth:token-type:saml2"
)

const (
	defaultExecutableTimeout   = 30 * time.Second
	defaultExecutableMaxOutput = 64 << 10
	stderrKeepBytes            = 4 << 10
)

// ExecutableOptions configures Executable.
type ExecutableOptions struct {
	// Command is the argv; it is run directly, without a shell.
	Command []string
	// Timeout bounds one run. 0 means 30 s.
	Timeout time.Duration
	// Env holds extra KEY=VALUE entries added to the inherited environment;
	// they win over inherited ones and over the GOOGLE_EXTERNAL_ACCOUNT_* set here.
	Env []string
	// MaxOutputBytes caps stdout. 0 means 64 KiB.
	MaxOutputBytes int
	// Audience is passed as GOOGLE_EXTERNAL_ACCOUNT_AUDIENCE, as Google's
	// libraries do, so one program can serve several audiences.
	Audience string
}

// Executable returns a Source that runs a program printing Google's
// executable-sourced credential JSON:
//
//	{"version":1,"success":true,"token_type":"urn:ietf:params:oauth:token-type:id_token","id_token":"...","expiration_time":N}
//
// or {"version":1,"success":false,"code":"...","message":"..."}.
// It refuses to run unless GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1.
func Executable(opts ExecutableOptions) Source { return &executableSource{opts: opts, now: time.Now} }

type executableSource struct {
	opts ExecutableOptions
	now  func() time.Time
}

// cappedBuffer keeps the first max bytes and remembers that more came. It
// never fails a write, so the child does not die of EPIPE before we can
// report the real problem.
type cappedBuffer struct {
	buf      bytes.Buffer
	max      int
	overflow bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.overflow = true
		if room > 0 {
			c.buf.Write(p[:room])
		}
		return len(p), nil
	}
	return c.buf.Write(p)
}

type executableResponse struct {
	Version        *int            `json:"version"`
	Success        *bool           `json:"success"`
	TokenType      string          `json:"token_type"`
	IDToken        string          `json:"id_token"`
	ExpirationTime *int64          `json:"expiration_time"`
	Code           json.RawMessage `json:"code"`
	Message        string          `json:"message"`
}

func (s *executableSource) name() string {
	if len(s.opts.Command) == 0 {
		return ""
	}
	return filepath.Base(s.opts.Command[0])
}

func (s *executableSource) Token(ctx context.Context) (string, error) {
	if len(s.opts.Command) == 0 || s.opts.Command[0] == "" {
		return "", errors.New("executable identity source: no command given")
	}
	if os.Getenv(AllowExecutablesEnv) != "1" {
		return "", fmt.Errorf("executable identity source %q refused: set %s=1 to allow running it (the same safeguard as Google's external-account credentials)",
			s.name(), AllowExecutablesEnv)
	}
	timeout := s.opts.Timeout
	if timeout <= 0 {
		timeout = defaultExecutableTimeout
	}
	maxOut := s.opts.MaxOutputBytes
	if maxOut <= 0 {
		maxOut = defaultExecutableMaxOutput
	}

	runCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(runCtx, s.opts.Command[0], s.opts.Command[1:]...)
	cmd.Env = append(os.Environ(), executableTokenTypeEnv+"="+TokenTypeJWT, executableInteractiveEnv+"=0")
	if s.opts.Audience != "" {
		cmd.Env = append(cmd.Env, executableAudienceEnv+"="+s.opts.Audience)
	}
	cmd.Env = append(cmd.Env, s.opts.Env...)
	stdout := &cappedBuffer{max: maxOut}
	stderr := &cappedBuffer{max: stderrKeepBytes}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	killProcessTree(cmd)
	// Backstop for grandchildren that keep our pipes open after the kill.
	cmd.WaitDelay = time.Second

	runErr := cmd.Run()
	if ctx.Err() != nil {
		return "", fmt.Errorf("executable identity source %q: %w", s.name(), ctx.Err())
	}
	if errors.Is(runCtx.Err(), context.DeadlineExceeded) {
		return "", fmt.Errorf("executable identity source %q timed out after %s", s.name(), timeout)
	}
	if runErr != nil {
		var exitErr *exec.ExitError
		if errors.As(runErr, &exitErr) {
			// Programs following Google's format often print success:false
			// and exit non-zero; their code and message are the useful part.
			if resp, err := s.decode(stdout); err == nil && resp.Success != nil && !*resp.Success {
				return "", s.failure(resp)
			}
			return "", fmt.Errorf("executable identity source %q exited with status %d%s", s.name(), exitErr.ExitCode(), stderrSuffix(stderr))
		}
		return "", fmt.Errorf("executable identity source %q: %w", s.name(), runErr)
	}
	if stdout.overflow {
		return "", fmt.Errorf("executable identity source %q printed more than %d bytes", s.name(), maxOut)
	}
	resp, err := s.decode(stdout)
	if err != nil {
		return "", err
	}
	return s.validate(resp, stderr)
}

func stderrSuffix(stderr *cappedBuffer) string {
	if sn := Snippet(stderr.buf.Bytes(), 300); sn != "" {
		return "; stderr: " + sn
	}
	return ""
}

func (s *executableSource) decode(stdout *cappedBuffer) (*executableResponse, error) {
	out := bytes.TrimSpace(stdout.buf.Bytes())
	if len(out) == 0 {
		return nil, fmt.Errorf("executable identity source %q printed nothing; expected Google's executable-sourced credential JSON", s.name())
	}
	var resp executableResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return nil, fmt.Errorf("executable identity source %q printed output that is not Google's executable-sourced credential JSON (%v): %s",
			s.name(), err, Snippet(out, 120))
	}
	return &resp, nil
}

func (s *executableSource) failure(resp *executableResponse) error {
	code := strings.Trim(string(resp.Code), `"`)
	if code == "" {
		code = "(none)"
	}
	return fmt.Errorf("executable identity source %q reported failure: code %s: %s", s.name(), code, Snippet([]byte(resp.Message), 300))
}

func (s *executableSource) validate(resp *executableResponse, stderr *cappedBuffer) (string, error) {
	switch {
	case resp.Version == nil:
		return "", fmt.Errorf("executable identity source %q: response has no version", s.name())
	case *resp.Version != 1:
		return "", fmt.Errorf("executable identity source %q: unsupported response version %d (only 1 is supported)", s.name(), *resp.Version)
	case resp.Success == nil:
		return "", fmt.Errorf("executable identity source %q: response has no success field", s.name())
	case !*resp.Success:
		return "", s.failure(resp)
	}
	switch resp.TokenType {
	case TokenTypeIDToken, TokenTypeJWT:
	case tokenTypeSAML2:
		return "", fmt.Errorf("executable identity source %q returned a SAML response; only OIDC ID tokens (token_type %s or %s) can be exchanged", s.name(), TokenTypeIDToken, TokenTypeJWT)
	case "":
		return "", fmt.Errorf("executable identity source %q: response has no token_type", s.name())
	default:
		return "", fmt.Errorf("executable identity source %q: unsupported token_type %q (want %s or %s)", s.name(), Snippet([]byte(resp.TokenType), 80), TokenTypeIDToken, TokenTypeJWT)
	}
	tok := strings.TrimSpace(resp.IDToken)
	if tok == "" {
		return "", fmt.Errorf("executable identity source %q: response has no id_token%s", s.name(), stderrSuffix(stderr))
	}
	if resp.ExpirationTime != nil && !time.Unix(*resp.ExpirationTime, 0).After(s.now()) {
		return "", fmt.Errorf("executable identity source %q returned a token that expired at %s",
			s.name(), time.Unix(*resp.ExpirationTime, 0).UTC().Format(time.RFC3339))
	}
	return tok, nil
}

func (*executableSource) Renewable() bool { return true }

func (s *executableSource) Describe() string {
	// Arguments are left out: they may carry credentials.
	return "executable " + strconv.Quote(s.name())
}
