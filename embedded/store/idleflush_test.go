package store

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/attestdb/attestdb/embedded/vfs"
)

// TestIdleIndexFlush: once no tx has come for idleIndexFlushAfter, the
// indexer has the index flush its memtable (more than 1 MiB was applied);
// while txs keep coming it does not; reads answer the same either way.
func TestIdleIndexFlush(t *testing.T) {
	old := idleIndexFlushAfter
	idleIndexFlushAfter = 300 * time.Millisecond
	t.Cleanup(func() { idleIndexFlushAfter = old })
	o := testOptions(vfs.NewMem())
	o.FileSize = 4 << 20
	s := openTest(t, "/s", o)
	defer s.Close()
	ctx := context.Background()
	commit := func(from, n int) {
		t.Helper()
		for i := from; i < from+n; i += 500 {
			ents := make([]Entry, 0, 500)
			for j := i; j < i+500 && j < from+n; j++ {
				ents = append(ents, Entry{Key: fmt.Appendf(nil, "key-%07d", j), Value: bytes.Repeat([]byte{byte(j)}, 64)})
			}
			if _, err := s.Commit(ctx, TxRequest{Entries: ents}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Txs 100 ms apart for a second: the indexer is never idle long enough.
	for i := 0; i < 10; i++ {
		commit(i*2000, 2000)
		time.Sleep(100 * time.Millisecond)
	}
	if n := s.idleFlushes.Load(); n != 0 {
		t.Fatalf("%d idle flushes while txs kept coming", n)
	}
	for deadline := time.Now().Add(10 * time.Second); s.idleFlushes.Load() == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("no idle flush after the txs stopped")
		}
	}
	last, _ := s.LastCommitted()
	if err := s.WaitForIndexedUpTo(ctx, last); err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, 9_999, 19_999} {
		v, err := s.Get(fmt.Appendf(nil, "key-%07d", i), 0)
		if err != nil || !bytes.Equal(v.Value, bytes.Repeat([]byte{byte(i)}, 64)) {
			t.Fatalf("Get key %d: %v", i, err)
		}
	}
}
