package immudb

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrAlreadyRunning means the pidfile names a live process.
var ErrAlreadyRunning = errors.New("immudb is already running")

// writePidfile records the current process in path. It refuses when path
// names another live process, and replaces a stale or garbled file.
func writePidfile(path string) error {
	if b, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid != os.Getpid() && processAlive(pid) {
			return fmt.Errorf("%w with pid %d (pidfile %s)", ErrAlreadyRunning, pid, path)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("reading pidfile: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("creating pidfile dir: %w", err)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", path, os.Getpid())
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
		return fmt.Errorf("writing pidfile: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing pidfile: %w", err)
	}
	return nil
}

// removePidfile deletes path if it still names this process.
func removePidfile(path string) {
	b, err := os.ReadFile(path)
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid == os.Getpid() {
		os.Remove(path)
	}
}
