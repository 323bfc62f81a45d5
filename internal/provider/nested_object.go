package provider

// Nested objects at the schema edge. A nested attribute's value is a
// types.Object only in the top-level models; code works on its typed model
// (decoded with objectAs, built with objectOf) and maps that to the wire
// type with the expandX/flattenX functions beside the resource. The object
// types come from the schema attributes themselves (nestedTypes), and data
// sources derive their read-only attributes from the resource's
// (dataSourceAttribute), so no attribute list is written twice.

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
)

// nestedTypes are the attribute types of a nested attribute's object.
func nestedTypes(a schema.SingleNestedAttribute) map[string]attr.Type {
	t, ok := a.GetNestedObject().Type().(basetypes.ObjectType)
	if !ok {
		panic(fmt.Sprintf("nested attribute of type %T, not an object", a.GetNestedObject().Type())) // a schema bug, caught by any test building the schema
	}
	return t.AttrTypes
}

// objectAs decodes a nested object into its model T. ok is false when the
// object is null or unknown, or when diags already holds an error.
func objectAs[T any](ctx context.Context, obj types.Object, diags *diag.Diagnostics) (T, bool) {
	var m T
	if obj.IsNull() || obj.IsUnknown() {
		return m, false
	}
	diags.Append(obj.As(ctx, &m, basetypes.ObjectAsOptions{})...)
	return m, !diags.HasError()
}

// objectOf builds a nested object from its model. The types come from the
// schema and the model from the same attribute names, so a mismatch is a
// programming error and panics, as types.ObjectValueMust does.
func objectOf(ctx context.Context, attrTypes map[string]attr.Type, model any) types.Object {
	obj, d := types.ObjectValueFrom(ctx, attrTypes, model)
	if d.HasError() {
		panic(fmt.Sprintf("objectOf %T: %v", model, d))
	}
	return obj
}

// dataSourceAttribute derives a data source's read-only attribute from the
// resource attribute holding the same value: its type (custom types
// included), nested attributes and descriptions are the resource's, every
// level is Computed, and validators, plan modifiers and defaults, which
// only concern configuration, are left out. A non-empty description
// replaces the top-level one.
func dataSourceAttribute(a schema.Attribute, description string) dsschema.Attribute {
	desc := a.GetMarkdownDescription()
	if description != "" {
		desc = description
	}
	switch a := a.(type) {
	case schema.StringAttribute:
		return dsschema.StringAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType}
	case schema.BoolAttribute:
		return dsschema.BoolAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType}
	case schema.Int64Attribute:
		return dsschema.Int64Attribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType}
	case schema.MapAttribute:
		return dsschema.MapAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType, ElementType: a.ElementType}
	case schema.SetAttribute:
		return dsschema.SetAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType, ElementType: a.ElementType}
	case schema.SingleNestedAttribute:
		attrs := make(map[string]dsschema.Attribute, len(a.Attributes))
		for name, nested := range a.Attributes {
			attrs[name] = dataSourceAttribute(nested, "")
		}
		return dsschema.SingleNestedAttribute{MarkdownDescription: desc, Computed: true, Sensitive: a.Sensitive, CustomType: a.CustomType, Attributes: attrs}
	}
	panic(fmt.Sprintf("dataSourceAttribute: no data source form for %T", a))
}
