// Package immudb is the `immudb` program: flags, environment variables,
// the immudb.toml config file, validation into a typed Config, logging,
// detached mode, the pidfile and `immudb version`. cmd/immudb is a thin
// main over Main.
//
// Flags, config keys and IMMUDB_* variables use immudb v1.11's names and
// defaults (flags.go is the single table of them). Precedence is the usual
// one: command-line flag > environment variable > config file > default.
// Environment names are IMMUDB_ + the flag name upper-cased with dashes
// turned into underscores (IMMUDB_MAX_SESSIONS, IMMUDB_SIGNINGKEY). The
// config file is --config (or IMMUDB_CONFIG); without it, immudb.toml is
// looked up in ./configs and then in $HOME, and it is fine if there is
// none. Values are parsed strictly: `IMMUDB_PORT=abc` is an error, never a
// silent zero.
//
// The server itself is started through RunServer(ctx, cfg), which maps the
// Config onto server.Options, serves until ctx is cancelled (SIGINT/SIGTERM)
// and then stops gracefully, closing every database.
//
// The hidden --print-config flag prints the effective configuration (TOML
// or JSON, admin password redacted) and exits; operators can use it to see
// what a mix of file, environment and flags resolves to.
//
// `immudb service install|uninstall|start|stop|status` (service.go) runs
// the server under systemd through internal/service: user immudb,
// /var/lib/immudb, /var/log/immudb, /etc/immudb/immudb.toml,
// LimitNOFILE=65536; --dry-run prints the plan. --pprof mounts
// net/http/pprof on the metrics listener.
//
// Tests here also guard what documents this program: docs/CONFIGURATION.md's
// flag table is generated from flags.go (docs_test.go), and the Dockerfiles
// under build/ are checked against the Makefile and the flags
// (packaging_test.go), since no Docker engine runs in the test environment.
//
// Locking: none; a Command is used by one goroutine.
package immudb
