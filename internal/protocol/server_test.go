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
