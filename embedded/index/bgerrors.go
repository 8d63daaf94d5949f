package index

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Failing background work.
//
// Pebble retries a failed flush or compaction at once and without end
// (pebble's flush carries a TODO for a backoff). With a failing or
// vanished disk that is a loop at full CPU, and every failure reached the
// log: a server whose data directory was removed wrote 780k log lines in 30
// seconds and never finished its shutdown, because Close waited for a flush
// that could not succeed. bgErrors
//   - logs the first failure of a run, then at most one summary line per
//     bgLogEvery;
//   - slows the retries down: after n consecutive failures the listener
//     sleeps min(bgBackoffMin·2^(n-1), bgBackoffMax) before Pebble retries
//     (it runs on the failing goroutine, holding Pebble's DB mutex, so the
//     bound also bounds how long Close waits for it);
//   - lets Close stop waiting for its flush at the first failure
//     (flushOnClose), and give up waiting for an operation stuck in
//     Pebble after closeAbandonAfter of failures (Close);
//   - lets Compact stop waiting for the flush it needs (cancelOnFailure).
//
// A flush or compaction that succeeds ends the run.
type bgErrors struct {
	log pebble.Logger

	mu         sync.Mutex
	seq        uint64        // failures so far
	last       error         // the latest failure
	run        int           // consecutive failures
	suppressed int           // failures not logged since lastLog
	lastLog    time.Time     //
	note       chan struct{} // capacity 1: a failure happened
}

// closeAbandonAfter: see Close (a variable: tests shorten it).
var closeAbandonAfter = 5 * time.Second

const (
	bgLogEvery   = 10 * time.Second
	bgBackoffMin = 10 * time.Millisecond
	bgBackoffMax = time.Second
)

func newBGErrors(log pebble.Logger) *bgErrors {
	return &bgErrors{log: log, note: make(chan struct{}, 1)}
}

// failed is called by Pebble (EventListener.BackgroundError).
func (b *bgErrors) failed(err error) {
	b.mu.Lock()
	b.seq++
	b.last = err
	b.run++
	run := b.run
	switch now := time.Now(); {
	case run == 1:
		b.log.Errorf("index: pebble background error: %v", err)
		b.lastLog, b.suppressed = now, 0
	case now.Sub(b.lastLog) >= bgLogEvery:
		b.log.Errorf("index: pebble background error, %d failures in a row (%d not logged): %v", run, b.suppressed, err)
		b.lastLog, b.suppressed = now, 0
	default:
		b.suppressed++
	}
	b.mu.Unlock()
	select {
	case b.note <- struct{}{}:
	default:
	}
	if run > 1 {
		time.Sleep(backoff(run))
	}
}

// backoff is the pause before Pebble's retry after run failures in a row.
func backoff(run int) time.Duration {
	d := bgBackoffMin
	for i := 1; i < run && d < bgBackoffMax; i++ {
		d *= 2
	}
	return min(d, bgBackoffMax)
}

// failing reports whether the latest background work failed (a run of
// failures not ended by a success).
func (b *bgErrors) failing() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.run > 0
}

// waitRoom waits until Pebble has room for another memtable, or returns
// the first background failure after the count n. A memtable rotation (a
// write that overflows the memtable, a forced flush) waits, holding
// Pebble's commit lock, while the queued memtables are at the stop-writes
// threshold, and only a flush that succeeds makes room: with flushes that
// keep failing it would wait for ever, and Close (and Pebble's) behind it.
func (ix *Index) waitRoom(n uint64) error {
	for ix.db.Metrics().MemTable.Size >= memTableStopWrites*ix.memTableSize {
		if err := ix.bg.since(n); err != nil {
			return err
		}
		time.Sleep(bgBackoffMin)
	}
	return nil
}

// cancelOnFailure cancels ctx with the first background failure after the
// count n, polling (bg.note has one reader: flushOnClose); it returns when
// ctx ends.
func cancelOnFailure(ctx context.Context, cancel context.CancelCauseFunc, b *bgErrors, n uint64) {
	tick := time.NewTicker(bgBackoffMin)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := b.since(n); err != nil {
				cancel(fmt.Errorf("background work failing: %w", err))
				return
			}
		}
	}
}

// current is the latest failure while a run of failures lasts, else nil.
func (b *bgErrors) current() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.run == 0 {
		return nil
	}
	return b.last
}

// succeeded ends a run of failures (a flush or compaction completed).
func (b *bgErrors) succeeded() {
	b.mu.Lock()
	if b.run > 0 && b.suppressed > 0 {
		b.log.Errorf("index: pebble background work succeeds again after %d failures", b.run)
	}
	b.run, b.suppressed = 0, 0
	b.mu.Unlock()
}

// since returns the latest failure if there was one after the count n
// (from count), else nil.
func (b *bgErrors) since(n uint64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seq > n {
		return b.last
	}
	return nil
}

func (b *bgErrors) count() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.seq
}
