package index

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// stallFS is a disk that turns slow, then dies: while held, creating an
// sstable waits at a gate; once failing, creating one fails with EIO.
// Other files (MANIFEST, OPTIONS, …) are left alone.
type stallFS struct {
	vfs.FS
	mu      sync.Mutex
	gate    chan struct{} // closed: creations go on
	failing atomic.Bool
	held    atomic.Int32 // creations waiting at the gate
}

func newStallFS() *stallFS {
	f := &stallFS{FS: vfs.Default, gate: make(chan struct{})}
	close(f.gate)
	return f
}

func (f *stallFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	if strings.HasSuffix(name, ".sst") || strings.HasSuffix(name, ".blob") {
		f.mu.Lock()
		gate := f.gate
		f.mu.Unlock()
		f.held.Add(1)
		<-gate
		f.held.Add(-1)
		if f.failing.Load() {
			return nil, &os.PathError{Op: "create", Path: name, Err: syscall.EIO}
		}
	}
	return f.FS.Create(name, cat)
}

// hold makes sstable creations wait until release.
func (f *stallFS) hold() {
	f.mu.Lock()
	f.gate = make(chan struct{})
	f.mu.Unlock()
}

// release lets the held creations go on, failing them (and all later
// ones) if fail.
func (f *stallFS) release(fail bool) {
	f.failing.Store(fail)
	f.mu.Lock()
	close(f.gate)
	f.mu.Unlock()
}

// TestCloseAbandonsApplyStalledBeforeFlushesFail: flushes are slow (held)
// while the applier fills the memtables, so its Apply enters Pebble's
// stop-writes stall while nothing has failed yet; then every flush fails.
// Pebble only ends that stall when a flush succeeds, so the Apply never
// returns and keeps holding the index's read lock. Close must give up
// after closeAbandonAfter with ErrCloseAbandoned instead of hanging (a
// server's shutdown would hang with it); the index is then unusable
// (ErrClosed), and the stuck Apply, released by a disk that recovers,
// returns without harm.
func TestCloseAbandonsApplyStalledBeforeFlushesFail(t *testing.T) {
	const mts = 1 << 20
	fs := newStallFS()
	testFS = fs
	t.Cleanup(func() { testFS = nil })
	old := closeAbandonAfter
	closeAbandonAfter = 300 * time.Millisecond
	t.Cleanup(func() { closeAbandonAfter = old })

	dir := t.TempDir()
	ix, err := Open(Options{Dir: dir, MemTableSize: mts, CacheSize: testCache, Logger: &countingLogger{}})
	if err != nil {
		t.Fatal(err)
	}
	// An iterator the user still holds when the close is abandoned.
	held, err := ix.Scan(ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fs.hold()
	var applies atomic.Int64 // Applies returned
	applied := make(chan error, 1)
	go func() {
		for i := 0; ; i++ {
			err := applyBig(ix, ix.IndexedUpTo()+1, fmt.Sprintf("k%06d", i))
			applies.Add(1)
			if err != nil {
				applied <- err
				return
			}
		}
	}()
	waitStalled(t, ix, fs, &applies, applied, mts)
	if ix.bg.failing() {
		t.Fatal("background work failed before the stall: not the case under test")
	}

	fs.release(true) // the disk dies: the held flush and every retry fail
	for deadline := time.Now().Add(10 * time.Second); !ix.bg.failing(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the flushes never failed")
		}
	}
	select {
	case err := <-applied:
		t.Fatalf("the stalled Apply returned (%v): not the case under test", err)
	default:
	}

	start := time.Now()
	closed := make(chan error, 1)
	go func() { closed <- ix.Close() }()
	select {
	case err = <-closed:
	case <-time.After(closeAbandonAfter + 10*time.Second):
		t.Fatal("Close still waiting for an Apply stalled behind flushes that keep failing")
	}
	t.Logf("Close after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if !errors.Is(err, ErrCloseAbandoned) {
		t.Fatalf("Close = %v, want ErrCloseAbandoned", err)
	}
	if _, err := ix.Get([]byte("k000000-0"), 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after an abandoned Close = %v, want ErrClosed", err)
	}
	if err := ix.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close = %v, want ErrClosed", err)
	}
	// Pebble still holds the directory while the Apply is stuck: it cannot
	// be opened again, rather than two Pebble DBs sharing it.
	if again, err := Open(Options{Dir: dir, MemTableSize: mts, CacheSize: testCache}); err == nil {
		again.Close()
		t.Fatal("Open of the directory of an abandoned index succeeded")
	}
	// An iterator's Close must not wait behind the close that finishes in
	// the background (it takes mu shared).
	itClosed := make(chan struct{})
	go func() {
		held.Close()
		close(itClosed)
	}()
	select {
	case <-itClosed:
	case <-time.After(5 * time.Second):
		t.Fatal("Iterator.Close blocked behind the abandoned close")
	}

	// The disk recovers: the stalled Apply completes, touching nothing the
	// abandoned Close freed (-race checks), and the writer's next Apply
	// finds the index closed.
	fs.failing.Store(false)
	select {
	case err := <-applied:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("writer ended with %v, want ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the stalled Apply did not return after the disk recovered")
	}
	// The abandoned close then finishes by itself, and the directory can be
	// opened again in this process, with what was applied before the stall.
	var again *Index
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if again, err = Open(Options{Dir: dir, MemTableSize: mts, CacheSize: testCache}); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the directory of the abandoned index still cannot be opened: %v", err)
		}
	}
	defer again.Close()
	if again.IndexedUpTo() == 0 {
		t.Fatal("the reopened index holds nothing of what was applied before the stall")
	}
	if _, err := again.Get([]byte("k000000-0"), 0); err != nil {
		t.Fatalf("Get of the first key applied, after the reopen: %v", err)
	}
}

// waitStalled waits until the writer's Apply has not returned for 200 ms
// with the memtables at Pebble's stop-writes threshold behind held flushes.
func waitStalled(t *testing.T, ix *Index, fs *stallFS, applies *atomic.Int64, applied chan error, mts uint64) {
	t.Helper()
	last, since := applies.Load(), time.Now()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-applied:
			t.Fatalf("Apply failed before the stall: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the writer never stalled")
		}
		if n := applies.Load(); n != last {
			last, since = n, time.Now()
			continue
		}
		if time.Since(since) >= 200*time.Millisecond && fs.held.Load() > 0 &&
			ix.db.Metrics().MemTable.Size >= memTableStopWrites*mts {
			return
		}
	}
}

// TestCompactReturnsOnFailingFlush: Compact waits for the memtables to be
// flushed first, which on a vanished directory Pebble retries for ever; it
// must return the failure instead (it hung, and Close gave up on the index
// behind it).
func TestCompactReturnsOnFailingFlush(t *testing.T) {
	ix := openVanished(t, 1<<20, &countingLogger{}, 3)
	done := make(chan error, 1)
	go func() { done <- ix.Compact() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "background work failing") {
			t.Fatalf("Compact = %v, want the background failure", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Compact still waiting for a flush that keeps failing")
	}
	if err := closeWithin(t, ix, "after Compact"); errors.Is(err, ErrCloseAbandoned) {
		t.Fatalf("Close = %v: something is still stuck", err)
	}
}

// TestCloseAfterCloseNoFlush: Close of an index already closed without a
// flush returns ErrClosed. Close stops the key filter rebuild before it
// looks at closed, and closed that channel a second time (a panic).
func TestCloseAfterCloseNoFlush(t *testing.T) {
	ix := openTest(t, t.TempDir())
	if err := ix.closeNoFlush(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Close after closeNoFlush = %v, want ErrClosed", err)
	}
}
