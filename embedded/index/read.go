package index

import (
	"bytes"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// linearSteps is how many older versions a snapshot lookup walks with Next
// before switching to a binary search over revisions.
const linearSteps = 8

// cursor is the decoded version under a Pebble iterator.
type cursor struct {
	rev, tx uint64
	payload []byte // aliases Pebble memory until the iterator moves
}

func readCursor(it *pebble.Iterator, prefix []byte) (cursor, bool, error) {
	k := it.Key()
	p, rev, err := decodeVersionKey(k)
	if err != nil {
		return cursor{}, false, err
	}
	if !bytes.Equal(p, prefix) {
		return cursor{}, false, nil
	}
	v, err := it.ValueAndErr()
	if err != nil {
		return cursor{}, false, fmt.Errorf("index: read value: %w", err)
	}
	tx, payload, err := decodeValue(v)
	if err != nil {
		return cursor{}, false, err
	}
	return cursor{rev: rev, tx: tx, payload: payload}, true, nil
}

// seekFn positions it at the first key >= k (SeekPrefixGE for prefix-mode
// iterators, SeekGE for bounded ones).
type seekFn func(it *pebble.Iterator, k []byte) bool

func seekPrefix(it *pebble.Iterator, k []byte) bool { return it.SeekPrefixGE(k) }
func seekGE(it *pebble.Iterator, k []byte) bool     { return it.SeekGE(k) }

// seekRev positions it exactly at revision rev of prefix. Revisions of a key
// are dense (1..latest), so a missing one means corruption.
func seekRev(it *pebble.Iterator, seek seekFn, prefix []byte, rev uint64, buf *[]byte) (cursor, error) {
	*buf = appendRev(append((*buf)[:0], prefix...), rev)
	if !seek(it, *buf) {
		if err := it.Error(); err != nil {
			return cursor{}, fmt.Errorf("index: seek: %w", err)
		}
		return cursor{}, fmt.Errorf("%w: revision %d missing", ErrCorrupt, rev)
	}
	c, ok, err := readCursor(it, prefix)
	if err != nil {
		return cursor{}, err
	}
	if !ok || c.rev != rev {
		return cursor{}, fmt.Errorf("%w: revision %d missing", ErrCorrupt, rev)
	}
	return c, nil
}

// latestAt positions it at the latest version of prefix with TxID <= atTx
// (any TxID if atTx is 0). found is false if there is none. One seek when
// the latest version qualifies; otherwise up to linearSteps Next calls, then
// a binary search over revisions (O(log versions) seeks).
func latestAt(it *pebble.Iterator, seek seekFn, prefix []byte, atTx uint64, buf *[]byte) (c cursor, found bool, err error) {
	if !seek(it, prefix) {
		if err := it.Error(); err != nil {
			return cursor{}, false, fmt.Errorf("index: seek: %w", err)
		}
		return cursor{}, false, nil
	}
	c, ok, err := readCursor(it, prefix)
	if err != nil || !ok {
		return cursor{}, false, err
	}
	return latestFrom(it, seek, prefix, c, atTx, buf)
}

// latestFrom is latestAt when it is already on c, the latest version of
// prefix. When found is false, it is still on some version of prefix.
func latestFrom(it *pebble.Iterator, seek seekFn, prefix []byte, c cursor, atTx uint64, buf *[]byte) (cursor, bool, error) {
	if atTx == 0 || c.tx <= atTx {
		return c, true, nil
	}
	for i := 0; i < linearSteps && c.rev > 1; i++ {
		if !it.Next() {
			if err := it.Error(); err != nil {
				return cursor{}, false, fmt.Errorf("index: next: %w", err)
			}
			return cursor{}, false, fmt.Errorf("%w: revision %d missing", ErrCorrupt, c.rev-1)
		}
		n, ok, err := readCursor(it, prefix)
		if err != nil {
			return cursor{}, false, err
		}
		if !ok || n.rev != c.rev-1 {
			return cursor{}, false, fmt.Errorf("%w: revision %d missing", ErrCorrupt, c.rev-1)
		}
		c = n
		if c.tx <= atTx {
			return c, true, nil
		}
	}
	// Invariant: versions with rev > hi have tx > atTx.
	lo, hi, best := uint64(1), c.rev-1, uint64(0)
	for lo <= hi {
		mid := lo + (hi-lo)/2
		m, err := seekRev(it, seek, prefix, mid, buf)
		if err != nil {
			return cursor{}, false, err
		}
		if m.tx <= atTx {
			best, lo = mid, mid+1
		} else {
			hi = mid - 1
		}
	}
	if best == 0 {
		return cursor{}, false, nil
	}
	c, err := seekRev(it, seek, prefix, best, buf)
	return c, err == nil, err
}

func (c cursor) version() Version {
	return Version{TxID: c.tx, Revision: c.rev, Payload: append([]byte(nil), c.payload...)}
}

// Get returns the latest version of key with TxID <= atTx (atTx 0 = latest
// applied).
func (ix *Index) Get(key []byte, atTx uint64) (Version, error) {
	return ix.GetRevision(key, 0, atTx)
}

// GetRevision returns a version of key among those with TxID <= atTx:
// rev > 0 the rev-th (1-based), rev < 0 the one |rev| before the latest,
// rev 0 the latest. ErrKeyNotFound if key has no such version at all,
// ErrInvalidRevision if it has but not that one.
func (ix *Index) GetRevision(key []byte, rev int64, atTx uint64) (_ Version, err error) {
	defer ix.guard(&err)
	if err := ix.checkKey(key); err != nil {
		return Version{}, err
	}
	if err := ix.rlock(); err != nil {
		return Version{}, err
	}
	defer ix.mu.RUnlock()
	it, gen, err := ix.points.get(ix.db)
	if err != nil {
		return Version{}, fmt.Errorf("index: new iterator: %w", err)
	}
	defer ix.points.release(it, gen)
	prefix := appendPrefix(make([]byte, 0, len(key)+16), key)
	var buf []byte
	c, found, err := latestAt(it, seekPrefix, prefix, atTx, &buf)
	if err != nil {
		return Version{}, err
	}
	if !found {
		return Version{}, fmt.Errorf("%w: %q", ErrKeyNotFound, key)
	}
	var target uint64
	switch {
	case rev == 0:
		return c.version(), nil
	case rev > 0:
		target = uint64(rev)
		if target > c.rev {
			return Version{}, fmt.Errorf("%w: revision %d of %q, latest is %d", ErrInvalidRevision, rev, key, c.rev)
		}
	default:
		back := uint64(-(rev + 1)) + 1 // |rev| without overflow at MinInt64
		if back >= c.rev {
			return Version{}, fmt.Errorf("%w: revision %d of %q, latest is %d", ErrInvalidRevision, rev, key, c.rev)
		}
		target = c.rev - back
	}
	if target == c.rev {
		return c.version(), nil
	}
	t, err := seekRev(it, seekPrefix, prefix, target, &buf)
	if err != nil {
		return Version{}, err
	}
	return t.version(), nil
}

// History returns versions of key with TxID <= atTx, oldest first (or
// newest first if desc), skipping offset of them and returning at most
// limit (limit <= 0: no limit). ErrKeyNotFound if key has no version <=
// atTx; an offset past the end gives an empty slice.
func (ix *Index) History(key []byte, offset uint64, limit int, desc bool, atTx uint64) (_ []Version, err error) {
	defer ix.guard(&err)
	if err := ix.checkKey(key); err != nil {
		return nil, err
	}
	if err := ix.rlock(); err != nil {
		return nil, err
	}
	defer ix.mu.RUnlock()
	it, gen, err := ix.points.get(ix.db)
	if err != nil {
		return nil, fmt.Errorf("index: new iterator: %w", err)
	}
	defer ix.points.release(it, gen)
	prefix := appendPrefix(make([]byte, 0, len(key)+16), key)
	var buf []byte
	c, found, err := latestAt(it, seekPrefix, prefix, atTx, &buf)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%w: %q", ErrKeyNotFound, key)
	}
	latest := c.rev
	if offset >= latest {
		return []Version{}, nil
	}
	n := latest - offset
	if limit > 0 && uint64(limit) < n {
		n = uint64(limit)
	}
	// Versions are stored newest first, so both directions walk forward from
	// the newest wanted revision.
	top := latest - offset // desc: first returned
	if !desc {
		top = offset + n // asc: last returned
	}
	out := make([]Version, n)
	if top != c.rev {
		if c, err = seekRev(it, seekPrefix, prefix, top, &buf); err != nil {
			return nil, err
		}
	}
	// The payloads are copied into one slab, not one allocation each (a
	// page is typically 100 small versions of one key); ends[j] marks
	// where out[j]'s payload ends, and the slices are cut once the slab
	// stops growing.
	slab := make([]byte, 0, int(n)*len(c.payload))
	ends := make([]int, n)
	for i := uint64(0); ; i++ {
		j := i
		if !desc {
			j = n - 1 - i
		}
		slab = append(slab, c.payload...)
		ends[j] = len(slab)
		out[j] = Version{TxID: c.tx, Revision: c.rev}
		if i+1 == n {
			break
		}
		want := c.rev - 1
		if !it.Next() {
			if err := it.Error(); err != nil {
				return nil, fmt.Errorf("index: next: %w", err)
			}
			return nil, fmt.Errorf("%w: revision %d missing", ErrCorrupt, want)
		}
		var ok bool
		if c, ok, err = readCursor(it, prefix); err != nil {
			return nil, err
		}
		if !ok || c.rev != want {
			return nil, fmt.Errorf("%w: revision %d missing", ErrCorrupt, want)
		}
	}
	// Payloads were appended in walk order: newest first.
	start := 0
	for i := uint64(0); i < n; i++ {
		j := i
		if !desc {
			j = n - 1 - i
		}
		out[j].Payload = slab[start:ends[j]:ends[j]] // capped: an append cannot reach the next payload
		start = ends[j]
	}
	return out, nil
}
