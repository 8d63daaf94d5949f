// Package vfs is the small file-system interface the embedded engine is
// written against, with three implementations:
//
//   - OS: the real file system (fdatasync and fallocate on Linux);
//   - Mem: an in-memory file system that remembers which bytes were synced
//     and can produce a crash clone (only synced data, plus optionally a
//     random prefix of the writes issued since the last sync, to model torn
//     writes);
//   - Faulty: a wrapper that makes the Nth write or sync fail (EIO, ENOSPC,
//     short writes) to test error paths.
//
// Invariants: File methods are safe for concurrent use (ReadAt and WriteAt
// at disjoint ranges may run in parallel, as with os.File). Directory
// operations on Mem are atomic and durable at once (a simplification: the
// engine syncs directories after creating files anyway).
package vfs
