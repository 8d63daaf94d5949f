package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/attestdb/attestdb/proof"
)

// TestIndexTxsAroundBatchLimit: index batches end after at most
// maxIndexBatchEntries entries, but never inside a tx. Txs larger than
// the limit (one of 20,000 entries, and one larger than a log file), txs
// of exactly the limit and one past it, mixed with tiny txs and
// non-indexable entries, are indexed whole: every key has the right
// revision and tx, reads at each tx see exactly the txs up to it, and a
// full rebuild from the log gives the same answers.
func TestIndexTxsAroundBatchLimit(t *testing.T) {
	o := DefaultOptions()
	o.FileSize = 1 << 20
	o.MaxTxEntries = 40000
	dir := t.TempDir()
	s := openTest(t, dir, &o)
	defer func() { s.Close() }()
	ctx := context.Background()

	type ver struct{ tx, rev uint64 }
	model := map[string][]ver{}
	var hidden []string // non-indexable keys
	commit := func(keys []string, valLen int, nonIndexable func(i int) bool) uint64 {
		t.Helper()
		req := TxRequest{Entries: make([]Entry, len(keys))}
		for i, k := range keys {
			req.Entries[i] = Entry{Key: []byte(k), Value: fmt.Appendf(nil, "%s=%0*d", k, valLen, i)}
			if nonIndexable != nil && nonIndexable(i) {
				req.Entries[i].Metadata = proof.KVMetadata{NonIndexable: true}
			}
		}
		h, err := s.Commit(ctx, req)
		if err != nil {
			t.Fatalf("commit of %d entries: %v", len(keys), err)
		}
		for i, k := range keys {
			if nonIndexable != nil && nonIndexable(i) {
				hidden = append(hidden, k)
				continue
			}
			model[k] = append(model[k], ver{h.ID, uint64(len(model[k]) + 1)})
		}
		return h.ID
	}
	keysN := func(prefix string, from, n int) []string {
		ks := make([]string, n)
		for i := range ks {
			ks[i] = fmt.Sprintf("%s%06d", prefix, from+i)
		}
		return ks
	}
	limit := maxIndexBatchEntries
	commit([]string{"tiny", "big000000"}, 4, nil)                                // 1
	commit(keysN("big", 0, 20000), 8, nil)                                       // 2: > limit
	commit([]string{"tiny"}, 4, nil)                                             // 3
	commit(keysN("lim", 0, limit), 4, nil)                                       // 4: exactly the limit
	commit(keysN("lim", 0, limit+1), 4, nil)                                     // 5: one past it
	commit(keysN("pre", 0, limit-1), 4, nil)                                     // 6: one short...
	commit([]string{"tiny", "pre000000", "pre999999"}, 4, nil)                   // 7: ...then 3 more
	commit(keysN("big", 10000, 20000), 40, func(i int) bool { return i%7 == 0 }) // 8: > one log file, some hidden
	for i := 0; i < 50; i++ {
		commit([]string{"tiny", fmt.Sprintf("t%03d", i)}, 4, nil)
	}
	last := commit(keysN("big", 0, 30000), 4, nil)

	check := func(when string) {
		t.Helper()
		if err := s.WaitForIndexedUpTo(ctx, last); err != nil {
			t.Fatalf("%s: %v", when, err)
		}
		n := 0
		for k, vs := range model {
			// All keys of the small ones, every 97th of the large ones.
			if n++; len(vs) > 1 && n%97 != 0 && k != "tiny" && k != "pre999999" {
				continue
			}
			kv, err := s.Get([]byte(k), 0)
			if want := vs[len(vs)-1]; err != nil || kv.TxID != want.tx || kv.Revision != want.rev {
				t.Fatalf("%s: Get(%s) = %+v, %v; want tx %d rev %d", when, k, kv, err, want.tx, want.rev)
			}
			h, err := s.History([]byte(k), 0, 0, false, 0)
			if err != nil || len(h) != len(vs) {
				t.Fatalf("%s: History(%s) has %d versions, %v; want %d", when, k, len(h), err, len(vs))
			}
			for i, v := range vs {
				if h[i].TxID != v.tx || h[i].Revision != v.rev {
					t.Fatalf("%s: History(%s)[%d] = tx %d rev %d; want tx %d rev %d", when, k, i, h[i].TxID, h[i].Revision, v.tx, v.rev)
				}
			}
			// Reads at the tx before the latest version see the one before.
			if len(vs) > 1 {
				prev := vs[len(vs)-2]
				kv, err := s.Get([]byte(k), vs[len(vs)-1].tx-1)
				if err != nil || kv.TxID != prev.tx || kv.Revision != prev.rev {
					t.Fatalf("%s: Get(%s, at %d) = %+v, %v; want tx %d", when, k, vs[len(vs)-1].tx-1, kv, err, prev.tx)
				}
			}
		}
		for _, k := range hidden[:min(len(hidden), 300)] {
			vs := model[k]
			kv, err := s.Get([]byte(k), 0)
			if len(vs) == 0 {
				if !errorsIs(err, ErrKeyNotFound) {
					t.Fatalf("%s: Get(%s) = %+v, %v; want not found (only a non-indexable write)", when, k, kv, err)
				}
			} else if err != nil || kv.TxID != vs[len(vs)-1].tx {
				t.Fatalf("%s: Get(%s) = %+v, %v; a non-indexable write must not show", when, k, kv, err)
			}
		}
		// Counts at each tx around the large ones, from the model.
		for _, prefix := range []string{"big", "lim", "pre", "t"} {
			for _, at := range []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, last - 1} {
				var want uint64
				for k, vs := range model {
					if strings.HasPrefix(k, prefix) && (at == 0 || vs[0].tx <= at) {
						want++
					}
				}
				if n, err := s.Count([]byte(prefix), at); err != nil || n != want {
					t.Fatalf("%s: Count(%s, %d) = %d, %v; want %d", when, prefix, at, n, err, want)
				}
			}
		}
		// A scan page across the boundary of txs 2 and 8.
		got, err := s.Scan(ScanOptions{Offset: 9995, Limit: 10})
		if err != nil || len(got) != 10 {
			t.Fatalf("%s: Scan page: %d, %v", when, len(got), err)
		}
		for i, kv := range got {
			if k := fmt.Sprintf("big%06d", 9995+i); string(kv.Key) != k {
				t.Fatalf("%s: Scan page[%d] = %s, want %s", when, i, kv.Key, k)
			}
		}
	}
	check("live")

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, &o)
	check("reopened")
	if err := s.RebuildIndex(nil); err != nil {
		t.Fatal(err)
	}
	check("rebuilt")
}

// TestWaitForIndexedAcrossBigTxs: readers waiting for each tx (the sinceTx
// of the API) while big and tiny txs are committed and indexed in batches
// that end at the entry limit: once the wait returns, the tx's first and
// last keys are readable with its tx id, never a partial tx.
func TestWaitForIndexedAcrossBigTxs(t *testing.T) {
	o := DefaultOptions()
	o.FileSize = 4 << 20
	o.MaxTxEntries = 40000
	s := openTest(t, t.TempDir(), &o)
	defer s.Close()
	ctx := context.Background()
	sizes := []int{1, 20000, 3, maxIndexBatchEntries, 1, maxIndexBatchEntries + 1, 2, 9000, 9000, 1, 25000}
	type txKeys struct {
		id          uint64
		first, last string
	}
	done := make(chan txKeys, len(sizes))
	errc := make(chan error, 1)
	go func() {
		defer close(done)
		for i, n := range sizes {
			req := TxRequest{Entries: make([]Entry, n)}
			for j := range req.Entries {
				req.Entries[j] = Entry{Key: fmt.Appendf(nil, "tx%02d-%06d", i, j), Value: []byte("v")}
			}
			h, err := s.Commit(ctx, req)
			if err != nil {
				errc <- err
				return
			}
			done <- txKeys{h.ID, fmt.Sprintf("tx%02d-%06d", i, 0), fmt.Sprintf("tx%02d-%06d", i, n-1)}
		}
	}()
	for tk := range done {
		wctx, cancel := context.WithTimeout(ctx, time.Minute)
		err := s.WaitForIndexedUpTo(wctx, tk.id)
		cancel()
		if err != nil {
			t.Fatalf("wait for tx %d: %v", tk.id, err)
		}
		for _, k := range []string{tk.first, tk.last} {
			kv, err := s.Get([]byte(k), 0)
			if err != nil || kv.TxID != tk.id || kv.Revision != 1 {
				t.Fatalf("after waiting for tx %d: Get(%s) = %+v, %v", tk.id, k, kv, err)
			}
		}
	}
	select {
	case err := <-errc:
		t.Fatal(err)
	default:
	}
}
