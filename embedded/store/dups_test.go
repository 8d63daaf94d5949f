package store

import (
	"errors"
	"fmt"
	"testing"
)

// TestCheckDuplicates: every position of a repeated key is found, in the
// small-tx scan and in the hash table, and distinct keys (including keys
// that differ only in length or in one byte) pass; a pooled request is
// reused across sizes.
func TestCheckDuplicates(t *testing.T) {
	r := &request{}
	for _, n := range []int{1, 2, 3, 16, 17, 18, 100, 1000, 5000} {
		ents := make([]Entry, n)
		for i := range ents {
			ents[i].Key = fmt.Appendf(nil, "key-%d", i)
		}
		if err := r.checkDuplicates(ents); err != nil {
			t.Fatalf("n=%d distinct keys: %v", n, err)
		}
		if n < 2 {
			continue
		}
		for _, pair := range [][2]int{{0, n - 1}, {n / 2, n/2 + 1}, {n - 2, n - 1}, {0, 1}} {
			if pair[0] == pair[1] || pair[1] >= n {
				continue
			}
			saved := ents[pair[1]].Key
			ents[pair[1]].Key = append([]byte(nil), ents[pair[0]].Key...)
			if err := r.checkDuplicates(ents); !errors.Is(err, ErrDuplicatedKey) {
				t.Fatalf("n=%d keys %d and %d equal: %v", n, pair[0], pair[1], err)
			}
			ents[pair[1]].Key = saved
		}
	}
	// Prefixes and one-byte differences are distinct keys.
	ents := []Entry{{Key: []byte("a")}, {Key: []byte("ab")}, {Key: []byte("abc")}, {Key: []byte("abd")}}
	for i := 0; i < 20; i++ {
		ents = append(ents, Entry{Key: fmt.Appendf(nil, "a%c", 'A'+i)})
	}
	if err := r.checkDuplicates(ents); err != nil {
		t.Fatalf("distinct prefixes: %v", err)
	}
}

// BenchmarkCheckDuplicates1000 is the check of a 1000-entry tx of
// distinct 32-byte keys, as a batch commit does it.
func BenchmarkCheckDuplicates1000(b *testing.B) {
	ents := make([]Entry, 1000)
	for i := range ents {
		ents[i].Key = fmt.Appendf(nil, "%032d", i*7919)
	}
	r := &request{}
	b.ReportAllocs()
	for b.Loop() {
		if err := r.checkDuplicates(ents); err != nil {
			b.Fatal(err)
		}
	}
}
