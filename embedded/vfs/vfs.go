package vfs

import (
	"errors"
	"io/fs"
	"os"
)

// File is an open file. Offsets are absolute; Write appends at the current
// end of what this handle wrote (files are used append-only or positionally).
type File interface {
	ReadAt(p []byte, off int64) (int, error)
	WriteAt(p []byte, off int64) (int, error)
	// Sync makes written data durable (fdatasync where available).
	Sync() error
	Truncate(size int64) error
	// Size is the current logical size of the file.
	Size() (int64, error)
	// Preallocate reserves disk space for [off, off+n) without changing the
	// logical size where the OS supports it; a no-op elsewhere.
	Preallocate(off, n int64) error
	Close() error
}

// FS is a file system rooted wherever its paths point.
type FS interface {
	// OpenFile opens name with os.O_* flags.
	OpenFile(name string, flag int, perm fs.FileMode) (File, error)
	Remove(name string) error
	// RemoveAll removes a path and everything below it.
	RemoveAll(name string) error
	Rename(oldname, newname string) error
	MkdirAll(dir string, perm fs.FileMode) error
	// ReadDir lists the names (not paths) directly under dir, sorted.
	ReadDir(dir string) ([]string, error)
	// Stat reports whether name exists, its size and whether it is a directory.
	Stat(name string) (FileInfo, error)
	// SyncDir makes the creation, removal and renaming of entries of dir durable.
	SyncDir(dir string) error
}

// FileInfo is what Stat reports.
type FileInfo struct {
	Size  int64
	IsDir bool
}

// ErrNotExist is returned (wrapped) for missing files; errors.Is(err,
// fs.ErrNotExist) also holds.
var ErrNotExist = fs.ErrNotExist

// IsNotExist reports whether err says a file does not exist.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// Create opens name for reading and writing, creating or truncating it.
func Create(f FS, name string) (File, error) {
	return f.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
}

// ReadFile reads a whole file.
func ReadFile(f FS, name string) ([]byte, error) {
	h, err := f.OpenFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	n, err := h.Size()
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	if _, err := h.ReadAt(b, 0); err != nil && n > 0 {
		return nil, err
	}
	return b, nil
}

// WriteFileAtomic writes data to name durably and atomically: it writes a
// temporary file, syncs it, renames it over name and syncs the directory.
func WriteFileAtomic(f FS, dir, name string, data []byte) error {
	tmp := name + ".tmp"
	h, err := Create(f, tmp)
	if err != nil {
		return err
	}
	if _, err := h.WriteAt(data, 0); err != nil {
		h.Close()
		return err
	}
	if err := h.Sync(); err != nil {
		h.Close()
		return err
	}
	if err := h.Close(); err != nil {
		return err
	}
	if err := f.Rename(tmp, name); err != nil {
		return err
	}
	return f.SyncDir(dir)
}
