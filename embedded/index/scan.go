package index

import (
	"bytes"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ScanOptions selects the keys an Iterator yields. Empty SeekKey / EndKey
// mean no bound on that side.
type ScanOptions struct {
	Prefix        []byte // only keys starting with Prefix
	SeekKey       []byte // start here (ascending: keys ≥ / > SeekKey; descending: ≤ / <)
	EndKey        []byte // stop here (ascending: keys ≤ / < EndKey; descending: ≥ / >)
	InclusiveSeek bool
	InclusiveEnd  bool
	Desc          bool
	AtTx          uint64
}

// Iterator yields each distinct key once, in key order (reverse if Desc),
// with its latest version whose TxID <= AtTx; keys with no such version are
// skipped. It sees the index as of Scan (a consistent snapshot). Not safe
// for concurrent use; Close it when done.
type Iterator struct {
	ix   *Index
	it   *pebble.Iterator // nil when empty, exhausted or released
	desc bool
	atTx uint64

	started bool
	// advance: the Pebble iterator is still on the key last yielded and must
	// be moved off it before looking for the next one.
	advance bool
	err     error
	closed  bool

	key     []byte
	ver     Version
	prefix  []byte // encoded prefix of the current key
	seekBuf []byte
	lower   []byte
	upper   []byte
}

// scanBounds computes the Pebble key range [lower, upper) holding every
// version of every key o selects.
func scanBounds(o *ScanOptions) (lower, upper []byte) {
	lower, upper = []byte{nsVersion}, []byte{nsVersion + 1}
	raise := func(k []byte) {
		if bytes.Compare(k, lower) > 0 {
			lower = k
		}
	}
	cut := func(k []byte) {
		if bytes.Compare(k, upper) < 0 {
			upper = k
		}
	}
	if len(o.Prefix) > 0 {
		p := appendUserPrefix(nil, o.Prefix)
		raise(p)
		cut(prefixSuccessor(p))
	}
	// before(k): first Pebble key of user key k; after(k): first Pebble key
	// past all of k's versions.
	before := func(k []byte) []byte { return appendPrefix(nil, k) }
	after := func(k []byte) []byte { return appendAfter(nil, k) }
	pick := func(incl bool, a, b func([]byte) []byte, k []byte) []byte {
		if incl {
			return a(k)
		}
		return b(k)
	}
	if !o.Desc {
		if len(o.SeekKey) > 0 {
			raise(pick(o.InclusiveSeek, before, after, o.SeekKey))
		}
		if len(o.EndKey) > 0 {
			cut(pick(o.InclusiveEnd, after, before, o.EndKey))
		}
	} else {
		if len(o.SeekKey) > 0 {
			cut(pick(o.InclusiveSeek, after, before, o.SeekKey))
		}
		if len(o.EndKey) > 0 {
			raise(pick(o.InclusiveEnd, before, after, o.EndKey))
		}
	}
	return lower, upper
}

// prefixSuccessor returns the smallest key greater than every key starting
// with p (p never consists only of 0xFF bytes: it starts with nsVersion).
func prefixSuccessor(p []byte) []byte {
	s := append([]byte(nil), p...)
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] != 0xFF {
			s[i]++
			return s[:i+1]
		}
	}
	return s
}

// Scan returns an iterator over the keys selected by o.
func (ix *Index) Scan(o ScanOptions) (_ *Iterator, err error) {
	defer ix.guard(&err)
	if err := ix.rlock(); err != nil {
		return nil, err
	}
	defer ix.mu.RUnlock()
	lower, upper := scanBounds(&o)
	x := &Iterator{ix: ix, desc: o.Desc, atTx: o.AtTx, lower: lower, upper: upper}
	if bytes.Compare(lower, upper) >= 0 {
		x.closed = true // empty range: nothing to open
		return x, nil
	}
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("index: scan: %w", err)
	}
	x.it = it
	ix.itersMu.Lock()
	ix.iters[x] = struct{}{}
	ix.itersMu.Unlock()
	return x, nil
}

// release closes the Pebble iterator; called with ix.mu held (read or write).
func (x *Iterator) release() {
	if x.it != nil {
		if err := x.it.Close(); err != nil && x.err == nil {
			x.err = fmt.Errorf("index: iterator: %w", err)
		}
		x.it = nil
	}
}

// Next moves to the next key; false at the end or on error (see Err).
func (x *Iterator) Next() bool {
	if x.closed || x.err != nil {
		return false
	}
	var err error
	ok := func() (ok bool) {
		defer x.ix.guard(&err) // runs after next's RUnlock
		ok, err = x.next()
		return ok
	}()
	if err != nil {
		x.err = err
		return false
	}
	return ok
}

func (x *Iterator) next() (bool, error) {
	if err := x.ix.rlock(); err != nil {
		return false, err
	}
	defer x.ix.mu.RUnlock()
	if x.it == nil { // released by Index.Close
		return false, ErrClosed
	}
	var ok bool
	var err error
	if x.desc {
		ok, err = x.nextDesc()
	} else {
		ok, err = x.nextAsc()
	}
	if err == nil && !ok {
		err = x.it.Error()
	}
	return ok && err == nil, err
}

// yield copies the version under the Pebble iterator out.
func (x *Iterator) yield(c cursor) error {
	var err error
	if x.key, err = appendUserKey(x.key[:0], x.prefix); err != nil {
		return err
	}
	x.ver.TxID, x.ver.Revision = c.tx, c.rev
	x.ver.Payload = append(x.ver.Payload[:0], c.payload...)
	return nil
}

// setPrefix records the encoded prefix of the current Pebble key.
func (x *Iterator) setPrefix() error {
	p, _, err := decodeVersionKey(x.it.Key())
	if err != nil {
		return err
	}
	x.prefix = append(x.prefix[:0], p...)
	return nil
}

// samePrefix reports whether the Pebble iterator is on a version of the
// current key.
func (x *Iterator) samePrefix() bool {
	k := x.it.Key()
	return bytes.Equal(k[:splitKey(k)], x.prefix)
}

func (x *Iterator) nextAsc() (bool, error) {
	var valid bool
	switch {
	case !x.started:
		x.started = true
		valid = x.it.First()
	case x.advance:
		valid = x.it.NextPrefix()
	default:
		valid = x.it.Valid()
	}
	for ; valid; valid = x.it.NextPrefix() {
		if err := x.setPrefix(); err != nil {
			return false, err
		}
		// Ascending, the first version met is the latest.
		c, _, err := readCursor(x.it, x.prefix)
		if err != nil {
			return false, err
		}
		c, found, err := latestFrom(x.it, seekGE, x.prefix, c, x.atTx, &x.seekBuf)
		if err != nil {
			return false, err
		}
		if found {
			x.advance = true
			return true, x.yield(c)
		}
		// Still on a version of this key: NextPrefix skips the rest.
	}
	return false, nil
}

func (x *Iterator) nextDesc() (bool, error) {
	var valid bool
	switch {
	case !x.started:
		x.started = true
		valid = x.it.Last()
	case x.advance:
		valid = x.it.SeekLT(x.prefix) // every version of a key sorts after its prefix
	default:
		valid = x.it.Valid()
	}
	for valid {
		if err := x.setPrefix(); err != nil {
			return false, err
		}
		// Descending, the first version met is the oldest (revision 1).
		c, _, err := readCursor(x.it, x.prefix)
		if err != nil {
			return false, err
		}
		if x.atTx != 0 && c.tx > x.atTx {
			valid = x.it.SeekLT(x.prefix) // no version visible at atTx
			continue
		}
		if err := x.yield(c); err != nil {
			return false, err
		}
		// Most keys have one version: one Prev both checks that and moves
		// on to the previous key.
		if !x.it.Prev() || !x.samePrefix() {
			x.advance = false
			return true, nil
		}
		c, found, err := latestAt(x.it, seekGE, x.prefix, x.atTx, &x.seekBuf)
		if err != nil {
			return false, err
		}
		if !found {
			return false, fmt.Errorf("%w: versions of a key vanished", ErrCorrupt)
		}
		x.advance = true
		return true, x.yield(c)
	}
	return false, nil
}

// Key is the current user key, valid until the next Next.
func (x *Iterator) Key() []byte { return x.key }

// Version is the current version; its Payload is valid until the next Next.
func (x *Iterator) Version() Version { return x.ver }

// Err is the error that ended the iteration, if any.
func (x *Iterator) Err() error { return x.err }

// Close releases the iterator. It is safe to call more than once, and after
// the index was closed.
func (x *Iterator) Close() error {
	if x.closed {
		return nil
	}
	x.closed = true
	x.ix.mu.RLock()
	defer x.ix.mu.RUnlock()
	x.ix.itersMu.Lock()
	if x.ix.iters != nil {
		delete(x.ix.iters, x)
	}
	x.ix.itersMu.Unlock()
	x.release()
	if x.err != nil && x.err != ErrClosed {
		return x.err
	}
	return nil
}

// Count returns the number of distinct keys starting with prefix that have
// a version with TxID <= atTx (atTx 0 = latest).
func (ix *Index) Count(prefix []byte, atTx uint64) (_ uint64, err error) {
	defer ix.guard(&err)
	if err := ix.rlock(); err != nil {
		return 0, err
	}
	defer ix.mu.RUnlock()
	lower, upper := scanBounds(&ScanOptions{Prefix: prefix})
	it, err := ix.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return 0, fmt.Errorf("index: count: %w", err)
	}
	defer it.Close()
	var n uint64
	var p, buf []byte
	for valid := it.First(); valid; valid = it.NextPrefix() {
		k := it.Key()
		pl := splitKey(k)
		if atTx == 0 {
			n++ // every stored key has at least one version
			continue
		}
		p = append(p[:0], k[:pl]...)
		c, _, err := readCursor(it, p)
		if err != nil {
			return 0, err
		}
		if c.tx > atTx && c.rev > 1 {
			// A key is visible iff its first version is.
			if c, err = seekRev(it, seekGE, p, 1, &buf); err != nil {
				return 0, err
			}
		}
		if c.tx <= atTx {
			n++
		}
	}
	if err := it.Error(); err != nil {
		return 0, fmt.Errorf("index: count: %w", err)
	}
	return n, nil
}
