package provider

import (
	"context"
	"runtime"
	"testing"
	"weak"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

type requestPayloadKey struct{}

// requestPayload stands for what a request context carries (loggers, the
// gRPC stream): big enough that keeping one per RPC shows.
type requestPayload struct{ _ [64 << 10]byte }

// retainedAfterRPC sends n ValidateResourceConfig RPCs to srv, each with a
// context carrying its own payload, and reports how many payloads are still
// reachable once the RPCs have returned and their contexts are canceled (as
// gRPC cancels a stream's context when the RPC ends).
func retainedAfterRPC(t *testing.T, srv tfprotov6.ProviderServer, n int) int {
	t.Helper()
	schemas, err := srv.GetProviderSchema(context.Background(), &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	const typeName = "anthropic_service_account"
	objType := schemas.ResourceSchemas[typeName].ValueType().(tftypes.Object)
	vals := map[string]tftypes.Value{}
	for name, typ := range objType.AttributeTypes {
		vals[name] = tftypes.NewValue(typ, nil)
	}
	vals["name"] = tftypes.NewValue(tftypes.String, "payload-test")
	cfg, err := tfprotov6.NewDynamicValue(objType, tftypes.NewValue(objType, vals))
	if err != nil {
		t.Fatal(err)
	}
	refs := make([]weak.Pointer[requestPayload], n)
	for i := range refs {
		func() {
			p := &requestPayload{}
			refs[i] = weak.Make(p)
			ctx, cancel := context.WithCancel(context.WithValue(context.Background(), requestPayloadKey{}, p))
			defer cancel()
			resp, err := srv.ValidateResourceConfig(ctx, &tfprotov6.ValidateResourceConfigRequest{TypeName: typeName, Config: &cfg})
			if err != nil || len(resp.Diagnostics) > 0 {
				t.Fatalf("ValidateResourceConfig: %v %v", err, resp.Diagnostics)
			}
		}()
	}
	runtime.GC()
	runtime.GC()
	retained := 0
	for _, r := range refs {
		if r.Value() != nil {
			retained++
		}
	}
	// The server lives as long as the provider process does: what it keeps
	// is only garbage once it is.
	runtime.KeepAlive(srv)
	return retained
}

// The provider's server lets go of each request's context when the RPC
// returns: a plan's memory no longer grows with every RPC it has made.
func TestProtocolServer_releasesRequestContexts(t *testing.T) {
	srv, err := ProtocolServer("test")()
	if err != nil {
		t.Fatal(err)
	}
	if n := retainedAfterRPC(t, srv, 20); n != 0 {
		t.Fatalf("%d of 20 request contexts are still reachable after their RPCs returned", n)
	}
}

// Why ProtocolServer wraps the framework: the framework's own server keeps
// every request context until StopProvider. If this starts failing, the
// framework has stopped doing so and the wrapper can go.
func TestProtocolServer_frameworkKeepsRequestContexts(t *testing.T) {
	srv, err := providerserver.NewProtocol6WithError(New("test")())()
	if err != nil {
		t.Fatal(err)
	}
	if n := retainedAfterRPC(t, srv, 20); n != 20 {
		t.Fatalf("the framework's server kept %d of 20 request contexts (it used to keep all until StopProvider); "+
			"ProtocolServer's requestContext may no longer be needed", n)
	}
}
