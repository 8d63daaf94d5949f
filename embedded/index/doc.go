// Package index is the key index of the embedded engine: it maps user keys
// (arbitrary bytes, 1..MaxKeyLen) to their versions (TxID, Revision,
// Payload) in a CockroachDB Pebble database. It knows nothing of the log or
// of hashing; the Payload is an opaque blob chosen by the engine. The index
// is derived data: the engine can Destroy it and rebuild it from its log.
//
// # Key layout (format "attestdb.index.v1")
//
// One Pebble key per version. All integers are big-endian. Pebble compares
// keys bytewise, so the byte order below is the index order.
//
//	version key = 0x01 | esc(userKey) | 0x00 0x01 | rev
//	version val = uvarint(TxID) | payload
//	watermark   = 0x00 'w'  ->  IndexedUpTo as 8 bytes
//
// plus, outside Pebble, the file attestdb-keys.filter (see below; its
// layout is in filter.go).
//
// where:
//   - esc(userKey) is the user key with every 0x00 byte written as
//     0x00 0xFF. The terminator 0x00 0x01 cannot occur inside esc(userKey),
//     so the "prefix" 0x01|esc(k)|0x00 0x01 of one key is never a prefix of
//     another key's; and since 0x01 < 0xFF and 0x00 < any other byte, the
//     prefixes sort exactly like the user keys. All versions of a key are
//     therefore contiguous, and keys appear in user-key order.
//   - rev is the revision (1, 2, …) encoded so that newer revisions sort
//     first: one byte 0xFF-n, then the n significant bytes (1..8, no leading
//     zero byte) of the revision, each complemented. Revision 1 is FE FE,
//     revision 256 is FD FE FF. A revision costs 2 bytes up to 255, 3 up to
//     65535.
//   - TxID is in the value, not the key: within one key, revision order and
//     TxID order are the same (a later tx gets the next revision). With one
//     Pebble key per version only one of the two can be seekable; the
//     revision is, because every read returns it (immudb's Entry.Revision)
//     and GetRevision/History address versions by it, while reads at an old
//     snapshot of a key updated after it are the rare case.
//
// Example: key "a\x00b" at revision 2, tx 7, payload P is the Pebble pair
// 01 61 00 FF 62 00 01 FE FD -> 07 P.
//
// Pebble's Split function cuts a key after its first 0x00 0x01 (keys
// without one are all prefix); prefix bloom filters, SeekPrefixGE and
// NextPrefix then work on whole user keys.
//
// Costs (n = Pebble keys, V = versions of one key):
//   - latest version: one SeekPrefixGE to the key's prefix lands on it
//     (newest first), O(log n), and negative lookups are mostly answered by
//     the bloom filters.
//   - latest version at a snapshot atTx: the same seek when the latest
//     version has TxID <= atTx (the usual case); otherwise a few Next calls
//     and then a binary search over revisions, O(log V) seeks.
//   - revision r: revisions are dense (1..latest, never deleted), so the
//     exact key prefix|rev(r) is known: one seek.
//   - history: one seek to the newest wanted revision, then Next.
//   - scans: ascending, the first version met of each key is its latest,
//     then NextPrefix skips the older ones; descending, the first met is
//     revision 1, and one Prev tells whether there are more.
//
// # Apply, durability and crashes
//
// Apply computes each entry's revision (the previous one + 1) and writes all
// entries plus the watermark key in one Pebble batch, sorted by key, so
// readers see all or none of it. Finding the previous revision is the
// expensive part: a Pebble lookup costs microseconds (memtable skiplists,
// a bloom probe per level). So the index keeps an in-memory bloom filter of
// every user key (filter.go, ~12 bits per key): a key the filter has never
// seen is new and gets revision 1 without a lookup; only keys the filter
// may contain (updates, ~1% false positives) are looked up; a key written
// twice in one batch takes its revision from the batch. Close saves the
// filter next to Pebble's files with the watermark it matches; Open uses it
// only if that watermark equals IndexedUpTo (equal watermark = equal data,
// see below), else rebuilds it by scanning the keys in the background, and
// until that is done Apply looks every key up (slower, still exact).
//
// Pebble runs with the WAL disabled: applied batches live in memtables
// until Pebble flushes them (on its own when a memtable fills, on Flush, on
// Close). Memtables are flushed whole and in order, so what survives a crash
// is always a prefix of the applied batches, and the watermark stored in it
// is exactly the last tx of that prefix: after a crash IndexedUpTo never
// claims more than what is there, and nothing beyond it is there. The
// engine re-applies from IndexedUpTo()+1; re-applying a kept tx is refused
// (ErrOutOfOrder), so it cannot create duplicate revisions. At most about
// Options.MemTableSize×4 of recent index data must be replayed after a crash
// (less if the engine calls Flush, e.g. at its own checkpoints).
//
// # Damaged files
//
// Pebble checks a checksum on every block it reads. The index turns a
// mismatch (and any Pebble Fatalf, which it recovers instead of letting
// Pebble exit the process) into ErrCorrupt and remembers it (Damaged);
// Open starts over with an empty index when the damage stops Pebble from
// opening (Reset). The engine rebuilds a damaged index from its log. See
// corruption.go. VerifyFiles (open index) and VerifyDir (closed one) check
// every byte of every file for the engine's integrity check (verify.go).
//
// Failing background work (a flush or compaction that cannot write, e.g. a
// full or vanished disk) is retried by Pebble at once and for ever; the
// index slows those retries down, logs one line per run of failures and
// per 10 s, and Close and Compact stop waiting for a flush at the first
// failure (bgerrors.go). An Apply that entered Pebble's write stall before the
// failures began never returns (only a successful flush ends the stall);
// Close gives up waiting for it after closeAbandonAfter of failures and
// leaves the Pebble DB open (ErrCloseAbandoned, see Close); the close
// finishes in the background once that Apply returns.
//
// # Concurrency and locking
//
// One applier (Apply calls are serialised by applyMu, which also guards
// the key filter against the rebuild goroutine) and any number of
// concurrent readers (Pebble iterators are snapshots). mu is held shared
// by every operation, including each Iterator.Next, and exclusively by
// Close, which also releases the Pebble iterators of open Iterators so the
// DB can close; their next Next fails with ErrClosed. A Batch and an
// Iterator are each used by one goroutine.
package index
