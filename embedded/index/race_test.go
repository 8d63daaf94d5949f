package index

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConcurrentReaders: one applier, several readers. Every read at a
// snapshot w <= IndexedUpTo() must match the model at w exactly; reads at
// "latest" must return some version the model has. Run with -race.
func TestConcurrentReaders(t *testing.T) {
	const total = 3000
	m := workloadModel(total)
	ix := openTest(t, t.TempDir())
	defer ix.Close()

	var done atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	fail := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(seed, 3))
			for !done.Load() {
				w := ix.IndexedUpTo()
				k := fmt.Sprintf("k\x00%02d", rnd.IntN(50))
				vis := m.visible(k, w)
				if w == 0 {
					vis = nil // visible(k, 0) means every version
				}
				// atTx 0 means "latest", so a snapshot read needs w >= 1
				// (before tx 1 is applied, tx 1 could land between the
				// IndexedUpTo and the Get: nothing to assert then).
				if w > 0 {
					got, err := ix.Get([]byte(k), w)
					switch {
					case len(vis) == 0 && !errIs(err, ErrKeyNotFound):
						fail(fmt.Errorf("Get(%q, %d) = %v, want not found", k, w, err))
					case len(vis) > 0 && (err != nil || !sameVersion(got, vis[len(vis)-1])):
						fail(fmt.Errorf("Get(%q, %d) = %s, %v; want %s", k, w, fmtVersion(got), err, fmtVersion(vis[len(vis)-1])))
					}
				}
				// Latest: whatever it is, it must be a real version no older than at w.
				if got, err := ix.Get([]byte(k), 0); err == nil {
					all := m.versions[k]
					if got.Revision == 0 || got.Revision > uint64(len(all)) || !sameVersion(got, all[got.Revision-1]) ||
						(len(vis) > 0 && got.Revision < vis[len(vis)-1].Revision) {
						fail(fmt.Errorf("Get(%q, latest) = %s: not a version of the model", k, fmtVersion(got)))
					}
				}
				if w > 0 && rnd.IntN(10) == 0 {
					o := ScanOptions{AtTx: w, Desc: rnd.IntN(2) == 0}
					it, err := ix.Scan(o)
					if err != nil {
						fail(err)
						continue
					}
					var keys []string
					var vers []Version
					for it.Next() {
						keys = append(keys, string(it.Key()))
						v := it.Version()
						v.Payload = slices.Clone(v.Payload)
						vers = append(vers, v)
					}
					if err := it.Close(); err != nil {
						fail(err)
					}
					wk, wv := m.scan(o)
					if !slices.Equal(keys, wk) || !slices.EqualFunc(vers, wv, sameVersion) {
						fail(fmt.Errorf("Scan at %d: got %d keys, want %d", w, len(keys), len(wk)))
					}
					if n, err := ix.Count(nil, w); err != nil || n != uint64(len(wk)) {
						fail(fmt.Errorf("Count at %d = %d, %v; want %d", w, n, err, len(wk)))
					}
				}
				if w > 0 && rnd.IntN(5) == 0 {
					h, err := ix.History([]byte(k), 0, 0, false, w)
					if len(vis) > 0 && (err != nil || !slices.EqualFunc(h, vis, sameVersion)) {
						fail(fmt.Errorf("History(%q, at %d) = %s, %v", k, w, fmtVersions(h), err))
					}
				}
			}
		}(uint64(r))
	}
	rnd := rand.New(rand.NewPCG(9, 9))
	for tx := uint64(1); tx <= total; {
		n := uint64(1 + rnd.IntN(20))
		end := min(tx+n-1, total)
		applyWorkload(t, ix, tx, end, int(n))
		tx = end + 1
	}
	done.Store(true)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
