package store

import (
	"math"
	"sync"
	"testing"
	"time"
)

func TestGatherWait(t *testing.T) {
	t.Run("one caller never waits", func(t *testing.T) {
		g := newGatherer()
		bounded(t, time.Minute, "wait(1)", func() { g.wait(1, time.Hour) })
	})
	t.Run("ends when the released callers are back", func(t *testing.T) {
		g := newGatherer()
		g.queued() // one tx still pending from before
		var wg sync.WaitGroup
		go func() {
			// Queue the five once the wait has set its target (txs queued
			// before the wait starts do not count towards it).
			for g.target.Load() == math.MaxInt64 {
				time.Sleep(time.Millisecond)
			}
			for i := 0; i < 5; i++ {
				wg.Add(1)
				go func() { defer wg.Done(); g.queued() }()
			}
		}()
		bounded(t, time.Minute, "wait(5) with 5 txs queued", func() { g.wait(5, time.Hour) })
		wg.Wait()
		if n := g.unacked.Load(); n != 6 {
			t.Fatalf("unacked = %d, want 6", n)
		}
	})
	t.Run("ends at the bound when nobody comes back", func(t *testing.T) {
		g := newGatherer()
		g.queued()
		g.queued()
		g.released(2)
		t0 := time.Now()
		g.wait(2, 5*time.Millisecond)
		if d := time.Since(t0); d < 5*time.Millisecond {
			t.Fatalf("wait returned after %v, before its bound, with nothing queued", d)
		}
		if g.unacked.Load() != 0 {
			t.Fatalf("unacked = %d", g.unacked.Load())
		}
	})
	t.Run("no signal outlives a wait", func(t *testing.T) {
		g := newGatherer()
		go func() {
			for g.target.Load() == math.MaxInt64 {
				time.Sleep(time.Millisecond)
			}
			for i := 0; i < 3; i++ {
				g.queued()
			}
		}()
		g.wait(3, time.Minute)
		g.queued() // the target is reset: this must not signal
		select {
		case <-g.ready:
			t.Fatal("a tx queued after the wait signalled")
		default:
		}
	})
}
