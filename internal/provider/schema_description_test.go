package provider

import (
	"context"
	"reflect"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// Every schema (provider, resources, data sources, ephemeral and list
// resources) documents each attribute once, in MarkdownDescription: a plain
// Description beside it is a second copy that drifts, and the framework
// sends only the markdown one when both are set.
func TestSchemasUseMarkdownDescriptionOnly(t *testing.T) {
	ctx := context.Background()
	p, ok := New("test")().(*anthropicProvider)
	if !ok {
		t.Fatal("New does not build an *anthropicProvider")
	}
	schemas := map[string]any{}
	var ps provider.SchemaResponse
	p.Schema(ctx, provider.SchemaRequest{}, &ps)
	schemas["provider"] = ps.Schema
	for _, f := range p.Resources(ctx) {
		r := f()
		var meta resource.MetadataResponse
		r.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "anthropic"}, &meta)
		var resp resource.SchemaResponse
		r.Schema(ctx, resource.SchemaRequest{}, &resp)
		schemas["resource "+meta.TypeName] = resp.Schema
	}
	for _, f := range p.DataSources(ctx) {
		d := f()
		var meta datasource.MetadataResponse
		d.Metadata(ctx, datasource.MetadataRequest{ProviderTypeName: "anthropic"}, &meta)
		var resp datasource.SchemaResponse
		d.Schema(ctx, datasource.SchemaRequest{}, &resp)
		schemas["data source "+meta.TypeName] = resp.Schema
	}
	for _, f := range p.EphemeralResources(ctx) {
		e := f()
		var meta ephemeral.MetadataResponse
		e.Metadata(ctx, ephemeral.MetadataRequest{ProviderTypeName: "anthropic"}, &meta)
		var resp ephemeral.SchemaResponse
		e.Schema(ctx, ephemeral.SchemaRequest{}, &resp)
		schemas["ephemeral "+meta.TypeName] = resp.Schema
	}
	for _, f := range p.ListResources(ctx) {
		l := f()
		var meta resource.MetadataResponse
		l.Metadata(ctx, resource.MetadataRequest{ProviderTypeName: "anthropic"}, &meta)
		var resp list.ListResourceSchemaResponse
		l.ListResourceConfigSchema(ctx, list.ListResourceSchemaRequest{}, &resp)
		schemas["list "+meta.TypeName] = resp.Schema
	}
	if len(schemas) < 19 {
		t.Fatalf("only %d schemas walked", len(schemas))
	}
	for name, s := range schemas {
		var documented int
		walkDescriptions(reflect.ValueOf(s), name, func(path, plain, markdown string) {
			if plain != "" {
				t.Errorf("%s: plain Description %q beside MarkdownDescription", path, plain)
			}
			if markdown != "" {
				documented++
			}
		})
		if documented == 0 {
			t.Errorf("%s: no MarkdownDescription found", name)
		}
	}
}

// walkDescriptions visits every struct reachable through exported fields
// that has both a Description and a MarkdownDescription string field.
func walkDescriptions(v reflect.Value, path string, visit func(path, plain, markdown string)) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			walkDescriptions(v.Elem(), path, visit)
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			walkDescriptions(v.MapIndex(k), path+"."+k.String(), visit)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkDescriptions(v.Index(i), path, visit)
		}
	case reflect.Struct:
		d, m := v.FieldByName("Description"), v.FieldByName("MarkdownDescription")
		if d.IsValid() && m.IsValid() && d.Kind() == reflect.String && m.Kind() == reflect.String {
			visit(path, d.String(), m.String())
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walkDescriptions(v.Field(i), path, visit)
			}
		}
	}
}
