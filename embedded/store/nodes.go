package store

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// nodeFile is the proof.NodeStore of the binary-linking tree: 32-byte
// hashes in the tree's post-order, append-only. Appended nodes stay in
// memory until the checkpointer flushes them with one write, so the tree
// can be appended to before the log write. The newest keepNodes flushed
// nodes stay in memory too, and older ones are read through a cache of
// whole blocks: proofs against a recent state read mostly the newest nodes
// and the roots of large subtrees, and would otherwise be one pread each.
//
// Concurrency: one appender/flusher (the committer); readers may read any
// node concurrently.
type nodeFile struct {
	f vfs.File

	fmu     sync.Mutex // serialises flush and truncate
	mu      sync.RWMutex
	flushed uint64       // nodes in the file
	mem     []proof.Hash // nodes [memStart, flushed+pending) in memory
	memFrom uint64       // memStart: position of mem[0] (≤ flushed)
	wbuf    []byte       // flush scratch
	cache   *nodeCache   // whole flushed blocks below memStart
	keep    uint64       // keepNodes (smaller in tests)
	closed  atomic.Bool  // set by close: memory reads answer ErrClosed too
}

// keepNodes is how many flushed nodes stay in memory (2 MiB).
const keepNodes = 64 << 10

func openNodeFile(f vfs.File) (*nodeFile, error) {
	sz, err := f.Size()
	if err != nil {
		return nil, err
	}
	n := uint64(sz / proof.HashSize)
	return &nodeFile{f: f, flushed: n, memFrom: n, cache: newNodeCache(), keep: keepNodes}, nil
}

// ReadNode implements proof.NodeStore.
func (n *nodeFile) ReadNode(pos uint64) (proof.Hash, error) {
	if n.closed.Load() {
		return proof.Hash{}, ErrClosed
	}
	n.mu.RLock()
	if pos >= n.memFrom {
		i := pos - n.memFrom
		if i < uint64(len(n.mem)) {
			h := n.mem[i]
			n.mu.RUnlock()
			return h, nil
		}
		n.mu.RUnlock()
		return proof.Hash{}, fmt.Errorf("%w: tree node %d beyond the %d stored", ErrCorruptedData, pos, n.Count())
	}
	flushed, gen := n.flushed, n.cache.generation()
	n.mu.RUnlock()
	b := pos / nodesPerBlock
	if blk := n.cache.get(b); blk != nil {
		return blk[pos%nodesPerBlock], nil
	}
	if (b+1)*nodesPerBlock <= flushed {
		if blk, err := n.readBlock(b); err == nil {
			n.cache.put(b, blk, gen)
			return blk[pos%nodesPerBlock], nil
		}
		// Fall through: the single read reports the precise error.
	}
	var h proof.Hash
	c, err := n.f.ReadAt(h[:], int64(pos)*proof.HashSize)
	if c != proof.HashSize && errors.Is(err, fs.ErrClosed) { // lost a race with Store.Close
		return proof.Hash{}, ErrClosed
	}
	if c != proof.HashSize {
		return proof.Hash{}, fmt.Errorf("%w: tree node %d unreadable: %v", ErrCorruptedData, pos, err)
	}
	return h, nil
}

// readBlock reads block b, which lies entirely in the flushed part.
func (n *nodeFile) readBlock(b uint64) (*nodeBlock, error) {
	var raw [nodesPerBlock * proof.HashSize]byte
	c, err := n.f.ReadAt(raw[:], int64(b)*nodesPerBlock*proof.HashSize)
	if c != len(raw) {
		if err == nil {
			err = fmt.Errorf("short read")
		}
		return nil, err
	}
	blk := new(nodeBlock)
	for i := range blk {
		copy(blk[i][:], raw[i*proof.HashSize:])
	}
	return blk, nil
}

// close closes the file; later reads answer ErrClosed.
func (n *nodeFile) close() error {
	n.closed.Store(true)
	return n.f.Close()
}

// AppendNodes implements proof.NodeStore.
func (n *nodeFile) AppendNodes(nodes []proof.Hash) error {
	n.mu.Lock()
	n.mem = append(n.mem, nodes...)
	n.mu.Unlock()
	return nil
}

// Count implements proof.NodeStore.
func (n *nodeFile) Count() uint64 {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.memFrom + uint64(len(n.mem))
}

// flush writes the pending nodes, then lets the oldest in-memory ones go
// once more than twice keepNodes are kept (so trimming is amortised).
func (n *nodeFile) flush() error {
	n.fmu.Lock()
	defer n.fmu.Unlock()
	n.mu.RLock()
	from := n.flushed - n.memFrom
	cnt := uint64(len(n.mem)) - from
	w := n.wbuf[:0]
	for _, h := range n.mem[from:] {
		w = append(w, h[:]...)
	}
	off := int64(n.flushed) * proof.HashSize
	n.mu.RUnlock()
	n.wbuf = w
	if cnt == 0 {
		return nil
	}
	if _, err := n.f.WriteAt(w, off); err != nil {
		return fmt.Errorf("store: write tree nodes: %w", err)
	}
	n.mu.Lock()
	n.flushed += cnt
	if kept := n.flushed - n.memFrom; kept > 2*n.keep {
		drop := kept - n.keep
		n.mem = append(n.mem[:0], n.mem[drop:]...)
		n.memFrom += drop
	}
	n.mu.Unlock()
	return nil
}

// truncate drops every node from position count on.
func (n *nodeFile) truncate(count uint64) error {
	n.fmu.Lock()
	defer n.fmu.Unlock()
	n.mu.Lock()
	defer n.mu.Unlock()
	if count >= n.flushed {
		if k := count - n.memFrom; k < uint64(len(n.mem)) {
			n.mem = n.mem[:k]
		}
		return nil
	}
	if count >= n.memFrom {
		n.mem = n.mem[:count-n.memFrom]
	} else {
		n.mem, n.memFrom = n.mem[:0], count
	}
	n.flushed = count
	n.cache.reset()
	if err := n.f.Truncate(int64(count) * proof.HashSize); err != nil {
		return fmt.Errorf("store: truncate tree nodes: %w", err)
	}
	return nil
}
