package client

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
)

type acceptCounter struct {
	net.Listener
	n atomic.Int64
}

func (l *acceptCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// Terraform makes up to 10 calls at once (its default -parallelism); the
// client keeps their connections for the next calls instead of opening
// new ones each round.
func TestClientReusesConnectionsAcrossConcurrentCalls(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, sampleServiceAccount("svac_01AAAAAAAAAAAAAAAAAAAAAAAA"))
	}))
	l := &acceptCounter{Listener: srv.Listener}
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	c, err := New(testOptions(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	const parallel, rounds = 10, 4
	for range rounds {
		var wg sync.WaitGroup
		for range parallel {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.GetServiceAccount(context.Background(), "svac_01AAAAAAAAAAAAAAAAAAAAAAAA"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	if n := l.n.Load(); n > parallel+2 {
		t.Errorf("%d connections for %d rounds of %d concurrent calls, want at most %d (one per concurrent call)", n, rounds, parallel, parallel+2)
	}
}
