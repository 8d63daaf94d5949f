package metrics

import (
	"context"
	"net"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/peer"
)

// BenchmarkUnaryInterceptor is the per-call cost the metrics add to every
// RPC (counter, gauge, grpc_server_* counters and histogram).
func BenchmarkUnaryInterceptor(b *testing.B) {
	for _, c := range []struct {
		name string
		opts Options
	}{{"histograms", Options{}}, {"no-histograms", Options{NoHistograms: true}}} {
		b.Run(c.name, func(b *testing.B) {
			m := New(c.opts)
			in := m.UnaryInterceptor()
			addr, _ := net.ResolveTCPAddr("tcp", "192.0.2.1:5000")
			ctx := peer.NewContext(context.Background(), &peer.Peer{Addr: addr})
			info := &grpc.UnaryServerInfo{FullMethod: "/immudb.schema.ImmuService/Get"}
			h := func(context.Context, any) (any, error) { return nil, nil }
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					_, _ = in(ctx, nil, info, h)
				}
			})
		})
	}
}

// BenchmarkGather is one scrape's collection with 100 databases.
func BenchmarkGather(b *testing.B) {
	var stats fakeStats
	for i := range 100 {
		stats = append(stats, DBStats{Name: "db" + string(rune('a'+i%26)) + string(rune('a'+i/26)), SizeBytes: 1 << 20, Entries: 1000, CommittedTxID: 10, IndexedTxID: 9})
	}
	m := New(Options{Stats: stats})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.Registry().Gather(); err != nil {
			b.Fatal(err)
		}
	}
}
