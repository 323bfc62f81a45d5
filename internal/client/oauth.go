package client

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// GrantTypeJWTBearer is the RFC 7523 grant used by the federation exchange.
const GrantTypeJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"

const tokenPath = "/v1/oauth/token"

// TokenExchangeParams are the inputs of a federation token exchange.
type TokenExchangeParams struct {
	// Assertion is the identity token (JWT); never logged, never in errors.
	Assertion        string
	FederationRuleID string
	OrganizationID   string
	// ServiceAccountID is optional; when set the server checks the rule
	// targets it.
	ServiceAccountID string
	// WorkspaceID is optional ("wrkspc_..." or "default"); required by the
	// server when the rule is enabled in several workspaces.
	WorkspaceID string
}

// String keeps the assertion out of accidental %v formatting.
func (p TokenExchangeParams) String() string {
	return fmt.Sprintf("{Assertion:%s FederationRuleID:%s OrganizationID:%s ServiceAccountID:%s WorkspaceID:%s}",
		redactedIfSet(p.Assertion), p.FederationRuleID, p.OrganizationID, p.ServiceAccountID, p.WorkspaceID)
}

// TokenExchangeResponse is a minted access token. There is no refresh
// token: exchange a fresh assertion on expiry.
type TokenExchangeResponse struct {
	AccessToken string `json:"access_token"` // never logged
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	Scope       string `json:"scope"`
}

// String keeps the access token out of accidental %v formatting.
func (r TokenExchangeResponse) String() string {
	return fmt.Sprintf("{AccessToken:%s TokenType:%s ExpiresIn:%d Scope:%s}",
		redactedIfSet(r.AccessToken), r.TokenType, r.ExpiresIn, r.Scope)
}

// GoString covers %#v, which bypasses String.
func (p TokenExchangeParams) GoString() string { return "client.TokenExchangeParams" + p.String() }

// GoString covers %#v, which bypasses String.
func (r TokenExchangeResponse) GoString() string { return "client.TokenExchangeResponse" + r.String() }

func redactedIfSet(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// ExchangeToken trades an identity token for an Anthropic access token via
// POST /v1/oauth/token. It sends no credential header and is never
// retried, whatever the failure: the same assertion sent twice is a replay
// (jti single use), so the caller must fetch a fresh assertion instead.
func (c *Client) ExchangeToken(ctx context.Context, p TokenExchangeParams) (*TokenExchangeResponse, error) {
	switch {
	case p.Assertion == "":
		return nil, errEmpty("token exchange assertion")
	case p.FederationRuleID == "":
		return nil, errEmpty("token exchange federation rule id")
	case p.OrganizationID == "":
		return nil, errEmpty("token exchange organization id")
	}
	body := struct {
		GrantType        string `json:"grant_type"`
		Assertion        string `json:"assertion"`
		FederationRuleID string `json:"federation_rule_id"`
		OrganizationID   string `json:"organization_id"`
		ServiceAccountID string `json:"service_account_id,omitempty"`
		WorkspaceID      string `json:"workspace_id,omitempty"`
	}{GrantTypeJWTBearer, p.Assertion, p.FederationRuleID, p.OrganizationID, p.ServiceAccountID, p.WorkspaceID}

	var out TokenExchangeResponse
	err := c.do(ctx, request{
		method:  "POST",
		path:    tokenPath,
		body:    body,
		class:   retryNever,
		noAuth:  true,
		secrets: []string{p.Assertion},
	}, &out)
	if err != nil {
		return nil, err
	}
	if out.AccessToken == "" {
		return nil, errors.New("anthropic API: token exchange response has no access_token")
	}
	if out.TokenType != "" && !strings.EqualFold(out.TokenType, "bearer") {
		return nil, fmt.Errorf("anthropic API: token exchange returned unsupported token_type %q", out.TokenType)
	}
	return &out, nil
}
