// Package e2e holds end-to-end tests of the immudb-compatible server: each
// test starts a real server (package server over the database layer) on
// 127.0.0.1 with a random port and a temp dir, drives it with raw gRPC
// stubs of api/schema, verifies proofs and signatures with package proof,
// and stops it. live_session_test.go replays the requests recorded against
// immudb v1.11.1 (testdata/vectors/live_session.json) and compares replies.
//
// The package has no non-test code.
package e2e
