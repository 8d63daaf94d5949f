package proof

import (
	"fmt"
	"math/bits"
)

// HTreeRoot is the root (Eh) of the entries tree over the entry digests
// (HASHING.md §3.1): RFC 6962 MTH with leaf L and node N, EmptyHash for no
// entries. It allocates one scratch slice for more than one digest; use
// HTreeRootInto on the hot path.
func HTreeRoot(digests []Hash) Hash {
	if len(digests) <= 1 {
		return HTreeRootInto(nil, digests)
	}
	return HTreeRootInto(make([]Hash, len(digests)), digests)
}

// HTreeRootInto is HTreeRoot computed in place in scratch, which is used
// when it holds at least len(digests) hashes (otherwise one is allocated).
// digests is not modified.
func HTreeRootInto(scratch []Hash, digests []Hash) Hash {
	n := len(digests)
	switch n {
	case 0:
		return EmptyHash
	case 1:
		return LeafHash(digests[0])
	}
	if len(scratch) < n {
		scratch = make([]Hash, n)
	}
	level := scratch[:n]
	for i := range digests {
		level[i] = LeafHash(digests[i])
	}
	// Pair neighbours from the left; an odd last node moves up unchanged,
	// which yields the RFC 6962 shape.
	for w := n; w > 1; {
		half := w / 2
		for i := 0; i < half; i++ {
			level[i] = NodeHash(level[2*i], level[2*i+1])
		}
		if w%2 == 1 {
			level[half] = level[w-1]
			half++
		}
		w = half
	}
	return level[0]
}

// largestPow2Below returns the largest power of two strictly less than n (n ≥ 2).
func largestPow2Below(n uint64) uint64 {
	return 1 << (bits.Len64(n-1) - 1)
}

// HTreeInclusionProof returns the audit path of entry leaf among digests,
// bottom-up (HASHING.md §3.2).
func HTreeInclusionProof(digests []Hash, leaf int) (InclusionProof, error) {
	n := len(digests)
	if leaf < 0 || leaf >= n {
		return InclusionProof{}, invalid("htree leaf %d out of range [0, %d)", leaf, n)
	}
	terms := make([]Hash, 0, bits.Len(uint(n)))
	var scratch []Hash
	// Walk down from the whole range, collecting the sibling subtree roots
	// top-down; reverse at the end.
	lo, hi, m := 0, n, leaf
	for hi-lo > 1 {
		k := int(largestPow2Below(uint64(hi - lo)))
		if m-lo < k {
			sub := digests[lo+k : hi]
			if len(scratch) < len(sub) {
				scratch = make([]Hash, len(sub))
			}
			terms = append(terms, HTreeRootInto(scratch, sub))
			hi = lo + k
		} else {
			sub := digests[lo : lo+k]
			if len(scratch) < len(sub) {
				scratch = make([]Hash, len(sub))
			}
			terms = append(terms, HTreeRootInto(scratch, sub))
			lo += k
		}
	}
	reverse(terms)
	return InclusionProof{Leaf: leaf, Width: n, Terms: terms}, nil
}

func reverse(h []Hash) {
	for i, j := 0, len(h)-1; i < j; i, j = i+1, j-1 {
		h[i], h[j] = h[j], h[i]
	}
}

// VerifyHTreeInclusion checks that digest is entry p.Leaf of a tree of
// p.Width entries with root root (HASHING.md §3.3).
func VerifyHTreeInclusion(p InclusionProof, digest, root Hash) error {
	if p.Width <= 0 || p.Leaf < 0 || p.Leaf >= p.Width {
		return failCheck(fmt.Sprintf("htree inclusion: leaf %d out of range for width %d", p.Leaf, p.Width))
	}
	c := LeafHash(digest)
	i, r := p.Leaf, p.Width-1
	for _, t := range p.Terms {
		if i%2 == 0 && i != r {
			c = NodeHash(c, t)
		} else {
			c = NodeHash(t, c)
		}
		i /= 2
		r /= 2
	}
	if i != r {
		return failCheck(fmt.Sprintf("htree inclusion: %d terms do not fit leaf %d of width %d", len(p.Terms), p.Leaf, p.Width))
	}
	if c != root {
		return mismatch("htree inclusion: root", root, c)
	}
	return nil
}
