package identity

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// DefaultMetadataHost is the metadata server's name inside Google Cloud.
const DefaultMetadataHost = "metadata.google.internal"

// MetadataHostEnv overrides the metadata server address (host or host:port),
// as in Google's own client libraries.
const MetadataHostEnv = "GCE_METADATA_HOST"

// MetadataOptions configures Metadata.
type MetadataOptions struct {
	// Audience is the token's aud claim. Required.
	Audience string
	// FormatFull requests format=full, which adds email, email_verified and the
	// google.compute_engine claims. Callers default it to true: rules that
	// pin the email fail without it.
	FormatFull bool
	// Host is the metadata server as host or host:port. "" means
	// $GCE_METADATA_HOST (read at every Token call) or metadata.google.internal.
	// A value with an explicit http:// or https:// scheme is used as the base URL.
	Host string
	// HTTPClient overrides the client. The default dials with a short timeout,
	// ignores proxy settings (so a machine outside Google Cloud fails fast)
	// and follows no redirect.
	HTTPClient *http.Client
	// Timeout bounds each request, body included, whatever the client.
	// 0 means 30 s.
	Timeout time.Duration
	// TimeoutHint is added to the message of a request that ran out of time,
	// e.g. the setting that controls Timeout.
	TimeoutHint string
}

const (
	defaultMetadataTimeout = 30 * time.Second
	metadataDialTimeout    = 2 * time.Second
)

// Metadata returns a Source that asks the GCE/GKE/Cloud Run metadata server
// for an ID token of the instance's default service account.
func Metadata(opts MetadataOptions) Source {
	client := opts.HTTPClient
	if client == nil {
		client = newMetadataClient()
	}
	return &metadataSource{opts: opts, client: client}
}

type metadataSource struct {
	opts   MetadataOptions
	client *http.Client
}

// newMetadataClient mirrors cloud.google.com/go/compute/metadata: no proxy
// (the metadata server is link-local), a short dial timeout so that a laptop
// gets a clear error quickly instead of hanging on DNS or SYN retries. The
// answer is an identity token: a redirect would hand it to another host.
func newMetadataClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: metadataDialTimeout, KeepAlive: 30 * time.Second}).DialContext,
			IdleConnTimeout:     60 * time.Second,
			MaxIdleConnsPerHost: 2,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			return fmt.Errorf("the metadata server answered with a redirect to %s; a metadata server never redirects, so it is not followed", req.URL.Redacted())
		},
	}
}

func (s *metadataSource) host() string {
	if s.opts.Host != "" {
		return s.opts.Host
	}
	if h := strings.TrimSpace(os.Getenv(MetadataHostEnv)); h != "" {
		return h
	}
	return DefaultMetadataHost
}

func metadataBaseURL(host string) string {
	if strings.HasPrefix(host, "http://") || strings.HasPrefix(host, "https://") {
		return strings.TrimRight(host, "/")
	}
	return "http://" + host
}

func (s *metadataSource) Token(ctx context.Context) (string, error) {
	if s.opts.Audience == "" {
		return "", errors.New("GCE metadata server: audience is required")
	}
	host := s.host()
	q := url.Values{"audience": {s.opts.Audience}}
	if s.opts.FormatFull {
		q.Set("format", "full")
	}
	u := metadataBaseURL(host) + "/computeMetadata/v1/instance/service-accounts/default/identity?" + q.Encode()
	timeout := s.opts.Timeout
	if timeout <= 0 {
		timeout = defaultMetadataTimeout
	}
	reqCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(reqCtx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("GCE metadata server %q: %w", host, err)
	}
	req.Header.Set("Metadata-Flavor", "Google")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", s.requestError(ctx, host, timeout, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBytes+1))
	if err != nil {
		if ctx.Err() == nil && isTimeout(err) {
			return "", s.timeoutError(host, timeout)
		}
		return "", fmt.Errorf("GCE metadata server %q: reading response: %w", host, err)
	}
	// Google's metadata server stamps every answer, errors included. Anything
	// else (a captive portal, a proxy, a random web server on that port) must
	// not be trusted to hand out identities.
	if resp.Header.Get("Metadata-Flavor") != "Google" {
		return "", fmt.Errorf("GCE metadata server %q: host is not a Google metadata server (HTTP %d without the Metadata-Flavor: Google response header)", host, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GCE metadata server %q: HTTP %s: %s", host, resp.Status, Snippet(stripTags(body), 300))
	}
	if len(body) > maxTokenBytes {
		return "", fmt.Errorf("GCE metadata server %q: response larger than %d bytes", host, maxTokenBytes)
	}
	tok := strings.TrimSpace(string(body))
	if !looksLikeJWT(tok) {
		return "", fmt.Errorf("GCE metadata server %q: response is not a JWT", host)
	}
	return tok, nil
}

// requestError tells "there is no metadata server here" (the dial failed:
// not on Google Cloud) from "it is there but slow" and from the caller
// giving up.
func (s *metadataSource) requestError(ctx context.Context, host string, timeout time.Duration, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("GCE metadata server %q: %w", host, ctx.Err())
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		err = uerr.Err // the URL repeats what the message already says
	}
	var opErr *net.OpError
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) || (errors.As(err, &opErr) && opErr.Op == "dial") {
		return fmt.Errorf("not running on Google Cloud (metadata server %s unreachable): set %s or use another identity source: %w",
			host, MetadataHostEnv, err)
	}
	if isTimeout(err) {
		return s.timeoutError(host, timeout)
	}
	return fmt.Errorf("GCE metadata server %q: %w", host, redact.Error(err))
}

func (s *metadataSource) timeoutError(host string, timeout time.Duration) error {
	msg := fmt.Sprintf("GCE metadata server %s accepted the connection but did not answer within %s", host, timeout)
	if s.opts.TimeoutHint != "" {
		msg += "; " + s.opts.TimeoutHint
	}
	return errors.New(msg)
}

// isTimeout reports an expired deadline, from a context or a client timeout.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func (*metadataSource) Renewable() bool { return true }

func (s *metadataSource) Describe() string {
	return fmt.Sprintf("GCE metadata server %s (audience %q)", s.host(), s.opts.Audience)
}
