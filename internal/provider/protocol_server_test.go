package provider

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"weak"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
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
	objType, ok := schemas.ResourceSchemas[typeName].ValueType().(tftypes.Object)
	if !ok {
		t.Fatalf("%s's value type is not an object", typeName)
	}
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

func nullObjectWith(t *testing.T, typ tftypes.Object, set map[string]tftypes.Value) tftypes.Value {
	vals := map[string]tftypes.Value{}
	for name, at := range typ.AttributeTypes {
		vals[name] = tftypes.NewValue(at, nil)
	}
	for k, v := range set {
		vals[k] = v
	}
	return tftypes.NewValue(typ, vals)
}

// impersonationLogs configures srv with a google block that impersonates,
// then reads a Google service account (IAM answers 500), and returns the
// log of the Configure call and of the read.
func impersonationLogs(t *testing.T, srv tfprotov6.ProviderServer) (configure, read string) {
	iam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "{}", 500) }))
	defer iam.Close()
	ctx := context.Background()
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	pt, ok := schemas.Provider.ValueType().(tftypes.Object)
	if !ok {
		t.Fatal("the provider schema is not an object")
	}
	gt, ok := pt.AttributeTypes["google"].(tftypes.Object)
	if !ok {
		t.Fatal("the google block is not an object")
	}
	g := nullObjectWith(t, gt, map[string]tftypes.Value{
		"access_token":                    tftypes.NewValue(tftypes.String, "ya29.static"),
		"impersonate_service_account":     tftypes.NewValue(tftypes.String, "target@proj-123456.iam.gserviceaccount.com"),
		"iam_custom_endpoint":             tftypes.NewValue(tftypes.String, iam.URL+"/"),
		"iam_credentials_custom_endpoint": tftypes.NewValue(tftypes.String, iam.URL+"/"),
	})
	pcfg, err := tfprotov6.NewDynamicValue(pt, nullObjectWith(t, pt, map[string]tftypes.Value{
		"google":          g,
		"auth_token":      tftypes.NewValue(tftypes.String, "sk-ant-oat01-logtesttoken"),
		"organization_id": tftypes.NewValue(tftypes.String, "11111111-1111-4111-8111-111111111111"),
		"base_url":        tftypes.NewValue(tftypes.String, "http://127.0.0.1:1"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	var configureLog bytes.Buffer
	cctx, cancel := context.WithCancel(tflogtest.RootLogger(ctx, &configureLog))
	cresp, err := srv.ConfigureProvider(cctx, &tfprotov6.ConfigureProviderRequest{Config: &pcfg})
	cancel() // gRPC cancels the stream context when the RPC returns
	if err != nil || len(cresp.Diagnostics) > 0 {
		for _, d := range cresp.Diagnostics {
			t.Logf("configure diag: %s: %s", d.Summary, d.Detail)
		}
		t.Fatalf("configure: %v", err)
	}
	dt, ok := schemas.DataSourceSchemas["anthropic_google_service_account"].ValueType().(tftypes.Object)
	if !ok {
		t.Fatal("the data source schema is not an object")
	}
	dcfg, err := tfprotov6.NewDynamicValue(dt, nullObjectWith(t, dt, map[string]tftypes.Value{
		"account_id": tftypes.NewValue(tftypes.String, "sa@proj-123456.iam.gserviceaccount.com"),
	}))
	if err != nil {
		t.Fatal(err)
	}
	var readLog bytes.Buffer
	rresp, err := srv.ReadDataSource(tflogtest.RootLogger(ctx, &readLog), &tfprotov6.ReadDataSourceRequest{TypeName: "anthropic_google_service_account", Config: &dcfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range rresp.Diagnostics {
		t.Logf("read diag (expected, IAM answers 500): %s", d.Summary)
	}
	return configureLog.String(), readLog.String()
}

// Google credentials are resolved by the first call that needs them, and
// logged in that call's context: the Configure call's context is released
// when it returns, so a line logged there later would be lost.
func TestProtocolServer_googleCredentialLogsInTheCallThatResolvesThem(t *testing.T) {
	srv, err := ProtocolServer("test")()
	if err != nil {
		t.Fatal(err)
	}
	configure, read := impersonationLogs(t, srv)
	const line = "impersonating a Google service account"
	if !strings.Contains(read, line) {
		t.Fatalf("the read that resolved the credentials did not log %q; configure log:\n%s\nread log:\n%s", line, configure, read)
	}
}
