// Package store is the embedded engine: an append-only, hash-chained
// transaction log whose hashes and proofs are byte-identical to immudb
// v1.11 (package proof), with a Pebble key index (package index) behind it.
//
// # Files (docs/FORMAT.md is the reference)
//
//	FORMAT      magic, format version, segment size (checked at Open)
//	log/*.seg   the log: one framed record per tx, preallocated segments
//	txindex     fixed 48-byte entry per tx: log position, length, Alh
//	aht         the binary-linking tree nodes (proof.NodeStore), post-order
//	CHECKPOINT  the tx up to which txindex and aht were last synced
//	index/      the Pebble key index
//
// Only the log is authoritative; everything else is derived from it and
// repaired or rebuilt at Open.
//
// # Integrity check
//
// VerifyIntegrity re-hashes a tx range (records, tx index entries, tree
// nodes); VerifyFiles checks every other byte of every file (zero log
// tails and spare segments, FORMAT, CHECKPOINT, the key index files);
// VerifyAll is both. VerifyDir checks a cleanly closed store before Open,
// which rewrites some files (verify.go, verify_files.go).
//
// # Commit pipeline
//
// Commit validates, hashes the values, builds the entry digests and eh and
// encodes the entries in the caller's goroutine, then queues the request.
// One committer goroutine takes everything queued, assigns ids, builds each
// header (blTxId = id−1, blRoot = tree root before the append, as immudb
// v1.11 does), computes Alh, appends it to the tree and the record to a
// pending run. Without Synced it writes the run after every group,
// publishes it, and a flusher syncs every SyncInterval. In Synced mode it
// writes the run (one write) only when the syncer goroutine is idle or
// 64 KiB are pending, and hands it over; the syncer fsyncs once for every
// run it finds queued (while the committer builds the next one), publishes
// the new last committed id, and a waker goroutine wakes the callers. So
// the txs that arrive during one fsync cost one write and one fsync.
// Before it declares itself idle after an fsync that released n > 1
// callers, the syncer waits until n more txs are queued or at most as long
// as that fsync took, and 10 ms (gather.go), so that callers who send again
// once acknowledged share the next fsync instead of waiting for the one
// after.
// Tx index entries and tree nodes stay in memory until the checkpointer
// writes them, so a commit writes only the log. A tx with preconditions
// starts a new group and is checked against the index once every earlier
// tx is published and indexed.
//
// # Export and replication (replicate.go)
//
// ExportTx gives a tx in immudb's exported form; ReplicateTx commits one
// again through the normal pipeline with the source's header: the
// committer gives it the source ts and refuses it (rolling its group back)
// unless every derived field equals the source's, so the Alh matches.
//
// # Invariants
//
//   - Txs ≤ committed (LastCommitted) are fully written: log record, tx
//     index entry and tree nodes. Readers never look beyond committed.
//   - In Synced mode a tx is acknowledged only after its record is durable;
//     a tx index or tree entry may lag on disk (they are rebuilt from the
//     log after the last checkpoint at Open).
//   - A failed log write rolls the run back; a failed fsync stops commits
//     (ErrIllegalState) until the store is reopened.
//
// # Locking
//
//   - qmu guards the commit queue; slots bounds queued txs (MaxActiveTxs).
//   - syncMu serialises log writes and the dirty-segment state (committer,
//     flusher, Sync); the syncer fsyncs without holding it.
//   - checkpMu serialises checkpoints; txIndex.mu / nodeFile.mu guard the
//     in-memory tails (fmu serialises their flush and truncate).
//   - stateMu guards lastAlh with committed (atomic) for LastCommitted.
//   - idxRunMu is held by whoever applies to the index (indexer, rebuild)
//     and by Close while it closes the index; a rebuild checks for Close
//     between batches. idxSwapMu is held by RebuildIndex while it replaces
//     the index: a read that found the old one closed waits on it and
//     retries on the new one. idxMu guards the index-progress channel.
//   - Reads take no store lock: files are read with pread, the tree and the
//     index are safe for concurrent readers. A read that loses a race with
//     Close sees a closed file and reports ErrClosed, like a read after it.
package store
