package client

import (
	"context"
	"iter"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var federationIssuers = collection[FederationIssuer]{"federation_issuers", "federation issuer"}

// JWKS type values.
const (
	JWKSTypeDiscovery   = policy.JWKSTypeDiscovery
	JWKSTypeExplicitURL = policy.JWKSTypeExplicitURL
	JWKSTypeInline      = policy.JWKSTypeInline
)

// JWKS says where an issuer's signing keys come from: the wire shape is
// owned by internal/policy, whose key checks take it as sent.
type JWKS = policy.JWKS

// PollStatus is the health of JWKS polling for discovery and explicit_url
// issuers.
type PollStatus struct {
	ConsecutiveFailures int        `json:"consecutive_failures"`
	LastFetchedAt       *time.Time `json:"last_fetched_at"`
	NextPollAt          *time.Time `json:"next_poll_at"`
}

// FederationIssuer is a trusted OIDC token issuer.
type FederationIssuer struct {
	Type                  string      `json:"type"`
	ID                    string      `json:"id"`
	Name                  string      `json:"name"`
	IssuerURL             string      `json:"issuer_url"`
	JWKS                  JWKS        `json:"jwks"`
	CheckJTI              bool        `json:"check_jti"`
	MaxJWTLifetimeSeconds int64       `json:"max_jwt_lifetime_seconds"`
	JWKSPollingDisabledAt *time.Time  `json:"jwks_polling_disabled_at"`
	PollStatus            *PollStatus `json:"poll_status"`
	CreatedAt             time.Time   `json:"created_at"`
	CreatedByActorID      string      `json:"created_by_actor_id"`
	UpdatedAt             time.Time   `json:"updated_at"`
	UpdatedByActorID      string      `json:"updated_by_actor_id"`
	ArchivedAt            *time.Time  `json:"archived_at"`
	ArchivedByActorID     *string     `json:"archived_by_actor_id"`
}

// IsArchived reports a soft-deleted issuer.
func (i *FederationIssuer) IsArchived() bool { return i != nil && i.ArchivedAt != nil }

// FederationIssuerCreateParams is the create body; nil members take the
// server defaults (discovery, check_jti true, 3600 s).
type FederationIssuerCreateParams struct {
	Name                  string `json:"name"`
	IssuerURL             string `json:"issuer_url"`
	JWKS                  *JWKS  `json:"jwks,omitempty"`
	CheckJTI              *bool  `json:"check_jti,omitempty"`
	MaxJWTLifetimeSeconds *int64 `json:"max_jwt_lifetime_seconds,omitempty"`
}

// FederationIssuerUpdateParams is a partial update; JWKS is replaced whole.
type FederationIssuerUpdateParams struct {
	Name                  Field[string] `json:"name,omitzero"`
	IssuerURL             Field[string] `json:"issuer_url,omitzero"`
	JWKS                  Field[JWKS]   `json:"jwks,omitzero"`
	CheckJTI              Field[bool]   `json:"check_jti,omitzero"`
	MaxJWTLifetimeSeconds Field[int64]  `json:"max_jwt_lifetime_seconds,omitzero"`
	JWKSPollingDisabled   Field[bool]   `json:"jwks_polling_disabled,omitzero"`
}

// CreateFederationIssuer creates an issuer.
func (c *Client) CreateFederationIssuer(ctx context.Context, p FederationIssuerCreateParams) (*FederationIssuer, error) {
	return federationIssuers.create(ctx, c, p)
}

// GetFederationIssuer reads an issuer, archived or not.
func (c *Client) GetFederationIssuer(ctx context.Context, id string) (*FederationIssuer, error) {
	return federationIssuers.get(ctx, c, id)
}

// UpdateFederationIssuer applies a partial update.
func (c *Client) UpdateFederationIssuer(ctx context.Context, id string, p FederationIssuerUpdateParams) (*FederationIssuer, error) {
	return federationIssuers.update(ctx, c, id, p)
}

// ArchiveFederationIssuer soft-deletes an issuer (400 while a live rule
// references it).
func (c *Client) ArchiveFederationIssuer(ctx context.Context, id string) (*FederationIssuer, error) {
	return federationIssuers.archive(ctx, c, id)
}

// ListFederationIssuers iterates over all issuers, following pages.
func (c *Client) ListFederationIssuers(ctx context.Context, p ListParams) iter.Seq2[FederationIssuer, error] {
	q, err := p.query()
	return federationIssuers.list(ctx, c, q, err)
}
