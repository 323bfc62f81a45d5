package identity

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"google.golang.org/api/googleapi"
	iamcredentials "google.golang.org/api/iamcredentials/v1"
	"google.golang.org/api/option"

	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// ImpersonationOptions configures Impersonation.
type ImpersonationOptions struct {
	// ServiceAccount is the email (or unique id) of the account whose ID token is minted.
	ServiceAccount string
	// Audience is the token's aud claim. Required.
	Audience string
	// IncludeEmail adds email and email_verified. Callers default it to true.
	IncludeEmail bool
	// Delegates are the emails of the delegation chain, caller side first.
	Delegates []string
	// ClientOptions configure the IAM Credentials client: credentials,
	// endpoint (option.WithEndpoint("http://HOST/google/iamcredentials/") for
	// the emulator), HTTP client. The Google libraries' own client follows
	// redirects and re-sends the bearer token on each hop: callers should
	// pass an HTTP client that refuses them (the provider does).
	ClientOptions []option.ClientOption
}

// Impersonation returns a Source that mints ID tokens through IAM
// Credentials generateIdToken.
func Impersonation(opts ImpersonationOptions) Source { return &impersonationSource{opts: opts} }

type impersonationSource struct{ opts ImpersonationOptions }

func serviceAccountResource(account string) string {
	if strings.HasPrefix(account, "projects/") {
		return account
	}
	return "projects/-/serviceAccounts/" + account
}

func (s *impersonationSource) Token(ctx context.Context) (string, error) {
	sa := strings.TrimSpace(s.opts.ServiceAccount)
	if sa == "" {
		return "", errors.New("service account impersonation: service account is required")
	}
	if s.opts.Audience == "" {
		return "", errors.New("service account impersonation: audience is required")
	}
	// A client per call keeps ctx scoped to this call: credential lookups and
	// token refreshes inside the client must not outlive the caller.
	svc, err := iamcredentials.NewService(ctx, s.opts.ClientOptions...)
	if err != nil {
		return "", fmt.Errorf("service account impersonation: creating IAM Credentials client: %w", err)
	}
	req := &iamcredentials.GenerateIdTokenRequest{
		Audience:     s.opts.Audience,
		IncludeEmail: s.opts.IncludeEmail,
	}
	for _, d := range s.opts.Delegates {
		req.Delegates = append(req.Delegates, serviceAccountResource(strings.TrimSpace(d)))
	}
	resp, err := svc.Projects.ServiceAccounts.GenerateIdToken(serviceAccountResource(sa), req).Context(ctx).Do()
	if err != nil {
		return "", s.explain(err)
	}
	tok := strings.TrimSpace(resp.Token)
	if !looksLikeJWT(tok) {
		return "", fmt.Errorf("service account impersonation of %s: generateIdToken returned no JWT", sa)
	}
	return tok, nil
}

// explain turns Google API errors into messages that tell the user which
// role is missing, since a bare 403 from IAM Credentials is notoriously opaque.
func (s *impersonationSource) explain(err error) error {
	sa := s.opts.ServiceAccount
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		return fmt.Errorf("service account impersonation of %s: %w", sa, redact.Error(err))
	}
	// googleapi.Error prints its details as indented JSON; the message and
	// status are what a person needs, the original stays reachable via errors.As.
	err = &conciseAPIError{err: gerr}
	switch gerr.Code {
	case http.StatusForbidden:
		hint := fmt.Sprintf("the caller needs roles/iam.serviceAccountOpenIdTokenCreator on %s", sa)
		if len(s.opts.Delegates) > 0 {
			hint = fmt.Sprintf("with delegates %s, the caller needs roles/iam.serviceAccountTokenCreator on the first delegate, each delegate the same role on the next, and the last delegate roles/iam.serviceAccountOpenIdTokenCreator on %s",
				strings.Join(s.opts.Delegates, " -> "), sa)
		}
		return fmt.Errorf("service account impersonation of %s denied; %s: %w", sa, hint, err)
	case http.StatusUnauthorized:
		return fmt.Errorf("service account impersonation of %s: the caller's Google credentials were rejected (check application default credentials or the provider's Google credentials): %w", sa, err)
	case http.StatusNotFound:
		return fmt.Errorf("service account impersonation of %s: service account (or a delegate) not found: %w", sa, err)
	}
	return fmt.Errorf("service account impersonation of %s: %w", sa, err)
}

func (*impersonationSource) Renewable() bool { return true }

func (s *impersonationSource) Describe() string {
	d := fmt.Sprintf("impersonated service account %s (audience %q", s.opts.ServiceAccount, s.opts.Audience)
	if len(s.opts.Delegates) > 0 {
		d += ", via " + strings.Join(s.opts.Delegates, " -> ")
	}
	return d + ")"
}

type conciseAPIError struct{ err *googleapi.Error }

// Error is redacted: front ends and proxies echo request headers (the
// caller's access token) into error bodies and messages.
func (e *conciseAPIError) Error() string {
	if e.err.Message == "" {
		return fmt.Sprintf("Google API error %d: %s", e.err.Code, Snippet(stripTags([]byte(e.err.Body)), 300))
	}
	return fmt.Sprintf("Google API error %d: %s", e.err.Code, redact.String(e.err.Message))
}

func (e *conciseAPIError) Unwrap() error { return e.err }
