// Package immubench implements the immubench command. The engine
// subcommand drives embedded/store directly (no server) with a chosen
// workload and prints throughput and latency; its last output line is
//
//	workload=<w> concurrency=<c> ops/s=<n> entries/s=<n> p50=<d> p99=<d>
//
// which scripts parse. An op is one tx for set/batch, one read otherwise.
//
// The server subcommand (server*.go) loads a running server over real gRPC
// through package client, with many sessions; its last line adds
// `errors=<n>`, and a run with errors exits non-zero.
//
// The grpc-floor subcommand (grpcfloor.go) measures what grpc-go alone
// costs on this machine: it re-executes itself as a child that answers Get
// with a fixed entry and loads it like the server's get workload; its last
// line adds `server_cpu_us/op=<x> client_cpu_us/op=<y>`.
package immubench
