package index

import (
	"fmt"
	"testing"
)

// TestCompactReleasesPooledIterators: after Compact, no idle pooled
// iterator keeps the replaced sstables alive (zombies): on an index that is
// only read afterwards, they would hold the pre-compaction files (disk
// space) and keep answering from the uncompacted LSM until the next Apply.
func TestCompactReleasesPooledIterators(t *testing.T) {
	ix := openTest(t, t.TempDir())
	defer ix.Close()
	for b := 0; b < 3; b++ {
		for i := 0; i < 20; i++ {
			applyTxs(t, ix, []kv{{fmt.Sprintf("k%02d", i), fmt.Sprint("v", b)}})
		}
		if err := ix.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ix.Get([]byte("k01"), 0); err != nil { // leaves an idle iterator
		t.Fatal(err)
	}
	if err := ix.Compact(); err != nil {
		t.Fatal(err)
	}
	if z := ix.db.Metrics().Table.ZombieCount; z != 0 {
		t.Fatalf("%d sstables replaced by the compaction are still held by idle iterators", z)
	}
	v, err := ix.Get([]byte("k01"), 0)
	if err != nil || string(v.Payload) != "v2" || v.Revision != 3 {
		t.Fatalf("after compact: %+v %v", v, err)
	}
}
