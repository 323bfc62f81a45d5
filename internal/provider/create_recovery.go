package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// The recovery rule for creates, documented in templates/index.md.tmpl:
//
// A create that fails ambiguously — the connection dropped or timed out after
// the request was sent, the API answered a 5xx (not 529), or it answered
// success with an unusable body — may have created the object anyway. The
// provider then looks the object up by its unique name (names are unique
// among live service accounts, issuers and rules; a membership is unique by
// service account and workspace). If it finds one that this apply created —
// created no earlier than the failed request was sent (less createClockSkew)
// and matching the request's defining fields — it records that object in
// state with a warning instead of failing. If it finds none, the API did not
// create it, and the create is sent again (at most createAttempts times in
// all). A 409 after one of this apply's own ambiguous attempts goes through
// the same lookup.
const (
	createAttempts = 5
	// createClockSkew is how far the API's clock may run behind ours.
	createClockSkew = 2 * time.Minute
	// recoveryTimeout bounds the lookup, which runs even when Terraform is
	// interrupting: it is how an object created at that moment reaches state.
	recoveryTimeout = 2 * time.Minute
)

// createRecovering sends a create through create and applies the recovery
// rule above. find returns the object this apply created (matching name and
// defining fields, created at or after since), or nil when there is none.
func createRecovering[T any](ctx context.Context, diags *diag.Diagnostics, kind, name string,
	create func(context.Context) (*T, error),
	find func(ctx context.Context, since time.Time) (*T, error),
) (*T, error) {
	since := time.Now().Add(-createClockSkew)
	var err error
	for attempt := 1; attempt <= createAttempts; attempt++ {
		var obj *T
		obj, err = create(ctx)
		if err == nil {
			return obj, nil
		}
		if !client.IsAmbiguous(err) && (attempt == 1 || !client.IsConflict(err)) {
			return nil, err
		}
		tflog.Warn(ctx, "create failed ambiguously; looking the object up by name", map[string]any{"kind": kind, "name": name, "attempt": attempt})
		lookupCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recoveryTimeout)
		found, findErr := find(lookupCtx, since)
		cancel()
		if findErr != nil {
			return nil, fmt.Errorf("%w\n\nThe %s %q may have been created anyway, and looking it up by name failed too: %s. "+
				"Before applying again, check whether it exists; if it does, import it.", err, kind, name, apiErrorDetail(findErr))
		}
		if found != nil {
			diags.AddWarning(fmt.Sprintf("Recovered %s %q after an uncertain create", kind, name),
				fmt.Sprintf("The create request failed in a way that leaves open whether the API carried it out:\n%s\n\n"+
					"The provider looked the %s up by its unique name, found the one this apply created, and recorded it in state.",
					apiErrorDetail(err), kind))
			return found, nil
		}
		if client.IsConflict(err) || ctx.Err() != nil {
			// Someone else holds the name, or Terraform is stopping: do not
			// send the create again.
			return nil, err
		}
		// Not created: sending it again cannot duplicate it.
	}
	return nil, err
}

// createdSince reports an object created at or after since; a zero
// timestamp (a tolerant decode) does not prove anything either way.
func createdSince(created, since time.Time) bool {
	return !created.IsZero() && !created.Before(since)
}

// importHint names an existing object behind a 409 as a ready-to-paste
// import block (after a hard kill, the object exists but is not in state).
func importHint(ctx context.Context, resourceType string, lookup func(context.Context) (string, error)) string {
	lookupCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recoveryTimeout)
	defer cancel()
	id, err := lookup(lookupCtx)
	if err != nil || id == "" {
		return ""
	}
	return fmt.Sprintf("\n\nIf it is the one this configuration describes (for example, created by an apply that was killed before it could save state), "+
		"add this block to the configuration, with `to` set to this resource's address shown above, and apply again:\n\n"+
		"import {\n  to = %s.this\n  id = %q\n}", resourceType, id)
}

// ruleDefinedAs reports whether found is the rule p asks for in every field
// the create sends: a rule of the same name that differs in any of them
// (another configuration's, or someone's in the Console) is not adopted,
// because adopting it would put its looser or different match, scope or
// lifetime under this configuration.
func ruleDefinedAs(found *client.FederationRule, p client.FederationRuleCreateParams) bool {
	if found.IssuerID != p.IssuerID || found.Target.ServiceAccountID != p.Target.ServiceAccountID ||
		!sameStringPtr(found.Description, p.Description) || !sameMatch(found.Match, p.Match) ||
		!sameScopes(found.OAuthScope, p.OAuthScope) {
		return false
	}
	if p.TokenLifetimeSeconds != nil && found.TokenLifetimeSeconds != *p.TokenLifetimeSeconds {
		return false
	}
	if found.AppliesToAllWorkspaces != (p.AppliesToAllWorkspaces != nil && *p.AppliesToAllWorkspaces) {
		return false
	}
	if p.WorkspaceID != nil {
		// The create enables one workspace; a fresh rule has exactly it.
		if len(found.WorkspaceIDs) != 1 || (found.WorkspaceIDs[0] != *p.WorkspaceID && *p.WorkspaceID != "default") {
			return false
		}
	}
	return true
}

// issuerDefinedAs reports whether found is the issuer p asks for in every
// field the create sends (the JWKS source, check_jti, the lifetime cap).
func issuerDefinedAs(found *client.FederationIssuer, p client.FederationIssuerCreateParams) bool {
	if found.IssuerURL != p.IssuerURL {
		return false
	}
	if p.CheckJTI != nil && found.CheckJTI != *p.CheckJTI {
		return false
	}
	if p.MaxJWTLifetimeSeconds != nil && found.MaxJWTLifetimeSeconds != *p.MaxJWTLifetimeSeconds {
		return false
	}
	if p.JWKS == nil {
		return found.JWKS.Type == client.JWKSTypeDiscovery && found.JWKS.CACertPEM == nil
	}
	want, got := *p.JWKS, found.JWKS
	if want.Type != got.Type || want.URL != got.URL || !sameStringPtr(want.CACertPEM, got.CACertPEM) ||
		!sameStringPtr(want.DiscoveryBase, got.DiscoveryBase) || len(want.Keys) != len(got.Keys) {
		return false
	}
	for i := range want.Keys {
		if !sameJSON(want.Keys[i], got.Keys[i]) {
			return false
		}
	}
	return true
}

func sameStringPtr(a, b *string) bool {
	if a == nil || b == nil {
		return (a == nil || *a == "") && (b == nil || *b == "")
	}
	return *a == *b
}

func sameMatch(a, b client.RuleMatch) bool {
	return sameStringPtr(a.SubjectPrefix, b.SubjectPrefix) && sameStringPtr(a.Audience, b.Audience) &&
		sameStringPtr(a.Condition, b.Condition) && maps.Equal(a.Claims, b.Claims)
}

// sameScopes compares space-separated scope sets, whatever their order.
func sameScopes(a, b string) bool {
	x, y := strings.Fields(a), strings.Fields(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}

// sameJSON compares two JSON documents by value (key order and spacing
// aside).
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
