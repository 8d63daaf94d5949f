//go:build !unix

package immudb

import (
	"os"
	"os/exec"
)

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}

func detachAttrs(cmd *exec.Cmd) {}
