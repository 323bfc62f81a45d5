package provider

// The base every resource, list resource and data source embeds
// (configuredResource, configuredDataSource) and the steps their methods
// start with: a configured client, secrets masked in what is logged, the
// plan, state or configuration read into the model.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

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

// liveByID checks what a data source's look-up by id got (a client Get's
// obj and err): an object that does not exist or is archived is an error on
// id, and liveByID returns nil. what names the object ("Service account");
// describe gives its name and archived_at; archivedWhy ends the archived
// error.
func liveByID[P interface{ IsArchived() bool }](diags *diag.Diagnostics, what, id string, obj P, err error,
	describe func(P) (name string, archivedAt *time.Time), archivedWhy string,
) P {
	var none P
	switch {
	case client.IsNotFound(err):
		diags.AddAttributeError(path.Root("id"), what+" not found",
			fmt.Sprintf("No %s has id %q in this organization.", strings.ToLower(what), id))
		return none
	case err != nil:
		addAPIError(diags, "Unable to read "+strings.ToLower(what)+" "+id, err)
		return none
	case obj.IsArchived():
		name, archivedAt := describe(obj)
		diags.AddAttributeError(path.Root("id"), what+" is archived",
			fmt.Sprintf("%s id %q (%s) was archived at %s; %s", what, id, name, timePtrString(archivedAt).ValueString(), archivedWhy))
		return none
	}
	return obj
}
