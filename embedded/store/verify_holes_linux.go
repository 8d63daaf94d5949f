package store

import (
	"errors"
	"os"
	"syscall"
)

// nextData returns the first offset ≥ off of f that may hold data, or
// size when the rest is a hole: holes (and preallocated, never written
// extents) read as zeros by the file system's contract, so the tail check
// need not read them. Any error means "read from off".
func nextData(f *os.File, off, size int64) int64 {
	const seekData = 3 // SEEK_DATA
	d, err := f.Seek(off, seekData)
	switch {
	case errors.Is(err, syscall.ENXIO):
		return size
	case err != nil || d < off:
		return off
	}
	return d
}
