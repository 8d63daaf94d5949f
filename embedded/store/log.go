package store

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/attestdb/attestdb/embedded/vfs"
)

// Log positions pack a segment number and an offset in it.
const (
	segShift         = 40
	maxSegmentOffset = int64(1) << segShift
)

func makePos(seg uint32, off int64) uint64 { return uint64(seg)<<segShift | uint64(off) }
func splitPos(pos uint64) (uint32, int64) {
	return uint32(pos >> segShift), int64(pos & (1<<segShift - 1))
}
func segName(dir string, seg uint32) string { return filepath.Join(dir, fmt.Sprintf("%08d.seg", seg)) }

// segLog is the set of log segment files. The committer appends; readers
// read at any position below what was published.
type segLog struct {
	fs       vfs.FS
	dir      string
	fileSize int64

	mu     sync.RWMutex // guards segs and closed
	segs   []vfs.File   // by segment number; nil = not opened yet
	closed bool         // after close: no segment is (re)opened
}

func openSegLog(fsys vfs.FS, dir string, fileSize int64) (*segLog, error) {
	if err := fsys.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("store: create log dir: %w", err)
	}
	return &segLog{fs: fsys, dir: dir, fileSize: fileSize}, nil
}

// segmentCount is the number of segment files on disk (they are numbered
// from 0 without gaps).
func (l *segLog) segmentCount() (uint32, error) {
	names, err := l.fs.ReadDir(l.dir)
	if err != nil {
		return 0, fmt.Errorf("store: list log: %w", err)
	}
	var n uint32
	for _, name := range names {
		if name == fmt.Sprintf("%08d.seg", n) {
			n++
		}
	}
	return n, nil
}

// file returns segment seg, opening it if needed.
func (l *segLog) file(seg uint32) (vfs.File, error) {
	l.mu.RLock()
	if int(seg) < len(l.segs) && l.segs[seg] != nil {
		f := l.segs[seg]
		l.mu.RUnlock()
		return f, nil
	}
	l.mu.RUnlock()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, ErrClosed
	}
	for int(seg) >= len(l.segs) {
		l.segs = append(l.segs, nil)
	}
	if l.segs[seg] == nil {
		f, err := l.fs.OpenFile(segName(l.dir, seg), os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("store: open segment %d: %w", seg, err)
		}
		l.segs[seg] = f
	}
	return l.segs[seg], nil
}

// create makes segment seg with its preallocated size (zeros) durable.
func (l *segLog) create(seg uint32) (vfs.File, error) {
	f, err := l.fs.OpenFile(segName(l.dir, seg), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("store: create segment %d: %w", seg, err)
	}
	// Reserving the blocks and fixing the size up front keeps per-commit
	// fdatasyncs from having to persist a growing file size.
	if err := f.Preallocate(0, l.fileSize); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: preallocate segment %d: %w", seg, err)
	}
	if err := f.Truncate(l.fileSize); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: size segment %d: %w", seg, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: sync segment %d: %w", seg, err)
	}
	if err := l.fs.SyncDir(l.dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("store: sync log dir: %w", err)
	}
	l.mu.Lock()
	for int(seg) >= len(l.segs) {
		l.segs = append(l.segs, nil)
	}
	old := l.segs[seg]
	l.segs[seg] = f
	l.mu.Unlock()
	if old != nil {
		old.Close()
	}
	return f, nil
}

// removeFrom deletes segments seg and later (a torn tail beyond the end).
func (l *segLog) removeFrom(seg uint32) error {
	n, err := l.segmentCount()
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for s := seg; s < n; s++ {
		if int(s) < len(l.segs) && l.segs[s] != nil {
			l.segs[s].Close()
			l.segs[s] = nil
		}
		if err := l.fs.Remove(segName(l.dir, s)); err != nil {
			return fmt.Errorf("store: remove segment %d: %w", s, err)
		}
	}
	return l.fs.SyncDir(l.dir)
}

// readAt reads len(p) bytes at pos; short reads are errors.
func (l *segLog) readAt(p []byte, pos uint64) error {
	seg, off := splitPos(pos)
	f, err := l.file(seg)
	if err != nil {
		return err
	}
	n, err := f.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if errors.Is(err, fs.ErrClosed) { // lost a race with Store.Close
		return ErrClosed
	}
	if err != nil && !errors.Is(err, io.EOF) {
		// An I/O error says nothing about the data: never report it as
		// corruption (recovery would take it for the end of the log).
		return fmt.Errorf("store: read segment %d at %d: %w", seg, off, err)
	}
	return fmt.Errorf("%w: short read of %d bytes at segment %d offset %d: %v", ErrCorruptedData, len(p), seg, off, err)
}

// checkSpan reports ErrCorruptedData when n bytes at pos do not lie inside
// their segment file. Readers call it before allocating a buffer whose
// length comes from stored data (an index payload), so a damaged length can
// not make them allocate more than the log holds.
func (l *segLog) checkSpan(pos uint64, n int) error {
	seg, off := splitPos(pos)
	f, err := l.file(seg)
	if err != nil {
		return err
	}
	size, err := f.Size()
	if errors.Is(err, fs.ErrClosed) {
		return ErrClosed
	}
	if err != nil {
		return fmt.Errorf("store: size of segment %d: %w", seg, err)
	}
	if n < 0 || int64(n) > size || off > size-int64(n) {
		return fmt.Errorf("%w: %d bytes at segment %d offset %d lie outside the segment (%d bytes)", ErrCorruptedData, n, seg, off, size)
	}
	return nil
}

func (l *segLog) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.closed = true
	var first error
	for i, f := range l.segs {
		if f != nil {
			if err := f.Close(); err != nil && first == nil {
				first = err
			}
			l.segs[i] = nil
		}
	}
	return first
}
