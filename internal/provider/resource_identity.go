package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/wiflabs/terraform-provider-anthropic/internal/policy"
)

// Resource identity (Terraform >= 1.12) names an object by the attributes
// that identify it on the API: its id, or for a membership or enablement
// the two ids it joins. Every resource returns it from Create, Read, Update
// and ImportState, and can be imported by it (an import block's identity
// argument). Older Terraform never asks for it and keeps importing by the
// id string; the framework drops identity for it.
//
// Each resource file states its identity schema and its identity
// attributes (<type>IdentityAttrs), in the order they join into the
// composite import ID ("<first>:<second>"); this file holds what they share.

// idIdentity is the identity of an object named by its own id.
type idIdentity struct {
	ID types.String `tfsdk:"id"`
}

func idIdentitySchema(what, prefix string) identityschema.Schema {
	return identityschema.Schema{Attributes: map[string]identityschema.Attribute{
		"id": identityschema.StringAttribute{
			RequiredForImport: true,
			Description:       fmt.Sprintf("%s ID (%s...).", what, prefix),
		},
	}}
}

// identityFromState copies the identity attributes from the state a method
// has just written. Resources defer it at the top of Create, Read, Update
// and ImportState, so whichever path set the state, the identity follows
// it. Later states are fallbacks: Read passes its prior state, because the
// framework wants an identity even when Read removes a vanished object, and
// a state written before identity existed has none to carry over. A state
// that was not set, or lacks an identity attribute, leaves the identity
// alone. identity is nil when the resource has no identity schema.
func identityFromState(ctx context.Context, identity *tfsdk.ResourceIdentity, diags *diag.Diagnostics, attrs []string, states ...*tfsdk.State) {
	if identity == nil {
		return
	}
	for _, state := range states {
		values, ok := identityValues(ctx, state, attrs)
		if !ok {
			continue
		}
		for i, a := range attrs {
			diags.Append(identity.SetAttribute(ctx, path.Root(a), values[i])...)
		}
		return
	}
}

// identityValues reads the identity attributes of a state; ok is false
// unless the state holds every one of them.
func identityValues(ctx context.Context, state *tfsdk.State, attrs []string) ([]types.String, bool) {
	if state == nil || state.Raw.IsNull() || !state.Raw.IsKnown() {
		return nil, false
	}
	values := make([]types.String, len(attrs))
	for i, a := range attrs {
		if d := state.GetAttribute(ctx, path.Root(a), &values[i]); d.HasError() {
			return nil, false
		}
		if values[i].IsNull() || values[i].IsUnknown() {
			return nil, false
		}
	}
	return values, true
}

// importRef is what to import: the import ID Terraform passed (terraform
// import, or an import block's id), or, when importing by identity
// (Terraform >= 1.12), the identity's attributes joined into the same ID
// form, so both paths share one parser. what names the source for
// diagnostics.
func importRef(ctx context.Context, req resource.ImportStateRequest, diags *diag.Diagnostics, attrs []string) (ref, what string, ok bool) {
	if req.ID != "" {
		return req.ID, "import ID", true
	}
	if req.Identity == nil || req.Identity.Raw.IsNull() {
		diags.AddError("Missing import ID", "Terraform passed neither an import ID nor an identity to import.")
		return "", "", false
	}
	parts := make([]string, len(attrs))
	for i, a := range attrs {
		var v types.String
		if d := req.Identity.GetAttribute(ctx, path.Root(a), &v); d.HasError() {
			diags.Append(d...)
			return "", "", false
		}
		if v.IsNull() || v.IsUnknown() || v.ValueString() == "" {
			diags.AddError("Invalid import identity", fmt.Sprintf("The identity's %s must be set to import by identity.", a))
			return "", "", false
		}
		if len(attrs) > 1 && strings.Contains(v.ValueString(), ":") {
			diags.AddError("Invalid import identity", fmt.Sprintf("The identity's %s %q cannot contain \":\".", a, v.ValueString()))
			return "", "", false
		}
		parts[i] = v.ValueString()
	}
	return strings.Join(parts, ":"), "import identity", true
}

// importByID imports an object named by its own ID (prefix...), from an
// import ID or an identity; what names the object ("service account").
func importByID(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse, attrs []string, prefix, what string) {
	defer identityFromState(ctx, resp.Identity, &resp.Diagnostics, attrs, &resp.State)
	id, src, ok := importRef(ctx, req, &resp.Diagnostics, attrs)
	if !ok {
		return
	}
	if err := policy.ValidateID(prefix, id); err != nil {
		resp.Diagnostics.AddError("Invalid "+src, fmt.Sprintf("Import a %s by its ID (%s...): %s", what, prefix, err))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), id)...)
}
