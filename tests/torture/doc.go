// Package torture is the reliability suite of the real immudb server
// process and of the database files at rest (docs/RELIABILITY.md):
//
//   - crash_test.go (make torture): runs the built immudb binary on
//     127.0.0.1, drives concurrent synced writes from many SDK clients,
//     SIGKILLs the process at a random moment, restarts it on the same
//     directory and checks that every acknowledged write reads back with its
//     value and verifies, that the clients' trusted states (kept on disk
//     across restarts) still verify, and that the engine's integrity check
//     passes on the crashed directory.
//   - tamper_test.go (make tamper): builds a database at rest, then for
//     sampled single-bit flips in every kind of file of the data directory
//     checks which layer detects the flip (engine open, integrity check,
//     client trusted state, server start, client identity) or proves that the
//     flip changes no answer. A damaged key index that the engine rebuilds
//     from its log counts as detected (index-repair); a process exit fails
//     the sweep.
//   - kill_cases_test.go: SIGKILL during an index rebuild from the log and
//     during CreateDatabaseV2, then restart and check.
//   - kill_backup_test.go: SIGKILL during a backup by the real immuadmin
//     program (built next to the server) while a client writes, then during
//     a restore of the completed file into a new database. immuadmin must
//     end with one clear error line within a bound, the partial file must be
//     a verifying prefix or be refused precisely, --append must complete
//     it, and a half-restored database must hold a prefix of the source's
//     txs (equal Alhs) that a resumed restore completes.
//
// Non-test files hold the helpers: proc.go (build, start, kill and stop the
// server process), snapshot.go (an in-memory sparse copy of a directory
// that is cheap to materialize once per flip), classes.go (which kind of
// file a path is).
//
// Invariants: everything listens on loopback only and lives under
// t.TempDir(); every run is bounded by its cycle or flip count and a
// per-step deadline. Nothing here is used by production code.
//
// Locking: the helpers are not safe for concurrent use except Server.Kill,
// Server.Stop and Server.Wait, which may race with the process exiting.
package torture
