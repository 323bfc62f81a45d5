package provider

// Read-your-writes: after a write, wait until reads return it, so the
// next plan shows no phantom drift.

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// readYourWriteBudget bounds how long a write waits to become visible.
const readYourWriteBudget = 5 * time.Second

// waitForWrite polls updatedAt until it reaches want. The API may serve a
// stale copy for a short while after a write; state is always set from the
// write's own response, and this wait only makes sure the next refresh (the
// next plan) does not read the stale copy and show phantom drift. It
// reports false when the budget ran out first.
func waitForWrite(ctx context.Context, want time.Time, updatedAt func(context.Context) (time.Time, error)) (bool, error) {
	const interval = 100 * time.Millisecond
	deadline := time.Now().Add(readYourWriteBudget)
	for {
		got, err := updatedAt(ctx)
		if err != nil {
			return false, err
		}
		if !got.Before(want) {
			return true, nil
		}
		if time.Now().After(deadline) {
			return false, nil
		}
		select {
		case <-ctx.Done():
			return false, ctx.Err()
		case <-time.After(interval):
		}
	}
}

// awaitWrite is the read-your-writes step of every write: it waits (see
// waitForWrite) until get returns a copy at least as new as writtenAt and
// returns that copy. get reports a zero time for a copy that is not the
// written one yet. When reading back fails or the budget runs out, a
// warning naming what says so and awaitWrite reports false: the caller then
// keeps the write's own response.
func awaitWrite[T any](ctx context.Context, diags *diag.Diagnostics, what string, writtenAt time.Time, get func(context.Context) (T, time.Time, error)) (T, bool) {
	var fresh T
	ok, err := waitForWrite(ctx, writtenAt, func(ctx context.Context) (time.Time, error) {
		got, at, err := get(ctx)
		if err == nil {
			fresh = got
		}
		return at, err
	})
	switch {
	case err != nil:
		diags.AddWarning("Could not confirm the write", "The "+what+" was written and is tracked in state, but reading it back failed: "+apiErrorDetail(err))
	case !ok:
		addStaleReadWarning(diags, what)
	}
	return fresh, err == nil && ok
}

// addStaleReadWarning explains a write that did not become visible in time.
func addStaleReadWarning(diags *diag.Diagnostics, what string) {
	diags.AddWarning("Write not yet visible",
		fmt.Sprintf("The %s was written, but reads still returned the previous version after %s. State holds the written values; "+
			"if the next plan shows a difference, run it again in a few seconds.", what, readYourWriteBudget))
}

// awaitUpdated is awaitWrite for an object read back by its id with get (a
// client Get), whose updated_at (updatedAt) tells the copies apart.
func awaitUpdated[T any](ctx context.Context, diags *diag.Diagnostics, what, id string, writtenAt time.Time,
	get func(context.Context, string) (*T, error), updatedAt func(*T) time.Time,
) {
	awaitWrite(ctx, diags, what, writtenAt, func(ctx context.Context) (*T, time.Time, error) {
		obj, err := get(ctx, id)
		if err != nil {
			return nil, time.Time{}, err
		}
		return obj, updatedAt(obj), nil
	})
}
