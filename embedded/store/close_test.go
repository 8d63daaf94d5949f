package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/vfs"
)

// TestCloseDuringUse closes a store (on the OS file system, whose closed
// files fail reads) while committers and readers of every kind run. Nothing
// may panic or hang, and every error must be ErrClosed: a read that loses
// the race with Close must not look like corruption.
func TestCloseDuringUse(t *testing.T) {
	for round := 0; round < 4; round++ {
		t.Run(fmt.Sprint(round), func(t *testing.T) {
			o := testOptions(vfs.OS)
			o.Synced = round%2 == 0 // async mode too: its flusher must stop cleanly
			s := openTest(t, t.TempDir(), o)
			for i := 0; i < 20; i++ {
				set(t, s, fmt.Sprintf("k%02d", i), fmt.Sprintf("%0100d", i)) // values > inline size: log reads
			}
			waitIndexed(t, s)
			var stop atomic.Bool
			var wg sync.WaitGroup
			errs := make(chan error, 64)
			check := func(what string, err error) bool {
				if err != nil && !errors.Is(err, ErrClosed) {
					select {
					case errs <- fmt.Errorf("%s: %w", what, err):
					default:
					}
				}
				return err == nil
			}
			ops := []func(i int) error{
				func(i int) error {
					_, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte(fmt.Sprintf("w%d", i)), Value: []byte("v")}}})
					return err
				},
				func(i int) error { _, err := s.ReadTx(uint64(1+i%20), true); return err },
				func(i int) error { _, err := s.Header(uint64(1 + i%20)); return err },
				func(i int) error { _, err := s.Get([]byte(fmt.Sprintf("k%02d", i%20)), 0); return err },
				func(i int) error { _, err := s.History([]byte(fmt.Sprintf("k%02d", i%20)), 0, 0, false, 0); return err },
				func(i int) error { _, err := s.Scan(ScanOptions{Limit: 10}); return err },
				func(i int) error { _, err := s.Count(nil, 0); return err },
				func(i int) error { _, err := s.TreeInclusionProof(uint64(1+i%20), 20); return err },
				func(i int) error {
					a, err := s.Header(uint64(1 + i%20))
					if err != nil {
						return err
					}
					b, err := s.Header(20)
					if err != nil {
						return err
					}
					_, err = s.DualProof(a, b)
					return err
				},
				func(i int) error { return s.VerifyIntegrity(1, 20) },
				func(i int) error { return s.Sync() },
				func(i int) error {
					_, err := s.Scan(ScanOptions{ScanOptions: index.ScanOptions{Desc: true}})
					return err
				},
			}
			started := make(chan struct{}, len(ops))
			for n, op := range ops {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; !stop.Load(); i++ {
						if i == 10 {
							started <- struct{}{}
						}
						if !check(fmt.Sprintf("op %d", n), op(i)) {
							return
						}
					}
				}()
			}
			for range ops {
				<-started
			}
			if err := s.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			stop.Store(true)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestReadsAfterClose: reads that passed the closed check just before
// Close, and reads after it, report ErrClosed, not corruption, and do not
// reopen log segments.
func TestReadsAfterClose(t *testing.T) {
	m := vfs.NewMem()
	o := testOptions(m)
	o.CheckpointInterval = 0
	s := openTest(t, "/s", o)
	for i := 0; i < 3; i++ {
		set(t, s, fmt.Sprintf("k%d", i), fmt.Sprintf("%0100d", i))
	}
	if err := s.checkpoint(); err != nil { // tx index and tree nodes in files
		t.Fatal(err)
	}
	e, err := s.txi.read(1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, e.Len)
	for name, err := range map[string]error{
		"log read":        s.log.readAt(buf, e.Pos),
		"tx index read":   func() error { _, err := s.txi.read(1); return err }(),
		"tree node read":  func() error { _, err := s.nodes.ReadNode(0); return err }(),
		"ReadValueAt":     func() error { _, err := s.ReadValueAt(e.Pos, 10); return err }(),
		"ReadTx":          func() error { _, err := s.ReadTx(1, true); return err }(),
		"VerifyIntegrity": s.VerifyIntegrity(1, 3),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after close: %v, want ErrClosed", name, err)
		}
	}
	s.log.mu.RLock()
	defer s.log.mu.RUnlock()
	for i, f := range s.log.segs {
		if f != nil {
			t.Errorf("segment %d reopened after close", i)
		}
	}
}

// TestCloseDuringRebuild: Close while RebuildIndex runs. The rebuild ends
// with nil or ErrClosed, Close releases the index it built (a reopen would
// otherwise find the index directory locked), and the reopened store
// catches the index up.
func TestCloseDuringRebuild(t *testing.T) {
	for round := 0; round < 3; round++ {
		dir := t.TempDir()
		o := testOptions(vfs.OS)
		o.IndexBatchTxs = 1
		s := openTest(t, dir, o)
		for i := 0; i < 200; i++ {
			req := TxRequest{}
			for j := 0; j < 50; j++ {
				req.Entries = append(req.Entries, Entry{Key: []byte(fmt.Sprintf("k%d-%d", i, j)), Value: []byte("v")})
			}
			if _, err := s.Commit(context.Background(), req); err != nil {
				t.Fatal(err)
			}
		}
		waitIndexed(t, s)
		started := make(chan struct{})
		res := make(chan error, 1)
		go func() {
			var once sync.Once
			res <- s.RebuildIndex(func(done, total uint64) {
				once.Do(func() { close(started) })
				<-s.closing // the rest of the rebuild runs while Close does
			})
			once.Do(func() { close(started) })
		}()
		<-started
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if err := <-res; err != nil && !errors.Is(err, ErrClosed) {
			t.Fatalf("rebuild: %v", err)
		}
		s = openTest(t, dir, o)
		waitIndexed(t, s)
		if n, err := s.Count(nil, 0); err != nil || n != 200*50 {
			t.Fatalf("count after reopen: %d %v", n, err)
		}
		s.Close()
	}
}

// TestReadsDuringRebuild: RebuildIndex swaps the index under readers; they
// see a partial index (not found, fewer keys) but never ErrClosed, and
// commits with preconditions keep working.
func TestReadsDuringRebuild(t *testing.T) {
	o := testOptions(vfs.NewMem())
	o.IndexBatchTxs = 4
	s := openTest(t, t.TempDir(), o)
	defer s.Close()
	for i := 0; i < 40; i++ {
		set(t, s, fmt.Sprintf("k%02d", i), "v")
	}
	waitIndexed(t, s)
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	readers := []func(i int) error{
		func(i int) error {
			_, err := s.Get([]byte(fmt.Sprintf("k%02d", i%40)), 0)
			if errors.Is(err, ErrKeyNotFound) {
				return nil
			}
			return err
		},
		func(i int) error {
			_, err := s.History([]byte(fmt.Sprintf("k%02d", i%40)), 0, 0, false, 0)
			if errors.Is(err, ErrKeyNotFound) {
				return nil
			}
			return err
		},
		func(i int) error { _, err := s.Scan(ScanOptions{Limit: 5}); return err },
		func(i int) error { _, err := s.Count(nil, 0); return err },
		func(i int) error {
			_, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte(fmt.Sprintf("p%d", i)), Value: []byte("v")}},
				Preconditions: []Precondition{{Kind: MustNotExist, Key: []byte(fmt.Sprintf("p%d", i))}}})
			return err
		},
	}
	for n, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				if err := r(i); err != nil {
					report(fmt.Errorf("reader %d: %w", n, err))
					return
				}
			}
		}()
	}
	for i := 0; i < 5; i++ {
		if err := s.RebuildIndex(nil); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
