package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/attestdb/attestdb/proof"
)

// exportVectors are the exportedTx values of tx_chain.json by tx id.
func exportVectors(t testing.TB) map[uint64][]byte {
	t.Helper()
	var f struct {
		Txs []struct {
			ID         uint64   `json:"id"`
			ExportedTx hexBytes `json:"exportedTx"`
		} `json:"txs"`
	}
	loadJSON(t, "tx_chain.json", &f)
	out := map[uint64][]byte{}
	for _, x := range f.Txs {
		if len(x.ExportedTx) > 0 {
			out[x.ID] = x.ExportedTx
		}
	}
	if len(out) == 0 {
		t.Fatal("no exportedTx vectors")
	}
	return out
}

func chainStore(t *testing.T) *Store {
	t.Helper()
	txs := loadChain(t)
	clk := &clockAt{}
	o := DefaultOptions()
	o.Clock = clk.now
	s := openTest(t, t.TempDir(), &o)
	t.Cleanup(func() { _ = s.Close() })
	commitChain(t, s, clk, txs)
	return s
}

// TestExportMatchesVectors: our export is immudb's, byte for byte, and
// decodes back to the same header.
func TestExportMatchesVectors(t *testing.T) {
	s := chainStore(t)
	for id, want := range exportVectors(t) {
		got, err := s.ExportTx(id)
		if err != nil {
			t.Fatalf("ExportTx(%d): %v", id, err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("tx %d export\n got %x\nwant %x", id, got, want)
		}
		x, err := DecodeExportedTx(got)
		if err != nil {
			t.Fatalf("decode tx %d: %v", id, err)
		}
		h, _ := s.Header(id)
		if !bytes.Equal(mustBytes(t, x.Header), mustBytes(t, h)) || len(x.Entries) != h.NEntries || x.Truncated {
			t.Fatalf("tx %d decoded %+v", id, x.Header)
		}
	}
}

func mustBytes(t testing.TB, h *proof.TxHeader) []byte {
	b, err := h.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestReplicateChain replays the 23 vector txs (KV metadata, tx metadata,
// a metadata-only truncation tx, several timestamps) into an empty store
// whose clock is elsewhere: every Alh must equal the source's, also after
// a reopen.
func TestReplicateChain(t *testing.T) {
	src := chainStore(t)
	o := DefaultOptions()
	o.Clock = func() int64 { return 1 } // must not leak into replicated headers
	dir := t.TempDir()
	dst := openTest(t, dir, &o)
	ctx := context.Background()
	for id := uint64(1); id <= 23; id++ {
		b, err := src.ExportTx(id)
		if err != nil {
			t.Fatal(err)
		}
		x, err := DecodeExportedTx(b)
		if err != nil {
			t.Fatalf("decode %d: %v", id, err)
		}
		h, err := dst.ReplicateTx(ctx, x)
		if err != nil {
			t.Fatalf("replicate %d: %v", id, err)
		}
		got, _ := h.Alh()
		want, _ := src.Alh(id)
		if got != want {
			t.Fatalf("tx %d alh %x, source %x", id, got, want)
		}
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	dst = openTest(t, dir, &o)
	defer dst.Close()
	for id := uint64(1); id <= 23; id++ {
		a, _ := dst.Alh(id)
		b, _ := src.Alh(id)
		if a != b {
			t.Fatalf("after reopen tx %d alh differs", id)
		}
	}
	if err := dst.VerifyIntegrity(1, 23); err != nil {
		t.Fatal(err)
	}
}

// TestReplicateRefused: wrong id, wrong history, altered content and
// version are refused with precise errors, and the store keeps working.
func TestReplicateRefused(t *testing.T) {
	src := chainStore(t)
	dir := t.TempDir()
	dst := openTest(t, dir, nil)
	defer func() { _ = dst.Close() }()
	ctx := context.Background()
	export := func(id uint64) *ExportedTx {
		b, err := src.ExportTx(id)
		if err != nil {
			t.Fatal(err)
		}
		x, err := DecodeExportedTx(b)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	if _, err := dst.ReplicateTx(ctx, export(2)); !errors.Is(err, ErrUnexpectedTxID) {
		t.Fatalf("tx 2 first: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(x *ExportedTx)
		want   error
	}{
		{"prevAlh", func(x *ExportedTx) { x.Header.PrevAlh[0] ^= 1 }, ErrReplicaMismatch},
		{"value", func(x *ExportedTx) { x.Entries[0].Value = []byte("tampered") }, ErrReplicaMismatch},
		{"eh", func(x *ExportedTx) { x.Header.Eh[3] ^= 1 }, ErrReplicaMismatch},
		{"blRoot", func(x *ExportedTx) { x.Header.BlRoot[0] ^= 1 }, ErrReplicaMismatch},
		{"version", func(x *ExportedTx) { x.Header.Version = proof.TxHeaderV0 }, ErrReplicaMismatch},
		{"entries", func(x *ExportedTx) { x.Entries = x.Entries[:0] }, ErrReplicaMismatch},
		{"truncated", func(x *ExportedTx) { x.Truncated = true }, ErrIllegalArguments},
	}
	for _, tc := range tests {
		x := export(1)
		tc.mutate(x)
		if _, err := dst.ReplicateTx(ctx, x); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
		if id, _ := dst.LastCommitted(); id != 0 {
			t.Fatalf("%s: a refused tx was committed", tc.name)
		}
	}
	for id := uint64(1); id <= 3; id++ {
		if _, err := dst.ReplicateTx(ctx, export(id)); err != nil {
			t.Fatalf("replicate %d after refusals: %v", id, err)
		}
	}
	if _, err := dst.ReplicateTx(ctx, export(3)); !errors.Is(err, ErrUnexpectedTxID) {
		t.Fatalf("tx 3 twice: %v", err)
	}
	a, _ := dst.Alh(3)
	b, _ := src.Alh(3)
	if a != b {
		t.Fatal("alh differs after refusals")
	}
	// The refusals left nothing behind on disk either.
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	dst = openTest(t, dir, nil)
	if id, alh := dst.LastCommitted(); id != 3 || alh != b {
		t.Fatalf("after reopen: tx %d", id)
	}
	if err := dst.VerifyIntegrity(1, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := dst.ReplicateTx(ctx, export(4)); err != nil {
		t.Fatalf("replicate 4 after reopen: %v", err)
	}
}

func TestDecodeExportedTxRejects(t *testing.T) {
	good := exportVectors(t)[3]
	cases := map[string][]byte{
		"empty":          nil,
		"header length":  {0xff, 0xff, 0xff, 0xff},
		"cut in entries": good[:len(good)-10],
		"no trailer":     good[:len(good)-3],
		"extra byte":     append(bytes.Clone(good), 0),
		"bad flag":       append(bytes.Clone(good[:len(good)-1]), 7),
	}
	for name, b := range cases {
		if _, err := DecodeExportedTx(b); !errors.Is(err, ErrMalformedExport) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzDecodeExportedTx: any input decodes or fails with ErrMalformedExport,
// and what decodes encodes back to the same entries.
func FuzzDecodeExportedTx(f *testing.F) {
	for _, b := range exportVectors(f) {
		f.Add(b)
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := DecodeExportedTx(b)
		if err != nil {
			if !errors.Is(err, ErrMalformedExport) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if len(x.Entries) != x.Header.NEntries {
			t.Fatalf("%d entries, header says %d", len(x.Entries), x.Header.NEntries)
		}
	})
}
