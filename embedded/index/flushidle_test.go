package index

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// sstableCount is the number of sstables of the index.
func sstableCount(ix *Index) (n int64) {
	m := ix.db.Metrics()
	for i := range m.Levels {
		n += m.Levels[i].TablesCount
	}
	return n
}

// TestFlushIdle: below idleFlushMin of applied data FlushIdle does
// nothing; above it, it starts a flush without waiting, the memtable's
// content reaches a table, and reads (through pooled iterators too) still
// answer every key; once flushed, it does nothing until more is applied.
func TestFlushIdle(t *testing.T) {
	ix := openTest(t, t.TempDir())
	defer ix.Close()
	apply := func(from, n int) {
		b := ix.NewBatch()
		defer b.Close()
		tx := ix.IndexedUpTo()
		for i := from; i < from+n; i += 100 {
			tx++
			b.Begin(tx)
			for j := i; j < i+100 && j < from+n; j++ {
				b.Add(fmt.Appendf(nil, "key-%07d", j), bytes.Repeat([]byte{byte(j)}, 64))
			}
		}
		if err := ix.Apply(b); err != nil {
			t.Fatal(err)
		}
	}
	get := func(n int) {
		t.Helper()
		for _, i := range []int{0, n / 2, n - 1} {
			v, err := ix.Get(fmt.Appendf(nil, "key-%07d", i), 0)
			if err != nil || v.Revision != 1 {
				t.Fatalf("Get key %d: %+v %v", i, v, err)
			}
		}
	}
	apply(0, 100)
	get(100) // pools an iterator of the memtable
	if started, err := ix.FlushIdle(); err != nil || started {
		t.Fatalf("FlushIdle with a few KB applied = %v, %v; want no flush", started, err)
	}
	before := sstableCount(ix)
	apply(100, 20_000) // > 1 MiB of batches
	get(20_100)
	if started, err := ix.FlushIdle(); err != nil || !started {
		t.Fatalf("FlushIdle after %d entries = %v, %v; want a flush", 20_000, started, err)
	}
	for deadline := time.Now().Add(10 * time.Second); sstableCount(ix) == before; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the memtable was never flushed")
		}
	}
	get(20_100)
	if started, _ := ix.FlushIdle(); started {
		t.Fatal("FlushIdle flushed again with nothing applied since")
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.FlushIdle(); err == nil {
		t.Fatal("FlushIdle on a closed index succeeded")
	}
}
