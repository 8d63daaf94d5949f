package e2e

import (
	"fmt"
	"sync/atomic"
	"testing"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// Benchmarks through the whole server over loopback gRPC (one client
// connection): the cost a client sees per call. Run with
// go test -run XXX -bench . -benchtime 1s ./tests/e2e

func BenchmarkSetParallel(b *testing.B) {
	e := startBenchServer(b)
	ctx := e.session(b, "immudb", "immudb", "defaultdb")
	var n atomic.Int64
	b.SetParallelism(16) // 16 × GOMAXPROCS concurrent callers
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv(fmt.Sprintf("key-%012d", i), "value-0123456789012345678901234")}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGetParallel(b *testing.B) {
	e := startBenchServer(b)
	ctx := e.session(b, "immudb", "immudb", "defaultdb")
	const keys = 1000
	kvs := make([]*schema.KeyValue, 0, keys)
	for i := 0; i < keys; i++ {
		kvs = append(kvs, kv(fmt.Sprintf("key-%04d", i), "value"))
	}
	if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: kvs}); err != nil {
		b.Fatal(err)
	}
	var n atomic.Int64
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1) % keys
			if _, err := e.cli.Get(ctx, &schema.KeyRequest{Key: []byte(fmt.Sprintf("key-%04d", i))}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkVerifiableGet(b *testing.B) {
	e := startBenchServer(b)
	ctx := e.session(b, "immudb", "immudb", "defaultdb")
	for i := 0; i < 100; i++ {
		if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv(fmt.Sprintf("k%d", i), "v")}}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.cli.VerifiableGet(ctx, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("k7")}, ProveSinceTx: 50}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHealth is the transport baseline: no auth, no database.
func BenchmarkHealth(b *testing.B) {
	e := startBenchServer(b)
	ctx := callCtx(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.cli.Health(ctx, &emptypb.Empty{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkGet is one caller reading one key: the per-call latency.
func BenchmarkGet(b *testing.B) {
	e := startBenchServer(b)
	ctx := e.session(b, "immudb", "immudb", "defaultdb")
	if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.cli.Get(ctx, &schema.KeyRequest{Key: []byte("k")}); err != nil {
			b.Fatal(err)
		}
	}
}
