package index

import (
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// countingLogger counts the error lines Pebble and the index log.
type countingLogger struct{ errors atomic.Int64 }

func (*countingLogger) Infof(string, ...any)    {}
func (l *countingLogger) Errorf(string, ...any) { l.errors.Add(1) }
func (l *countingLogger) Fatalf(string, ...any) { l.errors.Add(1) }

// TestCloseOnVanishedDirectory: the index directory disappears under an
// open index holding unflushed entries. Close must return (with an error)
// instead of waiting for a flush Pebble retries for ever, and the retries
// must not flood the log. Found with a server whose data directory was
// removed: its shutdown spun at full CPU and logged 780k lines in 30 s.
func TestCloseOnVanishedDirectory(t *testing.T) {
	log := &countingLogger{}
	ix := openVanished(t, testMemTable, log, 50)
	if err := closeWithin(t, ix, "for a flush that cannot succeed"); err == nil {
		t.Fatal("Close reported success although nothing could be flushed")
	}
	if n := log.errors.Load(); n > 20 {
		t.Fatalf("%d error lines logged for one failing flush", n)
	}
}

// openVanished opens an index with memtables of mts bytes, applies ntx
// one-key txs and removes its directory: every flush from then on fails.
func openVanished(t *testing.T, mts uint64, log *countingLogger, ntx int) *Index {
	t.Helper()
	dir := t.TempDir()
	ix, err := Open(Options{Dir: dir, MemTableSize: mts, CacheSize: testCache, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < ntx; i++ {
		applyTxs(t, ix, []kv{{fmt.Sprint("k", i), "v"}})
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	return ix
}

// closeWithin returns Close's error, failing the test if Close has not
// returned after a minute (waiting names what it would be waiting for).
func closeWithin(t *testing.T, ix *Index, waiting string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- ix.Close() }()
	select {
	case err := <-done:
		t.Logf("Close: %v", err)
		return err
	case <-time.After(time.Minute):
		t.Fatalf("Close still waiting after a minute %s", waiting)
		return nil
	}
}

func TestBackoff(t *testing.T) {
	for _, c := range []struct {
		run  int
		want time.Duration
	}{{1, 10 * time.Millisecond}, {2, 20 * time.Millisecond}, {5, 160 * time.Millisecond}, {8, time.Second}, {1000, time.Second}} {
		if got := backoff(c.run); got != c.want {
			t.Errorf("backoff(%d) = %v, want %v", c.run, got, c.want)
		}
	}
}
