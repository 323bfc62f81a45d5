package client

import (
	"context"
	"encoding/json"
	"iter"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

var federationRules = collection[FederationRule]{"federation_rules", "federation rule"}

// RuleMatch holds a rule's matchers; every populated one must pass. The
// wire shape is owned by internal/policy, whose checks take it as sent.
type RuleMatch = policy.Match

// RuleTarget is the principal a rule mints tokens for.
type RuleTarget = policy.RuleTarget

// FederationRule maps identity tokens from an issuer to a service account.
type FederationRule struct {
	Type                   string          `json:"type"`
	ID                     string          `json:"id"`
	Name                   string          `json:"name"`
	Description            *string         `json:"description"`
	IssuerID               string          `json:"issuer_id"`
	IssuerName             string          `json:"issuer_name"`
	Match                  RuleMatch       `json:"match"`
	Target                 RuleTarget      `json:"target"`
	OAuthScope             string          `json:"oauth_scope"`
	AppliesToAllWorkspaces bool            `json:"applies_to_all_workspaces"`
	WorkspaceIDs           []string        `json:"workspace_ids"`
	TokenLifetimeSeconds   int64           `json:"token_lifetime_seconds"`
	Attributes             json.RawMessage `json:"attributes,omitempty"`
	CreatedAt              time.Time       `json:"created_at"`
	CreatedByActorID       string          `json:"created_by_actor_id"`
	UpdatedAt              time.Time       `json:"updated_at"`
	UpdatedByActorID       string          `json:"updated_by_actor_id"`
	ArchivedAt             *time.Time      `json:"archived_at"`
	ArchivedByActorID      *string         `json:"archived_by_actor_id"`
}

// IsArchived reports a soft-deleted rule.
func (r *FederationRule) IsArchived() bool { return r != nil && r.ArchivedAt != nil }

// FederationRuleCreateParams is the create body. Exactly one of
// WorkspaceID and AppliesToAllWorkspaces must be given (the server checks).
type FederationRuleCreateParams struct {
	Name                   string     `json:"name"`
	Description            *string    `json:"description,omitempty"`
	IssuerID               string     `json:"issuer_id"`
	Match                  RuleMatch  `json:"match"`
	Target                 RuleTarget `json:"target"`
	OAuthScope             string     `json:"oauth_scope"`
	WorkspaceID            *string    `json:"workspace_id,omitempty"`
	AppliesToAllWorkspaces *bool      `json:"applies_to_all_workspaces,omitempty"`
	TokenLifetimeSeconds   *int64     `json:"token_lifetime_seconds,omitempty"`
}

// FederationRuleUpdateParams is a partial update; Match and Target are
// replaced whole. issuer_id is immutable and therefore absent.
type FederationRuleUpdateParams struct {
	Name                   Field[string]     `json:"name,omitzero"`
	Description            Field[string]     `json:"description,omitzero"`
	Match                  Field[RuleMatch]  `json:"match,omitzero"`
	Target                 Field[RuleTarget] `json:"target,omitzero"`
	OAuthScope             Field[string]     `json:"oauth_scope,omitzero"`
	WorkspaceID            Field[string]     `json:"workspace_id,omitzero"`
	AppliesToAllWorkspaces Field[bool]       `json:"applies_to_all_workspaces,omitzero"`
	TokenLifetimeSeconds   Field[int64]      `json:"token_lifetime_seconds,omitzero"`
}

// FederationRuleListParams filters the rule list.
type FederationRuleListParams struct {
	ListParams
	// IssuerID restricts the list to one issuer's rules.
	IssuerID string
}

// FederationRuleWorkspace is a rule's enablement in one workspace.
type FederationRuleWorkspace struct {
	Type             string    `json:"type"`
	FederationRuleID string    `json:"federation_rule_id"`
	WorkspaceID      string    `json:"workspace_id"`
	WorkspaceName    string    `json:"workspace_name"`
	CreatedAt        time.Time `json:"created_at"`
	CreatedByActorID string    `json:"created_by_actor_id"`
}

// CreateFederationRule creates a rule.
func (c *Client) CreateFederationRule(ctx context.Context, p FederationRuleCreateParams) (*FederationRule, error) {
	return federationRules.create(ctx, c, p)
}

// GetFederationRule reads a rule, archived or not.
func (c *Client) GetFederationRule(ctx context.Context, id string) (*FederationRule, error) {
	return federationRules.get(ctx, c, id)
}

// UpdateFederationRule applies a partial update.
func (c *Client) UpdateFederationRule(ctx context.Context, id string, p FederationRuleUpdateParams) (*FederationRule, error) {
	return federationRules.update(ctx, c, id, p)
}

// ArchiveFederationRule soft-deletes a rule; exchanges stop at once.
func (c *Client) ArchiveFederationRule(ctx context.Context, id string) (*FederationRule, error) {
	return federationRules.archive(ctx, c, id)
}

// ListFederationRules iterates over rules, following pages.
func (c *Client) ListFederationRules(ctx context.Context, p FederationRuleListParams) iter.Seq2[FederationRule, error] {
	q, err := p.query()
	if err == nil && p.IssuerID != "" {
		q.Set("issuer_id", p.IssuerID)
	}
	return federationRules.list(ctx, c, q, err)
}

// EnableFederationRuleWorkspace enables a rule in a workspace. The API
// makes this idempotent, so it is retried like a read.
func (c *Client) EnableFederationRuleWorkspace(ctx context.Context, ruleID, workspaceID string) (*FederationRuleWorkspace, error) {
	body := struct {
		WorkspaceID string `json:"workspace_id"`
	}{workspaceID}
	return addWorkspace[FederationRuleWorkspace](ctx, c, federationRules, ruleID, workspaceID, body, retryIdempotent)
}

// ListFederationRuleWorkspaces returns every workspace the rule is enabled in.
func (c *Client) ListFederationRuleWorkspaces(ctx context.Context, ruleID string) ([]FederationRuleWorkspace, error) {
	path, err := federationRules.workspacesPath(ruleID)
	if err != nil {
		return nil, err
	}
	// The endpoint is documented unpaged; following a next_page anyway
	// costs nothing if one ever appears.
	return Collect(paginate[FederationRuleWorkspace](ctx, c, path, nil, nil))
}

// DisableFederationRuleWorkspace disables a rule in a workspace. Like
// RemoveServiceAccountWorkspace it treats 404 as already done.
func (c *Client) DisableFederationRuleWorkspace(ctx context.Context, ruleID, workspaceID string) error {
	return federationRules.removeWorkspace(ctx, c, ruleID, workspaceID)
}
