package provider

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// BenchmarkServiceAccountRefresh is the provider's share of refreshing one
// service account, through the plugin protocol as terraform drives it
// (ReadResource, then PlanResourceChange of the refreshed state) against
// the in-process emulator. Profile it with
//
//	go test ./internal/provider/ -run '^$' -bench ServiceAccountRefresh -cpuprofile cpu.out
func BenchmarkServiceAccountRefresh(b *testing.B) {
	benchmarkResourcePlan(b, true)
}

// BenchmarkServiceAccountNoopPlan is the same without the read: what
// `terraform plan -refresh=false` costs per object.
func BenchmarkServiceAccountNoopPlan(b *testing.B) {
	benchmarkResourcePlan(b, false)
}

func benchmarkResourcePlan(b *testing.B, refresh bool) {
	env := newTestEnv(&testing.T{})
	ctx := context.Background()
	srv, err := providerserver.NewProtocol6WithError(New("bench")())()
	if err != nil {
		b.Fatal(err)
	}
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		b.Fatal(err)
	}
	providerType, ok := schemas.Provider.ValueType().(tftypes.Object)
	if !ok {
		b.Fatal("the provider schema is not an object")
	}
	cfgVals := map[string]tftypes.Value{}
	for name, t := range providerType.AttributeTypes {
		cfgVals[name] = tftypes.NewValue(t, nil)
	}
	cfgVals["base_url"] = tftypes.NewValue(tftypes.String, env.server.URL)
	cfgVals["auth_token"] = tftypes.NewValue(tftypes.String, env.emu.AdminToken())
	cfgVals["organization_id"] = tftypes.NewValue(tftypes.String, env.emu.OrganizationID())
	cfg, err := tfprotov6.NewDynamicValue(providerType, tftypes.NewValue(providerType, cfgVals))
	if err != nil {
		b.Fatal(err)
	}
	conf, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: &cfg})
	if err != nil || len(conf.Diagnostics) > 0 {
		b.Fatalf("configure: %v %v", err, conf.Diagnostics)
	}
	sa, err := env.client.CreateServiceAccount(ctx, client.ServiceAccountCreateParams{Name: "bench-refresh"})
	if err != nil {
		b.Fatal(err)
	}
	const typeName = "anthropic_service_account"
	objType, ok := schemas.ResourceSchemas[typeName].ValueType().(tftypes.Object)
	if !ok {
		b.Fatalf("%s's value type is not an object", typeName)
	}
	vals := map[string]tftypes.Value{}
	for name, t := range objType.AttributeTypes {
		vals[name] = tftypes.NewValue(t, nil)
	}
	vals["id"] = tftypes.NewValue(tftypes.String, sa.ID)
	vals["name"] = tftypes.NewValue(tftypes.String, sa.Name)
	stateVal, err := tfprotov6.NewDynamicValue(objType, tftypes.NewValue(objType, vals))
	if err != nil {
		b.Fatal(err)
	}
	read, err := srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: typeName, CurrentState: &stateVal})
	if err != nil || len(read.Diagnostics) > 0 {
		b.Fatalf("read: %v %v", err, read.Diagnostics)
	}
	state := read.NewState
	config := configFromState(b, state, objType)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		prior := state
		if refresh {
			r, err := srv.ReadResource(ctx, &tfprotov6.ReadResourceRequest{TypeName: typeName, CurrentState: state})
			if err != nil || len(r.Diagnostics) > 0 {
				b.Fatalf("read: %v %v", err, r.Diagnostics)
			}
			prior = r.NewState
		}
		p, err := srv.PlanResourceChange(ctx, &tfprotov6.PlanResourceChangeRequest{TypeName: typeName, PriorState: prior, ProposedNewState: prior, Config: config})
		if err != nil || len(p.Diagnostics) > 0 {
			b.Fatalf("plan: %v %v", err, p.Diagnostics)
		}
	}
}

// configFromState keeps the configurable attributes of a state (name) and
// nulls the computed ones, as terraform's config value would.
func configFromState(b *testing.B, state *tfprotov6.DynamicValue, objType tftypes.Object) *tfprotov6.DynamicValue {
	v, err := state.Unmarshal(objType)
	if err != nil {
		b.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := v.As(&attrs); err != nil {
		b.Fatal(err)
	}
	for name := range attrs {
		if name != "name" {
			attrs[name] = tftypes.NewValue(objType.AttributeTypes[name], nil)
		}
	}
	dv, err := tfprotov6.NewDynamicValue(objType, tftypes.NewValue(objType, attrs))
	if err != nil {
		b.Fatal(fmt.Errorf("config: %w", err))
	}
	return &dv
}
