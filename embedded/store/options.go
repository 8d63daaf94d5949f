package store

import (
	"fmt"
	"time"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// Defaults, matching immudb v1.11 server defaults (HASHING.md §11).
const (
	DefaultMaxTxEntries       = 1024
	DefaultMaxKeyLen          = 1024
	DefaultMaxValueLen        = 32 << 20
	DefaultFileSize           = 512 << 20
	DefaultMaxActiveTxs       = 1000
	DefaultSyncInterval       = 2 * time.Millisecond
	DefaultCheckpointInterval = time.Second
	DefaultMaxGroupBytes      = 64 << 20
	DefaultIndexBatchTxs      = 4096
)

// Options configure Open. Start from DefaultOptions(): the zero value of a
// numeric field means its default, but the booleans and HeaderVersion are
// taken as given.
type Options struct {
	// FS is the file system of the log and derived files; nil means vfs.OS.
	// The key index (Pebble) always uses the OS file system, at IndexDir.
	FS vfs.FS
	// IndexDir is where the key index keeps its files; empty means
	// dir/index. A store on another FS than vfs.OS (tests' in-memory one)
	// needs a real directory here, or DisableIndex: else its index would
	// land at dir/index on the real disk, shared by every such store.
	IndexDir string
	// FileSize is the size of a log segment; a record larger than it gets a
	// segment of its own.
	FileSize     int64
	MaxTxEntries int
	MaxKeyLen    int
	MaxValueLen  int
	// Synced acknowledges a commit only once its bytes are fsynced. When
	// false a background flusher syncs every SyncInterval and Sync forces it.
	Synced       bool
	SyncInterval time.Duration
	// HeaderVersion of new txs: 1 (immudb's default) or 0 (tests).
	HeaderVersion int
	// Clock returns the commit time in unix seconds; nil means time.Now.
	Clock func() int64
	// MaxActiveTxs bounds the txs queued for commit; committers beyond it
	// block until there is room.
	MaxActiveTxs int
	// MaxGroupBytes bounds the bytes one commit group writes (a single tx may
	// exceed it).
	MaxGroupBytes int
	// CheckpointInterval is how often the derived files (tx index, tree
	// nodes) are synced and the recovery starting point advanced.
	CheckpointInterval time.Duration
	// DisableIndex opens the store without the key index: commits, tx reads
	// and proofs work; key reads return ErrIndexDisabled.
	DisableIndex bool
	// IndexCacheSize is the Pebble block cache (0 = the index default).
	IndexCacheSize int64
	// IndexBatchTxs bounds the txs the indexer applies in one batch.
	IndexBatchTxs int
}

// DefaultOptions returns immudb's defaults: synced, header version 1.
func DefaultOptions() Options {
	return Options{
		FileSize:           DefaultFileSize,
		MaxTxEntries:       DefaultMaxTxEntries,
		MaxKeyLen:          DefaultMaxKeyLen,
		MaxValueLen:        DefaultMaxValueLen,
		Synced:             true,
		SyncInterval:       DefaultSyncInterval,
		HeaderVersion:      proof.TxHeaderV1,
		MaxActiveTxs:       DefaultMaxActiveTxs,
		MaxGroupBytes:      DefaultMaxGroupBytes,
		CheckpointInterval: DefaultCheckpointInterval,
		IndexBatchTxs:      DefaultIndexBatchTxs,
	}
}

func (o *Options) normalize() error {
	d := DefaultOptions()
	if o.FS == nil {
		o.FS = vfs.OS
	}
	if o.FileSize <= 0 {
		o.FileSize = d.FileSize
	}
	if o.FileSize > maxSegmentOffset {
		return fmt.Errorf("%w: file size %d too large", ErrIllegalArguments, o.FileSize)
	}
	if o.MaxTxEntries <= 0 {
		o.MaxTxEntries = d.MaxTxEntries
	}
	if o.MaxKeyLen <= 0 {
		o.MaxKeyLen = d.MaxKeyLen
	}
	if o.MaxKeyLen > 65535 {
		return fmt.Errorf("%w: max key length %d above 65535", ErrIllegalArguments, o.MaxKeyLen)
	}
	if o.MaxValueLen <= 0 {
		o.MaxValueLen = d.MaxValueLen
	}
	if o.SyncInterval <= 0 {
		o.SyncInterval = d.SyncInterval
	}
	if o.HeaderVersion != proof.TxHeaderV0 && o.HeaderVersion != proof.TxHeaderV1 {
		return fmt.Errorf("%w: header version %d", ErrIllegalArguments, o.HeaderVersion)
	}
	if o.HeaderVersion == proof.TxHeaderV0 && o.MaxTxEntries > proof.MaxV0Entries {
		o.MaxTxEntries = proof.MaxV0Entries
	}
	if o.Clock == nil {
		o.Clock = func() int64 { return time.Now().Unix() }
	}
	if o.MaxActiveTxs <= 0 {
		o.MaxActiveTxs = d.MaxActiveTxs
	}
	if o.MaxGroupBytes <= 0 {
		o.MaxGroupBytes = d.MaxGroupBytes
	}
	if o.CheckpointInterval <= 0 {
		o.CheckpointInterval = d.CheckpointInterval
	}
	if o.IndexBatchTxs <= 0 {
		o.IndexBatchTxs = d.IndexBatchTxs
	}
	return nil
}
