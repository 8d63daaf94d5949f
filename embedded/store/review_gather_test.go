package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/attestdb/attestdb/embedded/vfs"
)

// TestReviewGatherWaitBounded: the bound of a wait is the last fsync's
// time, which a stalled disk can make seconds long; a lone caller arriving
// after such an fsync (the released ones do not come back) must not pay
// it a second time once the disk is fast again.
func TestReviewGatherWaitBounded(t *testing.T) {
	g := newGatherer()
	bounded(t, 10*time.Second, "wait(2, 1h) for callers that never come back", func() { g.wait(2, time.Hour) })
}

// runCommitters commits from c goroutines, n txs each (every 7th with a
// precondition, which drains the syncer), and checks that every
// acknowledged tx is durable when Commit returns. It returns the first
// error other than ErrClosed / a broken store's.
func runCommitters(t *testing.T, s *Store, c, n int, stop <-chan struct{}) error {
	t.Helper()
	var wg sync.WaitGroup
	errc := make(chan error, c)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < n; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req := TxRequest{Entries: []Entry{{Key: []byte(fmt.Sprintf("w%d-%d", w, i)), Value: []byte("v")}}}
				if i%7 == 6 {
					req.Preconditions = []Precondition{{Kind: MustExist, Key: []byte(fmt.Sprintf("w%d-%d", w, i-1))}}
				}
				h, err := s.Commit(context.Background(), req)
				if err != nil {
					if errors.Is(err, ErrClosed) || errors.Is(err, ErrIllegalState) || errors.Is(err, vfs.EIO) {
						return
					}
					errc <- fmt.Errorf("committer %d tx %d: %w", w, i, err)
					return
				}
				if d := s.durable.Load(); d < h.ID {
					errc <- fmt.Errorf("tx %d acknowledged with only %d durable", h.ID, d)
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// inFlight is a run of runCommitters (16 committers) started beside the
// test after one tx is committed.
type inFlight struct {
	stop chan struct{}
	done chan struct{}
	err  error
}

func startCommitters(t *testing.T, s *Store) *inFlight {
	f := &inFlight{stop: make(chan struct{}), done: make(chan struct{})}
	go func() { defer close(f.done); f.err = runCommitters(t, s, 16, 1000, f.stop) }()
	set(t, s, "x", "y")
	return f
}

// wait returns the committers' error once they have all returned.
func (f *inFlight) wait(t *testing.T, what string) error {
	t.Helper()
	bounded(t, time.Minute, what, func() { <-f.done })
	return f.err
}

// TestReviewGatherAckedIsDurable: many committers (preconditions among
// them) in Synced mode, MaxActiveTxs smaller than the committers so that
// the released callers cannot all queue again: every acknowledged tx is
// durable, nothing hangs, and the store verifies.
func TestReviewGatherAckedIsDurable(t *testing.T) {
	o := testOptions(vfs.OS)
	o.MaxActiveTxs = 8
	s := openTest(t, t.TempDir(), o)
	bounded(t, time.Minute, "committers", func() {
		if err := runCommitters(t, s, 24, 60, nil); err != nil {
			t.Error(err)
		}
	})
	last, _ := s.LastCommitted()
	if err := s.VerifyIntegrity(1, last); err != nil {
		t.Fatal(err)
	}
	bounded(t, time.Minute, "Close", func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
}

// TestReviewGatherCloseAndBreak: Close while committers are in flight,
// and a store broken by a failing fsync: every Commit returns and Close
// returns.
func TestReviewGatherCloseAndBreak(t *testing.T) {
	t.Run("close in flight", func(t *testing.T) {
		s := openTest(t, t.TempDir(), testOptions(vfs.OS))
		f := startCommitters(t, s)
		bounded(t, time.Minute, "Close", func() { _ = s.Close() })
		close(f.stop)
		if err := f.wait(t, "committers after Close"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("fsync fails", func(t *testing.T) {
		fsys := vfs.NewFaulty(vfs.OS)
		s := openTest(t, t.TempDir(), testOptions(fsys))
		f := startCommitters(t, s)
		fsys.FailSync(3, vfs.EIO, true)
		if err := f.wait(t, "committers on a broken store"); err != nil {
			t.Fatal(err)
		}
		bounded(t, time.Minute, "Close", func() { _ = s.Close() })
	})
}
