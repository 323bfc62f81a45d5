//go:build unix

package google

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A credentials file that is a FIFO fails at once
// instead of blocking Terraform until something writes to it.
func TestGoogleCredentialsAndTokenFilesMustBeRegular(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	t.Cleanup(func() { // releases a blocked reader, should there be one
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	})
	done := make(chan error, 1)
	go func() {
		g := newTestConfig(Settings{Credentials: fifo, CredentialsFrom: "google.credentials"})
		_, err := g.ClientOptions(bg)
		done <- err
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") || !strings.Contains(err.Error(), "google.credentials") {
			t.Errorf("err = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reading a FIFO as the credentials file blocks")
	}
}
