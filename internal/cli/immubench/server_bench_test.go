package immubench

import (
	"context"
	"flag"
	"io"
	"testing"
	"time"
)

// BenchmarkServer runs each workload against an in-process server, so that
// one CPU profile covers the client and the server:
//
//	go test ./internal/cli/immubench -run '^$' -bench 'Server/set$' \
//	    -benchtime 20000x -cpuprofile /tmp/set.prof
//
// One b.N is one operation; the workload's default concurrency applies.
func BenchmarkServer(b *testing.B) {
	port := startTestServer(b)
	for _, w := range []string{"set", "setall", "verifiedset", "get", "verifiedget", "scan", "history", "mixed"} {
		b.Run(w, func(b *testing.B) {
			c := serverConfig{
				address: "127.0.0.1", port: port, user: "immudb", password: "immudb", database: "defaultdb",
				workload: w, n: b.N, valueSize: 32, keys: 20_000, preloadTx: benchPreloadTx, duration: time.Second,
			}
			if w == "setall" {
				c.valueSize = 100
			}
			if err := runServer(context.Background(), io.Discard, io.Discard, c); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// benchPreloadTx is the number of keys per preload tx (-preload-batch, as
// the command's --preload-batch): 1 puts every read key in a tx of its own.
var benchPreloadTx = 1000

func init() {
	flag.IntVar(&benchPreloadTx, "preload-batch", 1000, "keys per preload tx of the read workloads")
}
