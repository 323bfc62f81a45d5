//go:build unix

package identity

import (
	"os/exec"
	"syscall"
)

// killProcessTree runs the command in its own process group and kills the
// whole group on cancellation, so a shell script's children (curl, sleep)
// die with it instead of holding the output pipe open.
func killProcessTree(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
