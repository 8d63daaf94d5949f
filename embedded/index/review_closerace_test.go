package index

import (
	"errors"
	"sync"
	"testing"
)

// TestReviewCloseRaces: Closes racing each other and operations racing
// Close on a healthy index: exactly one Close succeeds, the others and
// every late operation get ErrClosed, and the flushed data is found at the
// next open with the saved key filter.
func TestReviewCloseRaces(t *testing.T) {
	for round := 0; round < 10; round++ {
		dir := t.TempDir()
		ix := openTest(t, dir)
		applyTxs(t, ix, []kv{{"a", "1"}, {"b", "2"}})
		var wg sync.WaitGroup
		stop := make(chan struct{})
		opErr := make(chan error, 16)
		op := func(f func() error) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := f(); err != nil && !errors.Is(err, ErrClosed) {
					opErr <- err
					return
				}
			}
		}
		wg.Add(5)
		go op(func() error { _, err := ix.Get([]byte("a"), 0); return err })
		go op(func() error { _, err := ix.History([]byte("a"), 0, 0, false, 0); return err })
		go op(func() error {
			it, err := ix.Scan(ScanOptions{})
			if err != nil {
				return err
			}
			for it.Next() {
			}
			err = it.Err()
			if cerr := it.Close(); cerr != nil {
				return cerr
			}
			return err
		})
		go op(func() error {
			b := ix.NewBatch()
			defer b.Close()
			b.Begin(ix.IndexedUpTo() + 1)
			b.Add([]byte("c"), []byte("3"))
			err := ix.Apply(b)
			if errors.Is(err, ErrOutOfOrder) {
				return nil
			}
			return err
		})
		go op(func() error { _, err := ix.Count(nil, 0); return err })
		closeErrs := make(chan error, 3)
		for i := 0; i < 3; i++ {
			go func() { closeErrs <- ix.Close() }()
		}
		// Whichever Close returns first, the index is closed by then (a
		// losing Close waits for the winner): its directory opens again.
		ok := 0
		for i := 0; i < 3; i++ {
			err := <-closeErrs
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, ErrClosed):
				t.Fatalf("round %d: Close = %v", round, err)
			}
			if i == 0 {
				again, err := Open(Options{Dir: dir, MemTableSize: testMemTable, CacheSize: testCache})
				if err != nil {
					t.Fatalf("round %d: open after the first Close returned: %v", round, err)
				}
				if err := again.Close(); err != nil {
					t.Fatal(err)
				}
			}
		}
		close(stop)
		wg.Wait()
		select {
		case err := <-opErr:
			t.Fatalf("round %d: operation racing Close: %v", round, err)
		default:
		}
		if ok != 1 {
			t.Fatalf("round %d: %d Closes succeeded, want 1", round, ok)
		}
		w := ix.IndexedUpTo()
		ix = openTest(t, dir)
		if got := ix.IndexedUpTo(); got != w {
			t.Fatalf("round %d: reopened at %d, closed at %d", round, got, w)
		}
		if !filterReadyOf(ix) {
			t.Fatalf("round %d: key filter not saved by the Close", round)
		}
		if v, err := ix.Get([]byte("a"), 0); err != nil || string(v.Payload) != "1" {
			t.Fatalf("round %d: Get(a) = %s, %v", round, fmtVersion(v), err)
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
