package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The data sources show the same nested objects as the resources: same
// types (custom ones included), same attribute names, all read-only.
func TestDataSourcesDeriveNestedAttributes(t *testing.T) {
	ctx := context.Background()
	schemaOf := func(d datasource.DataSource) dsschema.Schema {
		var resp datasource.SchemaResponse
		d.Schema(ctx, datasource.SchemaRequest{}, &resp)
		return resp.Schema
	}
	cases := []struct {
		name     string
		ds       dsschema.Schema
		attr     string
		resource schema.SingleNestedAttribute
	}{
		{"rule match", schemaOf(newFederationRuleDataSource()), "match", ruleMatchAttribute()},
		{"rule target", schemaOf(newFederationRuleDataSource()), "target", ruleTargetAttribute()},
		{"issuer jwks", schemaOf(newFederationIssuerDataSource()), "jwks", jwksAttribute()},
		{"issuer poll_status", schemaOf(newFederationIssuerDataSource()), "poll_status", pollStatusAttribute()},
	}
	for _, tc := range cases {
		got, ok := tc.ds.Attributes[tc.attr].(dsschema.SingleNestedAttribute)
		if !ok {
			t.Errorf("%s: data source attribute is %T", tc.name, tc.ds.Attributes[tc.attr])
			continue
		}
		if !got.GetType().Equal(tc.resource.GetType()) {
			t.Errorf("%s: data source type %s, resource type %s", tc.name, got.GetType(), tc.resource.GetType())
		}
		if !got.Computed || got.Optional || got.Required {
			t.Errorf("%s: not read-only", tc.name)
		}
		for name, a := range got.Attributes {
			if !a.IsComputed() || a.IsOptional() || a.IsRequired() {
				t.Errorf("%s.%s: not read-only", tc.name, name)
			}
			if a.GetMarkdownDescription() != tc.resource.Attributes[name].GetMarkdownDescription() {
				t.Errorf("%s.%s: description not the resource's", tc.name, name)
			}
		}
	}
	if _, ok := schemaOf(newFederationIssuerDataSource()).Attributes["jwks"].(dsschema.SingleNestedAttribute).Attributes["keys"].GetType().(jwksKeysType); !ok {
		t.Error("jwks.keys lost its custom type")
	}
}

func TestDataSourceAttributeRefusesUnknownKinds(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a list nested attribute was converted silently")
		}
	}()
	dataSourceAttribute(schema.ListNestedAttribute{}, "")
}

func TestObjectAsAndOf(t *testing.T) {
	ctx := context.Background()
	attrTypes := nestedTypes(ruleTargetAttribute())
	var d diag.Diagnostics
	for _, obj := range []types.Object{types.ObjectNull(attrTypes), types.ObjectUnknown(attrTypes)} {
		if _, ok := objectAs[ruleTargetModel](ctx, obj, &d); ok || d.HasError() {
			t.Errorf("%s: ok = %v, diags %v", obj, ok, d)
		}
	}
	want := ruleTargetModel{ServiceAccountID: types.StringValue("svac_1"), ServiceAccountName: types.StringUnknown()}
	got, ok := objectAs[ruleTargetModel](ctx, objectOf(ctx, attrTypes, want), &d)
	if !ok || got != want {
		t.Errorf("round trip = %+v, %v (%v)", got, ok, d)
	}
	defer func() {
		if recover() == nil {
			t.Error("a model that does not fit the types was accepted")
		}
	}()
	objectOf(ctx, map[string]attr.Type{"other": types.StringType}, want)
}
