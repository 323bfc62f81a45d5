package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/exchange"
	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
)

// Environment variables of the Anthropic SDKs' federation support that
// hold an identity token, plus HCP Terraform's workload identity token.
const (
	EnvIdentityTokenFile        = "ANTHROPIC_IDENTITY_TOKEN_FILE"
	EnvIdentityToken            = "ANTHROPIC_IDENTITY_TOKEN"
	EnvTFCWorkloadIdentityToken = "TFC_WORKLOAD_IDENTITY_TOKEN"
)

// Federation is a resolved keyless configuration: the exchange to make and
// where its identity tokens come from.
type Federation struct {
	Target exchange.Target
	Source identity.Source
}

// EnvIdentitySource picks the identity token from the environment: a file
// first (it can be rotated), then a literal token, then HCP Terraform's.
// It is nil when none is set.
func EnvIdentitySource(getenv func(string) string) identity.Source {
	if p := strings.TrimSpace(getenv(EnvIdentityTokenFile)); p != "" {
		return identity.File(p)
	}
	if t := strings.TrimSpace(getenv(EnvIdentityToken)); t != "" {
		return namedLiteral{Source: identity.Literal(t), name: EnvIdentityToken}
	}
	if t := strings.TrimSpace(getenv(EnvTFCWorkloadIdentityToken)); t != "" {
		return namedLiteral{Source: identity.Literal(t), name: EnvTFCWorkloadIdentityToken}
	}
	return nil
}

// namedLiteral says where a literal token came from.
type namedLiteral struct {
	identity.Source
	name string
}

func (n namedLiteral) Describe() string { return "the " + n.name + " environment variable" }

// MissingCredential stands in for the admin credential when none is
// configured: the client can still exchange tokens (which needs no admin
// credential), and admin calls fail with Detail as the explanation.
type MissingCredential struct{ Detail string }

// Token implements client.TokenSource.
func (m MissingCredential) Token(context.Context) (string, error) {
	return "", errors.New("Missing Anthropic credential: " + m.Detail)
}

// NewFederationTokenSource is the admin credential of keyless
// authentication: a TokenSource whose exchange sends an identity token from
// f.Source through f.Target's org:admin rule (exchange.Run: pre-flight
// checks, exactly one attempt). x.Send is the token exchange of a client
// that holds no credential; x.ReadView is not used (explaining a denial
// would need the credential being obtained); x.Now is the clock.
func NewFederationTokenSource(f *Federation, x exchange.Options, log Logger) *TokenSource {
	if x.Now == nil {
		x.Now = time.Now
	}
	x.ReadView = nil
	return NewTokenSource(Options{
		Renewable: f.Source.Renewable(),
		Now:       x.Now,
		Log:       log,
		Spent: func(expiredAt time.Time) error {
			return fmt.Errorf("the admin access token from federation rule %s expired at %s, and the identity token from %s cannot be exchanged again (re-sending it "+
				"would be a replay). Use a source that yields fresh tokens (identity_token_file, gce_metadata, google_impersonation, executable, "+
				"or %s) for runs longer than the token's lifetime", f.Target.RuleID, expiredAt.UTC().Format(time.RFC3339), f.Source.Describe(), EnvIdentityTokenFile)
		},
		Exchange: func(ctx context.Context) (Token, error) {
			res, fail := exchange.Run(ctx, f.Source, f.Target, x)
			if fail != nil {
				return Token{}, fmt.Errorf("keyless authentication through federation rule %s: %w", f.Target.RuleID, fail)
			}
			if log != nil {
				log.Debug(ctx, "exchanged an identity token for the admin access token", map[string]any{
					"federation_rule_id": f.Target.RuleID, "scope": res.Token.Scope, "expires_in": res.Token.ExpiresIn, "source": f.Source.Describe(),
				})
			}
			return Token{Value: res.Token.AccessToken, ExpiresAt: res.ExpiresAt, Lifetime: time.Duration(res.Token.ExpiresIn) * time.Second}, nil
		},
	})
}

// NewClient builds the Anthropic client, once. Without f it is
// client.New(opts). With f, the exchanges go through a client that holds
// no credential, and the admin client is built with their token source and
// a transport that re-sends a request refused with 401 once with a newly
// exchanged token. x configures the exchanges as for
// NewFederationTokenSource; its Send is set here.
func NewClient(opts client.Options, f *Federation, x exchange.Options, log Logger) (*client.Client, error) {
	if f == nil {
		return client.New(opts)
	}
	exchanger := opts
	exchanger.AuthToken, exchanger.TokenSource = "", nil
	ec, err := client.New(exchanger)
	if err != nil {
		return nil, err
	}
	x.Send = ec.ExchangeToken
	ts := NewFederationTokenSource(f, x, log)
	opts.AuthToken, opts.TokenSource = "", ts
	var debug func(ctx context.Context, msg string, fields map[string]any)
	if log != nil {
		debug = log.Debug
	}
	opts.HTTPClient = HTTPClient(ts, debug)
	return client.New(opts)
}
