package immudb

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// selfPath returns how to start this program again. os.Args[0] is
// preferred over os.Executable so that a program started through a link
// named immudb is re-run under that name.
func selfPath() (string, error) {
	arg0 := os.Args[0]
	if strings.ContainsRune(arg0, filepath.Separator) {
		return arg0, nil
	}
	if p, err := exec.LookPath(arg0); err == nil {
		return p, nil
	}
	return os.Executable()
}

// detach starts this program again in the background with the same
// arguments plus --detached=false (the last occurrence of a flag wins, and
// a flag beats IMMUDB_DETACHED), so the child runs in the foreground of its
// own session. The child writes the pidfile itself. Output of the child
// goes to the log file, or nowhere.
func detach(cfg *Config, args []string, stdout io.Writer) error {
	exe, err := selfPath()
	if err != nil {
		return fmt.Errorf("detaching: %w", err)
	}
	child := exec.Command(exe, append(append([]string{}, args...), "--detached=false")...)
	child.Env = os.Environ()
	if cfg.Logfile != "" {
		f, err := openLogFile(cfg.Logfile)
		if err != nil {
			return fmt.Errorf("detaching: %w", err)
		}
		defer f.Close()
		child.Stdout, child.Stderr = f, f
	}
	detachAttrs(child)
	if err := child.Start(); err != nil {
		return fmt.Errorf("detaching: starting %s: %w", exe, err)
	}
	pid := child.Process.Pid
	_ = child.Process.Release()
	_, err = fmt.Fprintf(stdout, "immudb started in background with pid %d\n", pid)
	return err
}
