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
	// HTTPClient overrides the client. The default dials with a short timeout
	// and ignores proxy settings, so a machine outside Google Cloud fails fast.
	HTTPClient *http.Client
}

// Metadata returns a Source that asks the GCE/GKE/Cloud Run metadata server
// for an ID token of the instance's default service account.
func Metadata(opts MetadataOptions) Source { return &metadataSource{opts: opts} }

type metadataSource struct{ opts MetadataOptions }

// defaultMetadataClient mirrors cloud.google.com/go/compute/metadata: no
// proxy (the metadata server is link-local), a short dial timeout so that a
// laptop gets a clear error quickly instead of hanging on DNS or SYN retries.
var defaultMetadataClient = &http.Client{
	Transport: &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 2 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ResponseHeaderTimeout: 30 * time.Second,
		IdleConnTimeout:       60 * time.Second,
		MaxIdleConnsPerHost:   2,
	},
	Timeout: 60 * time.Second,
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
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("GCE metadata server %q: %w", host, err)
	}
	req.Header.Set("Metadata-Flavor", "Google")
	client := s.opts.HTTPClient
	if client == nil {
		client = defaultMetadataClient
	}
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("GCE metadata server %q: %w", host, ctx.Err())
		}
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // the URL repeats what the message already says
		}
		return "", fmt.Errorf("not running on Google Cloud (metadata server %s unreachable): set %s or use another identity source: %w",
			host, MetadataHostEnv, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenBytes+1))
	if err != nil {
		return "", fmt.Errorf("GCE metadata server %q: reading response: %w", host, err)
	}
	// Google's metadata server stamps every answer, errors included. Anything
	// else (a captive portal, a proxy, a random web server on that port) must
	// not be trusted to hand out identities.
	if resp.Header.Get("Metadata-Flavor") != "Google" {
		return "", fmt.Errorf("GCE metadata server %q: host is not a Google metadata server (HTTP %d without the Metadata-Flavor: Google response header)", host, resp.StatusCode)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GCE metadata server %q: HTTP %s: %s", host, resp.Status, snippet(stripTags(body), 300))
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

func (*metadataSource) Renewable() bool { return true }

func (s *metadataSource) Describe() string {
	return fmt.Sprintf("GCE metadata server %s (audience %q)", s.host(), s.opts.Audience)
}
