package database

import (
	"sync"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
)

// provenTxs keeps the proto form of the last large txs a verified read
// proved. immudb's VerifiableGet answer carries the key's whole tx (every
// entry's key, hValue and metadata); for a key in a 1000-entry tx,
// converting those entries was most of the server's work per call, and
// the same few txs are proven over and over by clients reading their keys.
//
// A cached *schema.Tx is shared by concurrent answers: gRPC and the REST
// gateway only read it (protobuf's size cache is atomic), and nothing in
// the database changes a message after building it. Txs never change once
// committed, so entries are never stale; the oldest one goes first.
type provenTxs struct {
	mu    sync.Mutex
	txs   map[uint64]*schema.Tx
	order []uint64 // ring of cached ids, oldest at next
	next  int
}

const (
	provenTxsSize       = 32 // txs (≈ 200 KB each for 1000 entries)
	provenTxsMinEntries = 16 // smaller txs convert faster than a map lookup is worth
)

// raw returns the raw proto form of tx (rawTxToProto), cached for large txs.
func (c *provenTxs) raw(tx *store.Tx) *schema.Tx {
	if len(tx.Entries) < provenTxsMinEntries {
		return rawTxToProto(tx)
	}
	id := tx.Header.ID
	c.mu.Lock()
	p, ok := c.txs[id]
	c.mu.Unlock()
	if ok {
		return p
	}
	p = rawTxToProto(tx)
	c.mu.Lock()
	defer c.mu.Unlock()
	if q, ok := c.txs[id]; ok {
		return q // converted meanwhile by another call
	}
	if c.txs == nil {
		c.txs = make(map[uint64]*schema.Tx, provenTxsSize)
		c.order = make([]uint64, 0, provenTxsSize)
	}
	if len(c.order) < provenTxsSize {
		c.order = append(c.order, id)
	} else {
		delete(c.txs, c.order[c.next])
		c.order[c.next] = id
		c.next = (c.next + 1) % provenTxsSize
	}
	c.txs[id] = p
	return p
}
