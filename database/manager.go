package database

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/attestdb/attestdb/api/schema"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// Layout of a data dir: <dir>/<name>/settings.json holds a database's
// settings and creation facts, <dir>/<name>/data its store.
const (
	settingsFile = "settings.json"
	dataDir      = "data"
)

// ManagerOptions configure OpenManager.
type ManagerOptions struct {
	// MaxActiveDatabases bounds the loaded databases, systemdb included
	// (0 = no limit).
	MaxActiveDatabases int
	// Synced makes every database acknowledge commits only once durable.
	Synced bool
	// Signer and LogRequestMetadata are passed to every database.
	Signer             Signer
	LogRequestMetadata bool
}

// DatabaseInfo describes one database for DatabaseListV2.
type DatabaseInfo struct {
	Name      string
	Loaded    bool
	DiskSize  uint64
	NumTx     uint64
	CreatedAt time.Time
	CreatedBy string
	Settings  *schema.DatabaseNullableSettings
}

type dbRecord struct {
	name      string
	settings  *schema.DatabaseNullableSettings
	createdAt time.Time
	createdBy string
	db        *DB      // nil while unloaded
	size      sizeMemo // size.go
}

// Manager is the set of databases under one data dir. See doc.go for its
// locking.
type Manager struct {
	dir  string
	opts ManagerOptions

	mu     sync.Mutex
	dbs    map[string]*dbRecord
	closed bool
}

// OpenManager opens every database of dir whose autoload setting is on,
// creating systemdb and defaultdb on first start.
func OpenManager(dir string, opts *ManagerOptions) (*Manager, error) {
	m := &Manager{dir: dir, dbs: map[string]*dbRecord{}}
	if opts != nil {
		m.opts = *opts
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading data dir: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		rec, err := readRecord(filepath.Join(dir, e.Name()), e.Name())
		if errors.Is(err, fs.ErrNotExist) {
			continue // not a database directory
		}
		if err != nil {
			m.closeAll()
			return nil, err
		}
		m.dbs[rec.name] = rec
	}
	for _, name := range []string{SystemDBName, DefaultDBName} {
		if _, ok := m.dbs[name]; !ok {
			if _, err := m.create(name, SystemDBName, nil); err != nil {
				m.closeAll()
				return nil, err
			}
		}
	}
	for _, rec := range m.sortedRecords() {
		if rec.db == nil && (rec.settings.Autoload == nil || rec.settings.Autoload.Value || IsReserved(rec.name)) {
			if err := m.open(rec); err != nil {
				m.closeAll()
				return nil, err
			}
		}
	}
	return m, nil
}

func (m *Manager) sortedRecords() []*dbRecord {
	out := make([]*dbRecord, 0, len(m.dbs))
	for _, r := range m.dbs {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

type recordFile struct {
	Name      string          `json:"name"`
	CreatedAt int64           `json:"createdAt"`
	CreatedBy string          `json:"createdBy"`
	Settings  json.RawMessage `json:"settings"`
}

func readRecord(dbDir, name string) (*dbRecord, error) {
	b, err := os.ReadFile(filepath.Join(dbDir, settingsFile))
	if err != nil {
		return nil, err
	}
	var f recordFile
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("%w: settings of database %q: %v", ErrCorruptedData, name, err)
	}
	s := &schema.DatabaseNullableSettings{}
	if err := protojson.Unmarshal(f.Settings, s); err != nil {
		return nil, fmt.Errorf("%w: settings of database %q: %v", ErrCorruptedData, name, err)
	}
	if f.Name != name {
		return nil, fmt.Errorf("%w: settings of database %q name %q", ErrCorruptedData, name, f.Name)
	}
	return &dbRecord{name: name, settings: s, createdAt: time.Unix(f.CreatedAt, 0), createdBy: f.CreatedBy}, nil
}

// writeRecord replaces the settings file atomically (temp file, fsync,
// rename), so a crash leaves the old or the new settings, never a mix.
func (m *Manager) writeRecord(rec *dbRecord) error {
	sb, err := protojson.Marshal(rec.settings)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(recordFile{Name: rec.name, CreatedAt: rec.createdAt.Unix(), CreatedBy: rec.createdBy, Settings: sb}, "", "  ")
	if err != nil {
		return err
	}
	dbDir := filepath.Join(m.dir, rec.name)
	if err := os.MkdirAll(dbDir, 0o755); err != nil {
		return err
	}
	tmp := filepath.Join(dbDir, settingsFile+".tmp")
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dbDir, settingsFile))
}

func (m *Manager) loadedCount() int {
	n := 0
	for _, r := range m.dbs {
		if r.db != nil {
			n++
		}
	}
	return n
}

// open opens rec's store (mu held).
func (m *Manager) open(rec *dbRecord) error {
	if m.opts.MaxActiveDatabases > 0 && m.loadedCount() >= m.opts.MaxActiveDatabases {
		return ErrMaxActiveDatabases
	}
	so := storeOptions(rec.settings, m.opts.Synced)
	db, err := Open(rec.name, filepath.Join(m.dir, rec.name, dataDir), &Options{
		Store:              &so,
		Replica:            rec.settings.GetReplicationSettings().GetReplica().GetValue(),
		Signer:             m.opts.Signer,
		LogRequestMetadata: m.opts.LogRequestMetadata,
	})
	if err != nil {
		return err
	}
	rec.db = db
	return nil
}

// create makes and opens a new database (mu held or not yet shared).
func (m *Manager) create(name, createdBy string, s *schema.DatabaseNullableSettings) (*dbRecord, error) {
	settings := mergeSettings(DefaultSettings(), s)
	if err := validateSettings(settings); err != nil {
		return nil, err
	}
	load := settings.Autoload.GetValue() || IsReserved(name)
	if load && m.opts.MaxActiveDatabases > 0 && m.loadedCount() >= m.opts.MaxActiveDatabases {
		return nil, ErrMaxActiveDatabases
	}
	rec := &dbRecord{name: name, settings: settings, createdAt: time.Now(), createdBy: createdBy}
	if err := m.writeRecord(rec); err != nil {
		return nil, fmt.Errorf("creating database %q: %w", name, err)
	}
	m.dbs[name] = rec
	if load {
		if err := m.open(rec); err != nil {
			return rec, err
		}
	}
	return rec, nil
}

// lookup finds a database by (normalized) name (mu held).
func (m *Manager) lookup(name string) (*dbRecord, error) {
	if m.closed {
		return nil, ErrManagerClosed
	}
	n, err := NormalizeName(name)
	if err != nil {
		return nil, err
	}
	rec, ok := m.dbs[n]
	if !ok {
		return nil, ErrDatabaseNotExists
	}
	return rec, nil
}

// Get returns a loaded database.
func (m *Manager) Get(name string) (*DB, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	if rec.db == nil {
		return nil, ErrAlreadyClosed
	}
	return rec.db, nil
}

// SystemDB returns systemdb (always loaded).
func (m *Manager) SystemDB() (*DB, error) { return m.Get(SystemDBName) }

// Exists reports whether the database exists, loaded or not.
func (m *Manager) Exists(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, err := m.lookup(name)
	return err == nil
}

// Create creates a database with the given settings over immudb's
// defaults and returns the full settings.
func (m *Manager) Create(name string, s *schema.DatabaseNullableSettings) (*schema.DatabaseNullableSettings, error) {
	return m.CreateAs(name, "", s)
}

// CreateAs is Create recording who created the database.
func (m *Manager) CreateAs(name, createdBy string, s *schema.DatabaseNullableSettings) (*schema.DatabaseNullableSettings, error) {
	n, err := NormalizeName(name)
	if err != nil {
		return nil, err
	}
	if IsReserved(n) {
		return nil, ErrDatabaseReserved
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrManagerClosed
	}
	if _, ok := m.dbs[n]; ok {
		return nil, ErrDatabaseAlreadyExists
	}
	// A database whose store fails to open stays listed, unloaded, so its
	// files are not orphaned and the name stays taken.
	rec, err := m.create(n, createdBy, s)
	if err != nil {
		return nil, err
	}
	return proto.Clone(rec.settings).(*schema.DatabaseNullableSettings), nil
}

// Update merges s into the stored settings. The replica flag takes effect
// at once; the engine settings at the next load.
func (m *Manager) Update(name string, s *schema.DatabaseNullableSettings) (*schema.DatabaseNullableSettings, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	if rec.name == SystemDBName {
		return nil, ErrDatabaseReserved
	}
	merged := mergeSettings(rec.settings, s)
	if err := validateSettings(merged); err != nil {
		return nil, err
	}
	old := rec.settings
	rec.settings = merged
	if err := m.writeRecord(rec); err != nil {
		rec.settings = old
		return nil, fmt.Errorf("updating database %q: %w", rec.name, err)
	}
	if rec.db != nil {
		rec.db.SetReplica(merged.GetReplicationSettings().GetReplica().GetValue())
	}
	return proto.Clone(merged).(*schema.DatabaseNullableSettings), nil
}

// Settings returns a database's settings.
func (m *Manager) Settings(name string) (*schema.DatabaseNullableSettings, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.lookup(name)
	if err != nil {
		return nil, err
	}
	return proto.Clone(rec.settings).(*schema.DatabaseNullableSettings), nil
}

// setAutoload persists the autoload flag (mu held).
func (m *Manager) setAutoload(rec *dbRecord, v bool) error {
	old := rec.settings
	rec.settings = proto.Clone(old).(*schema.DatabaseNullableSettings)
	rec.settings.Autoload = nb(v)
	if err := m.writeRecord(rec); err != nil {
		rec.settings = old
		return err
	}
	return nil
}

// Load opens an unloaded database and marks it to load at start.
func (m *Manager) Load(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.lookup(name)
	if err != nil {
		return err
	}
	if rec.db != nil {
		return ErrDatabaseAlreadyLoaded
	}
	if err := m.open(rec); err != nil {
		return err
	}
	return m.setAutoload(rec, true)
}

// Unload closes a database (after its running calls) and marks it to stay
// unloaded at start. systemdb and defaultdb cannot be unloaded.
func (m *Manager) Unload(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.lookup(name)
	if err != nil {
		return err
	}
	if IsReserved(rec.name) {
		return ErrDatabaseReserved
	}
	if rec.db == nil {
		return ErrDatabaseNotLoaded
	}
	m.rememberUnloadSize(rec)
	if err := rec.db.Close(); err != nil {
		return err
	}
	rec.db = nil
	return m.setAutoload(rec, false)
}

// Delete removes an unloaded database and its files.
func (m *Manager) Delete(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	rec, err := m.lookup(name)
	if err != nil {
		return err
	}
	if IsReserved(rec.name) {
		return ErrDatabaseReserved
	}
	if rec.db != nil {
		return ErrDatabaseLoaded
	}
	if err := os.RemoveAll(filepath.Join(m.dir, rec.name)); err != nil {
		return fmt.Errorf("deleting database %q: %w", rec.name, err)
	}
	delete(m.dbs, rec.name)
	return nil
}

// List describes every database except systemdb, sorted by name.
func (m *Manager) List() []DatabaseInfo {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []DatabaseInfo
	for _, rec := range m.sortedRecords() {
		if rec.name == SystemDBName {
			continue
		}
		info := DatabaseInfo{
			Name: rec.name, Loaded: rec.db != nil, CreatedAt: rec.createdAt, CreatedBy: rec.createdBy,
			Settings: proto.Clone(rec.settings).(*schema.DatabaseNullableSettings),
			DiskSize: m.sizeOf(rec),
		}
		if rec.db != nil {
			info.NumTx = rec.db.TxCount()
		}
		out = append(out, info)
	}
	return out
}

// TxCount is the number of committed txs over the loaded databases,
// systemdb included.
func (m *Manager) TxCount() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n uint64
	for _, rec := range m.dbs {
		if rec.db != nil {
			n += rec.db.TxCount()
		}
	}
	return n
}

// DiskSize is the size of every database (size.go).
func (m *Manager) DiskSize() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var n uint64
	for _, rec := range m.dbs {
		n += m.sizeOf(rec)
	}
	return n
}

// closeAll closes every loaded database and returns the first error.
func (m *Manager) closeAll() error {
	var first error
	for _, rec := range m.dbs {
		if rec.db != nil {
			if err := rec.db.Close(); err != nil && first == nil {
				first = err
			}
			rec.db = nil
		}
	}
	return first
}

// Close closes every database. Later calls fail with ErrManagerClosed.
func (m *Manager) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return m.closeAll()
}
