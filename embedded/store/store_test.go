package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

func set(t testing.TB, s *Store, kvs ...string) *proof.TxHeader {
	t.Helper()
	var req TxRequest
	for i := 0; i < len(kvs); i += 2 {
		req.Entries = append(req.Entries, Entry{Key: []byte(kvs[i]), Value: []byte(kvs[i+1])})
	}
	h, err := s.Commit(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func waitIndexed(t testing.TB, s *Store) {
	t.Helper()
	id, _ := s.LastCommitted()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.WaitForIndexedUpTo(ctx, id); err != nil {
		t.Fatal(err)
	}
}

func TestCommitValidation(t *testing.T) {
	o := testOptions(vfs.NewMem())
	o.DisableIndex = true
	o.MaxTxEntries = 4
	o.MaxKeyLen = 8
	o.MaxValueLen = 16
	s := openTest(t, "/s", o)
	defer s.Close()
	ctx := context.Background()
	e := func(k, v string) Entry { return Entry{Key: []byte(k), Value: []byte(v)} }
	for _, tc := range []struct {
		name string
		req  TxRequest
		want error
	}{
		{"no entries", TxRequest{}, ErrNoEntries},
		{"too many", TxRequest{Entries: []Entry{e("a", ""), e("b", ""), e("c", ""), e("d", ""), e("e", "")}}, ErrTooManyEntries},
		{"empty key", TxRequest{Entries: []Entry{e("", "v")}}, ErrEmptyKey},
		{"long key", TxRequest{Entries: []Entry{e("123456789", "v")}}, ErrMaxKeyLenExceeded},
		{"long value", TxRequest{Entries: []Entry{e("k", strings.Repeat("v", 17))}}, ErrMaxValueLenExceeded},
		{"duplicate", TxRequest{Entries: []Entry{e("k", "1"), e("k", "2")}}, ErrDuplicatedKey},
		{"extra too long", TxRequest{Entries: []Entry{e("k", "1")}, Metadata: proof.TxMetadata{Extra: make([]byte, 300)}}, ErrIllegalArguments},
		{"bad precondition", TxRequest{Entries: []Entry{e("k", "1")}, Preconditions: []Precondition{{Kind: 9, Key: []byte("k")}}}, ErrIllegalArguments},
	} {
		if _, err := s.Commit(ctx, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.name, err, tc.want)
		}
	}
	if _, err := s.CommitMetadataOnly(ctx, proof.TxMetadata{}); !errors.Is(err, ErrIllegalArguments) {
		t.Errorf("empty metadata-only tx: %v", err)
	}
	if id, _ := s.LastCommitted(); id != 0 {
		t.Fatalf("rejected txs were committed: last %d", id)
	}
	if _, err := s.Get([]byte("k"), 0); !errors.Is(err, ErrIndexDisabled) {
		t.Fatalf("Get without index: %v", err)
	}
	if ErrMaxKeyLenExceeded.Error() != "max key length exceeded" || ErrDuplicatedKey.Error() != "duplicated keys are not supported in single batch transaction" {
		t.Fatal("error messages must match immudb's")
	}
	s.Close()
	if _, err := s.Commit(ctx, TxRequest{Entries: []Entry{e("k", "v")}}); !errors.Is(err, ErrClosed) {
		t.Fatalf("commit after close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
}

func TestHeaderV0(t *testing.T) {
	o := testOptions(vfs.NewMem())
	o.DisableIndex = true
	o.HeaderVersion = proof.TxHeaderV0
	s := openTest(t, "/s", o)
	defer s.Close()
	h := set(t, s, "a", "1", "b", "2")
	if h.Version != 0 {
		t.Fatalf("version %d", h.Version)
	}
	_, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte("x"), Metadata: proof.KVMetadata{Deleted: true}}}})
	if !errors.Is(err, ErrIllegalArguments) {
		t.Fatalf("v0 with KV metadata: %v", err)
	}
	if err := s.VerifyIntegrity(1, 1); err != nil {
		t.Fatal(err)
	}
}

func TestKeyReads(t *testing.T) {
	clk := &clockAt{ts: 1000}
	o := DefaultOptions()
	o.Clock = clk.now
	o.FileSize = 1 << 20
	dir := t.TempDir()
	s := openTest(t, dir, &o)
	ctx := context.Background()
	set(t, s, "a", "a1", "b", "b1")                     // tx 1
	set(t, s, "a", "a2")                                // tx 2
	_, err := s.Commit(ctx, TxRequest{Entries: []Entry{ // tx 3
		{Key: []byte("b"), Metadata: proof.KVMetadata{Deleted: true}},
		{Key: []byte("c"), Value: []byte("c1"), Metadata: proof.KVMetadata{HasExpiry: true, ExpiresAt: 1500}},
		{Key: []byte("d"), Value: []byte("d1"), Metadata: proof.KVMetadata{NonIndexable: true}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	set(t, s, "ab", "ab1") // tx 4
	waitIndexed(t, s)

	get := func(key string, atTx uint64) (string, error) {
		kv, err := s.Get([]byte(key), atTx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s@%d/%d", kv.Value, kv.TxID, kv.Revision), nil
	}
	for _, tc := range []struct {
		key  string
		at   uint64
		want string
		err  error
	}{
		{"a", 0, "a2@2/2", nil},
		{"a", 1, "a1@1/1", nil},
		{"b", 0, "", ErrKeyNotFound}, // deleted
		{"b", 2, "b1@1/1", nil},
		{"c", 0, "c1@3/1", nil},      // not expired yet
		{"d", 0, "", ErrKeyNotFound}, // non-indexable
		{"zz", 0, "", ErrKeyNotFound},
	} {
		got, err := get(tc.key, tc.at)
		if got != tc.want || !errors.Is(err, tc.err) {
			t.Errorf("Get(%s, %d) = %q, %v; want %q, %v", tc.key, tc.at, got, err, tc.want, tc.err)
		}
	}
	tx3, err := s.TxByID(3)
	if err != nil || string(tx3.Entries[2].Value) != "d1" || !tx3.Entries[2].Metadata.NonIndexable {
		t.Fatalf("non-indexable entry by tx: %+v %v", tx3, err)
	}
	if kv, err := s.GetRevision([]byte("a"), 1, 0); err != nil || string(kv.Value) != "a1" {
		t.Fatalf("GetRevision(a, 1): %v %v", kv, err)
	}
	if kv, err := s.GetRevision([]byte("a"), -1, 0); err != nil || string(kv.Value) != "a1" {
		t.Fatalf("GetRevision(a, -1): %v %v", kv, err)
	}
	if _, err := s.GetRevision([]byte("a"), 3, 0); !errors.Is(err, ErrIllegalArguments) {
		t.Fatalf("GetRevision(a, 3): %v", err)
	}
	hist, err := s.History([]byte("b"), 0, 0, false, 0)
	if err != nil || len(hist) != 2 || string(hist[0].Value) != "b1" || !hist[1].Metadata.Deleted {
		t.Fatalf("History(b): %v %v", hist, err)
	}
	scan := func(o ScanOptions) string {
		kvs, err := s.Scan(o)
		if err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, kv := range kvs {
			parts = append(parts, string(kv.Key)+"="+string(kv.Value))
		}
		return strings.Join(parts, ",")
	}
	if got := scan(ScanOptions{}); got != "a=a2,ab=ab1,c=c1" {
		t.Fatalf("scan all: %s", got)
	}
	if got := scan(ScanOptions{ScanOptions: index.ScanOptions{Prefix: []byte("a"), Desc: true}}); got != "ab=ab1,a=a2" {
		t.Fatalf("scan a desc: %s", got)
	}
	if got := scan(ScanOptions{Offset: 1, Limit: 1}); got != "ab=ab1" {
		t.Fatalf("scan offset/limit: %s", got)
	}
	if n, err := s.Count(nil, 0); err != nil || n != 3 {
		t.Fatalf("count %d %v", n, err)
	}
	clk.ts = 1500 // c expires
	if _, err := s.Get([]byte("c"), 0); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("expired: %v", err)
	}
	if got := scan(ScanOptions{}); got != "a=a2,ab=ab1" {
		t.Fatalf("scan after expiry: %s", got)
	}

	// Preconditions.
	pc := func(p ...Precondition) error {
		_, err := s.Commit(ctx, TxRequest{Entries: []Entry{{Key: []byte("p"), Value: []byte("v")}}, Preconditions: p})
		return err
	}
	if err := pc(Precondition{Kind: MustExist, Key: []byte("b")}); !errors.Is(err, ErrPreconditionFailed) || !strings.HasPrefix(err.Error(), "precondition failed") {
		t.Fatalf("MustExist(deleted b): %v", err)
	}
	if err := pc(Precondition{Kind: MustNotExist, Key: []byte("a")}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("MustNotExist(a): %v", err)
	}
	if err := pc(Precondition{Kind: NotModifiedAfter, Key: []byte("a"), TxID: 1}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("NotModifiedAfter(a, 1): %v", err)
	}
	if err := pc(Precondition{Kind: MustExist, Key: []byte("a")}, Precondition{Kind: MustNotExist, Key: []byte("b")},
		Precondition{Kind: NotModifiedAfter, Key: []byte("a"), TxID: 2}); err != nil {
		t.Fatalf("satisfied preconditions: %v", err)
	}
	// The previous tx (not yet indexed when the next one is checked) counts.
	if err := pc(Precondition{Kind: MustNotExist, Key: []byte("p")}); !errors.Is(err, ErrPreconditionFailed) {
		t.Fatalf("MustNotExist(p) right after p was written: %v", err)
	}

	// Rebuild the index and read again.
	var last uint64
	if err := s.RebuildIndex(func(done, total uint64) { last = done }); err != nil {
		t.Fatal(err)
	}
	if id, _ := s.LastCommitted(); last != id {
		t.Fatalf("rebuild progress ended at %d of %d", last, id)
	}
	if got, err := get("a", 0); got != "a2@2/2" || err != nil {
		t.Fatalf("after rebuild: %s %v", got, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir, &o)
	defer s.Close()
	waitIndexed(t, s)
	if got, err := get("p", 0); got != "v@5/1" || err != nil {
		t.Fatalf("after reopen: %s %v", got, err)
	}
	wctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	if err := s.WaitForIndexedUpTo(wctx, 99); !errors.Is(err, ErrIllegalArguments) {
		t.Fatalf("wait beyond committed: %v", err)
	}
}

func TestConcurrentCommitAndRead(t *testing.T) {
	for _, synced := range []bool{true, false} {
		t.Run(fmt.Sprintf("synced=%v", synced), func(t *testing.T) {
			o := DefaultOptions()
			o.FileSize = 256 << 10
			o.Synced = synced
			o.CheckpointInterval = 5 * time.Millisecond
			dir := t.TempDir()
			s := openTest(t, dir, &o)
			const writers, perWriter = 16, 60
			var wg sync.WaitGroup
			errs := make(chan error, writers*2)
			stop := make(chan struct{})
			for w := 0; w < writers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := 0; i < perWriter; i++ {
						k := fmt.Sprintf("w%02d-%03d", w, i)
						h, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte(k), Value: []byte(k)}, {Key: []byte(fmt.Sprintf("last-%02d", w)), Value: []byte(k)}}})
						if err != nil {
							errs <- err
							return
						}
						if tx, err := s.TxByID(h.ID); err != nil || string(tx.Entries[0].Key) != k {
							errs <- fmt.Errorf("read back tx %d: %v", h.ID, err)
							return
						}
					}
				}(w)
			}
			var rg sync.WaitGroup
			for r := 0; r < 4; r++ {
				rg.Add(1)
				go func() {
					defer rg.Done()
					for {
						select {
						case <-stop:
							return
						default:
						}
						id, _ := s.LastCommitted()
						if id < 2 {
							continue
						}
						src, err := s.Header(id / 2)
						if err != nil {
							errs <- err
							return
						}
						dst, err := s.Header(id)
						if err != nil {
							errs <- err
							return
						}
						p, err := s.DualProof(src, dst)
						if err != nil {
							errs <- err
							return
						}
						a, _ := s.Alh(src.ID)
						b, _ := s.Alh(dst.ID)
						if err := proof.VerifyDualProof(p, src.ID, dst.ID, a, b); err != nil {
							errs <- err
							return
						}
						s.Get([]byte("last-00"), 0)
					}
				}()
			}
			wg.Wait()
			close(stop)
			rg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			id, _ := s.LastCommitted()
			if id != writers*perWriter {
				t.Fatalf("last %d", id)
			}
			if err := s.VerifyIntegrity(1, id); err != nil {
				t.Fatal(err)
			}
			waitIndexed(t, s)
			if n, err := s.Count([]byte("w"), 0); err != nil || n != writers*perWriter {
				t.Fatalf("count %d %v", n, err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openTest(t, dir, &o)
			defer s.Close()
			if id2, _ := s.LastCommitted(); id2 != id {
				t.Fatalf("reopened at %d, want %d", id2, id)
			}
			if err := s.VerifyIntegrity(1, id); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestWaitForIndexTimeout(t *testing.T) {
	o := DefaultOptions()
	o.FileSize = 1 << 20
	s := openTest(t, t.TempDir(), &o)
	defer s.Close()
	s.idxRunMu.Lock() // hold the indexer back
	h := set(t, s, "k", "v")
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	err := s.WaitForIndexedUpTo(ctx, h.ID)
	cancel()
	if !errors.Is(err, ErrIndexTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait with a stalled indexer: %v", err)
	}
	s.idxRunMu.Unlock()
	select {
	case s.idxNotify <- struct{}{}:
	default:
	}
	waitIndexed(t, s)
	if kv, err := s.Get([]byte("k"), 0); err != nil || string(kv.Value) != "v" {
		t.Fatalf("get: %v %v", kv, err)
	}
}

func TestAsyncSync(t *testing.T) {
	m := vfs.NewMem()
	o := testOptions(m)
	o.Synced = false
	o.SyncInterval = time.Hour // only Sync makes it durable
	o.CheckpointInterval = time.Hour
	o.DisableIndex = true
	s := openTest(t, "/s", o)
	defer s.Close()
	set(t, s, "a", "1")
	if last, _ := s.LastCommitted(); last != 1 {
		t.Fatalf("last %d", last)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	set(t, s, "b", "2") // acknowledged, not synced
	c := m.CrashClone(nil)
	cs := openTest(t, "/s", crashOptions(c))
	defer cs.Close()
	if last, _ := cs.LastCommitted(); last != 1 {
		t.Fatalf("after a crash the synced tx only must be there: last %d", last)
	}
}
