package index

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// randKey draws from a small alphabet with 0x00 and 0xFF so that keys share
// prefixes, contain the escape byte, and repeat (many versions per key).
func randKey(r *rand.Rand) string {
	const alphabet = "\x00ab\xff"
	if r.IntN(4) == 0 {
		return "hot" // one key with many versions: exercises the binary searches
	}
	n := 1 + r.IntN(3)
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// TestModel applies random batches and compares every read with the model,
// reopening the index now and then.
func TestModel(t *testing.T) {
	seed := uint64(1)
	r := rand.New(rand.NewPCG(seed, 2))
	dir := t.TempDir()
	ix := openTest(t, dir)
	defer func() { ix.Close() }()
	m := newModel()
	steps := 150
	if testing.Short() || raceEnabled {
		steps = 40
	}
	for step := 0; step < steps; step++ {
		// A batch of 1..5 txs of 0..6 entries (distinct keys within a tx).
		b := ix.NewBatch()
		ntx := 1 + r.IntN(5)
		for i := 0; i < ntx; i++ {
			tx := m.last + 1
			b.Begin(tx)
			seen := map[string]bool{}
			for j := r.IntN(7); j > 0; j-- {
				k := randKey(r)
				if seen[k] {
					continue
				}
				seen[k] = true
				p := fmt.Sprintf("%x@%d", k, tx)
				b.Add([]byte(k), []byte(p))
				m.add(tx, k, p)
			}
			m.last = tx
		}
		if err := ix.Apply(b); err != nil {
			t.Fatalf("step %d: Apply: %v", step, err)
		}
		b.Close()
		if ix.IndexedUpTo() != m.last {
			t.Fatalf("IndexedUpTo %d, want %d", ix.IndexedUpTo(), m.last)
		}
		switch r.IntN(20) {
		case 0:
			if err := ix.Close(); err != nil {
				t.Fatal(err)
			}
			ix = openTest(t, dir)
		case 1:
			if err := ix.Flush(); err != nil {
				t.Fatal(err)
			}
		case 2:
			if err := ix.Compact(); err != nil {
				t.Fatal(err)
			}
		}
		checkReads(t, ix, m, r, 30)
	}
	t.Logf("%d txs, %d keys, %d versions of \"hot\"", m.last, len(m.versions), len(m.versions["hot"]))
}

// checkReads compares n random reads of each kind with the model.
func checkReads(t *testing.T, ix *Index, m *model, r *rand.Rand, n int) {
	t.Helper()
	randAt := func() uint64 {
		if r.IntN(3) == 0 {
			return 0
		}
		return r.Uint64N(m.last + 2)
	}
	for i := 0; i < n; i++ {
		k := randKey(r)
		at := randAt()
		vis := m.visible(k, at)

		got, err := ix.Get([]byte(k), at)
		if len(vis) == 0 {
			if !errIs(err, ErrKeyNotFound) {
				t.Fatalf("Get(%q, %d) = %s, %v; want not found", k, at, fmtVersion(got), err)
			}
		} else if err != nil || !sameVersion(got, vis[len(vis)-1]) {
			t.Fatalf("Get(%q, %d) = %s, %v; want %s", k, at, fmtVersion(got), err, fmtVersion(vis[len(vis)-1]))
		}

		rev := int64(r.IntN(2*len(vis)+3)) - int64(len(vis)) - 1
		got, err = ix.GetRevision([]byte(k), rev, at)
		var want *Version
		switch {
		case len(vis) == 0:
		case rev == 0:
			want = &vis[len(vis)-1]
		case rev > 0 && int(rev) <= len(vis):
			want = &vis[rev-1]
		case rev < 0 && int(-rev) < len(vis):
			want = &vis[len(vis)-1+int(rev)]
		}
		switch {
		case len(vis) == 0:
			if !errIs(err, ErrKeyNotFound) {
				t.Fatalf("GetRevision(%q, %d, %d) = %v; want not found", k, rev, at, err)
			}
		case want == nil:
			if !errIs(err, ErrInvalidRevision) {
				t.Fatalf("GetRevision(%q, %d, %d) = %s, %v; want invalid revision", k, rev, at, fmtVersion(got), err)
			}
		case err != nil || !sameVersion(got, *want):
			t.Fatalf("GetRevision(%q, %d, %d) = %s, %v; want %s", k, rev, at, fmtVersion(got), err, fmtVersion(*want))
		}

		off, lim, desc := uint64(r.IntN(len(vis)+2)), r.IntN(5)-1, r.IntN(2) == 0
		hist, err := ix.History([]byte(k), off, lim, desc, at)
		if len(vis) == 0 {
			if !errIs(err, ErrKeyNotFound) {
				t.Fatalf("History(%q, at %d) = %v; want not found", k, at, err)
			}
		} else {
			w := slices.Clone(vis)
			if desc {
				slices.Reverse(w)
			}
			w = w[min(int(off), len(w)):]
			if lim > 0 && lim < len(w) {
				w = w[:lim]
			}
			if err != nil || !slices.EqualFunc(hist, w, sameVersion) {
				t.Fatalf("History(%q, off %d, lim %d, desc %v, at %d) = %s, %v; want %s", k, off, lim, desc, at, fmtVersions(hist), err, fmtVersions(w))
			}
		}

		o := ScanOptions{AtTx: at, Desc: r.IntN(2) == 0, InclusiveSeek: r.IntN(2) == 0, InclusiveEnd: r.IntN(2) == 0}
		if r.IntN(2) == 0 {
			o.Prefix = []byte(randKey(r)[:1])
		}
		if r.IntN(2) == 0 {
			o.SeekKey = []byte(randKey(r))
		}
		if r.IntN(2) == 0 {
			o.EndKey = []byte(randKey(r))
		}
		keys, vers := collect(t, ix, o)
		wk, wv := m.scan(o)
		if !slices.Equal(keys, wk) || !slices.EqualFunc(vers, wv, sameVersion) {
			t.Fatalf("Scan(%s) = %q %s; want %q %s", fmtScan(o), keys, fmtVersions(vers), wk, fmtVersions(wv))
		}

		cnt, err := ix.Count(o.Prefix, at)
		if wc := m.count(string(o.Prefix), at); err != nil || cnt != wc {
			t.Fatalf("Count(%q, %d) = %d, %v; want %d", o.Prefix, at, cnt, err, wc)
		}
	}
}
