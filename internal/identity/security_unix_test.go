//go:build unix

package identity_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/wiflabs/terraform-provider-anthropic/internal/identity"
)

func TestFileRefusesFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "token")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatalf("mkfifo: %v", err)
	}
	// Should the read block after all, a writer opening the FIFO releases it
	// when the test ends.
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			_ = f.Close()
		}
	})
	start := time.Now()
	res := within(t, 5*time.Second, func() tokenResult {
		tok, err := identity.File(fifo).Token(t.Context())
		return tokenResult{tok, err}
	})
	wantErr(t, res.err, fifo, "not a regular file")
	if d := time.Since(start); d > time.Second {
		t.Errorf("took %s", d)
	}
}
