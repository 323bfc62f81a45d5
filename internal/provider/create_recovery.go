package provider

import (
	"context"
	"fmt"
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
// and matching the request's defining fields (ruleDefinedAs and
// issuerDefinedAs, in the types' model files) — it records that object in
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
			//nolint:staticcheck // ST1005: shown whole as a diagnostic's detail, in sentences.
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
