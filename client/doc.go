// Package client is the Go SDK for attestdb and any immudb v1.11
// compatible server: it speaks immudb.schema.ImmuService over gRPC and
// verifies every Verified* answer with package proof, keeping the last
// trusted state per (server UUID, database).
//
// Files: options.go (Options, defaults, TLS), client.go (connection,
// credentials metadata, sessions with keep-alive, legacy login), errors.go
// (sentinels, ServerError, Is* helpers), state.go (StateStore, in-memory
// store), statefile.go (immudb-compatible state and identity files),
// convert.go (wire messages to proof types), trust.go (the trusted-state
// frame of Verified* calls, dual proofs with the legacy linear-advance
// fallback), verified.go (VerifiedSet/Get/SetReference/ZAdd/TxByID), ops.go
// (plain operations), admin.go (database and user management), chunks.go
// (chunk framing of stream messages), stream.go (stream RPCs, plain and
// verified), lock_*.go (OS file locks).
//
// Imports: only package api/..., package proof, the standard library and
// third-party modules; never server or engine code (imports_test.go).
//
// Invariants:
//   - The trusted state of a database only moves forward, and only after
//     the answer's proofs (and, with ServerSigningPubKey, its signature)
//     verified; any failed check returns an error wrapping ErrCorruptedData
//     and leaves the state untouched.
//   - A server whose UUID differs from the one seen before on this client,
//     or pinned for its address in the state store, is refused
//     (CVE-2022-39199). Dual proofs require the linear-advance proof where
//     the linear chain is not covered by the tree (CVE-2022-36111).
//
// Credentials (API.md §2): every call carries "authorization: Bearer
// <token>" (empty token in session mode, as immudb's client sends), plus
// "sessionid" when a session is open.
//
// Connections: a client dials its own connection, or shares one made by
// Dial with other clients (Options.Conn). Either way the connection has no
// client's interceptors: each client runs its own around its calls, so
// sessions on a shared connection stay apart, and only the connection's
// owner closes it.
//
// Locking: Client fields are guarded by one RWMutex; the trusted-state
// sequence of a Verified* call (read, verify, store) runs under the
// StateStore lock of the server UUID, which the file store also takes as
// an OS lock so that processes sharing a directory are serialised.
package client
