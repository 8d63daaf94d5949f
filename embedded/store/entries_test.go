package store

import (
	"context"
	"fmt"
	"testing"

	"github.com/attestdb/attestdb/embedded/vfs"
)

// EntriesSinceOpen counts the entries of every committed tx since Open,
// in synced and async mode, and starts again from 0 at the next Open.
func TestEntriesSinceOpen(t *testing.T) {
	for _, synced := range []bool{true, false} {
		t.Run(fmt.Sprintf("synced=%v", synced), func(t *testing.T) {
			dir, fs := t.TempDir(), vfs.NewMem()
			o := testOptions(fs)
			o.Synced = synced
			s := openTest(t, dir, o)
			want := uint64(0)
			for n := 1; n <= 3; n++ {
				var ents []Entry
				for i := 0; i < n; i++ {
					ents = append(ents, Entry{Key: fmt.Appendf(nil, "k%d-%d", n, i), Value: []byte("v")})
				}
				if _, err := s.Commit(context.Background(), TxRequest{Entries: ents}); err != nil {
					t.Fatal(err)
				}
				want += uint64(n)
				if got := s.EntriesSinceOpen(); got != want {
					t.Fatalf("after %d txs: %d entries, want %d", n, got, want)
				}
			}
			if _, err := s.Commit(context.Background(), TxRequest{Entries: []Entry{{Key: []byte("k1-0"), Value: []byte("v")}, {Key: []byte("k1-0"), Value: []byte("w")}}}); err == nil {
				t.Fatal("a tx with a duplicate key was committed")
			}
			if got := s.EntriesSinceOpen(); got != want {
				t.Fatalf("a refused tx was counted: %d, want %d", got, want)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			s = openTest(t, dir, o)
			defer s.Close()
			if got := s.EntriesSinceOpen(); got != 0 {
				t.Fatalf("after reopen: %d, want 0", got)
			}
		})
	}
}
