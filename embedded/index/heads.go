package index

// headTable maps a key hash to the newest entry of a batch with that hash
// (entries with equal hashes are chained through entry.hnext). It is an
// open-addressing table of entry indexes instead of a Go map: the hash is
// already a uniform 64-bit xxhash, so its low bits pick the slot without
// hashing it again, one probe usually answers both the lookup and the
// insert, and 4 bytes per slot keep a batch's table in the CPU caches (a
// map of 64Ki entries was 7–8% of a batch load's CPU).
type headTable struct {
	slots []int32 // entry index + 1; 0 is an empty slot
	used  int
}

const headTableMin = 1 << 10

// find returns the slot of h: the one holding the newest entry with hash h,
// or the empty slot where h goes. It makes room first, so the slot stays
// valid for a set that follows.
func (t *headTable) find(h uint64, entries []entry) int {
	if (t.used+1)*2 > len(t.slots) {
		t.grow(entries)
	}
	mask := len(t.slots) - 1
	for i := int(h) & mask; ; i = (i + 1) & mask {
		v := t.slots[i]
		if v == 0 || entries[v-1].hash == h {
			return i
		}
	}
}

// head is the newest entry in slot (from find), or -1.
func (t *headTable) head(slot int) int32 { return t.slots[slot] - 1 }

// set makes entry e the newest of its hash in slot (from find).
func (t *headTable) set(slot int, e int32) {
	if t.slots[slot] == 0 {
		t.used++
	}
	t.slots[slot] = e + 1
}

// grow doubles the table (at least headTableMin slots) and re-inserts the
// heads; the chains behind them are unchanged.
func (t *headTable) grow(entries []entry) {
	old := t.slots
	t.slots = make([]int32, max(headTableMin, 2*len(old)))
	mask := len(t.slots) - 1
	for _, v := range old {
		if v == 0 {
			continue
		}
		i := int(entries[v-1].hash) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = v
	}
}

// reset empties the table for the next batch, keeping its slots unless a
// huge batch left it far larger than the usual one.
func (t *headTable) reset() {
	if len(t.slots) > 64*headTableMin {
		t.slots = nil
	} else {
		clear(t.slots)
	}
	t.used = 0
}
