package protocol

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestRequestContext(t *testing.T) {
	type key struct{}
	deadline := time.Now().Add(time.Hour)
	parent, cancelParent := context.WithDeadline(context.WithValue(context.Background(), key{}, "v"), deadline)
	defer cancelParent()

	rc := newRequestContext(parent)
	if got := rc.Value(key{}); got != "v" {
		t.Fatalf("Value while the RPC runs = %v, want v", got)
	}
	if d, ok := rc.Deadline(); !ok || !d.Equal(deadline) {
		t.Fatalf("Deadline = %v %v, want %v true", d, ok, deadline)
	}
	if rc.Err() != nil {
		t.Fatalf("Err while the RPC runs = %v", rc.Err())
	}
	select {
	case <-rc.Done():
		t.Fatal("done while the RPC runs")
	default:
	}
	// A context derived from it (as the framework derives one) is canceled
	// with it.
	child, cancelChild := context.WithCancel(rc)
	defer cancelChild()

	rc.release()
	select {
	case <-rc.Done():
	default:
		t.Fatal("not done after release")
	}
	if !errors.Is(rc.Err(), context.Canceled) {
		t.Fatalf("Err after release = %v, want context.Canceled", rc.Err())
	}
	if got := rc.Value(key{}); got != nil {
		t.Fatalf("Value after release = %v, want nil (the RPC's context is let go)", got)
	}
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a derived context is not canceled by release")
	}
	rc.release() // twice is harmless
}

func TestRequestContext_parentCanceled(t *testing.T) {
	parent, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	rc := newRequestContext(parent)
	defer rc.release()
	select {
	case <-rc.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("not done when the RPC's context is")
	}
	if !errors.Is(rc.Err(), context.DeadlineExceeded) {
		t.Fatalf("Err = %v, want the RPC context's DeadlineExceeded", rc.Err())
	}
}

// Work detached from an RPC keeps reading the RPC's values (its loggers)
// after the RPC returned, until it says it is done.
func TestDetach(t *testing.T) {
	type key struct{}
	type above struct{}
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	defer cancel()
	rc := newRequestContext(parent)
	// The framework adds values of its own above the request context.
	ctx := context.WithValue(rc, above{}, "a")

	detached, done := Detach(ctx)
	rc.release()
	if got := detached.Value(key{}); got != "v" {
		t.Fatalf("detached Value after release = %v, want v", got)
	}
	if got := detached.Value(above{}); got != "a" {
		t.Fatalf("detached Value of a layer above = %v, want a", got)
	}
	if detached.Err() != nil {
		t.Fatalf("detached context is canceled: %v", detached.Err())
	}
	if rc.Value(key{}) != "v" {
		t.Fatal("held values are gone while detached work runs")
	}
	done()
	done() // twice is harmless
	if got := rc.Value(key{}); got != nil {
		t.Fatalf("Value after the detached work ended = %v, want nil", got)
	}
	// Detaching a released context holds nothing.
	d2, done2 := Detach(ctx)
	defer done2()
	if d2.Value(key{}) != nil {
		t.Fatal("a context detached after release reads the RPC's values")
	}
	// Outside an RPC it is context.WithoutCancel.
	plain, cancelPlain := context.WithCancel(context.WithValue(context.Background(), key{}, "p"))
	d3, done3 := Detach(plain)
	cancelPlain()
	done3()
	if d3.Err() != nil || d3.Value(key{}) != "p" {
		t.Fatalf("Detach of a plain context: err %v value %v", d3.Err(), d3.Value(key{}))
	}
}
