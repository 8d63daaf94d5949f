package store

import (
	"math"
	"sync/atomic"
	"time"
)

// gatherer lets the syncer (Synced mode) wait, before it starts the next
// fsync, for the callers it has just released to come back with their next
// txs, so that one fsync carries them too.
//
// Without it the syncer starts an fsync as soon as the previous one ends,
// covering whatever arrived meanwhile. With many committers that keep
// sending (each waits for its tx, then sends the next one) this settles into
// two cohorts that take turns: one in its fsync while the other gathers, each
// fsync carrying about half of them. Waiting, after an fsync that released n
// txs, until n more are queued (or at most as long as that fsync took)
// merges the cohorts. Measured with 128 committers of 1-entry txs: 107–109k
// → 119–135k tx/s with lower p50 and p99 (docs/BENCHMARKS.md). One caller
// alone never waits (n < 2), and the bound keeps a burst of callers that do
// not come back from delaying the next fsync by more than one fsync's time,
// and by more than gatherMaxWait: a disk that stalled for seconds in one
// fsync must not make the next caller wait that long again once it is fast.
type gatherer struct {
	unacked atomic.Int64  // txs queued and not yet released by the syncer
	target  atomic.Int64  // queued() signals when unacked reaches it
	ready   chan struct{} // capacity 1
	timer   *time.Timer   // the syncer's only
}

// gatherMaxWait caps a wait. Callers come back within a round trip (well
// under a millisecond on loopback), far below this; an fsync slower than it
// is a slow or stalled disk, not a cohort worth waiting for.
const gatherMaxWait = 10 * time.Millisecond

func newGatherer() *gatherer {
	g := &gatherer{ready: make(chan struct{}, 1), timer: time.NewTimer(time.Hour)}
	g.timer.Stop()
	g.target.Store(math.MaxInt64)
	return g
}

// queued counts a tx put in the commit queue.
func (g *gatherer) queued() {
	if g.unacked.Add(1) >= g.target.Load() {
		select {
		case g.ready <- struct{}{}:
		default:
		}
	}
}

// released counts txs the syncer published or failed. Txs failed before
// they reach the syncer are never released; wait only compares counts
// taken a moment apart, so that offset does not matter.
func (g *gatherer) released(n int) { g.unacked.Add(-int64(n)) }

// wait blocks until n more txs than now are queued, or for at most max
// (and gatherMaxWait). Only the syncer calls it.
func (g *gatherer) wait(n int, max time.Duration) {
	if n < 2 || max <= 0 {
		return
	}
	max = min(max, gatherMaxWait)
	t := g.unacked.Load() + int64(n)
	g.target.Store(t)
	if g.unacked.Load() < t {
		g.timer.Reset(max)
		select {
		case <-g.ready:
			g.timer.Stop() // Go ≥ 1.23: no stale tick is delivered after Stop
		case <-g.timer.C:
		}
	}
	g.target.Store(math.MaxInt64)
	// Drop a signal sent after the target was met. One sent by a queued()
	// that read the target just before it was reset can still arrive later
	// and end the next wait early: an fsync a little sooner, nothing worse.
	select {
	case <-g.ready:
	default:
	}
}
