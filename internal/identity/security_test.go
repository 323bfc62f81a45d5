package identity_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/emulator/googleemu"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
)

// within fails the test when f has not returned after limit, so a hang
// shows as a failure rather than a stuck test binary.
func within[T any](t *testing.T, limit time.Duration, f func() T) T {
	t.Helper()
	done := make(chan T, 1)
	go func() { done <- f() }()
	select {
	case v := <-done:
		return v
	case <-time.After(limit):
		t.Fatalf("still waiting after %s", limit)
		panic("unreachable")
	}
}

type tokenResult struct {
	token string
	err   error
}

// hangingServer accepts requests and never answers them (until the test ends).
func hangingServer(t *testing.T, header http.Header) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, v := range header {
			w.Header()[k] = v
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// A metadata server that accepts the connection but does not answer is not
// "not running on Google Cloud": the error names the wait that ran out.
func TestMetadataTimeout(t *testing.T) {
	srv := hangingServer(t, http.Header{"Metadata-Flavor": {"Google"}})
	start := time.Now()
	res := within(t, 5*time.Second, func() tokenResult {
		tok, err := identity.Metadata(identity.MetadataOptions{
			Audience: "aud", Host: hostOf(srv), Timeout: 300 * time.Millisecond, TimeoutHint: "raise request_timeout",
		}).Token(t.Context())
		return tokenResult{tok, err}
	})
	wantErr(t, res.err, "did not answer within 300ms", "raise request_timeout", hostOf(srv))
	if strings.Contains(res.err.Error(), "not running on Google Cloud") {
		t.Errorf("a slow metadata server is reported as missing: %v", res.err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s with a 300ms timeout", d)
	}
}

// The metadata client follows no redirect: the identity token comes back in
// the body, and a redirect would hand it to whoever the first host names.
func TestMetadataRefusesRedirects(t *testing.T) {
	var reached bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached = true
		w.Header().Set("Metadata-Flavor", "Google")
		_, _ = w.Write([]byte("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"))
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Metadata-Flavor", "Google")
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	_, err := identity.Metadata(identity.MetadataOptions{Audience: "aud", Host: hostOf(redirector)}).Token(t.Context())
	wantErr(t, err, "redirect")
	if reached {
		t.Error("the redirect was followed")
	}
}

// An IAM Credentials front end that answers 500 echoing the request must
// not get the caller's access token into the error, whatever its case.
func TestImpersonationErrorsAreRedacted(t *testing.T) {
	const token = "ya29.impersonation-caller-token-0123456789"
	for _, style := range []string{googleemu.EchoText, googleemu.EchoJSON, googleemu.EchoUpper} {
		t.Run(style, func(t *testing.T) {
			srv := httptest.NewServer(googleemu.EchoingHandler(style))
			defer srv.Close()
			_, err := identity.Impersonation(identity.ImpersonationOptions{
				ServiceAccount: "sa@p.iam.gserviceaccount.com", Audience: "aud", ClientOptions: impersonationOpts(srv, token),
			}).Token(t.Context())
			wantErr(t, err, "500")
			msg := strings.ToLower(err.Error())
			for _, leak := range []string{"impersonation-caller-token", "hunter2"} {
				if strings.Contains(msg, leak) {
					t.Errorf("error leaks %q: %v", leak, err)
				}
			}
		})
	}
}

// The token file must be a regular file: a FIFO would block the open (and
// Terraform with it) until something writes, a device could stream forever.
func TestFileMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	if _, err := os.Stat(os.DevNull); err == nil {
		res := within(t, 5*time.Second, func() tokenResult {
			tok, err := identity.File(os.DevNull).Token(t.Context())
			return tokenResult{tok, err}
		})
		wantErr(t, res.err, os.DevNull, "not a regular file")
	}

	// A symlink to a regular file is fine: that is how Kubernetes projects tokens.
	target := filepath.Join(dir, "..data-token")
	if err := os.WriteFile(target, []byte("a.b.c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "token")
	if err := os.Symlink(target, link); err != nil {
		if runtime.GOOS == "windows" {
			t.Skipf("no symlinks here: %v", err)
		}
		t.Fatal(err)
	}
	if tok, err := identity.File(link).Token(t.Context()); err != nil || tok != "a.b.c" {
		t.Errorf("symlinked token = %q, %v", tok, err)
	}
}
