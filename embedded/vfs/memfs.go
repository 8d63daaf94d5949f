package vfs

import (
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
)

// Mem is an in-memory FS. Besides the current contents it keeps, per file,
// the contents as of the last Sync and the writes issued since, so that
// CrashClone can model a machine that lost power.
type Mem struct {
	mu    sync.Mutex
	files map[string]*memNode
	dirs  map[string]bool
}

type memOp struct {
	trunc bool // a Truncate to off; otherwise a write of data at off
	off   int64
	data  []byte
}

type memNode struct {
	mu      sync.RWMutex
	data    []byte  // what readers see
	durable []byte  // contents as of the last Sync
	pending []memOp // writes and truncates since the last Sync, in order
}

// NewMem returns an empty in-memory file system with a root directory.
func NewMem() *Mem {
	return &Mem{files: map[string]*memNode{}, dirs: map[string]bool{"/": true, ".": true}}
}

func clean(name string) string { return path.Clean(name) }

func pathErr(op, name string, err error) error { return &fs.PathError{Op: op, Path: name, Err: err} }

// OpenFile opens or creates a file; the parent directory must exist.
func (m *Mem) OpenFile(name string, flag int, _ fs.FileMode) (File, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dirs[name] {
		return nil, pathErr("open", name, fmt.Errorf("is a directory"))
	}
	n, ok := m.files[name]
	if !ok {
		if flag&os.O_CREATE == 0 {
			return nil, pathErr("open", name, fs.ErrNotExist)
		}
		if !m.dirs[path.Dir(name)] {
			return nil, pathErr("open", name, fs.ErrNotExist)
		}
		n = &memNode{}
		m.files[name] = n
	} else if flag&os.O_CREATE != 0 && flag&os.O_EXCL != 0 {
		return nil, pathErr("open", name, fs.ErrExist)
	}
	f := &memFile{n: n, name: name, ro: flag&(os.O_WRONLY|os.O_RDWR) == 0}
	if flag&os.O_TRUNC != 0 {
		if err := f.Truncate(0); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Remove deletes a file or an empty directory.
func (m *Mem) Remove(name string) error {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.files[name]; ok {
		delete(m.files, name)
		return nil
	}
	if m.dirs[name] {
		prefix := name + "/"
		for k := range m.files {
			if strings.HasPrefix(k, prefix) {
				return pathErr("remove", name, fmt.Errorf("directory not empty"))
			}
		}
		for k := range m.dirs {
			if strings.HasPrefix(k, prefix) {
				return pathErr("remove", name, fmt.Errorf("directory not empty"))
			}
		}
		delete(m.dirs, name)
		return nil
	}
	return pathErr("remove", name, fs.ErrNotExist)
}

// RemoveAll removes name and everything below it; missing paths are fine.
func (m *Mem) RemoveAll(name string) error {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	prefix := name + "/"
	for k := range m.files {
		if k == name || strings.HasPrefix(k, prefix) {
			delete(m.files, k)
		}
	}
	for k := range m.dirs {
		if k == name || strings.HasPrefix(k, prefix) {
			delete(m.dirs, k)
		}
	}
	return nil
}

// Rename moves a file, replacing any file at newname.
func (m *Mem) Rename(oldname, newname string) error {
	oldname, newname = clean(oldname), clean(newname)
	m.mu.Lock()
	defer m.mu.Unlock()
	n, ok := m.files[oldname]
	if !ok {
		return pathErr("rename", oldname, fs.ErrNotExist)
	}
	if !m.dirs[path.Dir(newname)] {
		return pathErr("rename", newname, fs.ErrNotExist)
	}
	delete(m.files, oldname)
	m.files[newname] = n
	return nil
}

// MkdirAll creates dir and its parents.
func (m *Mem) MkdirAll(dir string, _ fs.FileMode) error {
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := dir; ; d = path.Dir(d) {
		if _, ok := m.files[d]; ok {
			return pathErr("mkdir", d, fmt.Errorf("not a directory"))
		}
		m.dirs[d] = true
		if d == "/" || d == "." {
			return nil
		}
	}
}

// ReadDir lists the entries directly under dir.
func (m *Mem) ReadDir(dir string) ([]string, error) {
	dir = clean(dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirs[dir] {
		return nil, pathErr("readdir", dir, fs.ErrNotExist)
	}
	var names []string
	add := func(k string) {
		if k != dir && path.Dir(k) == dir {
			names = append(names, path.Base(k))
		}
	}
	for k := range m.files {
		add(k)
	}
	for k := range m.dirs {
		add(k)
	}
	sort.Strings(names)
	return names, nil
}

// Stat reports the size of a file or that name is a directory.
func (m *Mem) Stat(name string) (FileInfo, error) {
	name = clean(name)
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.dirs[name] {
		return FileInfo{IsDir: true}, nil
	}
	n, ok := m.files[name]
	if !ok {
		return FileInfo{}, pathErr("stat", name, fs.ErrNotExist)
	}
	n.mu.RLock()
	defer n.mu.RUnlock()
	return FileInfo{Size: int64(len(n.data))}, nil
}

// SyncDir is a no-op: directory changes are durable at once in Mem.
func (m *Mem) SyncDir(dir string) error {
	if fi, err := m.Stat(dir); err != nil || !fi.IsDir {
		return pathErr("syncdir", dir, fs.ErrNotExist)
	}
	return nil
}

// CrashClone returns a new Mem holding what a crash right now would leave:
// for every file, its synced contents. When rng is non-nil each file also
// keeps a random prefix of the operations issued since its last sync, the
// last of them possibly cut at a random byte (a torn write). Open handles
// of m are unaffected.
func (m *Mem) CrashClone(rng *rand.Rand) *Mem {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := NewMem()
	for d := range m.dirs {
		c.dirs[d] = true
	}
	for name, n := range m.files {
		n.mu.RLock()
		data := append([]byte(nil), n.durable...)
		if rng != nil && len(n.pending) > 0 {
			k := rng.IntN(len(n.pending) + 1)
			for i := 0; i < k; i++ {
				op := n.pending[i]
				if op.trunc {
					data = truncBytes(data, op.off)
					continue
				}
				d := op.data
				if i == k-1 && len(d) > 0 {
					d = d[:rng.IntN(len(d)+1)]
				}
				data = writeBytes(data, d, op.off)
			}
		}
		n.mu.RUnlock()
		c.files[name] = &memNode{data: data, durable: append([]byte(nil), data...)}
	}
	return c
}

func truncBytes(b []byte, size int64) []byte {
	if int64(len(b)) >= size {
		return b[:size]
	}
	return append(b, make([]byte, size-int64(len(b)))...)
}

func writeBytes(b, p []byte, off int64) []byte {
	end := off + int64(len(p))
	if end > int64(len(b)) {
		if end <= int64(cap(b)) {
			old := int64(len(b))
			b = b[:end]
			if off > old {
				clear(b[old:off]) // the gap past the old end reads as zeros
			}
		} else {
			nb := make([]byte, end, end+end/4)
			copy(nb, b)
			b = nb
		}
	}
	copy(b[off:], p)
	return b
}

type memFile struct {
	n      *memNode
	name   string
	ro     bool
	closed atomic.Bool // like an os.File, a closed file refuses every operation
}

func (f *memFile) checkOpen(op string) error {
	if f.closed.Load() {
		return pathErr(op, f.name, fs.ErrClosed)
	}
	return nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	if err := f.checkOpen("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, pathErr("read", f.name, fs.ErrInvalid)
	}
	f.n.mu.RLock()
	defer f.n.mu.RUnlock()
	if off >= int64(len(f.n.data)) {
		return 0, io.EOF
	}
	c := copy(p, f.n.data[off:])
	if c < len(p) {
		return c, io.EOF
	}
	return c, nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	if err := f.checkOpen("write"); err != nil {
		return 0, err
	}
	if f.ro {
		return 0, pathErr("write", f.name, fs.ErrPermission)
	}
	if off < 0 {
		return 0, pathErr("write", f.name, fs.ErrInvalid)
	}
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	f.n.data = writeBytes(f.n.data, p, off)
	f.n.pending = append(f.n.pending, memOp{off: off, data: append([]byte(nil), p...)})
	return len(p), nil
}

func (f *memFile) Sync() error {
	if err := f.checkOpen("sync"); err != nil {
		return err
	}
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	f.n.durable = append(f.n.durable[:0], f.n.data...)
	f.n.pending = nil
	return nil
}

func (f *memFile) Truncate(size int64) error {
	if err := f.checkOpen("truncate"); err != nil {
		return err
	}
	if f.ro {
		return pathErr("truncate", f.name, fs.ErrPermission)
	}
	if size < 0 {
		return pathErr("truncate", f.name, fs.ErrInvalid)
	}
	f.n.mu.Lock()
	defer f.n.mu.Unlock()
	f.n.data = truncBytes(f.n.data, size)
	f.n.pending = append(f.n.pending, memOp{trunc: true, off: size})
	return nil
}

func (f *memFile) Size() (int64, error) {
	if err := f.checkOpen("stat"); err != nil {
		return 0, err
	}
	f.n.mu.RLock()
	defer f.n.mu.RUnlock()
	return int64(len(f.n.data)), nil
}

func (f *memFile) Preallocate(int64, int64) error { return f.checkOpen("preallocate") }

func (f *memFile) Close() error {
	if f.closed.Swap(true) {
		return pathErr("close", f.name, fs.ErrClosed)
	}
	return nil
}
