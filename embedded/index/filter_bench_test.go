package index

import (
	"math/rand/v2"
	"testing"
)

// missFilter is a key filter of 10M random keys and 64Ki keys it never saw.
func missFilter() (*keyFilter, []uint64) {
	f := &keyFilter{}
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 10_000_000; i++ {
		f.add(rng.Uint64())
	}
	qs := make([]uint64, 1<<16)
	for i := range qs {
		qs[i] = rng.Uint64()
	}
	return f, qs
}

// BenchmarkFilterMiss asks a key filter of 10M keys about keys it never
// saw (the common question of a load of new keys): the cost is cache
// misses, one per segment.
func BenchmarkFilterMiss(b *testing.B) {
	f, qs := missFilter()
	b.ResetTimer()
	hits := 0
	for i := 0; i < b.N; i++ {
		if f.mayContain(qs[i&(len(qs)-1)]) {
			hits++
		}
	}
	b.ReportMetric(float64(hits)/float64(b.N), "fp-rate")
	b.ReportMetric(float64(len(f.segs)), "segments")
}

// BenchmarkFilterMissWarm asks the same questions the way Apply does: in
// runs of filterWarmRun keys whose blocks are loaded (warm) before the
// questions, so the misses of a run overlap.
func BenchmarkFilterMissWarm(b *testing.B) {
	f, qs := missFilter()
	b.ResetTimer()
	hits, asked := 0, 0
	var sink uint64
	for i := 0; i < b.N; i += filterWarmRun {
		run := qs[i&(len(qs)-1):][:filterWarmRun]
		for _, h := range run {
			sink ^= f.warm(h)
		}
		for _, h := range run {
			if f.mayContain(h) {
				hits++
			}
		}
		asked += len(run)
	}
	// Runs are whole, so up to filterWarmRun−1 questions past b.N.
	b.ReportMetric(float64(hits)/float64(asked), "fp-rate")
	if sink == 1 {
		b.Log("") // keeps sink, and so the loads, alive
	}
}
