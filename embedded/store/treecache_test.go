package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

func TestEntryInclusionProof(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(vfs.NewMem())) // the index is on the OS file system
	t.Cleanup(func() { s.Close() })
	for _, n := range []int{1, 3, treeCacheMinEntries, 100} {
		var ents []Entry
		for i := 0; i < n; i++ {
			ents = append(ents, Entry{Key: fmt.Appendf(nil, "k%d-%d", n, i), Value: fmt.Appendf(nil, "v%d", i)})
		}
		hdr, err := s.Commit(context.Background(), TxRequest{Entries: ents})
		if err != nil {
			t.Fatal(err)
		}
		for pass := 0; pass < 2; pass++ { // the second pass is served from the cache
			tx, err := s.ReadTx(hdr.ID, false)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := tx.Digests()
			if err != nil {
				t.Fatal(err)
			}
			for i := range tx.Entries {
				p, err := s.EntryInclusionProof(tx, i)
				if err != nil {
					t.Fatalf("n=%d entry %d: %v", n, i, err)
				}
				if err := proof.VerifyHTreeInclusion(p, ds[i], hdr.Eh); err != nil {
					t.Fatalf("n=%d entry %d: %v", n, i, err)
				}
			}
		}
		if cached := s.trees.get(hdr.ID) != nil; cached != (n >= treeCacheMinEntries) {
			t.Fatalf("n=%d: cached=%v", n, cached)
		}
		// ReadTxForProof gives the tx ReadTx gives, and keeps large ones.
		a, err := s.ReadTxForProof(hdr.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := s.ReadTxForProof(hdr.ID)
		if err != nil {
			t.Fatal(err)
		}
		if same := a == b; same != (n >= treeCacheMinEntries) {
			t.Fatalf("n=%d: second read shared the first: %v", n, same)
		}
		want, err := s.ReadTx(hdr.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if len(b.Entries) != len(want.Entries) || b.Header.ID != want.Header.ID || b.Header.Eh != want.Header.Eh {
			t.Fatalf("n=%d: ReadTxForProof differs from ReadTx", n)
		}
		for i := range want.Entries {
			if string(b.Entries[i].Key) != string(want.Entries[i].Key) || b.Entries[i].HValue != want.Entries[i].HValue {
				t.Fatalf("n=%d: entry %d differs", n, i)
			}
		}
	}
}

// A tx whose entries do not hash to its Eh gets no proof and is not cached.
func TestEntryInclusionProofDamagedTx(t *testing.T) {
	s := openTest(t, t.TempDir(), testOptions(vfs.NewMem())) // the index is on the OS file system
	t.Cleanup(func() { s.Close() })
	var ents []Entry
	for i := 0; i < 2*treeCacheMinEntries; i++ {
		ents = append(ents, Entry{Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")})
	}
	hdr, err := s.Commit(context.Background(), TxRequest{Entries: ents})
	if err != nil {
		t.Fatal(err)
	}
	tx, err := s.ReadTx(hdr.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	tx.Entries[3].HValue[0] ^= 1
	if _, err := s.EntryInclusionProof(tx, 0); !errorsIs(err, ErrCorruptedData) {
		t.Fatalf("damaged tx: %v, want ErrCorruptedData", err)
	}
	if s.trees.get(hdr.ID) != nil {
		t.Fatal("the tree of a damaged tx was cached")
	}
}

func TestTreeCacheBounded(t *testing.T) {
	var c treeCache
	for id := uint64(1); id <= treeCacheSize+5; id++ {
		c.put(id, &proof.HTree{})
	}
	if len(c.trees) != treeCacheSize || c.get(5) != nil || c.get(6) == nil {
		t.Fatalf("%d trees kept; oldest evicted: %v", len(c.trees), c.get(5) == nil)
	}
}
