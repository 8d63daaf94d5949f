package index

import (
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// iterPool keeps a few idle Pebble iterators for point reads (Get,
// GetRevision, History). Building a Pebble iterator (a merging iterator
// over the memtables and every level) cost as much as the lookup itself
// on small indexes; a reused iterator costs only its seek.
//
// A Pebble iterator reads the state of the DB when it was created, so an
// idle iterator may be reused only while nothing was applied since: each
// carries the generation it was created at, Apply bumps the generation
// after committing its batch and before publishing IndexedUpTo, and a
// reader takes only an iterator of the current generation. A reader that
// saw IndexedUpTo ≥ n therefore never gets an iterator older than n.
//
// Idle iterators pin the memtables and sstables of their generation; the
// pool is small, and stale ones are closed when found and by Apply, Flush
// and Compact (which start a new generation too), so replaced memtables
// and files are not held past those.
type iterPool struct {
	mu   sync.Mutex
	gen  uint64 // current generation (mu)
	idle []pooledIter
}

type pooledIter struct {
	it  *pebble.Iterator
	gen uint64
}

// maxIdleIters bounds the pool: more than the usual number of concurrent
// readers per index would only pin memory.
const maxIdleIters = 8

// get returns an idle iterator of the current generation, or a new one.
// The caller returns it with put (or closes it on error).
func (p *iterPool) get(db *pebble.DB) (*pebble.Iterator, uint64, error) {
	p.mu.Lock()
	gen := p.gen
	for n := len(p.idle); n > 0; n = len(p.idle) {
		pi := p.idle[n-1]
		p.idle = p.idle[:n-1]
		if pi.gen == gen {
			p.mu.Unlock()
			// Its last position is kept: a later SeekPrefixGE to a greater
			// key may first try a few Next steps from it (Pebble's
			// seek-using-next, which Pebble bounds itself).
			return pi.it, gen, nil
		}
		pi.it.Close() // stale: drop it
	}
	p.mu.Unlock()
	// Created after gen was read: it sees at least that generation.
	it, err := db.NewIter(nil)
	return it, gen, err
}

// put gives an iterator back; it is closed instead if the index moved on
// since it was created or the pool is full.
func (p *iterPool) put(it *pebble.Iterator, gen uint64) {
	p.mu.Lock()
	if gen == p.gen && len(p.idle) < maxIdleIters && it.Error() == nil {
		p.idle = append(p.idle, pooledIter{it, gen})
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	it.Close()
}

// release is deferred by a point read: the iterator goes back to the pool
// after a normal return, but is closed, never pooled, when the read is
// panicking (a Pebble failure the index's guard turns into an error), and
// the panic goes on to that guard.
func (p *iterPool) release(it *pebble.Iterator, gen uint64) {
	if r := recover(); r != nil {
		func() {
			defer func() { _ = recover() }() // closing a broken iterator may panic too
			_ = it.Close()
		}()
		panic(r)
	}
	p.put(it, gen)
}

// bump starts a new generation (Apply, after its batch committed) and
// closes the idle iterators of the old one.
func (p *iterPool) bump() {
	p.mu.Lock()
	p.gen++
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, pi := range idle {
		pi.it.Close()
	}
}

// closeAll closes every idle iterator (Close, before closing Pebble).
func (p *iterPool) closeAll() {
	p.bump()
}
