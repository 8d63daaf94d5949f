package vfs

import (
	"io/fs"
	"strings"
	"sync"
	"syscall"
)

// Injected errors, comparable with errors.Is against syscall errnos.
var (
	EIO    error = syscall.EIO
	ENOSPC error = syscall.ENOSPC
)

// Faulty wraps an FS and fails chosen operations. Writes and syncs are
// counted across all files opened through it (1-based); a rule fires on the
// Nth operation and, when Sticky, on every later one too.
type Faulty struct {
	FS

	mu     sync.Mutex
	writes int64
	syncs  int64
	wrule  rule
	srule  rule
	// every read of a file whose path ends with rsuffix fails with rerr
	rsuffix string
	rerr    error
}

type rule struct {
	nth    int64
	err    error
	short  bool // write half the bytes before failing
	sticky bool
}

func (r rule) fires(count int64) bool {
	if r.nth <= 0 || r.err == nil {
		return false
	}
	return count == r.nth || (r.sticky && count > r.nth)
}

// NewFaulty wraps inner.
func NewFaulty(inner FS) *Faulty { return &Faulty{FS: inner} }

// FailWrite makes the nth write (counting from now) fail with err; short
// writes half of the buffer first; sticky keeps failing afterwards.
func (f *Faulty) FailWrite(nth int64, err error, short, sticky bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes = 0
	f.wrule = rule{nth: nth, err: err, short: short, sticky: sticky}
}

// FailSync makes the nth sync (counting from now) fail with err.
func (f *Faulty) FailSync(nth int64, err error, sticky bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs = 0
	f.srule = rule{nth: nth, err: err, sticky: sticky}
}

// FailReads makes every read of a file whose path ends with suffix fail
// with err, until Heal.
func (f *Faulty) FailReads(suffix string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rsuffix, f.rerr = suffix, err
}

// Heal removes every rule.
func (f *Faulty) Heal() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wrule, f.srule = rule{}, rule{}
	f.rsuffix, f.rerr = "", nil
}

func (f *Faulty) onRead(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rerr != nil && strings.HasSuffix(name, f.rsuffix) {
		return f.rerr
	}
	return nil
}

// Counts reports the writes and syncs seen since the rules were last set.
func (f *Faulty) Counts() (writes, syncs int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.writes, f.syncs
}

func (f *Faulty) onWrite() (error, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.writes++
	if f.wrule.fires(f.writes) {
		return f.wrule.err, f.wrule.short
	}
	return nil, false
}

func (f *Faulty) onSync() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.syncs++
	if f.srule.fires(f.syncs) {
		return f.srule.err
	}
	return nil
}

// OpenFile wraps the opened file.
func (f *Faulty) OpenFile(name string, flag int, perm fs.FileMode) (File, error) {
	h, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: h, fs: f, name: name}, nil
}

// SyncDir counts as a sync.
func (f *Faulty) SyncDir(dir string) error {
	if err := f.onSync(); err != nil {
		return pathErr("syncdir", dir, err)
	}
	return f.FS.SyncDir(dir)
}

type faultyFile struct {
	File
	fs   *Faulty
	name string
}

func (h *faultyFile) WriteAt(p []byte, off int64) (int, error) {
	err, short := h.fs.onWrite()
	if err == nil {
		return h.File.WriteAt(p, off)
	}
	n := 0
	if short && len(p) > 1 {
		n, _ = h.File.WriteAt(p[:len(p)/2], off)
	}
	return n, pathErr("write", h.name, err)
}

func (h *faultyFile) ReadAt(p []byte, off int64) (int, error) {
	if err := h.fs.onRead(h.name); err != nil {
		return 0, pathErr("read", h.name, err)
	}
	return h.File.ReadAt(p, off)
}

func (h *faultyFile) Sync() error {
	if err := h.fs.onSync(); err != nil {
		return pathErr("sync", h.name, err)
	}
	return h.File.Sync()
}
