package client

import (
	"context"
	"iter"
)

// Names are unique among the live (non-archived) service accounts, issuers
// and rules of an organization (the service enforces it), so a name finds at most
// one live object. These lookups recover an object whose create failed
// ambiguously, and name the object behind a 409.

// FindServiceAccountByName returns the live service account named name, or
// nil when there is none.
func (c *Client) FindServiceAccountByName(ctx context.Context, name string) (*ServiceAccount, error) {
	return findByName(c.ListServiceAccounts(ctx, ListParams{Limit: MaxPageSize}), func(s *ServiceAccount) string { return s.Name }, name)
}

// FindFederationIssuerByName returns the live issuer named name, or nil.
func (c *Client) FindFederationIssuerByName(ctx context.Context, name string) (*FederationIssuer, error) {
	return findByName(c.ListFederationIssuers(ctx, ListParams{Limit: MaxPageSize}), func(i *FederationIssuer) string { return i.Name }, name)
}

// FindFederationRuleByName returns the live rule named name, or nil.
func (c *Client) FindFederationRuleByName(ctx context.Context, name string) (*FederationRule, error) {
	return findByName(c.ListFederationRules(ctx, FederationRuleListParams{ListParams: ListParams{Limit: MaxPageSize}}), func(r *FederationRule) string { return r.Name }, name)
}

func findByName[T any](seq iter.Seq2[T, error], nameOf func(*T) string, name string) (*T, error) {
	for item, err := range seq {
		if err != nil {
			return nil, err
		}
		if a, ok := any(&item).(interface{ IsArchived() bool }); ok && a.IsArchived() {
			continue // archiving frees a name
		}
		if nameOf(&item) == name {
			return &item, nil
		}
	}
	return nil, nil
}
