package store

// fifo remembers the keys of a bounded cache in insertion order, so that
// the oldest one is evicted first. The caches using it re-read their hot
// entries right away, so first-in first-out is as good as LRU for them and
// cheaper. Not safe for concurrent use: its cache's lock guards it.
type fifo[K comparable] struct {
	keys []K
	next int // the slot to refill once keys is full
	max  int
}

// add records k; when the cache is full it returns the key to evict.
func (f *fifo[K]) add(k K) (evict K, full bool) {
	if len(f.keys) < f.max {
		f.keys = append(f.keys, k)
		return evict, false
	}
	evict = f.keys[f.next]
	f.keys[f.next] = k
	f.next = (f.next + 1) % f.max
	return evict, true
}

func (f *fifo[K]) reset() { f.keys, f.next = f.keys[:0], 0 }
