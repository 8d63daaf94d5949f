package database

import (
	"io/fs"
	"path/filepath"
)

// Disk sizes for DatabaseListV2, ServerInfo and the metrics endpoint, which
// may ask on every scrape. A loaded database reports the logical size of
// its log (store.LogSize: what was written, not the preallocated segments,
// so an empty database is a few kilobytes, not 512 MB) plus its derived
// files (tx index, tree nodes, key index) as they are on disk. Those are
// walked only when the database moved since the last answer (another
// committed or indexed tx); otherwise the remembered figure is reused. An
// unloaded database reports what it had when it was unloaded, or, if it
// was never loaded by this process, its files as they are (walked once).

// sizeMemo is a database's remembered size (in dbRecord, guarded by the
// Manager's mu).
type sizeMemo struct {
	committed, indexed uint64 // the store's position when derived was taken
	derived            uint64 // bytes of the files besides the log
	derivedOK          bool
	unloaded           uint64 // the answer while unloaded
	unloadedOK         bool
}

// logDir is the store's log directory inside its data dir (embedded/store).
const logDir = "log"

// sizeOf returns rec's disk size (mu held).
func (m *Manager) sizeOf(rec *dbRecord) uint64 {
	dir := filepath.Join(m.dir, rec.name)
	memo := &rec.size
	if rec.db == nil {
		if !memo.unloadedOK {
			memo.unloaded, memo.unloadedOK = walkSize(dir, ""), true
		}
		return memo.unloaded
	}
	st := rec.db.Store()
	logBytes, err := st.LogSize()
	if err != nil {
		// A closed or broken store: fall back to the files.
		return walkSize(dir, "")
	}
	committed, _ := st.LastCommitted()
	indexed := st.IndexedUpTo()
	if !memo.derivedOK || memo.committed != committed || memo.indexed != indexed {
		memo.derived = walkSize(dir, filepath.Join(dir, dataDir, logDir))
		memo.committed, memo.indexed, memo.derivedOK = committed, indexed, true
	}
	return logBytes + memo.derived
}

// rememberUnloadSize keeps rec's size for while it is unloaded; call it
// just before closing its store (mu held).
func (m *Manager) rememberUnloadSize(rec *dbRecord) {
	rec.size.unloaded, rec.size.unloadedOK = m.sizeOf(rec), true
}

// walkSize sums the sizes of the regular files under dir, skipping the
// directory skip ("" skips nothing).
func walkSize(dir, skip string) uint64 {
	var n uint64
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() {
			if skip != "" && path == skip {
				return filepath.SkipDir
			}
			return nil
		}
		if fi, err := d.Info(); err == nil {
			n += uint64(fi.Size())
		}
		return nil
	})
	return n
}
