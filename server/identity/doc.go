// Package identity owns the server's UUID: a 12-byte xid persisted in
// <data dir>/immudb.identifier and rendered as the 20-character lower-case
// base32 string that clients receive in the immudb-uuid response header and
// in OpenSessionResponse.serverUUID.
//
// Invariants:
//   - The identity is created exactly once, on the first start with an empty
//     data dir, and never changes afterwards: clients pin it per address and
//     refuse a server whose UUID changed.
//   - The file holds exactly the 12 raw xid bytes (the layout immudb uses), so
//     a data dir written by immudb keeps its identity.
//   - A file that exists but cannot be decoded is reported as ErrCorrupted;
//     the package never replaces it with a fresh identity, because that would
//     silently break every client that already pinned the old one.
//   - A new file is written to a temporary name, synced and renamed, so a
//     crash never leaves a half-written identifier behind.
//
// Locking: the package has no shared state; LoadOrCreate is meant to be
// called once at start-up, before the gRPC listener opens.
package identity
