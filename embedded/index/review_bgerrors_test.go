package index

import (
	"bytes"
	"fmt"
	"os"
	"testing"
	"time"
)

// fillUntilStalled applies entries after the directory vanished until the
// memtables queued (flushes fail) reach Pebble's stop-writes threshold: the
// next memtable rotation, a forced flush included, then waits for a flush
// that cannot succeed.
func fillUntilStalled(t *testing.T, ix *Index, mts uint64) {
	t.Helper()
	val := bytes.Repeat([]byte("v"), 16<<10)
	tx := ix.IndexedUpTo()
	deadline := time.Now().Add(time.Minute)
	for i := 0; ; i++ {
		if m := ix.db.Metrics(); m.MemTable.Size >= 4*mts {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the memtables never filled up")
		}
		b := ix.NewBatch()
		tx++
		b.Begin(tx)
		for j := 0; j < 8; j++ { // 128 KiB: fits in a memtable, no flushable batch
			b.Add([]byte(fmt.Sprintf("k%06d-%d", i, j)), val)
		}
		err := ix.Apply(b)
		b.Close()
		if err != nil {
			t.Fatalf("Apply: %v", err)
		}
	}
}

// TestReviewCloseInStopWritesStall: the directory vanishes and the index
// keeps receiving entries until every memtable Pebble allows is queued
// behind a failing flush. Close must still return (with an error): the
// forced flush it asks for would wait for room that never comes.
func TestReviewCloseInStopWritesStall(t *testing.T) {
	dir := t.TempDir()
	const mts = 1 << 20
	ix, err := Open(Options{Dir: dir, MemTableSize: mts, CacheSize: testCache, Logger: &countingLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	applyTxs(t, ix, []kv{{"a", "1"}})
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	fillUntilStalled(t, ix, mts)
	done := make(chan error, 1)
	go func() { done <- ix.Close() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Close reported success although nothing could be flushed")
		}
		t.Logf("Close: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("Close still waiting after a minute: the forced flush is stalled behind memtables that cannot be flushed")
	}
}
