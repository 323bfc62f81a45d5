package provider

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/wiflabs/terraform-provider-anthropic/internal/protocol"

	"github.com/wiflabs/terraform-provider-anthropic/internal/client"
)

// readCache shares the reads of federation issuers and service accounts
// that other objects' checks need (a rule's guards read its issuer and its
// target), across the resources of one provider instance, that is one
// Terraform operation. Two hundred rules on one issuer then read it once,
// not twice each per walk. Concurrent reads of one object share one request
// (singleflight).
//
// It is never a source of truth for the object itself: a resource's Read
// always asks the API (so refresh shows drift) and only then stores what it
// got. Every write of an object through this provider instance forgets it,
// and a read that was in flight during a write is not stored, so nothing
// read before a write is served after it. Failed reads are not stored.
// A nil *readCache reads straight through.
type readCache struct {
	mu      sync.Mutex
	entries map[string]any
	// gen counts writes per key, so a read that overlapped a write is not
	// stored.
	gen   map[string]uint64
	group singleflight.Group
}

func newReadCache() *readCache {
	return &readCache{entries: map[string]any{}, gen: map[string]uint64{}}
}

func issuerKey(id string) string         { return "issuer/" + id }
func serviceAccountKey(id string) string { return "service_account/" + id }

// get returns the cached value of key, or reads it with fetch. The read is
// shared with concurrent callers and outlives the cancellation of any one
// of them; each caller still stops waiting when its own ctx ends.
func get[T any](ctx context.Context, c *readCache, key string, fetch func(context.Context) (*T, error)) (*T, error) {
	if c == nil {
		return fetch(ctx)
	}
	c.mu.Lock()
	if v, ok := c.entries[key].(*T); ok {
		c.mu.Unlock()
		return v, nil
	}
	c.mu.Unlock()
	ch := c.group.DoChan(key, func() (any, error) {
		c.mu.Lock()
		gen := c.gen[key]
		c.mu.Unlock()
		// The first caller's context, without its cancellation, and with
		// its loggers kept while the fetch runs for the other waiters even
		// if that caller has returned.
		fetchCtx, done := protocol.Detach(ctx)
		defer done()
		v, err := fetch(fetchCtx)
		if err != nil {
			return nil, err
		}
		c.mu.Lock()
		if c.gen[key] == gen {
			c.entries[key] = v
		}
		c.mu.Unlock()
		return v, nil
	})
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		v, ok := r.Val.(*T)
		if !ok {
			return nil, errUnexpectedCached
		}
		return v, nil
	}
}

// put stores what a resource's own Read just got from the API.
func (c *readCache) put(key string, v any) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = v
}

// forget drops key: the object was written (or found gone), so the next
// read asks the API. It also keeps a read in flight from storing its
// possibly older copy.
func (c *readCache) forget(key string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.entries, key)
	c.gen[key]++
	c.group.Forget(key)
}

// federationIssuer reads an issuer through the cache.
func (d *providerData) federationIssuer(ctx context.Context, id string) (*client.FederationIssuer, error) {
	return get(ctx, d.reads, issuerKey(id), func(ctx context.Context) (*client.FederationIssuer, error) {
		return d.client.GetFederationIssuer(ctx, id)
	})
}

// serviceAccount reads a service account through the cache.
func (d *providerData) serviceAccount(ctx context.Context, id string) (*client.ServiceAccount, error) {
	return get(ctx, d.reads, serviceAccountKey(id), func(ctx context.Context) (*client.ServiceAccount, error) {
		return d.client.GetServiceAccount(ctx, id)
	})
}

// shareRead records the outcome of a resource's own read of an object: a
// copy for the other resources' checks, or, when the object is gone,
// nothing.
func shareRead[T any](c *readCache, key string, v *T, err error) {
	switch {
	case err == nil && v != nil:
		c.put(key, v)
	case client.IsNotFound(err):
		c.forget(key)
	}
}

// errUnexpectedCached reports a value of the wrong type under a key, which
// the key prefixes rule out; it is an error rather than a panic all the
// same.
var errUnexpectedCached = errors.New("internal error: unexpected value in the read cache")
