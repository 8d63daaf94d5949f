// Package immuadmin is the immuadmin command line program: the online
// administration tool of attestdb (and of any immudb v1.11 compatible
// server), built only on package client and the api types, with immudb's
// immuadmin command names, flags and output.
//
// What it owns:
//   - root.go: Main, the cobra command tree, global flags, viper config
//     (immuadmin.toml, IMMUADMIN_* environment variables), --output.
//   - session.go: one connection per command (Health check first, so an
//     unreachable server is one clear line), the saved admin token.
//   - tokenfile.go: the token file (token_admin in the home directory),
//     immudb's layout u64be(len(db)) ‖ db ‖ token.
//   - password.go: reading passwords (terminal without echo, or stdin lines,
//     or IMMUADMIN_PASSWORD) and the strong-password policy (API.md §2.1).
//   - output.go: text output and --output json; error rendering.
//   - cmd_*.go: the commands (login, logout, status, version, user,
//     database, stats, print, set); settings.go: the database settings
//     flags of `database create|update`, sent only when given.
//   - cmd_backup.go / cmd_restore.go: hot-backup, hot-restore (immudb's
//     flags and messages), backup, restore, dump, import, over exportTx and
//     replicateTx; backupfile.go: the backup/dump file (immudb's
//     IMMUBACKUP records, docs/FORMAT.md), every record checked against its
//     Alh and the hash chain; progress.go: bar on a terminal, lines otherwise.
//   - metrics.go / stats_view.go: reading the Prometheus text of the
//     server's metrics endpoint, and the text and live (ANSI redraw) views.
//
// Invariants: every failure reaches Main as an error, is printed as one line
// and gives exit status 1; nothing panics on bad input; every network call is
// bounded in time. The program never imports server or engine code.
//
// Locking: a command runs on one goroutine. The live stats view adds one
// goroutine that waits for Ctrl-C and stops the refresh loop.
package immuadmin
