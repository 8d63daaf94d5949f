package store

import (
	"sync"

	"github.com/attestdb/attestdb/proof"
)

// Entries trees of recently proven txs are kept so that proving another
// key of the same tx costs O(log n) instead of re-hashing every entry
// (a verified read of a key in a 1000-entry tx hashed ~2000 times).
const (
	treeCacheMinEntries = 16  // smaller trees are cheaper to rebuild than to keep
	treeCacheSize       = 128 // txs (≤ 64 KiB each for 1000 entries)
)

type treeCache struct {
	mu    sync.Mutex
	trees map[uint64]*proof.HTree
	txs   map[uint64]*Tx // the same txs, read without values
	order fifo[uint64]
}

func (c *treeCache) get(id uint64) *proof.HTree {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.trees[id]
}

func (c *treeCache) getTx(id uint64) *Tx {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.txs[id]
}

func (c *treeCache) put(id uint64, t *proof.HTree) { c.putTx(id, t, nil) }

// putTx keeps the tree of tx id and, when tx is not nil, the tx itself.
func (c *treeCache) putTx(id uint64, t *proof.HTree, tx *Tx) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trees == nil {
		c.trees = make(map[uint64]*proof.HTree, treeCacheSize)
		c.txs = make(map[uint64]*Tx, treeCacheSize)
		c.order.max = treeCacheSize
	}
	if tx != nil && c.trees[id] != nil && c.txs[id] == nil {
		c.txs[id] = tx
		return
	}
	if _, ok := c.trees[id]; ok {
		return
	}
	if old, full := c.order.add(id); full {
		delete(c.trees, old)
		delete(c.txs, old)
	}
	c.trees[id] = t
	if tx != nil {
		c.txs[id] = tx
	}
}

// EntryInclusionProof proves that entry i of tx (as read by ReadTx or
// TxByID) belongs to it, against tx.Header.Eh. Trees of large txs are
// cached by tx id; a committed tx never changes, so a cached tree is
// always right for its id (a rolled-back id is never published, and
// therefore never proven).
func (s *Store) EntryInclusionProof(tx *Tx, i int) (proof.InclusionProof, error) {
	if len(tx.Entries) < treeCacheMinEntries {
		return tx.InclusionProof(i)
	}
	if t := s.trees.get(tx.Header.ID); t != nil && t.Width() == len(tx.Entries) {
		return t.InclusionProof(i)
	}
	t, err := checkedTree(tx)
	if err != nil {
		return proof.InclusionProof{}, err
	}
	s.trees.put(tx.Header.ID, t)
	return t.InclusionProof(i)
}

// checkedTree builds the entries tree of tx and checks it against the
// header's Eh: a tx whose entries do not hash to it gets no proof and
// nothing of it is kept (the integrity check reports where the damage is).
func checkedTree(tx *Tx) (*proof.HTree, error) {
	ds, err := tx.Digests()
	if err != nil {
		return nil, err
	}
	t := proof.BuildHTree(ds)
	if t.Root() != tx.Header.Eh {
		return nil, ErrCorruptedData
	}
	return t, nil
}

// ReadTxForProof is ReadTx(id, false) for a tx about to be proven: a
// large tx is kept with its entries tree, so that proving another of its
// keys reads and re-hashes nothing (reading a 1000-entry tx hashes every
// value to get its hValue). The returned Tx may be shared with other
// callers: it must not be modified.
func (s *Store) ReadTxForProof(id uint64) (*Tx, error) {
	if tx := s.trees.getTx(id); tx != nil {
		return tx, nil
	}
	tx, err := s.ReadTx(id, false)
	if err != nil || len(tx.Entries) < treeCacheMinEntries {
		return tx, err
	}
	t, err := checkedTree(tx)
	if err != nil {
		return nil, err
	}
	s.trees.putTx(id, t, tx)
	return tx, nil
}
