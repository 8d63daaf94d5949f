// Package auth owns users, permissions, passwords, legacy login tokens and
// the table that says which RPC needs which permission.
//
// What it owns:
//   - Permission codes (0 none, 1 read, 2 readwrite, 254 admin, 255
//     sysadmin) and the rules for granting them (permission.go).
//   - User-name rules and the strong-password policy the CLIs expect
//     (policy.go), bcrypt hashing (password.go).
//   - The user registry Users (users.go): the built-in `immudb` superuser
//     with the default password `immudb`, the --admin-password and
//     --force-admin-password semantics, active/inactive users and
//     per-database permissions. Users are persisted through UserStore.
//   - Legacy Login tokens (tokens.go) and the RPC permission table with
//     Authorize (methods.go, authorize.go).
//
// Persistence. UserStore is the seam to the database layer: the long-term
// implementation stores users in `systemdb` and lives there. MemStore is for
// tests; FileStore keeps users in <data dir>/users.json so that the server
// can run before systemdb exists. FileStore is a stop-gap: once the systemdb
// store exists it is the one meant to stay, and FileStore can be deleted.
//
// Passwords are hashed with bcrypt at cost 10 (bcrypt.DefaultCost). One
// check costs ~50-80 ms on one core: slow enough that guessing over the
// network is throttled by the CPU, fast enough that a burst of 100
// OpenSession calls (the default session cap) does not stall a 2-core box
// for more than a few seconds. Passwords are checked only on Login and
// OpenSession, never per call, so the cost is paid once per session. Hashes
// made by immudb (any cost) verify unchanged.
//
// Tokens. Clients treat Login tokens as opaque strings, so we do not need
// PASETO: a token is 32 bytes from crypto/rand (base64url), and the server
// keeps a table from SHA-256(token) to {user, database, expiry}. Compared to
// a signed token this gives instant revocation (Logout, password change,
// deactivation), no key management and no parsing of attacker-controlled
// structure; the price is that tokens do not survive a restart, which
// clients already handle (they log in again on `token has expired`, the
// same as with immudb, whose token keys are also per start). Only hashes are
// kept, so a memory dump does not reveal usable tokens.
//
// Authorization is deny-by-default: a method missing from the table is
// refused with `permission denied`.
//
// Locking: Users and Tokens are safe for concurrent use; each guards its
// maps with its own RWMutex and never calls out (store, bcrypt) while a
// reader could be blocked for long: bcrypt runs outside the lock, and the
// store is written under the write lock so the store and memory never
// disagree. The method table is immutable after init.
package auth
