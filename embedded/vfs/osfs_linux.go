package vfs

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// withFd runs fn on f's descriptor through SyscallConn, which keeps the
// descriptor from being closed (and reused by another open) while fn runs
// and reports a closed file as fs.ErrClosed, where f.Fd() would hand out a
// stale or invalid number.
func withFd(f *os.File, op string, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return &os.PathError{Op: op, Path: f.Name(), Err: err}
	}
	var opErr error
	if err := rc.Control(func(fd uintptr) { opErr = fn(int(fd)) }); err != nil {
		// Control fails only on a closed file, with an internal error value.
		return &os.PathError{Op: op, Path: f.Name(), Err: os.ErrClosed}
	}
	if opErr != nil {
		return &os.PathError{Op: op, Path: f.Name(), Err: opErr}
	}
	return nil
}

// datasync flushes file data (and the metadata needed to read it back, such
// as a grown size) without forcing unrelated metadata like mtime.
func datasync(f *os.File) error {
	return withFd(f, "fdatasync", func(fd int) error {
		for {
			if err := unix.Fdatasync(fd); !errors.Is(err, unix.EINTR) {
				return err
			}
		}
	})
}

// preallocate reserves blocks without changing the file size, so a later
// sync of appended data need not allocate; unsupported file systems are fine.
func preallocate(f *os.File, off, n int64) error {
	if n <= 0 {
		return nil
	}
	return withFd(f, "fallocate", func(fd int) error {
		for {
			err := unix.Fallocate(fd, unix.FALLOC_FL_KEEP_SIZE, off, n)
			switch {
			case errors.Is(err, unix.EINTR):
				continue
			case errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOSYS):
				return nil
			default:
				return err
			}
		}
	})
}
