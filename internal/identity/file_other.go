//go:build !unix

package identity

import "os"

// openNoBlock opens path for reading; the caller has checked it is a
// regular file (FIFOs that block on open are a unix matter).
func openNoBlock(path string) (*os.File, error) { return os.Open(path) }
