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

// TestReviewCloseWithApplyStalled: as above, but a writer keeps applying
// and is itself stalled by Pebble (its memtable rotation waits for room
// behind the failing flush) when Close is called.
func TestReviewCloseWithApplyStalled(t *testing.T) {
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
	applied := make(chan error, 1)
	go func() {
		val := bytes.Repeat([]byte("w"), 16<<10)
		for i := 0; ; i++ {
			b := ix.NewBatch()
			b.Begin(ix.IndexedUpTo() + 1)
			for j := 0; j < 8; j++ {
				b.Add([]byte(fmt.Sprintf("s%06d-%d", i, j)), val)
			}
			err := ix.Apply(b)
			b.Close()
			if err != nil {
				applied <- err
				return
			}
		}
	}()
	time.Sleep(500 * time.Millisecond) // let the writer reach the stall
	done := make(chan error, 1)
	go func() { done <- ix.Close() }()
	select {
	case err := <-done:
		t.Logf("Close: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("Close still waiting after a minute behind a write stalled by failing flushes")
	}
	select {
	case err := <-applied:
		t.Logf("Apply: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("Apply still stalled a minute after Close")
	}
}

// TestReviewBGErrorsRun: a run of failures logs once, sleeps only from
// the second failure on, and a success ends it (the next failure starts
// a new run: logged at once, not slowed down); since reports only newer failures.
func TestReviewBGErrorsRun(t *testing.T) {
	log := &countingLogger{}
	b := newBGErrors(log)
	n := b.count()
	e1 := fmt.Errorf("flush: disk gone")
	for i := 0; i < 4; i++ { // sleeps 20+40+80 ms
		b.failed(e1)
	}
	if got := log.errors.Load(); got != 1 {
		t.Fatalf("4 failures in a row logged %d lines, want 1", got)
	}
	if !b.failing() || b.since(n) != e1 || b.since(b.count()) != nil {
		t.Fatalf("failing %v, since(n) %v", b.failing(), b.since(n))
	}
	select {
	case <-b.note:
	default:
		t.Fatal("no note of the failures")
	}
	b.succeeded()
	if b.failing() {
		t.Fatal("a success did not end the run")
	}
	if got := log.errors.Load(); got != 2 {
		t.Fatalf("the recovery after unlogged failures logged %d lines in all, want 2", got)
	}
	b.failed(e1)
	if b.mu.Lock(); b.run != 1 {
		t.Fatalf("run = %d after a success and one failure, want 1 (no backoff)", b.run)
	}
	b.mu.Unlock()
	if got := log.errors.Load(); got != 3 {
		t.Fatalf("the first failure of a new run was not logged (%d lines)", got)
	}
}
