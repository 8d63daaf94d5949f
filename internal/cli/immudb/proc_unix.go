//go:build unix

package immudb

import (
	"os/exec"
	"syscall"
)

// processAlive reports whether pid exists (signal 0 probes without
// delivering anything; EPERM still means it exists).
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}

// detachAttrs puts the child in its own session so it survives the
// terminal that started it.
func detachAttrs(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
}
