// Package compat holds black-box compatibility tests: the official immudb
// v1.11.1 Go SDK and CLIs (immuclient, immuadmin) run against our server
// binary (cmd/immudb of the parent module).
//
// This is a separate Go module so that immudb's BUSL-1.1 code is only ever a
// test dependency here and is never linked into the attestdb module. The
// package has no non-test code; every check lives in *_test.go files. Each
// test starts its own server process on a free loopback port with a
// temporary data dir and stops it when done (SIGTERM, then kill after 20s).
package compat
