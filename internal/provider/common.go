package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
	"github.com/wiflabs/terraform-provider-anthropic/internal/redact"
)

// listPageSize is the page size of every list the provider walks (service
// accounts, issuers, rules): the API's maximum, so a lookup costs as few
// requests as possible.
const listPageSize = client.MaxPageSize

// workspacePageSize is the largest page the workspace list serves.
const workspacePageSize = 1000

// configuredResource is embedded by every resource and list resource: its
// Configure keeps what the provider's Configure produced in data (nil until
// the provider is configured).
type configuredResource struct{ data *providerData }

func (c *configuredResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	c.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// configuredDataSource is configuredResource for data sources.
type configuredDataSource struct{ data *providerData }

func (c *configuredDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	c.data = providerDataFrom(req.ProviderData, &resp.Diagnostics)
}

// providerDataFrom unpacks what Configure produced. A nil value means the
// provider is not configured yet (unknown values at plan time).
func providerDataFrom(data any, diags *diag.Diagnostics) *providerData {
	if data == nil {
		return nil
	}
	pd, ok := data.(*providerData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *providerData, got %T; please report this issue to the provider developers", data))
		return nil
	}
	return pd
}

// requireClient is called by operations that must talk to the API.
func requireClient(pd *providerData, diags *diag.Diagnostics) bool {
	if pd == nil || pd.client == nil {
		diags.AddError("Provider not configured",
			"The anthropic provider was not configured (its configuration has values unknown until apply, or Configure failed). "+
				"Make base_url, auth_token and organization_id known at plan time.")
		return false
	}
	return true
}

// begin starts a CRUD method or a data source's Read: it masks secrets in
// what ctx logs, requires a configured client and reads the plan, state or
// configuration (get, such as req.Plan.Get) into an M; ok is false after an
// error diagnostic.
func begin[M any](ctx context.Context, pd *providerData, get func(context.Context, any) diag.Diagnostics, diags *diag.Diagnostics) (context.Context, M, bool) {
	ctx = maskSecrets(ctx)
	var m M
	if !requireClient(pd, diags) {
		return ctx, m, false
	}
	diags.Append(get(ctx, &m)...)
	return ctx, m, !diags.HasError()
}

// beginUpdate is begin for an Update, which reads the plan and the prior
// state.
func beginUpdate[M any](ctx context.Context, pd *providerData, req resource.UpdateRequest, diags *diag.Diagnostics) (_ context.Context, plan, state M, ok bool) {
	ctx = maskSecrets(ctx)
	if !requireClient(pd, diags) {
		return ctx, plan, state, false
	}
	diags.Append(req.Plan.Get(ctx, &plan)...)
	diags.Append(req.State.Get(ctx, &state)...)
	return ctx, plan, state, !diags.HasError()
}

// readLive checks what a resource's Read got for an archivable object (a
// client Get's obj and err): it reports false when the Read ends, having
// removed the resource from state if the object is gone or archived, or
// added an error diagnostic if reading failed. what names the object
// ("service account").
func readLive[P interface{ IsArchived() bool }](ctx context.Context, resp *resource.ReadResponse, what, id string, obj P, err error) bool {
	if client.IsNotFound(err) || (err == nil && obj.IsArchived()) {
		tflog.Warn(ctx, what+" is gone or archived; removing it from state", map[string]any{"id": id})
		resp.State.RemoveResource(ctx)
		return false
	}
	if err != nil {
		addAPIError(&resp.Diagnostics, "Unable to read "+what+" "+id, err)
		return false
	}
	return true
}

// apiErrorDetail renders an API error for a diagnostic: the API's error
// type, message and request id, never a credential.
func apiErrorDetail(err error) string {
	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		d := fmt.Sprintf("The Anthropic API answered HTTP %d (%s): %s", apiErr.StatusCode, apiErr.Type, apiErr.Message)
		if apiErr.RequestID != "" {
			d += fmt.Sprintf("\nRequest ID: %s (quote it when contacting Anthropic support)", apiErr.RequestID)
		}
		switch apiErr.StatusCode {
		case 401:
			d += "\nThe credential was refused: check that auth_token (or ANTHROPIC_AUTH_TOKEN) is a live OAuth access token with the org:admin scope, " +
				"or, with keyless authentication, that the federation rule has the org:admin scope and targets an admin service account."
		case 403:
			d += "\nThe credential lacks permission for this change. OAuth callers may only manage rules whose scopes are workspace:developer and/or " +
				"workspace:inference, and the issuers behind them; other rules need a Console session. Creating or promoting an admin service account needs " +
				"an interactive credential (a user's OAuth token, such as ANTHROPIC_AUTH_TOKEN); a token minted by a federation exchange is not one."
		}
		return d
	}
	// Not an answer from the API: a transport error, a federation token
	// source's failure (identity sources, Google). The client redacts what it
	// builds; this covers the rest.
	return redact.String(err.Error())
}

func addAPIError(diags *diag.Diagnostics, summary string, err error) {
	diags.AddError(summary, apiErrorDetail(err))
}

// timeString renders API timestamps the same way everywhere.
func timeString(t time.Time) types.String {
	if t.IsZero() {
		return types.StringNull()
	}
	return types.StringValue(t.UTC().Format(time.RFC3339))
}

// optionalString maps a server-side empty string to null, for attributes
// where the API cannot tell "empty" from "never set".
func optionalString(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

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

func optionalStringPtr(p *string) types.String {
	if p == nil {
		return types.StringNull()
	}
	return optionalString(*p)
}

// computedString is a read-only string attribute; stable ones keep their
// state value in plans so unrelated updates do not show them as unknown.
func computedString(description string, stable bool) schema.StringAttribute {
	a := schema.StringAttribute{MarkdownDescription: description, Computed: true}
	if stable {
		a.PlanModifiers = []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	}
	return a
}

func timePtrString(t *time.Time) types.String {
	if t == nil {
		return types.StringNull()
	}
	return timeString(*t)
}

// splitCompositeID parses "<prefix...>:<workspace id>" import IDs.
func splitCompositeID(id, prefix, form string) (string, string, error) {
	left, right, ok := strings.Cut(id, ":")
	if !ok {
		return "", "", fmt.Errorf("expected an ID of the form %s, got %q", form, id)
	}
	if err := policy.ValidateID(prefix, left); err != nil {
		return "", "", fmt.Errorf("expected an ID of the form %s: %s", form, err)
	}
	if right == policy.DefaultWorkspaceID {
		return "", "", fmt.Errorf("expected an ID of the form %s: the default workspace is imported by its own ID (wrkspc_...), which the API shows "+
			"everywhere; data.anthropic_workspace with default = true gives it", form)
	}
	if err := policy.ValidateID(policy.PrefixWorkspace, right); err != nil {
		return "", "", fmt.Errorf("expected an ID of the form %s: %s", form, err)
	}
	return left, right, nil
}

// stringDefault and boolDefault give an optional attribute's value, or def
// when it is null or not yet known.
func stringDefault(v types.String, def string) string {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueString()
}

func boolDefault(v types.Bool, def bool) bool {
	if v.IsNull() || v.IsUnknown() {
		return def
	}
	return v.ValueBool()
}

// known reports whether a string attribute has a value to check yet.
func known(v basetypes.StringValue) bool { return !v.IsNull() && !v.IsUnknown() }
