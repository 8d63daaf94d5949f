package index

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestBatchErrors(t *testing.T) {
	ix := openTest(t, t.TempDir())
	defer ix.Close()
	applyTxs(t, ix, []kv{{"a", "1"}}) // tx 1
	long := strings.Repeat("x", DefaultMaxKeyLen+1)
	tests := []struct {
		name  string
		build func(b *Batch)
		err   error
	}{
		{"gap before first tx", func(b *Batch) { b.Begin(3) }, ErrOutOfOrder},
		{"already applied tx", func(b *Batch) { b.Begin(1) }, ErrOutOfOrder},
		{"tx 0", func(b *Batch) { b.Begin(0) }, ErrOutOfOrder},
		{"gap inside batch", func(b *Batch) { b.Begin(2); b.Begin(4) }, ErrOutOfOrder},
		{"repeated tx inside batch", func(b *Batch) { b.Begin(2); b.Begin(2) }, ErrOutOfOrder},
		{"add before begin", func(b *Batch) { b.Add([]byte("a"), nil) }, ErrNoTx},
		{"empty key", func(b *Batch) { b.Begin(2); b.Add(nil, []byte("p")) }, ErrInvalidKey},
		{"long key", func(b *Batch) { b.Begin(2); b.Add([]byte(long), nil) }, ErrInvalidKey},
		{"duplicate key in tx", func(b *Batch) {
			b.Begin(2)
			b.Add([]byte("k"), nil)
			b.Add([]byte("j"), nil)
			b.Add([]byte("k"), nil)
		}, ErrDuplicateKey},
		{"error is sticky", func(b *Batch) { b.Begin(2); b.Add(nil, nil); b.Add([]byte("fine"), nil) }, ErrInvalidKey},
		{"closed batch", func(b *Batch) { b.Begin(2); b.Close() }, ErrClosed},
	}
	for _, tc := range tests {
		b := ix.NewBatch()
		tc.build(b)
		if err := ix.Apply(b); !errors.Is(err, tc.err) {
			t.Errorf("%s: Apply = %v, want %v", tc.name, err, tc.err)
		}
		b.Close()
		if w := ix.IndexedUpTo(); w != 1 {
			t.Fatalf("%s: IndexedUpTo moved to %d", tc.name, w)
		}
	}
	// Nothing of the failed batches is visible.
	if n, err := ix.Count(nil, 0); err != nil || n != 1 {
		t.Fatalf("Count = %d, %v; want 1", n, err)
	}

	// The same key in consecutive txs of one batch gets consecutive revisions;
	// a batch is reusable after Apply; an empty tx moves the watermark.
	b := ix.NewBatch()
	defer b.Close()
	b.Begin(2)
	b.Add([]byte("a"), []byte("2"))
	b.Begin(3)
	b.Begin(4)
	b.Add([]byte("a"), []byte("4"))
	if err := ix.Apply(b); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 0 {
		t.Fatalf("batch not reset after Apply: %d entries", b.Len())
	}
	b.Begin(5)
	b.Add([]byte("a"), []byte("5"))
	if err := ix.Apply(b); err != nil {
		t.Fatal(err)
	}
	h, err := ix.History([]byte("a"), 0, 0, false, 0)
	if err != nil || len(h) != 4 || h[1].TxID != 2 || h[2].TxID != 4 || h[3].Revision != 4 {
		t.Fatalf("History = %s, %v", fmtVersions(h), err)
	}
	if ix.IndexedUpTo() != 5 {
		t.Fatalf("IndexedUpTo %d", ix.IndexedUpTo())
	}
	// An empty batch is a no-op.
	if err := ix.Apply(ix.NewBatch()); err != nil || ix.IndexedUpTo() != 5 {
		t.Fatalf("empty batch: %v, IndexedUpTo %d", err, ix.IndexedUpTo())
	}
	// A batch of another index is refused.
	other := openTest(t, t.TempDir())
	defer other.Close()
	ob := other.NewBatch()
	ob.Begin(6)
	if err := ix.Apply(ob); err == nil {
		t.Fatal("applied another index's batch")
	}
}

func TestMaxKeyLenOption(t *testing.T) {
	ix, err := Open(Options{Dir: t.TempDir(), MaxKeyLen: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	b := ix.NewBatch()
	b.Begin(1)
	b.Add([]byte("12345"), nil)
	if err := ix.Apply(b); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("Apply = %v", err)
	}
	if _, err := ix.Get([]byte("12345"), 0); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("Get = %v", err)
	}
}

func TestClosed(t *testing.T) {
	ix := openTest(t, t.TempDir())
	applyTxs(t, ix, []kv{{"a", "1"}})
	it, err := ix.Scan(ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b := ix.NewBatch()
	b.Begin(2)
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); !errors.Is(err, ErrClosed) {
		t.Errorf("second Close = %v", err)
	}
	if it.Next() || !errors.Is(it.Err(), ErrClosed) {
		t.Errorf("iterator after Close: err %v", it.Err())
	}
	if err := it.Close(); err != nil {
		t.Errorf("iterator Close after index Close = %v", err)
	}
	checks := map[string]error{}
	_, checks["Get"] = ix.Get([]byte("a"), 0)
	_, checks["GetRevision"] = ix.GetRevision([]byte("a"), 1, 0)
	_, checks["History"] = ix.History([]byte("a"), 0, 0, false, 0)
	_, checks["Scan"] = ix.Scan(ScanOptions{})
	_, checks["Count"] = ix.Count(nil, 0)
	checks["Apply"] = ix.Apply(b)
	checks["Flush"] = ix.Flush()
	checks["Compact"] = ix.Compact()
	for name, err := range checks {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
	if ix.IndexedUpTo() != 1 {
		t.Errorf("IndexedUpTo after Close = %d", ix.IndexedUpTo())
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(Options{}); err == nil {
		t.Error("Open with empty Dir succeeded")
	}
	if err := Destroy(""); err == nil {
		t.Error("Destroy(\"\") succeeded")
	}
	dir := t.TempDir()
	ix := openTest(t, dir)
	applyTxs(t, ix, []kv{{"a", "1"}})
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if err := Destroy(dir); err != nil {
		t.Fatal(err)
	}
	ix = openTest(t, dir)
	defer ix.Close()
	if w := ix.IndexedUpTo(); w != 0 {
		t.Fatalf("after Destroy IndexedUpTo = %d", w)
	}
	if _, err := ix.Get([]byte("a"), 0); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("after Destroy Get = %v", err)
	}
}

// TestReopen: the watermark and the data survive Close/Open, and the key
// filter saved by Close (or rebuilt when absent) keeps revisions right.
func TestReopen(t *testing.T) {
	for _, dropFilter := range []bool{false, true} {
		dir := t.TempDir()
		ix := openTest(t, dir)
		applyWorkload(t, ix, 1, 300, 11)
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		if dropFilter {
			if err := removeFilterFile(dir); err != nil {
				t.Fatal(err)
			}
		}
		ix = openTest(t, dir)
		if w := ix.IndexedUpTo(); w != 300 {
			t.Fatalf("IndexedUpTo after reopen = %d", w)
		}
		applyWorkload(t, ix, 301, 400, 13)
		checkExactly(t, ix)
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStaleFilterIgnored: a saved key filter that does not match the data
// (older watermark, or damaged) must not be trusted, or keys added after it
// would get revision 1 again.
func TestStaleFilterIgnored(t *testing.T) {
	for _, damage := range []bool{false, true} {
		dir := t.TempDir()
		ix := openTest(t, dir)
		applyTxs(t, ix, []kv{{"old", "1"}})
		if err := ix.Close(); err != nil { // filter saved at tx 1
			t.Fatal(err)
		}
		ix = openTest(t, dir)
		applyTxs(t, ix, []kv{{"new", "2"}})
		if err := ix.Flush(); err != nil {
			t.Fatal(err)
		}
		if err := ix.closeNoFlush(); err != nil { // data at tx 2, filter file at tx 1
			t.Fatal(err)
		}
		if damage { // same watermark as the data but a bad checksum
			ix = openTest(t, dir)
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			path := dir + "/" + filterFileName
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			clear(b[24:]) // wipe the bits
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ix = openTest(t, dir)
		<-ix.buildDone // use the rebuilt filter, not Pebble lookups
		applyTxs(t, ix, []kv{{"new", "3"}, {"old", "3"}})
		for _, k := range []string{"new", "old"} {
			v, err := ix.Get([]byte(k), 0)
			if err != nil || v.Revision != 2 {
				t.Errorf("damage %v: Get(%q) = %s, %v; want revision 2", damage, k, fmtVersion(v), err)
			}
		}
		ix.Close()
	}
}

// TestFilterRebuildOverlay: keys applied while the background rebuild runs
// are kept when it finishes, and the rebuilt filter is then used.
func TestFilterRebuildOverlay(t *testing.T) {
	dir := t.TempDir()
	ix := openTest(t, dir)
	applyTxs(t, ix, []kv{{"A", "1"}})
	if err := ix.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := ix.closeNoFlush(); err != nil { // no filter file
		t.Fatal(err)
	}
	testBuildGate = make(chan struct{})
	defer func() { testBuildGate = nil }()
	ix = openTest(t, dir)
	defer ix.Close()
	applyTxs(t, ix, []kv{{"B", "2"}}) // while the rebuild waits
	close(testBuildGate)
	<-ix.buildDone
	ix.applyMu.Lock()
	ready := ix.filterReady
	ix.applyMu.Unlock()
	if !ready {
		t.Fatal("filter not ready after rebuild")
	}
	applyTxs(t, ix, []kv{{"A", "3"}, {"B", "3"}, {"C", "3"}})
	for k, rev := range map[string]uint64{"A": 2, "B": 2, "C": 1} {
		v, err := ix.Get([]byte(k), 0)
		if err != nil || v.Revision != rev {
			t.Errorf("Get(%q) = %s, %v; want revision %d", k, fmtVersion(v), err, rev)
		}
	}
}
