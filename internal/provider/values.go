package provider

// Conversions between API values and Terraform values, and the read-only
// attribute helpers every type uses.

import (
	"time"

	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

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

// computedDSString is computedString for data sources.
func computedDSString(description string) dsschema.StringAttribute {
	return dsschema.StringAttribute{MarkdownDescription: description, Computed: true}
}

// sameStringPtr compares two optional API strings; absent and empty are
// the same.
func sameStringPtr(a, b *string) bool {
	if a == nil || b == nil {
		return (a == nil || *a == "") && (b == nil || *b == "")
	}
	return *a == *b
}
