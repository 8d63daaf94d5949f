package proof

// HTree keeps every level of an entries tree so that the proofs of many
// entries of one tx cost O(log n) each after an O(n) build (the server
// answering for several keys of a large tx, or the client checking all
// entries of a tx).
type HTree struct {
	levels [][]Hash // levels[0] are the leaf hashes; the last level is the root
}

// BuildHTree builds the tree over the entry digests.
func BuildHTree(digests []Hash) *HTree {
	n := len(digests)
	if n == 0 {
		return &HTree{}
	}
	// All levels in one backing array: at most 2n hashes.
	buf := make([]Hash, 0, 2*n)
	for _, d := range digests {
		buf = append(buf, LeafHash(d))
	}
	t := &HTree{levels: [][]Hash{buf[0:n:n]}}
	prev := buf[0:n:n]
	for len(prev) > 1 {
		start := len(buf)
		for i := 0; i+1 < len(prev); i += 2 {
			buf = append(buf, NodeHash(prev[i], prev[i+1]))
		}
		if len(prev)%2 == 1 {
			buf = append(buf, prev[len(prev)-1]) // promoted unchanged
		}
		prev = buf[start:len(buf):len(buf)]
		t.levels = append(t.levels, prev)
	}
	return t
}

// Width is the number of entries.
func (t *HTree) Width() int {
	if len(t.levels) == 0 {
		return 0
	}
	return len(t.levels[0])
}

// Root is Eh: EmptyHash for no entries.
func (t *HTree) Root() Hash {
	if len(t.levels) == 0 {
		return EmptyHash
	}
	return t.levels[len(t.levels)-1][0]
}

// InclusionProof is the audit path of entry leaf, bottom-up; it equals
// HTreeInclusionProof over the same digests.
func (t *HTree) InclusionProof(leaf int) (InclusionProof, error) {
	n := t.Width()
	if leaf < 0 || leaf >= n {
		return InclusionProof{}, invalid("htree leaf %d out of range [0, %d)", leaf, n)
	}
	terms := make([]Hash, 0, len(t.levels)-1)
	i := leaf
	for _, level := range t.levels[:len(t.levels)-1] {
		// A node without a right neighbour was promoted: no term here.
		if sib := i ^ 1; sib < len(level) {
			terms = append(terms, level[sib])
		}
		i /= 2
	}
	return InclusionProof{Leaf: leaf, Width: n, Terms: terms}, nil
}
