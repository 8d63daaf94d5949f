package store

import (
	"sync"

	"github.com/attestdb/attestdb/proof"
)

// nodesPerBlock is the unit of the tree-node cache: 128 nodes, one 4 KiB
// page of the node file.
const nodesPerBlock = 128

// nodeBlockCacheSize bounds the cache: 2048 blocks, 8 MiB. Proofs read
// O(log² n) nodes, mostly roots of large complete subtrees that every
// proof against a recent state shares, so a small cache absorbs nearly
// every read that would otherwise be a pread.
const nodeBlockCacheSize = 2048

type nodeBlock [nodesPerBlock]proof.Hash

// nodeCache keeps whole flushed blocks of the node file. Flushed nodes
// never change (the file is append-only; a truncate drops the cache), so
// a cached block is always current. Eviction is first-in first-out: cheap,
// and good enough because the hot blocks are re-read right away.
type nodeCache struct {
	mu     sync.RWMutex
	blocks map[uint64]*nodeBlock
	order  fifo[uint64] // block numbers in insertion order
	gen    uint64       // bumped by reset: a block read before it is not kept
}

func newNodeCache() *nodeCache {
	return &nodeCache{blocks: make(map[uint64]*nodeBlock, nodeBlockCacheSize), order: fifo[uint64]{max: nodeBlockCacheSize}}
}

func (c *nodeCache) get(b uint64) *nodeBlock {
	c.mu.RLock()
	blk := c.blocks[b]
	c.mu.RUnlock()
	return blk
}

func (c *nodeCache) generation() uint64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.gen
}

// put keeps blk unless the cache was reset since gen was read.
func (c *nodeCache) put(b uint64, blk *nodeBlock, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return
	}
	if _, ok := c.blocks[b]; ok {
		return
	}
	if old, full := c.order.add(b); full {
		delete(c.blocks, old)
	}
	c.blocks[b] = blk
}

func (c *nodeCache) reset() {
	c.mu.Lock()
	clear(c.blocks)
	c.order.reset()
	c.gen++
	c.mu.Unlock()
}
