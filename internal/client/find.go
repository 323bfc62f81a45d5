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

// FindServiceAccountWorkspace returns the explicit membership of a service
// account in a workspace, read from the workspace side (one request), or nil
// when it, or the service account, is gone (an archived service account
// reads as 404). The implicit default-workspace entry is not a membership
// anyone can own, so it reads as nil too.
func (c *Client) FindServiceAccountWorkspace(ctx context.Context, serviceAccountID, workspaceID string) (*ServiceAccountWorkspaceMember, error) {
	m, err := c.GetWorkspaceServiceAccount(ctx, workspaceID, serviceAccountID)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if m.Implicit {
		return nil, nil
	}
	return m, nil
}

// FindFederationRuleWorkspace returns a rule's enablement in a workspace, or
// nil when it or its rule is gone. Archiving a rule clears its enablements,
// so an archived rule has none.
func (c *Client) FindFederationRuleWorkspace(ctx context.Context, ruleID, workspaceID string) (*FederationRuleWorkspace, error) {
	list, err := c.ListFederationRuleWorkspaces(ctx, ruleID)
	if IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].WorkspaceID == workspaceID {
			return &list[i], nil
		}
	}
	return nil, nil
}
