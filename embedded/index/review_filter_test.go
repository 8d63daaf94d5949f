package index

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"testing"
)

// Review tests for the key filter pass of Apply: the filter must never
// call an existing key unseen (that would give it revision 1 again).

// filterApplier applies random txs to an index and the model, with keys
// drawn from a growing set so that updates, new keys and keys repeated in
// several txs of one batch all occur.
type filterApplier struct {
	t    *testing.T
	m    *model
	r    *rand.Rand
	keys []string
	next int
}

func (a *filterApplier) key() string {
	if len(a.keys) == 0 || a.r.IntN(3) == 0 {
		k := fmt.Sprintf("key-%06d", a.next)
		if a.next%3 == 0 {
			k += "\x00" // binary keys too
		}
		a.next++
		a.keys = append(a.keys, k)
		return k
	}
	if a.r.IntN(4) == 0 {
		return a.keys[a.r.IntN(min(len(a.keys), 4))] // a few hot keys
	}
	return a.keys[a.r.IntN(len(a.keys))]
}

// batch applies ntx txs of up to perTx entries as one batch.
func (a *filterApplier) batch(ix *Index, ntx, perTx int) {
	a.t.Helper()
	b := ix.NewBatch()
	defer b.Close()
	for i := 0; i < ntx; i++ {
		tx := a.m.last + 1
		b.Begin(tx)
		seen := map[string]bool{}
		for j := a.r.IntN(perTx + 1); j > 0; j-- {
			k := a.key()
			if seen[k] {
				continue
			}
			seen[k] = true
			p := fmt.Sprintf("%d", tx)
			b.Add([]byte(k), []byte(p))
			a.m.add(tx, k, p)
		}
		a.m.last = tx
	}
	if err := ix.Apply(b); err != nil {
		a.t.Fatalf("Apply up to tx %d: %v", a.m.last, err)
	}
}

// checkLatest compares the latest version of every model key.
func (a *filterApplier) checkLatest(ix *Index, when string) {
	a.t.Helper()
	for k, vs := range a.m.versions {
		got, err := ix.Get([]byte(k), 0)
		if want := vs[len(vs)-1]; err != nil || !sameVersion(got, want) {
			a.t.Fatalf("%s: Get(%q) = %s, %v; want %s", when, k, fmtVersion(got), err, fmtVersion(want))
		}
	}
}

func filterReadyOf(ix *Index) bool {
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	return ix.filterReady
}

// TestFilterKeyRepeatedAcrossTxs: one key in every tx of a batch (and in
// the next batch again) gets consecutive revisions, with the filter ready.
func TestFilterKeyRepeatedAcrossTxs(t *testing.T) {
	ix := openTest(t, t.TempDir())
	defer ix.Close()
	<-ix.buildDone
	if !filterReadyOf(ix) {
		t.Fatal("filter of a new index not ready")
	}
	var txs [][]kv
	for i := 0; i < 6; i++ {
		txs = append(txs, []kv{{"k", fmt.Sprint(i)}, {fmt.Sprintf("n%d", i), "x"}, {"k\x00", fmt.Sprint(i)}})
	}
	applyTxs(t, ix, txs...)
	applyTxs(t, ix, []kv{{"k", "a"}}, []kv{{"z", "1"}}, []kv{{"k", "b"}, {"z", "2"}})
	for k, rev := range map[string]uint64{"k": 8, "k\x00": 6, "n3": 1, "z": 2} {
		v, err := ix.Get([]byte(k), 0)
		if err != nil || v.Revision != rev {
			t.Errorf("Get(%q) = %s, %v; want revision %d", k, fmtVersion(v), err, rev)
		}
	}
	h, err := ix.History([]byte("k"), 0, 0, false, 0)
	if err != nil || len(h) != 8 {
		t.Fatalf("History(k) = %s, %v", fmtVersions(h), err)
	}
	for i, v := range h {
		if v.Revision != uint64(i+1) || v.TxID != [...]uint64{1, 2, 3, 4, 5, 6, 7, 9}[i] {
			t.Fatalf("History(k) = %s", fmtVersions(h))
		}
	}
}

// TestFilterFailedApplies: batches refused by Apply (sticky errors, out of
// order) leave nothing behind that a later good Apply could get wrong.
func TestFilterFailedApplies(t *testing.T) {
	ix := openTest(t, t.TempDir())
	defer ix.Close()
	<-ix.buildDone
	a := &filterApplier{t: t, m: newModel(), r: rand.New(rand.NewPCG(1, 1))}
	a.batch(ix, 3, 5)
	bad := []func(b *Batch){
		func(b *Batch) { b.Begin(a.m.last + 1); b.Add([]byte("fresh-1"), nil); b.Add(nil, nil) },
		func(b *Batch) { b.Begin(a.m.last + 1); b.Add([]byte("fresh-2"), nil); b.Begin(a.m.last + 3) },
		func(b *Batch) { b.Begin(a.m.last + 2); b.Add([]byte("fresh-3"), nil) },
		func(b *Batch) { b.Begin(a.m.last); b.Add([]byte(a.keys[0]), nil) },
		func(b *Batch) {
			b.Begin(a.m.last + 1)
			b.Add([]byte("fresh-4"), nil)
			b.Add([]byte(a.keys[0]), nil)
			b.Add([]byte("fresh-4"), nil) // duplicate in one tx
		},
	}
	for i, build := range bad {
		b := ix.NewBatch()
		build(b)
		if err := ix.Apply(b); err == nil {
			t.Fatalf("bad batch %d applied", i)
		}
		b.Close()
	}
	applyTxs(t, ix, []kv{{"fresh-1", "a"}, {"fresh-2", "a"}, {"fresh-3", "a"}, {"fresh-4", "a"}, {a.keys[0], "a"}})
	a.m.last++
	for _, k := range []string{"fresh-1", "fresh-2", "fresh-3", "fresh-4"} {
		a.m.add(a.m.last, k, "a")
	}
	a.m.add(a.m.last, a.keys[0], "a")
	a.batch(ix, 4, 6)
	a.checkLatest(ix, "after refused batches")
}

// TestFilterOldLayoutFile: a filter saved by the former layout (segments
// growing 2×: 64Ki, 128Ki keys) is loaded, then grows the new way; updates of
// the keys it holds keep counting revisions, before and after reopening.
func TestFilterOldLayoutFile(t *testing.T) {
	dir := t.TempDir()
	ix := openTest(t, dir)
	a := &filterApplier{t: t, m: newModel(), r: rand.New(rand.NewPCG(2, 3))}
	for i := 0; i < 30; i++ {
		a.batch(ix, 4, 20)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	// The old layout: a full first segment and a nearly full second one,
	// each holding some of the keys.
	old := &keyFilter{segs: []*filterSeg{newFilterSeg(filterFirstCap), newFilterSeg(2 * filterFirstCap)}}
	i := 0
	for k := range a.m.versions {
		old.segs[i%2].add(keyHash([]byte(k)))
		i++
	}
	old.segs[0].n = old.segs[0].cap
	old.segs[1].n = old.segs[1].cap - 5
	if err := saveFilter(dir, old, a.m.last); err != nil {
		t.Fatal(err)
	}
	ix = openTest(t, dir)
	if !filterReadyOf(ix) || len(ix.filter.segs) != 2 {
		t.Fatalf("old-layout filter not loaded (ready %v, %d segments)", filterReadyOf(ix), len(ix.filter.segs))
	}
	for i := 0; i < 30; i++ {
		a.batch(ix, 4, 20)
	}
	if n := len(ix.filter.segs); n != 3 || ix.filter.segs[2].cap != 2*filterFirstCap*filterGrowth {
		t.Fatalf("after growth: %d segments", n)
	}
	a.checkLatest(ix, "old layout grown")
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	for round := 0; round < 3; round++ {
		ix = openTest(t, dir)
		if !filterReadyOf(ix) {
			t.Fatal("saved filter not used")
		}
		for i := 0; i < 10; i++ {
			a.batch(ix, 3, 20)
		}
		a.checkLatest(ix, fmt.Sprintf("reopen %d", round))
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFilterRebuildUnderWrites: the background rebuild is released while
// an applier keeps writing (updates of keys the scan will find, new keys,
// keys repeated in one batch); every revision stays right, also after the
// rebuilt filter is saved and loaded again.
func TestFilterRebuildUnderWrites(t *testing.T) {
	dir := t.TempDir()
	ix := openTest(t, dir)
	a := &filterApplier{t: t, m: newModel(), r: rand.New(rand.NewPCG(4, 5))}
	for i := 0; i < 40; i++ {
		a.batch(ix, 5, 30)
	}
	ix = reopenHeld(t, ix, dir)
	for i := 0; i < 10; i++ { // the scan has not started
		a.batch(ix, 3, 20)
	}
	if filterReadyOf(ix) {
		t.Fatal("filter ready before the rebuild ran")
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); close(testBuildGate) }()
	for i := 0; i < 60; i++ { // the rebuild runs and finishes meanwhile
		a.batch(ix, 3, 20)
	}
	wg.Wait()
	<-ix.buildDone
	if !filterReadyOf(ix) {
		t.Fatal("filter not ready after the rebuild")
	}
	for i := 0; i < 30; i++ {
		a.batch(ix, 3, 20)
	}
	a.checkLatest(ix, "after rebuild")
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix = openTest(t, dir)
	defer ix.Close()
	for i := 0; i < 20; i++ {
		a.batch(ix, 3, 20)
	}
	a.checkLatest(ix, "after reopen")
}

// TestFilterFileBadSegmentCap: a filter file with a valid checksum but a
// segment whose capacity does not match its size (0, or absurdly large)
// must not be trusted: a zero capacity made the next add allocate an empty
// segment and panic. It is rebuilt instead, and Apply works.
func TestFilterFileBadSegmentCap(t *testing.T) {
	for _, capKeys := range []uint64{0, 1 << 62} {
		dir := t.TempDir()
		ix := openTest(t, dir)
		applyTxs(t, ix, []kv{{"a", "1"}})
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		f := &keyFilter{segs: []*filterSeg{newFilterSeg(filterFirstCap)}}
		f.segs[0].add(keyHash([]byte("a")))
		f.segs[0].cap, f.segs[0].n = capKeys, capKeys
		if err := os.WriteFile(dir+"/"+filterFileName, f.marshal(1), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := unmarshalFilter(f.marshal(1)); !errors.Is(err, errBadFilter) {
			t.Errorf("cap %d: unmarshalFilter = %v, want errBadFilter", capKeys, err)
		}
		ix = openTest(t, dir)
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("cap %d: Apply panicked: %v", capKeys, r)
				}
			}()
			applyTxs(t, ix, []kv{{"a", "2"}, {"b", "2"}})
		}()
		if v, err := ix.Get([]byte("a"), 0); err != nil || v.Revision != 2 {
			t.Errorf("cap %d: Get(a) = %s, %v", capKeys, fmtVersion(v), err)
		}
		ix.Close()
	}
}

// TestFilterCloseDuringRebuild: Close while the background rebuild scans
// (or right after it) saves no half-built filter; each reopen rebuilds or
// loads a filter that holds every key, over several cycles.
func TestFilterCloseDuringRebuild(t *testing.T) {
	dir := t.TempDir()
	ix := openTest(t, dir)
	a := &filterApplier{t: t, m: newModel(), r: rand.New(rand.NewPCG(8, 9))}
	for i := 0; i < 40; i++ {
		a.batch(ix, 2, 400) // ~16k keys: the scan checks for Close every 4096
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	for cycle := 0; cycle < 4; cycle++ {
		if err := removeFilterFile(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		ix = openTest(t, dir)
		a.batch(ix, 2, 50) // while the scan runs, or just after
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		ix = openTest(t, dir)
		<-ix.buildDone
		a.batch(ix, 3, 50)
		a.checkLatest(ix, fmt.Sprintf("cycle %d", cycle))
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
