package store

import (
	"context"
	"testing"
)

func TestLogSizeCountsWrittenBytes(t *testing.T) {
	o := DefaultOptions()
	o.FileSize = 4096 // small segments, so the log spans several
	o.DisableIndex = true
	s, err := Open(t.TempDir(), &o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if n, err := s.LogSize(); err != nil || n != 0 {
		t.Fatalf("empty store: LogSize %d, %v; want 0", n, err)
	}
	var prev uint64
	for i := 0; i < 40; i++ {
		if _, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte{byte(i)}, Value: make([]byte, 300)}}}); err != nil {
			t.Fatal(err)
		}
		n, err := s.LogSize()
		if err != nil {
			t.Fatal(err)
		}
		if n <= prev+300 {
			t.Fatalf("after tx %d: LogSize %d, not more than %d+300", i+1, n, prev)
		}
		prev = n
	}
	if prev > 40*4096/3 {
		// 40 records of ~400 bytes: far below 40 preallocated 4 KiB segments.
		t.Fatalf("LogSize %d counts preallocated space", prev)
	}
}
