package index

import "bytes"

// revCache remembers the latest revision of recently written keys, so
// updates of a hot working set skip the Pebble lookup too. It is
// direct-mapped (one slot per hash bucket, the newest key wins) and checks
// the whole key, so a hit is exact. Only Apply uses it (under applyMu), and
// only after its batch committed, so a cached revision is always the
// key's latest: the applier is the only writer.
type revCache struct {
	slots []revSlot
}

type revSlot struct {
	hash uint64
	rev  uint64 // 0: empty
	key  []byte // reused buffer
}

const (
	revCacheSlots  = 1 << 16
	revCacheMaxKey = 128 // longer keys are not cached (bounds memory)
)

func (c *revCache) slot(h uint64) *revSlot {
	if c.slots == nil {
		c.slots = make([]revSlot, revCacheSlots)
	}
	return &c.slots[h&(revCacheSlots-1)]
}

// lookup sets *rev to the cached latest revision of key, if any.
func (c *revCache) lookup(h uint64, key []byte, rev *uint64) bool {
	s := c.slot(h)
	if s.rev == 0 || s.hash != h || !bytes.Equal(s.key, key) {
		return false
	}
	*rev = s.rev
	return true
}

func (c *revCache) store(h uint64, key []byte, rev uint64) {
	if len(key) > revCacheMaxKey {
		return
	}
	s := c.slot(h)
	if s.rev != 0 && s.hash == h && bytes.Equal(s.key, key) {
		if rev > s.rev {
			s.rev = rev
		}
		return
	}
	s.hash, s.rev, s.key = h, rev, append(s.key[:0], key...)
}
