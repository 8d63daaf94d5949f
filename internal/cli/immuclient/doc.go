// Package immuclient is the immuclient command line program: a client of
// attestdb (and of any immudb v1.11 compatible server) built only on package
// client, with immudb's immuclient command names, flags and output.
//
// What it owns:
//   - root.go: Main, the cobra command tree, global flags, viper config
//     (immuclient.toml, IMMUCLIENT_* environment variables).
//   - tokenfile.go: the token file, immudb's layout u64be(len(db)) ‖ db ‖ token.
//   - session.go: one connection per command (Health check, token from the
//     file) and the automatic re-login and retry on `not logged in`,
//     `token has expired` and `please select a database first`.
//   - output.go: text output shaped like immudb's, and --output json.
//   - cmd_*.go: the commands; shell.go: the interactive shell (`it`).
//   - audit.go: `audit-mode` flags and settings; audit_run.go: the auditor
//     (per round: list the databases, prove each current state extends the
//     trusted one kept under --roots-filepath, log, export);
//     audit_metrics.go: its Prometheus registry and monitoring HTTP server;
//     audit_notify.go: immudb's JSON notifications (--audit-notification-url);
//     audit_service.go: audit-mode install|uninstall|start|stop|status via
//     package internal/service.
//
// Invariants: every failure reaches Main as an error, is printed as one
// clear line (the server's own message for server errors) and gives exit
// status 1; nothing panics on bad input. The CLI never imports server or
// engine code.
//
// Tests: testdata/script/*.txtar and testdata/tls/*.txtar run the real
// program (testscript) against a real server started in the test process;
// only the tests import package server.
//
// Locking: audit-mode runs its rounds on one goroutine; the monitoring
// server's goroutines only read the (goroutine-safe) metrics and call
// Health on the client. Otherwise a command runs on one goroutine; the shell runs commands one
// after the other on the same connection. State files are locked by package
// client.
package immuclient
