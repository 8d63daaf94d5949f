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
	dir := t.TempDir()
	log := &countingLogger{}
	ix, err := Open(Options{Dir: dir, MemTableSize: testMemTable, CacheSize: testCache, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		applyTxs(t, ix, []kv{{fmt.Sprint("k", i), "v"}})
	}
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- ix.Close() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatal("Close reported success although nothing could be flushed")
		}
		t.Logf("Close: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("Close still waiting after a minute for a flush that cannot succeed")
	}
	if n := log.errors.Load(); n > 20 {
		t.Fatalf("%d error lines logged for one failing flush", n)
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
