package index

import (
	"encoding/binary"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
)

// -index.benchkeys sets how many keys BenchmarkGet/BenchmarkScan preload
// (the target is measured with 10M).
var (
	benchKeys = flag.Int("index.benchkeys", 1_000_000, "keys preloaded by BenchmarkGet and BenchmarkScan")
	benchDir  = flag.String("index.benchdir", "", "keep the preloaded index of BenchmarkGet/BenchmarkScan here across runs")
)

// benchKey writes a 32-byte key for i: a scrambled 8-byte id then padding,
// so consecutive ids land all over the key space.
func benchKey(dst []byte, i uint64) []byte {
	dst = dst[:32]
	binary.BigEndian.PutUint64(dst, i*0x9E3779B97F4A7C15)
	for j := 8; j < 32; j++ {
		dst[j] = 'k'
	}
	return dst
}

// benchPayload is a typical engine payload size (value reference + metadata).
var benchPayload = make([]byte, 24)

// applyBench applies n keys in batches of txsPerBatch txs × entriesPerTx.
func applyBench(b *testing.B, ix *Index, first uint64, n, txsPerBatch, entriesPerTx int) {
	key := make([]byte, 32)
	bt := ix.NewBatch()
	defer bt.Close()
	tx := ix.IndexedUpTo()
	i := first
	for done := 0; done < n; {
		for t := 0; t < txsPerBatch && done < n; t++ {
			tx++
			bt.Begin(tx)
			for e := 0; e < entriesPerTx && done < n; e++ {
				bt.Add(benchKey(key, i), benchPayload)
				i++
				done++
			}
		}
		if err := ix.Apply(bt); err != nil {
			b.Fatal(err)
		}
	}
}

func benchmarkApply(b *testing.B, txsPerBatch, entriesPerTx int, update bool) {
	ix := openTest(b, b.TempDir())
	defer ix.Close()
	if update {
		applyBench(b, ix, 0, b.N, 1000, 1)
	}
	b.ReportAllocs()
	b.ResetTimer()
	applyBench(b, ix, 0, b.N, txsPerBatch, entriesPerTx)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

// BenchmarkApply: batches of 1000 one-entry txs of new keys (the issue's
// case), 1000-entry txs, and updates of existing keys (revision 2).
func BenchmarkApply(b *testing.B) {
	b.Run("1000x1tx", func(b *testing.B) { benchmarkApply(b, 1000, 1, false) })
	b.Run("1x1000tx", func(b *testing.B) { benchmarkApply(b, 1, 1000, false) })
	b.Run("update", func(b *testing.B) { benchmarkApply(b, 1000, 1, true) })
	b.Run("hot10k", func(b *testing.B) { benchmarkHot(b, 10_000) })
}

// benchmarkHot updates a working set of hot keys again and again (served
// by the revision cache after the first round).
func benchmarkHot(b *testing.B, hot int) {
	ix := openTest(b, b.TempDir())
	defer ix.Close()
	key := make([]byte, 32)
	bt := ix.NewBatch()
	defer bt.Close()
	b.ReportAllocs()
	b.ResetTimer()
	tx := ix.IndexedUpTo()
	for done := 0; done < b.N; {
		for t := 0; t < 1000 && done < b.N; t++ {
			tx++
			bt.Begin(tx)
			bt.Add(benchKey(key, uint64(done%hot)), benchPayload)
			done++
		}
		if err := ix.Apply(bt); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
}

var loaded struct {
	ix  *Index
	dir string
	n   int
}

// loadedIndex returns an index holding *benchKeys keys, built once per run.
// With -index.benchdir the index is kept there and reused by later runs.
func loadedIndex(b *testing.B) *Index {
	if loaded.ix != nil && loaded.n == *benchKeys {
		return loaded.ix
	}
	dir := *benchDir
	if dir == "" {
		var err error
		if dir, err = osMkdirTemp(); err != nil {
			b.Fatal(err)
		}
	} else {
		dir = fmt.Sprintf("%s/keys-%d", dir, *benchKeys)
	}
	ix := openTest(b, dir)
	if ix.IndexedUpTo() != uint64(*benchKeys) {
		ix.Close()
		if err := Destroy(dir); err != nil {
			b.Fatal(err)
		}
		ix = openTest(b, dir)
		applyBench(b, ix, 0, *benchKeys, 1000, 1)
		if err := ix.Flush(); err != nil {
			b.Fatal(err)
		}
		if err := ix.Compact(); err != nil {
			b.Fatal(err)
		}
	}
	<-ix.buildDone // a key filter rebuild would compete with the readers
	loaded.ix, loaded.dir, loaded.n = ix, dir, *benchKeys
	return ix
}

// BenchmarkGet: random Gets of existing keys with 2 readers (RunParallel
// with GOMAXPROCS 2 on the target machine).
func BenchmarkGet(b *testing.B) {
	ix := loadedIndex(b)
	n := uint64(*benchKeys)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(rand.Uint64(), 1))
		key := make([]byte, 32)
		for pb.Next() {
			if _, err := ix.Get(benchKey(key, r.Uint64N(n)), 0); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "gets/s")
}

// BenchmarkScan: keys per second of a full ascending scan.
func BenchmarkScan(b *testing.B) {
	ix := loadedIndex(b)
	b.ReportAllocs()
	b.ResetTimer()
	got := 0
	for got < b.N {
		it, err := ix.Scan(ScanOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for got < b.N && it.Next() {
			got++
		}
		if err := it.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkApplyUnsorted is BenchmarkApply/1000x1tx without sorting the
// Pebble batch, to show what the sort buys.
func BenchmarkApplyUnsorted(b *testing.B) {
	sortApply = false
	defer func() { sortApply = true }()
	benchmarkApply(b, 1000, 1, false)
}

// BenchmarkHistory: pages of 100 versions of one of 1000 keys (the server
// benchmark's history workload), from memtables as in a running server.
func BenchmarkHistory(b *testing.B) {
	const keys, revs = 1000, 100
	ix := openTest(b, b.TempDir())
	defer ix.Close()
	for r := 0; r < revs; r++ {
		applyBench(b, ix, 0, keys, 1000, 1)
	}
	key := make([]byte, 32)
	rng := rand.New(rand.NewPCG(1, 2))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		vs, err := ix.History(benchKey(key, rng.Uint64N(keys)), 0, revs, false, 0)
		if err != nil || len(vs) != revs {
			b.Fatalf("History: %d versions, %v", len(vs), err)
		}
	}
}
