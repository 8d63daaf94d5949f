package proof

import (
	"fmt"
	"math/bits"
	"sync"
)

// NodePos is the position in a NodeStore of the AHT node at level level
// (0 = leaf) and index index: the subtree over leaves
// [index·2^level, (index+1)·2^level). Nodes are stored in post-order, each
// right after the leaf that completes it, so a tree of n leaves holds
// 2n − popcount(n) nodes.
func NodePos(level uint, index uint64) uint64 {
	m := (index+1)<<level - 1 // the leaf that completes the node
	return nodeCount(m) + uint64(level)
}

// nodeCount is the number of nodes stored for n leaves.
func nodeCount(n uint64) uint64 { return 2*n - uint64(bits.OnesCount64(n)) }

// leavesForCount inverts nodeCount; ok is false when no leaf count yields c.
func leavesForCount(c uint64) (n uint64, ok bool) {
	// nodeCount is strictly increasing and nodeCount(n) ≥ n.
	lo, hi := uint64(0), c
	if hi > 1<<62 {
		hi = 1 << 62
	}
	for lo < hi {
		mid := lo + (hi-lo)/2
		if nodeCount(mid) < c {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nodeCount(lo) == c
}

// AHT is the appendable binary-linking tree of HASHING.md §5 over a
// NodeStore. It keeps only the peaks of the current tree in memory; roots of
// older sizes and proofs are read from the stored complete-subtree hashes
// (O(log² n) reads at most), never rebuilt from the leaves.
//
// Concurrency: Append must be called by one goroutine at a time (it is
// serialised anyway). Any number of goroutines may concurrently call Size,
// Root, RootAt, InclusionProof and ConsistencyProof for sizes up to the
// Size() they observed. The NodeStore must allow ReadNode concurrently with
// AppendNodes, and nodes must be readable once AppendNodes has returned
// (MemNodeStore does both): Append publishes the new size only after that.
type AHT struct {
	store NodeStore

	appendMu sync.Mutex // serialises appenders
	buf      []Hash     // nodes of the current append, reused
	broken   error      // set when the store failed mid-append

	mu    sync.RWMutex // guards size, peaks, root
	size  uint64
	peaks [64]Hash // peaks[l] is valid iff bit l of size is set
	root  Hash
}

// OpenAHT opens the tree stored in s, deriving the leaf count from
// s.Count() and reading the O(log n) peaks.
func OpenAHT(s NodeStore) (*AHT, error) {
	if s == nil {
		return nil, invalid("nil node store")
	}
	c := s.Count()
	n, ok := leavesForCount(c)
	if !ok {
		return nil, fmt.Errorf("%w: %d nodes cannot hold a whole number of leaves", ErrCorruptStore, c)
	}
	t := &AHT{store: s, size: n}
	for l := uint(0); l < 64; l++ {
		if n&(1<<l) == 0 {
			continue
		}
		h, err := s.ReadNode(NodePos(l, n>>l-1))
		if err != nil {
			return nil, fmt.Errorf("proof: open aht: %w", err)
		}
		t.peaks[l] = h
	}
	t.root = foldPeaks(&t.peaks, n)
	return t, nil
}

// foldPeaks combines the peaks of a tree of n leaves into its root: the
// RFC 6962 MTH splits off the largest complete subtree first, so the root is
// the fold from the smallest peak up.
func foldPeaks(peaks *[64]Hash, n uint64) Hash {
	if n == 0 {
		return Hash{}
	}
	l := uint(bits.TrailingZeros64(n))
	acc := peaks[l]
	for l++; l < 64; l++ {
		if n&(1<<l) != 0 {
			acc = NodeHash(peaks[l], acc)
		}
	}
	return acc
}

// Append adds a leaf (the Alh of the next tx) and returns the new root.
func (t *AHT) Append(alh Hash) (Hash, error) {
	t.appendMu.Lock()
	defer t.appendMu.Unlock()
	if t.broken != nil {
		return Hash{}, t.broken
	}
	n := t.size // only appenders change size; appendMu is held
	h := LeafHash(alh)
	buf := append(t.buf[:0], h)
	var l uint
	for ; n&(1<<l) != 0; l++ {
		h = NodeHash(t.peaks[l], h)
		buf = append(buf, h)
	}
	t.buf = buf
	if err := t.store.AppendNodes(buf); err != nil {
		t.broken = fmt.Errorf("proof: aht append failed, tree must be reopened: %w", err)
		return Hash{}, t.broken
	}
	t.mu.Lock()
	t.peaks[l] = h
	t.size = n + 1
	t.root = foldPeaks(&t.peaks, t.size)
	root := t.root
	t.mu.Unlock()
	return root, nil
}

// Size is the number of leaves.
func (t *AHT) Size() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.size
}

// Root is the root of the current tree; ErrEmptyTree when it has no leaf.
func (t *AHT) Root() (Hash, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.size == 0 {
		return Hash{}, ErrEmptyTree
	}
	return t.root, nil
}

// checkSize fails unless 1 ≤ n ≤ Size(); it returns the current size.
func (t *AHT) checkSize(what string, n uint64) (uint64, error) {
	size := t.Size()
	if n == 0 {
		if size == 0 {
			return size, ErrEmptyTree
		}
		return size, invalid("%s: tree size 0", what)
	}
	if n > size {
		return size, invalid("%s: tree size %d beyond the %d leaves stored", what, n, size)
	}
	return size, nil
}

// RootAt is root(n), 1 ≤ n ≤ Size().
func (t *AHT) RootAt(n uint64) (Hash, error) {
	size, err := t.checkSize("root", n)
	if err != nil {
		return Hash{}, err
	}
	if n == size {
		t.mu.RLock()
		if t.size == n {
			r := t.root
			t.mu.RUnlock()
			return r, nil
		}
		t.mu.RUnlock()
	}
	return t.rangeHash(0, n)
}

// rangeHash is MTH over leaves [lo, hi), where lo is a multiple of a power
// of two at least hi−lo (true of every range an RFC 6962 proof names). It
// reads the complete subtrees covering the range and folds them.
func (t *AHT) rangeHash(lo, hi uint64) (Hash, error) {
	if hi <= lo {
		return Hash{}, invalid("empty leaf range [%d, %d)", lo, hi)
	}
	span := hi - lo
	if lo != 0 && uint64(1)<<bits.TrailingZeros64(lo) < span {
		return Hash{}, invalid("unaligned leaf range [%d, %d)", lo, hi)
	}
	var nodes [64]Hash
	cnt := 0
	cur := lo
	for l := 63; l >= 0; l-- {
		if span&(1<<uint(l)) == 0 {
			continue
		}
		h, err := t.store.ReadNode(NodePos(uint(l), cur>>uint(l)))
		if err != nil {
			return Hash{}, fmt.Errorf("proof: aht read: %w", err)
		}
		nodes[cnt] = h
		cnt++
		cur += 1 << uint(l)
	}
	acc := nodes[cnt-1]
	for k := cnt - 2; k >= 0; k-- {
		acc = NodeHash(nodes[k], acc)
	}
	return acc, nil
}

// InclusionProof is incl(i, j) of HASHING.md §5.2: the audit path of leaf
// i−1 in the tree of size j, bottom-up; 1 ≤ i ≤ j ≤ Size().
func (t *AHT) InclusionProof(i, j uint64) ([]Hash, error) {
	if _, err := t.checkSize("inclusion proof", j); err != nil {
		return nil, err
	}
	if i == 0 || i > j {
		return nil, invalid("inclusion proof of leaf %d in tree size %d", i, j)
	}
	out := make([]Hash, 0, bits.Len64(j))
	return t.path(out, i-1, 0, j)
}

// path appends the audit path of leaf m within [lo, hi), deepest term first.
func (t *AHT) path(out []Hash, m, lo, hi uint64) ([]Hash, error) {
	if hi-lo <= 1 {
		return out, nil
	}
	k := largestPow2Below(hi - lo)
	var err error
	var sib Hash
	if m-lo < k {
		if out, err = t.path(out, m, lo, lo+k); err != nil {
			return nil, err
		}
		sib, err = t.rangeHash(lo+k, hi)
	} else {
		if out, err = t.path(out, m, lo+k, hi); err != nil {
			return nil, err
		}
		sib, err = t.rangeHash(lo, lo+k)
	}
	if err != nil {
		return nil, err
	}
	return append(out, sib), nil
}

// ConsistencyProof is cons(i, j) of HASHING.md §5.3: the RFC 6962
// consistency proof with immudb's differences (root(i) first when i is a
// power of two; a two-term proof for i == j > 1); 1 ≤ i ≤ j ≤ Size().
func (t *AHT) ConsistencyProof(i, j uint64) ([]Hash, error) {
	if _, err := t.checkSize("consistency proof", j); err != nil {
		return nil, err
	}
	if i == 0 || i > j {
		return nil, invalid("consistency proof from size %d to %d", i, j)
	}
	if i == j {
		if j == 1 {
			return []Hash{}, nil
		}
		k := largestPow2Below(j)
		right, err := t.rangeHash(k, j)
		if err != nil {
			return nil, err
		}
		left, err := t.rangeHash(0, k)
		if err != nil {
			return nil, err
		}
		return []Hash{right, left}, nil
	}
	out := make([]Hash, 0, bits.Len64(j)+1)
	if i&(i-1) == 0 {
		r, err := t.rangeHash(0, i)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return t.subproof(out, i, 0, j, true)
}

// subproof is RFC 6962 SUBPROOF(m, D[lo:hi], b), appended deepest first.
func (t *AHT) subproof(out []Hash, m, lo, hi uint64, b bool) ([]Hash, error) {
	n := hi - lo
	if m == n {
		if b {
			return out, nil
		}
		h, err := t.rangeHash(lo, hi)
		if err != nil {
			return nil, err
		}
		return append(out, h), nil
	}
	k := largestPow2Below(n)
	var err error
	var sib Hash
	if m <= k {
		if out, err = t.subproof(out, m, lo, lo+k, b); err != nil {
			return nil, err
		}
		sib, err = t.rangeHash(lo+k, hi)
	} else {
		if out, err = t.subproof(out, m-k, lo+k, hi, false); err != nil {
			return nil, err
		}
		sib, err = t.rangeHash(lo, lo+k)
	}
	if err != nil {
		return nil, err
	}
	return append(out, sib), nil
}

// MemNodeStore is an in-memory NodeStore, safe for one appender concurrent
// with readers.
type MemNodeStore struct {
	mu    sync.RWMutex
	nodes []Hash
}

// NewMemNodeStore returns an empty store.
func NewMemNodeStore() *MemNodeStore { return &MemNodeStore{} }

// ReadNode returns the hash at pos.
func (s *MemNodeStore) ReadNode(pos uint64) (Hash, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if pos >= uint64(len(s.nodes)) {
		return Hash{}, invalid("node %d beyond the %d stored", pos, len(s.nodes))
	}
	return s.nodes[pos], nil
}

// AppendNodes appends copies of nodes.
func (s *MemNodeStore) AppendNodes(nodes []Hash) error {
	s.mu.Lock()
	s.nodes = append(s.nodes, nodes...)
	s.mu.Unlock()
	return nil
}

// Count is the number of hashes stored.
func (s *MemNodeStore) Count() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return uint64(len(s.nodes))
}
