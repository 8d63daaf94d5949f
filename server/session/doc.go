// Package session owns the server's sessions (OpenSession / KeepAlive /
// CloseSession and the `sessionid` metadata of every later call).
//
// A session ID is the URL-safe base64 (with padding) of 32 bytes from
// crypto/rand, as the official clients expect. Each session holds the
// user, the currently selected database and the open interactive
// transactions (a placeholder interface until SQL transactions exist).
//
// Timing (defaults are immudb's): every call made with a session refreshes
// it. A session idle longer than Timeout (2 min) or older than MaxAge (0 =
// no limit) is dead: Get refuses it at once with `session not found`, and
// the guard, which runs every GuardInterval (1 min), deletes it and rolls
// back its transactions. Sessions idle longer than MaxInactivityTime (3 min)
// are counted as inactive in Stats; with the defaults they are deleted
// before that, as in immudb. At most MaxSessions (100) sessions exist;
// OpenSession beyond that fails with
// `can not create new session: max sessions number reached`.
//
// All decisions use Options.Now, so tests drive a fake clock and call Sweep
// directly instead of sleeping.
//
// Locking: Manager.mu (RWMutex) guards the session map; lookups take the
// read lock, so concurrent RPCs do not serialise. lastActivity is an atomic
// refreshed under the read lock. Each session's own mu guards its database
// and transactions. Lock order: Manager.mu, then session.mu. Transaction
// rollbacks run with no lock held.
package session
