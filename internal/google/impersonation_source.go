package google

import (
	"context"
	"errors"
	"fmt"

	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// ImpersonationSource is an identity source minting Google-signed ID tokens
// of opts.ServiceAccount with IAM Credentials generateIdToken, authorised by
// g's credentials and sent to g's IAM Credentials endpoint. The credentials
// are resolved on first use, so configuring a federation that impersonates
// costs nothing until a token is needed. opts.ClientOptions is ignored.
func ImpersonationSource(g *Config, opts identity.ImpersonationOptions) identity.Source {
	return &impersonationSource{google: g, opts: opts}
}

type impersonationSource struct {
	google *Config
	opts   identity.ImpersonationOptions
}

func (s *impersonationSource) Token(ctx context.Context) (string, error) {
	if s.google == nil {
		return "", errors.New("google_impersonation: the provider's google settings are not configured")
	}
	clientOptions, err := s.google.IAMCredentialsOptions(ctx)
	if err != nil {
		return "", fmt.Errorf("google_impersonation of %s: the provider's Google credentials: %w", s.opts.ServiceAccount, redact.Error(err))
	}
	opts := s.opts
	opts.ClientOptions = clientOptions
	tok, err := identity.Impersonation(opts).Token(ctx)
	if err != nil {
		if t := s.google.ExplainTimeout(ctx, err, "IAM Credentials", s.google.Settings().IAMCredentialsEndpoint, DefaultIAMCredentialsEndpoint); t != err {
			return "", fmt.Errorf("service account impersonation of %s: %w", s.opts.ServiceAccount, t)
		}
		return "", redact.Error(err)
	}
	return tok, nil
}

func (s *impersonationSource) Renewable() bool { return true }

func (s *impersonationSource) Describe() string {
	return identity.Impersonation(s.opts).Describe()
}
