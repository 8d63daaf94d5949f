package server

import (
	"context"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/database"
)

// Database is what the handlers need from one database. It is the method
// set of database.DB (the database layer owns the semantics, proofs and
// error texts); handlers only authorize, pick the database and call it.
type Database interface {
	Name() string

	CurrentState(ctx context.Context) (*schema.ImmutableState, error)
	Health() (pending uint32, lastCompletedUnixMs int64)

	Set(ctx context.Context, req *schema.SetRequest) (*schema.TxHeader, error)
	VerifiableSet(ctx context.Context, req *schema.VerifiableSetRequest) (*schema.VerifiableTx, error)
	Get(ctx context.Context, req *schema.KeyRequest) (*schema.Entry, error)
	VerifiableGet(ctx context.Context, req *schema.VerifiableGetRequest) (*schema.VerifiableEntry, error)
	GetAll(ctx context.Context, req *schema.KeyListRequest) (*schema.Entries, error)
	Delete(ctx context.Context, req *schema.DeleteKeysRequest) (*schema.TxHeader, error)
	SetReference(ctx context.Context, req *schema.ReferenceRequest) (*schema.TxHeader, error)
	VerifiableSetReference(ctx context.Context, req *schema.VerifiableReferenceRequest) (*schema.VerifiableTx, error)
	Scan(ctx context.Context, req *schema.ScanRequest) (*schema.Entries, error)
	History(ctx context.Context, req *schema.HistoryRequest) (*schema.Entries, error)
	ExecAll(ctx context.Context, req *schema.ExecAllRequest) (*schema.TxHeader, error)
	Count(ctx context.Context, req *schema.KeyPrefix) (*schema.EntryCount, error)
	CountAll(ctx context.Context) (*schema.EntryCount, error)
	ZAdd(ctx context.Context, req *schema.ZAddRequest) (*schema.TxHeader, error)
	VerifiableZAdd(ctx context.Context, req *schema.VerifiableZAddRequest) (*schema.VerifiableTx, error)
	ZScan(ctx context.Context, req *schema.ZScanRequest) (*schema.ZEntries, error)
	TxByID(ctx context.Context, req *schema.TxRequest) (*schema.Tx, error)
	VerifiableTxByID(ctx context.Context, req *schema.VerifiableTxRequest) (*schema.VerifiableTx, error)
	TxScan(ctx context.Context, req *schema.TxScanRequest) (*schema.TxList, error)
	FlushIndex(ctx context.Context, req *schema.FlushIndexRequest) error
	CompactIndex(ctx context.Context) error
}

// Databases is the set of databases of a data dir (database.Manager).
type Databases interface {
	// Get returns a loaded database; unknown or unloaded names are errors.
	Get(name string) (Database, error)
	Exists(name string) bool
	Create(name, createdBy string, s *schema.DatabaseNullableSettings) (*schema.DatabaseNullableSettings, error)
	Update(name string, s *schema.DatabaseNullableSettings) (*schema.DatabaseNullableSettings, error)
	Settings(name string) (*schema.DatabaseNullableSettings, error)
	Load(name string) error
	Unload(name string) error
	Delete(name string) error
	// List returns every database (systemdb excluded) with its state.
	List() []DatabaseInfo
	// TxCount is the number of committed txs over all loaded databases,
	// systemdb included; DiskSize their bytes on disk.
	TxCount() uint64
	DiskSize() uint64
	Close() error
}

// DatabaseInfo is one row of Databases.List.
type DatabaseInfo = database.DatabaseInfo
