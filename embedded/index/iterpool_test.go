package index

import (
	"fmt"
	"sync"
	"testing"
)

// TestPooledIteratorSeesLaterApply: a Get after an Apply must not be served
// by an idle iterator created before it.
func TestPooledIteratorSeesLaterApply(t *testing.T) {
	ix := openTest(t, t.TempDir())
	defer ix.Close()
	for i := 1; i <= 5; i++ {
		applyTxs(t, ix, []kv{{"a", fmt.Sprint("v", i)}})
		for r := 0; r < 3; r++ { // the second and third reads reuse the pooled iterator
			v, err := ix.Get([]byte("a"), 0)
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprint("v", i); string(v.Payload) != want || v.Revision != uint64(i) {
				t.Fatalf("after apply %d, read %d: got %q rev %d, want %q rev %d", i, r, v.Payload, v.Revision, want, i)
			}
		}
		h, err := ix.History([]byte("a"), 0, 100, false, 0)
		if err != nil || len(h) != i {
			t.Fatalf("history after apply %d: %d versions, %v", i, len(h), err)
		}
	}
}

// TestPooledIteratorsConcurrent: readers that saw IndexedUpTo ≥ n always
// read revision ≥ n of a key written once per tx, while an applier runs.
func TestPooledIteratorsConcurrent(t *testing.T) {
	ix := openTest(t, t.TempDir())
	defer ix.Close()
	applyTxs(t, ix, []kv{{"k", "1"}})
	const txs = 300
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := 0; r < 4; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ix.IndexedUpTo() < txs {
				seen := ix.IndexedUpTo()
				v, err := ix.Get([]byte("k"), 0)
				if err != nil {
					errs <- err
					return
				}
				if v.Revision < seen {
					errs <- fmt.Errorf("read revision %d after IndexedUpTo was %d", v.Revision, seen)
					return
				}
			}
		}()
	}
	for i := 2; i <= txs; i++ {
		applyTxs(t, ix, []kv{{"k", fmt.Sprint(i)}})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// TestReleaseAfterPanicDoesNotPool: an iterator whose read panicked (a
// Pebble failure) is closed, not pooled, and the panic reaches the caller's
// recover; a normal read pools its iterator.
func TestReleaseAfterPanicDoesNotPool(t *testing.T) {
	ix := openTest(t, t.TempDir())
	defer ix.Close()
	applyTxs(t, ix, []kv{{"a", "v"}})
	var got any
	func() {
		defer func() { got = recover() }()
		it, gen, err := ix.points.get(ix.db)
		if err != nil {
			t.Fatal(err)
		}
		defer ix.points.release(it, gen)
		panic("pebble failed")
	}()
	if got != "pebble failed" {
		t.Fatalf("recovered %v", got)
	}
	if n := len(ix.points.idle); n != 0 {
		t.Fatalf("%d iterators pooled after a panicking read", n)
	}
	if _, err := ix.Get([]byte("a"), 0); err != nil {
		t.Fatal(err)
	}
	if n := len(ix.points.idle); n != 1 {
		t.Fatalf("%d iterators pooled after a normal read, want 1", n)
	}
}
