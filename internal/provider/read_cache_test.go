package provider

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

type cachedThing struct{ version int }

func TestReadCache_sharesReadsAndForgetsWrites(t *testing.T) {
	c := newReadCache()
	var fetches atomic.Int32
	version := atomic.Int32{}
	fetch := func(context.Context) (*cachedThing, error) {
		fetches.Add(1)
		return &cachedThing{version: int(version.Load())}, nil
	}
	for range 3 {
		if v, err := get(bg, c, "k", fetch); err != nil || v.version != 0 {
			t.Fatalf("get = %v, %v", v, err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("%d fetches for three gets, want 1", n)
	}
	version.Store(1)
	c.forget("k") // a write
	if v, _ := get(bg, c, "k", fetch); v.version != 1 || fetches.Load() != 2 {
		t.Errorf("after a write: version %d after %d fetches, want a fresh read of version 1", v.version, fetches.Load())
	}
	c.put("k", &cachedThing{version: 7}) // a resource's own read
	if v, _ := get(bg, c, "k", fetch); v.version != 7 || fetches.Load() != 2 {
		t.Errorf("after put: version %d after %d fetches, want the stored copy", v.version, fetches.Load())
	}
}

func TestReadCache_concurrentReadsShareOneRequest(t *testing.T) {
	// In a synctest bubble, Wait returns once every reader is blocked: the
	// first inside fetch, the others waiting on its flight. No sleep, no
	// reader arriving after the read ended.
	synctest.Test(t, func(t *testing.T) {
		c := newReadCache()
		var fetches atomic.Int32
		release := make(chan struct{})
		fetch := func(context.Context) (*cachedThing, error) {
			fetches.Add(1)
			<-release
			return &cachedThing{}, nil
		}
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, err := get(t.Context(), c, "k", fetch); err != nil {
					t.Error(err)
				}
			})
		}
		synctest.Wait()
		if n := fetches.Load(); n != 1 {
			t.Errorf("%d fetches started for 8 concurrent reads, want 1", n)
		}
		close(release)
		wg.Wait()
		if n := fetches.Load(); n != 1 {
			t.Errorf("%d fetches for 8 concurrent reads, want 1", n)
		}
	})
}

// A read that was in flight when the object was written is returned to its
// callers but not kept: the next read asks again.
func TestReadCache_readOverlappingAWriteIsNotKept(t *testing.T) {
	c := newReadCache()
	var fetches atomic.Int32
	started, release := make(chan struct{}), make(chan struct{})
	slow := func(context.Context) (*cachedThing, error) {
		fetches.Add(1)
		close(started)
		<-release
		return &cachedThing{version: 0}, nil
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = get(bg, c, "k", slow)
	}()
	<-started
	c.forget("k")
	close(release)
	<-done
	fresh := func(context.Context) (*cachedThing, error) {
		fetches.Add(1)
		return &cachedThing{version: 1}, nil
	}
	if v, _ := get(bg, c, "k", fresh); v.version != 1 || fetches.Load() != 2 {
		t.Errorf("version %d after %d fetches, want a fresh read after the write", v.version, fetches.Load())
	}
}

func TestReadCache_errorsAreNotKeptAndNilReadsThrough(t *testing.T) {
	c := newReadCache()
	var fetches atomic.Int32
	failing := func(context.Context) (*cachedThing, error) {
		fetches.Add(1)
		return nil, errors.New("boom")
	}
	for range 2 {
		if _, err := get(bg, c, "k", failing); err == nil {
			t.Fatal("want the error")
		}
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want every failed read retried", n)
	}
	var none *readCache
	none.put("k", &cachedThing{})
	none.forget("k")
	if _, err := get(bg, none, "k", failing); err == nil || fetches.Load() != 3 {
		t.Error("a nil cache must read straight through")
	}
	ctx, cancel := context.WithCancel(bg)
	cancel()
	unblock := make(chan struct{})
	block := func(context.Context) (*cachedThing, error) {
		<-unblock // the read cannot end before the caller gives up
		return &cachedThing{}, nil
	}
	if _, err := get(ctx, c, "other", block); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: err = %v, want context.Canceled", err)
	}
	close(unblock)
}
