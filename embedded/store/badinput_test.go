package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/vfs"
)

// TestBadInputDefaults: the default limits (API.md §8) are enforced with
// precise errors, rejected txs leave no trace, and preconditions behave on
// missing keys and future tx ids.
func TestBadInputDefaults(t *testing.T) {
	s := openTest(t, "/s", testOptions(vfs.NewMem()))
	defer s.Close()
	ctx := context.Background()
	key := func(n int) []byte { return bytes.Repeat([]byte("k"), n) }
	many := func(n int, dupAt int) []Entry {
		es := make([]Entry, n)
		for i := range es {
			es[i] = Entry{Key: []byte(fmt.Sprintf("key-%05d", i)), Value: []byte("v")}
		}
		if dupAt > 0 {
			es[dupAt].Key = es[0].Key
		}
		return es
	}
	for _, tc := range []struct {
		name string
		req  TxRequest
		want error
	}{
		{"nil entries", TxRequest{}, ErrNoEntries},
		{"nil key", TxRequest{Entries: []Entry{{Value: []byte("v")}}}, ErrEmptyKey},
		{"key 1025 bytes", TxRequest{Entries: []Entry{{Key: key(1025)}}}, ErrMaxKeyLenExceeded},
		{"value 32 MiB + 1", TxRequest{Entries: []Entry{{Key: key(1), Value: make([]byte, 32<<20+1)}}}, ErrMaxValueLenExceeded},
		{"1025 entries", TxRequest{Entries: many(1025, 0)}, ErrTooManyEntries},
		{"duplicate among many", TxRequest{Entries: many(1024, 1023)}, ErrDuplicatedKey},
		{"precondition empty key", TxRequest{Entries: many(1, 0), Preconditions: []Precondition{{Kind: MustExist}}}, ErrIllegalArguments},
		{"precondition key 1025", TxRequest{Entries: many(1, 0), Preconditions: []Precondition{{Kind: MustNotExist, Key: key(1025)}}}, ErrIllegalArguments},
		{"missing key must exist", TxRequest{Entries: many(1, 0), Preconditions: []Precondition{{Kind: MustExist, Key: []byte("nope")}}}, ErrPreconditionFailed},
	} {
		if _, err := s.Commit(ctx, tc.req); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	if last, _ := s.LastCommitted(); last != 0 {
		t.Fatalf("rejected txs were committed: last %d", last)
	}
	// The limits themselves are accepted.
	if _, err := s.Commit(ctx, TxRequest{Entries: []Entry{{Key: key(1024), Value: make([]byte, 32<<20)}}}); err != nil {
		t.Fatalf("key 1024 bytes, value 32 MiB: %v", err)
	}
	if _, err := s.Commit(ctx, TxRequest{Entries: many(1024, 0)}); err != nil {
		t.Fatalf("1024 entries: %v", err)
	}
	for _, p := range []Precondition{
		{Kind: MustNotExist, Key: []byte("nope")},
		{Kind: NotModifiedAfter, Key: []byte("nope"), TxID: 1},
		{Kind: NotModifiedAfter, Key: []byte("key-00000"), TxID: 1 << 40}, // a future tx
		{Kind: MustExist, Key: key(1024)},
	} {
		if _, err := s.Commit(ctx, TxRequest{Entries: []Entry{{Key: []byte("p"), Value: []byte("v")}}, Preconditions: []Precondition{p}}); err != nil {
			t.Errorf("%v: %v", p, err)
		}
	}
	if _, err := s.Commit(ctx, TxRequest{Entries: []Entry{{Key: []byte("p"), Value: []byte("v")}},
		Preconditions: []Precondition{{Kind: NotModifiedAfter, Key: []byte("key-00000"), TxID: 1}}}); !errors.Is(err, ErrPreconditionFailed) {
		t.Errorf("NotModifiedAfter(key-00000, 1) written by tx 2: %v", err)
	}
	last, _ := s.LastCommitted()
	if last != 6 {
		t.Fatalf("last %d, want 6", last)
	}
	if err := s.VerifyIntegrity(1, last); err != nil {
		t.Fatal(err)
	}
	waitIndexed(t, s)
	// Reads with bad keys and ranges.
	for name, err := range map[string]error{
		"Get empty key":       func() error { _, err := s.Get(nil, 0); return err }(),
		"Get key 1025":        func() error { _, err := s.Get(key(1025), 0); return err }(),
		"History empty key":   func() error { _, err := s.History(nil, 0, 0, false, 0); return err }(),
		"GetRevision too far": func() error { _, err := s.GetRevision([]byte("p"), 99, 0); return err }(),
		"tree range":          func() error { _, err := s.TreeInclusionProof(3, 2); return err }(),
		"tx 0":                func() error { _, err := s.ReadTx(0, true); return err }(),
	} {
		if !errors.Is(err, ErrIllegalArguments) && !errors.Is(err, ErrTxNotFound) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := s.ReadTx(last+1, true); !errors.Is(err, ErrTxNotFound) {
		t.Errorf("ReadTx(future): %v", err)
	}
	if kvs, err := s.Scan(ScanOptions{ScanOptions: index.ScanOptions{Prefix: key(2000)}}); err != nil || len(kvs) != 0 {
		t.Errorf("scan with a long prefix: %v %v", kvs, err)
	}
}

// TestScanValuesOwned: values returned by Scan, Get and History are the
// caller's. Inline values (≤ 64 bytes) come out of index payloads that the
// iterator reuses; with equal-shaped payloads a missing copy makes every
// key of a scan page show the last key's value (the symptom once seen in
// database's user records after a reopen).
func TestScanValuesOwned(t *testing.T) {
	m := vfs.NewMem()
	o := testOptions(m)
	s := openTest(t, "/s", o)
	names := []string{"user:alice", "user:bob", "user:immudb"}
	for i, n := range names {
		set(t, s, n, fmt.Sprintf(`{"v":%d}`, i))
	}
	set(t, s, "user:immudb", `{"v":9}`)
	check := func(s *Store) {
		t.Helper()
		waitIndexed(t, s)
		kvs, err := s.Scan(ScanOptions{ScanOptions: index.ScanOptions{Prefix: []byte("user:")}})
		if err != nil || len(kvs) != 3 {
			t.Fatalf("scan: %d %v", len(kvs), err)
		}
		want := []string{`{"v":0}`, `{"v":1}`, `{"v":9}`}
		for i, kv := range kvs {
			if string(kv.Key) != names[i] || string(kv.Value) != want[i] {
				t.Errorf("scan[%d] = %s=%s, want %s=%s", i, kv.Key, kv.Value, names[i], want[i])
			}
			kv.Value[0] = 'X' // must not show through anywhere else
		}
		h, err := s.History([]byte("user:immudb"), 0, 0, false, 0)
		if err != nil || len(h) != 2 || string(h[0].Value) != `{"v":2}` || string(h[1].Value) != `{"v":9}` {
			t.Fatalf("history: %v %v", h, err)
		}
		if kv, err := s.Get([]byte("user:alice"), 0); err != nil || string(kv.Value) != `{"v":0}` {
			t.Fatalf("get after scan: %v %v", kv, err)
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, "/s", o)
	defer s.Close()
	check(s)
}
