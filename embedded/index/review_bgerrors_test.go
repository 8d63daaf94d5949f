package index

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"
)

// fillUntilStalled applies entries after the directory vanished until the
// memtables queued (flushes fail) reach Pebble's stop-writes threshold: the
// next memtable rotation, a forced flush included, then waits for a flush
// that cannot succeed.
func fillUntilStalled(t *testing.T, ix *Index, mts uint64) {
	t.Helper()
	tx := ix.IndexedUpTo()
	deadline := time.Now().Add(time.Minute)
	for i := 0; ix.db.Metrics().MemTable.Size < memTableStopWrites*mts; i++ {
		if time.Now().After(deadline) {
			t.Fatal("the memtables never filled up")
		}
		tx++
		if err := applyBig(ix, tx, fmt.Sprintf("k%06d", i)); err != nil {
			t.Fatalf("Apply: %v", err)
		}
	}
}

// applyBig applies tx: 8 keys prefix-0..7 with 16 KiB values (128 KiB: fits
// in a 1 MiB memtable, so Pebble does not turn it into a flushable batch).
func applyBig(ix *Index, tx uint64, prefix string) error {
	val := bytes.Repeat([]byte("v"), 16<<10)
	b := ix.NewBatch()
	defer b.Close()
	b.Begin(tx)
	for j := 0; j < 8; j++ {
		b.Add([]byte(fmt.Sprintf("%s-%d", prefix, j)), val)
	}
	return ix.Apply(b)
}

// TestReviewCloseInStopWritesStall: the directory vanishes and the index
// keeps receiving entries until every memtable Pebble allows is queued
// behind a failing flush. Close must still return (with an error): the
// forced flush it asks for would wait for room that never comes.
func TestReviewCloseInStopWritesStall(t *testing.T) {
	const mts = 1 << 20
	ix := openVanished(t, mts, &countingLogger{}, 1)
	fillUntilStalled(t, ix, mts)
	if err := closeWithin(t, ix, "with the forced flush stalled behind memtables that cannot be flushed"); err == nil {
		t.Fatal("Close reported success although nothing could be flushed")
	}
}

// TestReviewCloseWithApplyStalled: as above, but a writer keeps applying
// and is itself stalled by Pebble (its memtable rotation waits for room
// behind the failing flush) when Close is called. Usually Apply saw the
// failures and returns them; on a loaded machine the first flush may not
// have failed yet when the writer's Apply enters Pebble's stall, which
// then never ends, and Close gives up on it (ErrCloseAbandoned, the case
// of TestCloseAbandonsApplyStalledBeforeFlushesFail).
func TestReviewCloseWithApplyStalled(t *testing.T) {
	const mts = 1 << 20
	ix := openVanished(t, mts, &countingLogger{}, 1)
	fillUntilStalled(t, ix, mts)
	applied := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			if err := applyBig(ix, ix.IndexedUpTo()+1, fmt.Sprintf("s%06d", i)); err != nil {
				applied <- err
				return
			}
		}
	}()
	time.Sleep(500 * time.Millisecond) // let the writer reach the stall
	if err := closeWithin(t, ix, "behind a write stalled by failing flushes"); errors.Is(err, ErrCloseAbandoned) {
		if _, err := ix.Get([]byte("k000000-0"), 0); !errors.Is(err, ErrClosed) {
			t.Fatalf("Get after an abandoned Close = %v, want ErrClosed", err)
		}
		select {
		case err := <-applied:
			t.Fatalf("Close gave up on an Apply that returned (%v)", err)
		default:
		}
		return // the stuck writer and its Pebble DB stay until the test binary exits
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
