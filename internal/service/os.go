package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"os/user"
)

// OS returns the real runner, filesystem and system.
func OS() (Runner, FS, System) { return osRunner{}, osFS{}, osSystem{} }

type osRunner struct{}

func (osRunner) Run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

type osFS struct{}

func (osFS) WriteFile(path string, data []byte, mode fs.FileMode) error {
	if err := os.WriteFile(path, data, mode); err != nil {
		return err
	}
	return os.Chmod(path, mode) // the umask may have narrowed it
}

func (osFS) Remove(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// Exists reports whether path is a file. Anything else there (a
// directory, a device) is an error: install must neither keep it as its
// config file nor chown it.
func (osFS) Exists(path string) (bool, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.Mode().IsRegular() {
		return false, fmt.Errorf("%s exists and is not a regular file (%s)", path, fi.Mode().Type())
	}
	return true, nil
}

type osSystem struct{}

func (osSystem) IsRoot() bool { return os.Geteuid() == 0 }

// HasSystemd is sd_booted(3)'s test: the directory exists only when
// systemd is PID 1.
func (osSystem) HasSystemd() bool {
	st, err := os.Stat("/run/systemd/system")
	if err != nil || !st.IsDir() {
		return false
	}
	_, err = exec.LookPath("systemctl")
	return err == nil
}

func (osSystem) UserExists(name string) bool {
	_, err := user.Lookup(name)
	return err == nil
}
