// Command baseline is the benchmark's floor: the smallest framework
// provider that does what a resource of the real provider does per object,
// with no network. One resource, baseline_thing, shaped like a service
// account (the same eight attributes: required, optional, optional+computed
// and computed strings, with the same plan modifiers), without validators or
// API calls; Read returns the state unchanged.
// The harness times terraform against it side by side with the real
// provider, so what terraform and the plugin protocol cost per object is
// divided out of the provider's numbers.
package main

import (
	"context"
	"log"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	pschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"

	"github.com/wiflabs/terraform-provider-anthropic/internal/protocol"
)

// Address is the source address the harness's dev_overrides map.
const Address = "registry.terraform.io/wiflabs/baseline"

func main() {
	// The same log policy as the real provider (see
	// provider.QuietUncollectedLogs), so the floor is not inflated by logs
	// Terraform discards.
	quiet := true
	for _, kv := range os.Environ() {
		if name, value, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "TF_LOG") && value != "" {
			quiet = false
		}
	}
	if quiet {
		for _, name := range []string{"TF_LOG_PROVIDER", "TF_LOG_SDK", "TF_LOG_SDK_PROTO", "TF_LOG_SDK_FRAMEWORK"} {
			_ = os.Setenv(name, "OFF")
		}
	}
	// The same plugin-protocol server as the real provider (see
	// internal/protocol), so the floor is not inflated by the contexts the
	// framework's own server keeps.
	server, err := protocol.ReleaseRequestContexts(providerserver.NewProtocol6(baselineProvider{})())
	if err != nil {
		log.Fatal(err)
	}
	if err := tf6server.Serve(Address, func() tfprotov6.ProviderServer { return server }); err != nil {
		log.Fatal(err)
	}
}

type baselineProvider struct{}

func (baselineProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "baseline"
}

func (baselineProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = pschema.Schema{}
}

func (baselineProvider) Configure(context.Context, provider.ConfigureRequest, *provider.ConfigureResponse) {
}

func (baselineProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{func() resource.Resource { return thing{} }}
}

func (baselineProvider) DataSources(context.Context) []func() datasource.DataSource { return nil }

type thing struct{}

type thingModel struct {
	ID               types.String `tfsdk:"id"`
	Name             types.String `tfsdk:"name"`
	Description      types.String `tfsdk:"description"`
	OrganizationRole types.String `tfsdk:"organization_role"`
	CreatedAt        types.String `tfsdk:"created_at"`
	CreatedByActorID types.String `tfsdk:"created_by_actor_id"`
	UpdatedAt        types.String `tfsdk:"updated_at"`
	UpdatedByActorID types.String `tfsdk:"updated_by_actor_id"`
}

func (thing) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_thing"
}

func (thing) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	computed := func() schema.StringAttribute {
		return schema.StringAttribute{Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	}
	resp.Schema = schema.Schema{Attributes: map[string]schema.Attribute{
		"id":                  computed(),
		"name":                schema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()}},
		"description":         schema.StringAttribute{Optional: true},
		"organization_role":   schema.StringAttribute{Optional: true, Computed: true, PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}},
		"created_at":          computed(),
		"created_by_actor_id": computed(),
		"updated_at":          computed(),
		"updated_by_actor_id": computed(),
	}}
}

func (thing) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.ID = types.StringValue("thing_" + m.Name.ValueString())
	if m.OrganizationRole.IsUnknown() {
		m.OrganizationRole = types.StringValue("user")
	}
	m.CreatedAt = types.StringValue("2026-01-01T00:00:00Z")
	m.UpdatedAt = m.CreatedAt
	m.CreatedByActorID = types.StringValue("user_baseline")
	m.UpdatedByActorID = m.CreatedByActorID
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (thing) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (thing) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var m thingModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (thing) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {}

func (thing) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	resource.ImportStatePassthroughID(ctx, path.Root("id"), req, resp)
}
