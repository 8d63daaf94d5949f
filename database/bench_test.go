package database

import (
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
)

// BenchmarkSet: one-key Set waiting for the index (immudb's default), not
// synced.
func BenchmarkSet(b *testing.B) {
	d := openTestDB(b, false, nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv(fmt.Sprint("k", i), "value")}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetParallel: concurrent Sets share commit groups.
func BenchmarkSetParallel(b *testing.B) {
	d := openTestDB(b, false, nil)
	b.ReportAllocs()
	b.SetParallelism(16)
	var n int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			k := fmt.Sprint("k", atomicInc(&n))
			if _, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv(k, "value")}}); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkGet(b *testing.B) {
	d := openTestDB(b, false, nil)
	for i := 0; i < 1000; i++ {
		mustSet(b, d, kv(fmt.Sprint("k", i), "value"))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := d.Get(bg, &schema.KeyRequest{Key: []byte(fmt.Sprint("k", i%1000))}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifiableGet(b *testing.B) {
	d := openTestDB(b, false, nil)
	for i := 0; i < 1000; i++ {
		mustSet(b, d, kv(fmt.Sprint("k", i), "value"))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := d.VerifiableGet(bg, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte(fmt.Sprint("k", i%1000))}, ProveSinceTx: 500}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScan100(b *testing.B) {
	d := openTestDB(b, false, nil)
	for i := 0; i < 1000; i++ {
		mustSet(b, d, kv(fmt.Sprintf("k%04d", i), "value"))
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := d.Scan(bg, &schema.ScanRequest{Prefix: []byte("k"), Limit: 100}); err != nil {
			b.Fatal(err)
		}
	}
}

func atomicInc(p *int64) int64 { return atomic.AddInt64(p, 1) }

// BenchmarkSetNoWait: one-key Set returning at commit, not at indexing.
func BenchmarkSetNoWait(b *testing.B) {
	d := openTestDB(b, false, nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := d.Set(bg, &schema.SetRequest{NoWait: true, KVs: []*schema.KeyValue{kv(fmt.Sprint("k", i), "value")}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSetSynced: one-key Set, synced store (the server default), waiting
// for the index.
func BenchmarkSetSynced(b *testing.B) {
	d := openTestDB(b, false, nil)
	d.Close()
	so := store.DefaultOptions()
	d, err := Open("bench", b.TempDir(), &Options{Store: &so})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv(fmt.Sprint("k", i), "value")}}); err != nil {
			b.Fatal(err)
		}
	}
}
