package store

import (
	"errors"
	"fmt"
	"io/fs"
	"sync"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// nodeFile is the proof.NodeStore of the binary-linking tree: 32-byte
// hashes in the tree's post-order, append-only. Appended nodes stay in
// memory until the committer flushes them with one write per group, so the
// tree can be appended to before the log write.
//
// Concurrency: one appender/flusher (the committer); readers may read any
// node concurrently.
type nodeFile struct {
	f vfs.File

	fmu     sync.Mutex // serialises flush and truncate
	mu      sync.RWMutex
	flushed uint64       // nodes in the file
	buf     []proof.Hash // nodes [flushed, flushed+len(buf)) not written yet
	wbuf    []byte       // committer's write scratch
	cache   *nodeCache   // whole flushed blocks
}

func openNodeFile(f vfs.File) (*nodeFile, error) {
	sz, err := f.Size()
	if err != nil {
		return nil, err
	}
	return &nodeFile{f: f, flushed: uint64(sz / proof.HashSize), cache: newNodeCache()}, nil
}

// ReadNode implements proof.NodeStore.
func (n *nodeFile) ReadNode(pos uint64) (proof.Hash, error) {
	n.mu.RLock()
	if pos >= n.flushed {
		i := pos - n.flushed
		if i < uint64(len(n.buf)) {
			h := n.buf[i]
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

// AppendNodes implements proof.NodeStore.
func (n *nodeFile) AppendNodes(nodes []proof.Hash) error {
	n.mu.Lock()
	n.buf = append(n.buf, nodes...)
	n.mu.Unlock()
	return nil
}

// Count implements proof.NodeStore.
func (n *nodeFile) Count() uint64 {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.flushed + uint64(len(n.buf))
}

// flush writes the buffered nodes.
func (n *nodeFile) flush() error {
	n.fmu.Lock()
	defer n.fmu.Unlock()
	n.mu.RLock()
	cnt := len(n.buf)
	w := n.wbuf[:0]
	for i := 0; i < cnt; i++ {
		w = append(w, n.buf[i][:]...)
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
	n.flushed += uint64(cnt)
	n.buf = append(n.buf[:0], n.buf[cnt:]...)
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
		if k := count - n.flushed; k < uint64(len(n.buf)) {
			n.buf = n.buf[:k]
		}
		return nil
	}
	n.buf = n.buf[:0]
	n.flushed = count
	n.cache.reset()
	if err := n.f.Truncate(int64(count) * proof.HashSize); err != nil {
		return fmt.Errorf("store: truncate tree nodes: %w", err)
	}
	return nil
}
