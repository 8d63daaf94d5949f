package index

import "testing"

// TestHeadTable drives the table as Batch.Add does, with hashes chosen to
// collide in their low bits (long probe runs, wrap-around at the end of the
// table, growth while runs exist), and checks every hash's head against a
// map.
func TestHeadTable(t *testing.T) {
	var tab headTable
	var entries []entry
	want := map[uint64]int32{}
	add := func(h uint64) {
		slot := tab.find(h, entries)
		head := tab.head(slot)
		if w, ok := want[h]; (ok && head != w) || (!ok && head != -1) {
			t.Fatalf("hash %#x: head %d, want %d (known %v)", h, head, w, ok)
		}
		tab.set(slot, int32(len(entries)))
		want[h] = int32(len(entries))
		entries = append(entries, entry{hash: h, hnext: head})
	}
	for round := 0; round < 2; round++ {
		for i := uint64(0); i < 5000; i++ {
			add(i << 40)                        // equal low bits: one long probe run
			add(uint64(headTableMin-1) | i<<20) // runs that wrap past the last slot
			if i%3 == 0 {
				add(i << 40) // a repeat: same slot, new head
			}
		}
		if tab.used != len(want) {
			t.Fatalf("used %d, want %d", tab.used, len(want))
		}
		if free := len(tab.slots) - tab.used; free < len(tab.slots)/2 {
			t.Fatalf("%d of %d slots free", free, len(tab.slots))
		}
		tab.reset()
		entries, want = entries[:0], map[uint64]int32{}
	}
	for _, v := range tab.slots {
		if v != 0 {
			t.Fatal("reset left a slot set")
		}
	}
}
