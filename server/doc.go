// Package server is the immudb-compatible gRPC server: it serves
// immudb.schema.ImmuService and immudb.model.AuthorizationService (plus gRPC
// reflection) on top of the database layer, so that immudb's official
// clients work against it unchanged.
//
// What it owns:
//   - Server (server.go): options (options.go), TLS/mTLS, listening,
//     graceful Stop (stop accepting, finish in-flight calls, close sessions
//     and databases so every acknowledged tx is on disk).
//   - The interceptors (interceptors.go): the immudb-uuid response header on
//     every response before any check (API.md §4), caller resolution from
//     `sessionid` or `authorization: Bearer` (a sessionid wins, the Go
//     client's empty Bearer next to it is ignored), the permission table of
//     server/auth, and panic recovery (logged, answered Internal).
//   - The one error map (errors.go): Go errors become gRPC statuses with
//     immudb's codes, texts and ErrorInfo/RetryInfo details. Handlers return
//     plain Go errors and never build statuses themselves.
//   - Thin handlers: login.go (sessions, Login/Logout/UseDatabase), kv.go
//     (data rpcs, CurrentState), info.go (Health, ServerInfo,
//     DatabaseHealth), admin_databases.go, admin_users.go. They select the
//     caller's database and call the database layer, which owns semantics,
//     proofs and error texts. signing.go holds the --signingKey signer the
//     database layer signs CurrentState and every Verifiable* target state
//     with (HASHING.md §10), and signs as a fallback when it did not.
//   - The stream rpcs (streams.go) over the framing of API.md §7
//     (framing.go): they parse the stream into the unary request and frame
//     the unary reply.
//   - replication.go: exportTx, streamExportTx and replicateTx (export
//     metadata on the first chunk), over an optional database method set.
//   - The consistency-check monitor (consistency.go): every round
//     re-verifies, from disk, the last 1000 txs of every loaded database
//     plus everything committed since the previous round; a mismatch is
//     logged and counted (ConsistencyFailures).
//   - maintenance.go: --maintenance as immudb v1.11 (needs auth off; the
//     interceptor refuses data, user and database-settings writes with
//     InvalidArgument "operation not allowed in maintenance mode").
//   - deprecated.go: UpdateAuthConfig/UpdateMTLSConfig and, without an SQL
//     engine, ChangeSQLPrivileges answer "operation not supported".
//   - inprocess.go: DialInProcess, the REST gateway's socketless connection
//     (same interceptors; no client certificate needed under --mtls).
//   - stats.go: per-database numbers for server/metrics (DatabaseStats);
//     Options.UnaryInterceptors/StreamInterceptors put the metrics
//     interceptors in front of ours.
//
// Backend seam (backend.go): Database and Databases are the method sets the
// handlers need from database.DB and database.Manager; databases_open.go
// adapts the Manager and keeps the users in systemdb (auth.UserStore over
// database.UserRecords). Tests of this package use a fake backend; the
// real one is exercised by tests/e2e.
//
// Single-db mode: when only defaultdb and the superuser exist at start, a
// Login token selects defaultdb by itself; creating a database or a user
// ends that mode for every token (API.md §2.3).
//
// Locking: Server fields are set in New and read-only afterwards, except
// singleDB (atomic) and the listener and monitor start/stop state (mu). Users, tokens, sessions and
// databases do their own locking; the server holds no lock while calling
// them.
package server
