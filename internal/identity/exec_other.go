//go:build !unix

package identity

import "os/exec"

// killProcessTree relies on exec.Cmd's default kill plus WaitDelay where
// process groups are not available.
func killProcessTree(*exec.Cmd) {}
