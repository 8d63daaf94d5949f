// Package database is immudb's KV database layer over the embedded engine:
// it turns the requests of immudb.schema (api/schema) into engine
// transactions and reads, with immudb v1.11.1's semantics and error texts
// (API.md §3, §5, §6; HASHING.md §1, §7, §9), so the gRPC server stays a
// thin layer.
//
// Files: db.go (DB, Open, state, health, waiting for the index), write.go
// (Set, Delete, SetReference, ZAdd, ExecAll), read.go (Get, GetAll,
// reference resolution), scan.go (Scan, History, Count, ZScan), tx.go
// (TxByID, VerifiableTxByID, TxScan, entriesSpec), verifiable.go (the other
// Verifiable* calls), convert.go (engine/proof types ↔ protobuf), errors.go,
// settings.go, names.go and manager.go (the databases of a data dir),
// size.go (disk sizes: the log's written bytes plus the derived files),
// users.go (user records kept in systemdb), export.go and replicate.go
// (exportTx payloads; replicateTx on replicas, serialised under writeMu).
//
// Invariants:
//   - Store keys and values are built only with the proof package's
//     encodings (0x00 plain keys, 0x01 sorted-set members), so every hash
//     matches immudb's.
//   - References resolve one level deep; writing a reference to a reference
//     is refused, and a key holding a plain value never becomes a reference.
//   - Reads never look past the last committed tx; sinceTx beyond it is an
//     error, not a wait.
//
// Locking (DB): closeMu is held for reading by every call and for writing
// by Close, so the store is never closed under a call. writeMu is held for
// reading around each engine commit, and exclusively by the one kind of
// commit that must know its own tx id in advance (ExecAll with boundRef and
// atTx 0): with no other commit in flight the next id is LastCommitted+1.
// Everything else relies on the engine being safe for concurrent use.
//
// Locking (Manager): mu guards the map of databases and the settings files;
// it is held while a database is opened, closed or deleted, so these never
// race with each other. DB calls run outside mu.
package database
