package index

import "errors"

// Sentinel errors. Callers compare with errors.Is; the index wraps them with
// context (key, tx ids) where that helps.
var (
	// ErrKeyNotFound: the key has no version visible at the requested tx.
	ErrKeyNotFound = errors.New("index: key not found")
	// ErrClosed: the index (or the batch) was used after Close.
	ErrClosed = errors.New("index: closed")
	// ErrOutOfOrder: a batch does not continue exactly at IndexedUpTo()+1, or
	// its txs are not consecutive, or a tx id is 0.
	ErrOutOfOrder = errors.New("index: tx applied out of order")
	// ErrInvalidRevision: GetRevision asked for a revision the key does not
	// have (at the requested snapshot).
	ErrInvalidRevision = errors.New("index: invalid key revision number")

	// ErrInvalidKey: an empty key, or one longer than Options.MaxKeyLen.
	ErrInvalidKey = errors.New("index: invalid key")
	// ErrDuplicateKey: Batch.Add was given the same key twice in one tx.
	ErrDuplicateKey = errors.New("index: duplicate key in tx")
	// ErrNoTx: Batch.Add was called before any Batch.Begin.
	ErrNoTx = errors.New("index: entry added before Begin")
	// ErrCorrupt: a stored key or value does not decode. The index is derived
	// data: Destroy it and rebuild from the log.
	ErrCorrupt = errors.New("index: corrupt index data")
	// ErrCloseAbandoned: Close gave up (see Close).
	ErrCloseAbandoned = errors.New("index: not closed cleanly: background work is failing and an operation is stuck in Pebble")
)
