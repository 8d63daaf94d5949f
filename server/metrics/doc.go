// Package metrics owns the server's Prometheus metrics and the small HTTP
// server that exposes them (immudb's :9497 endpoint, API.md §1).
//
// What it owns:
//   - Metrics (metrics.go): one private prometheus.Registry per server, so
//     tests can run many servers in one process. It carries the metric
//     families `immuadmin stats` reads: immudb_number_of_rpcs_per_client and
//     immudb_clients_last_message_at_unix_seconds (label "ip"),
//     immudb_uptime_hours, immudb_db_size_bytes and
//     immudb_number_of_stored_entries (label "db"), the per-database
//     immudb_last_committed_trx_id / immudb_last_indexed_trx_id and our
//     immudb_index_lag_txs, and the Go runtime and process collectors
//     (go_memstats_* is read by stats).
//   - grpc_server_* (grpc.go): the started / handled / msg_received /
//     msg_sent counters and the grpc_server_handling_seconds histogram
//     (unless NoHistograms) with go-grpc-prometheus's names and labels
//     (grpc_type, grpc_service, grpc_method, grpc_code), which immudb
//     exports. Our own code rather than that library so that a call costs a
//     map lookup for its cached series instead of hashing label values
//     (about 4x cheaper per RPC, BenchmarkUnaryInterceptor).
//   - The interceptors (clients.go): count every RPC per client IP, time
//     it and feed grpc_server_*. They never fail a call.
//   - The database collector (dbstats.go): per-database numbers are asked
//     from a DBStatsSource at scrape time, so an unloaded database simply
//     disappears from the next scrape and nothing polls in the background.
//   - The HTTP side (http.go, listen.go): /metrics, /initz, /readyz, /livez,
//     /version, /debug/vars and, only when enabled, /debug/pprof/.
//
// Invariants: metric names and label names match immudb v1.11 exactly,
// because immudb's tools parse them. Scrapes are read-only.
//
// Locking: prometheus vectors do their own locking; the series caches
// (per method, per client IP) are sync.Maps that only grow, and a method's
// per-code counters are published with atomic pointers. DBStatsSource.DatabaseStats is called from the
// scrape goroutine and must be safe for concurrent use and cheap.
package metrics
