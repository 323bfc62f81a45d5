// Package protocol holds plugin-protocol plumbing shared by the provider's
// binaries (the provider and the benchmark's baseline provider): a wrapper
// around terraform-plugin-framework's protocol 6 server that lets go of each
// request's context when the request returns.
//
// Why: the framework's protocol server keeps the cancel function of every
// request context it has seen, so that StopProvider can cancel them, and
// drops them only when StopProvider is called, which Terraform does only on
// an interrupt. Each kept function holds its context and everything the
// context refers to: the request's loggers (several per RPC) and the gRPC
// stream. A plan of 500 objects makes about 2,000 RPCs, and a provider's live
// heap grew by ~20 KB per RPC until the plan ended (38 MB after a forced GC
// near the end of a 500-object refresh plan; peak RSS 88 MB, 42 MB with the
// wrapper). The framework now gets a small context that answers like the
// RPC's own while the RPC runs, is done once it has returned (as gRPC's
// context then is), and from then on refers to nothing, so the framework
// keeps a few bytes per RPC.
//
// Streaming RPCs (list resources, actions, state bytes) use their context
// after the method returns; they are passed through untouched.
package protocol

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// frameworkServer is what terraform-plugin-framework's protocol server
// implements: every RPC of protocol 6, list resources, actions and state
// stores included.
type frameworkServer interface {
	tfprotov6.ProviderServer
	tfprotov6.ListResourceServer
	tfprotov6.ActionServer
	tfprotov6.StateStoreServer
}

// ReleaseRequestContexts wraps a terraform-plugin-framework protocol 6
// server (what providerserver.NewProtocol6WithError returns) so that each
// unary RPC runs with a context released when the RPC returns.
func ReleaseRequestContexts(s tfprotov6.ProviderServer) (tfprotov6.ProviderServer, error) {
	fw, ok := s.(frameworkServer)
	if !ok {
		return nil, fmt.Errorf("protocol: %T does not implement every protocol 6 RPC", s)
	}
	return releasingServer{fw}, nil
}

// releasingServer passes every RPC to the framework; the unary ones get a
// requestContext released when they return.
type releasingServer struct{ frameworkServer }

// unary runs one RPC with a requestContext.
func unary[Req, Resp any](ctx context.Context, req Req, rpc func(context.Context, Req) (Resp, error)) (Resp, error) {
	rc := newRequestContext(ctx)
	defer rc.release()
	return rpc(rc, req)
}

func (s releasingServer) GetMetadata(ctx context.Context, req *tfprotov6.GetMetadataRequest) (*tfprotov6.GetMetadataResponse, error) {
	return unary(ctx, req, s.frameworkServer.GetMetadata)
}

func (s releasingServer) GetProviderSchema(ctx context.Context, req *tfprotov6.GetProviderSchemaRequest) (*tfprotov6.GetProviderSchemaResponse, error) {
	return unary(ctx, req, s.frameworkServer.GetProviderSchema)
}

func (s releasingServer) GetResourceIdentitySchemas(ctx context.Context, req *tfprotov6.GetResourceIdentitySchemasRequest) (*tfprotov6.GetResourceIdentitySchemasResponse, error) {
	return unary(ctx, req, s.frameworkServer.GetResourceIdentitySchemas)
}

func (s releasingServer) ValidateProviderConfig(ctx context.Context, req *tfprotov6.ValidateProviderConfigRequest) (*tfprotov6.ValidateProviderConfigResponse, error) {
	return unary(ctx, req, s.frameworkServer.ValidateProviderConfig)
}

func (s releasingServer) ConfigureProvider(ctx context.Context, req *tfprotov6.ConfigureProviderRequest) (*tfprotov6.ConfigureProviderResponse, error) {
	return unary(ctx, req, s.frameworkServer.ConfigureProvider)
}

func (s releasingServer) ValidateResourceConfig(ctx context.Context, req *tfprotov6.ValidateResourceConfigRequest) (*tfprotov6.ValidateResourceConfigResponse, error) {
	return unary(ctx, req, s.frameworkServer.ValidateResourceConfig)
}

func (s releasingServer) UpgradeResourceState(ctx context.Context, req *tfprotov6.UpgradeResourceStateRequest) (*tfprotov6.UpgradeResourceStateResponse, error) {
	return unary(ctx, req, s.frameworkServer.UpgradeResourceState)
}

func (s releasingServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	return unary(ctx, req, s.frameworkServer.ReadResource)
}

func (s releasingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	return unary(ctx, req, s.frameworkServer.PlanResourceChange)
}

func (s releasingServer) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return unary(ctx, req, s.frameworkServer.ApplyResourceChange)
}

func (s releasingServer) ImportResourceState(ctx context.Context, req *tfprotov6.ImportResourceStateRequest) (*tfprotov6.ImportResourceStateResponse, error) {
	return unary(ctx, req, s.frameworkServer.ImportResourceState)
}

func (s releasingServer) MoveResourceState(ctx context.Context, req *tfprotov6.MoveResourceStateRequest) (*tfprotov6.MoveResourceStateResponse, error) {
	return unary(ctx, req, s.frameworkServer.MoveResourceState)
}

func (s releasingServer) UpgradeResourceIdentity(ctx context.Context, req *tfprotov6.UpgradeResourceIdentityRequest) (*tfprotov6.UpgradeResourceIdentityResponse, error) {
	return unary(ctx, req, s.frameworkServer.UpgradeResourceIdentity)
}

func (s releasingServer) GenerateResourceConfig(ctx context.Context, req *tfprotov6.GenerateResourceConfigRequest) (*tfprotov6.GenerateResourceConfigResponse, error) {
	return unary(ctx, req, s.frameworkServer.GenerateResourceConfig)
}

func (s releasingServer) ValidateDataResourceConfig(ctx context.Context, req *tfprotov6.ValidateDataResourceConfigRequest) (*tfprotov6.ValidateDataResourceConfigResponse, error) {
	return unary(ctx, req, s.frameworkServer.ValidateDataResourceConfig)
}

func (s releasingServer) ReadDataSource(ctx context.Context, req *tfprotov6.ReadDataSourceRequest) (*tfprotov6.ReadDataSourceResponse, error) {
	return unary(ctx, req, s.frameworkServer.ReadDataSource)
}

func (s releasingServer) ValidateEphemeralResourceConfig(ctx context.Context, req *tfprotov6.ValidateEphemeralResourceConfigRequest) (*tfprotov6.ValidateEphemeralResourceConfigResponse, error) {
	return unary(ctx, req, s.frameworkServer.ValidateEphemeralResourceConfig)
}

func (s releasingServer) OpenEphemeralResource(ctx context.Context, req *tfprotov6.OpenEphemeralResourceRequest) (*tfprotov6.OpenEphemeralResourceResponse, error) {
	return unary(ctx, req, s.frameworkServer.OpenEphemeralResource)
}

func (s releasingServer) RenewEphemeralResource(ctx context.Context, req *tfprotov6.RenewEphemeralResourceRequest) (*tfprotov6.RenewEphemeralResourceResponse, error) {
	return unary(ctx, req, s.frameworkServer.RenewEphemeralResource)
}

func (s releasingServer) CloseEphemeralResource(ctx context.Context, req *tfprotov6.CloseEphemeralResourceRequest) (*tfprotov6.CloseEphemeralResourceResponse, error) {
	return unary(ctx, req, s.frameworkServer.CloseEphemeralResource)
}

func (s releasingServer) ValidateListResourceConfig(ctx context.Context, req *tfprotov6.ValidateListResourceConfigRequest) (*tfprotov6.ValidateListResourceConfigResponse, error) {
	return unary(ctx, req, s.frameworkServer.ValidateListResourceConfig)
}

// requestContext is the context the framework sees for one unary RPC. Until
// release it answers Value and Deadline like the RPC's context and is done
// when that context is; release makes it done (context.Canceled) and drops
// the RPC's context.
type requestContext struct {
	parent   atomic.Pointer[context.Context] // nil once released and no longer held
	deadline time.Time
	hasDL    bool
	done     chan struct{}
	once     sync.Once
	err      atomic.Pointer[error]
	stop     func() bool

	// mu guards holds and released: Detach keeps the values readable past
	// release until its work is done.
	mu       sync.Mutex
	holds    int
	released bool
}

// requestContextKey finds the requestContext under a context derived from it.
type requestContextKey struct{}

func newRequestContext(parent context.Context) *requestContext {
	rc := &requestContext{done: make(chan struct{})}
	rc.deadline, rc.hasDL = parent.Deadline()
	rc.parent.Store(&parent)
	rc.stop = context.AfterFunc(parent, func() { rc.finish(parent.Err()) })
	return rc
}

func (rc *requestContext) finish(err error) {
	rc.once.Do(func() {
		rc.err.Store(&err)
		close(rc.done)
	})
}

// release ends the context: it is done from now on and no longer refers
// to the RPC's context.
func (rc *requestContext) release() {
	if rc.stop != nil {
		rc.stop()
		rc.stop = nil // its closure refers to the RPC's context too
	}
	rc.finish(context.Canceled)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.released = true
	if rc.holds == 0 {
		rc.parent.Store(nil)
	}
}

// hold keeps the RPC's values readable after release until unhold; false
// when they are already gone.
func (rc *requestContext) hold() bool {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.parent.Load() == nil {
		return false
	}
	rc.holds++
	return true
}

func (rc *requestContext) unhold() {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.holds--
	if rc.holds == 0 && rc.released {
		rc.parent.Store(nil)
	}
}

// Detach is context.WithoutCancel for work that outlives the RPC it starts
// in (a background token refresh): the returned context has ctx's values
// and no cancellation or deadline, and the RPC's values (its loggers) stay
// readable through it until done is called, even after the RPC returned.
// Outside a wrapped RPC it is context.WithoutCancel and a no-op done.
func Detach(ctx context.Context) (detached context.Context, done func()) {
	detached = context.WithoutCancel(ctx)
	rc, ok := ctx.Value(requestContextKey{}).(*requestContext)
	if !ok || !rc.hold() {
		return detached, func() {}
	}
	var once sync.Once
	return detached, func() { once.Do(rc.unhold) }
}

func (rc *requestContext) Deadline() (time.Time, bool) { return rc.deadline, rc.hasDL }

func (rc *requestContext) Done() <-chan struct{} { return rc.done }

func (rc *requestContext) Err() error {
	select {
	case <-rc.done:
		return *rc.err.Load()
	default:
		return nil
	}
}

func (rc *requestContext) Value(key any) any {
	if key == (requestContextKey{}) {
		return rc
	}
	if p := rc.parent.Load(); p != nil {
		return (*p).Value(key)
	}
	return nil
}

func (rc *requestContext) String() string { return "provider request context" }
