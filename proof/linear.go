package proof

import "fmt"

// chainStep is the Alh of tx id from the Alh of id−1 and the inner hash of id.
func chainStep(id uint64, prevAlh, inner Hash) Hash { return AlhFrom(id, prevAlh, inner) }

// BuildLinearProof is LinearProof(s, t) of HASHING.md §6.1:
// [Alh(s), innerHash(s+1), …, innerHash(t)], 1 ≤ s ≤ t.
func BuildLinearProof(l Ledger, s, t uint64) (*LinearProof, error) {
	if s == 0 || s > t {
		return nil, invalid("linear proof from tx %d to tx %d", s, t)
	}
	terms, err := linearTerms(l, s, t)
	if err != nil {
		return nil, err
	}
	return &LinearProof{SourceTxID: s, TargetTxID: t, Terms: terms}, nil
}

// linearTerms is [Alh(s), innerHash(s+1), …, innerHash(t)].
func linearTerms(l Ledger, s, t uint64) ([]Hash, error) {
	if l == nil {
		return nil, invalid("nil ledger")
	}
	if t-s >= 1<<24 {
		return nil, invalid("linear proof over %d txs", t-s)
	}
	terms := make([]Hash, 0, t-s+1)
	alh, err := l.Alh(s)
	if err != nil {
		return nil, fmt.Errorf("proof: linear proof: alh of tx %d: %w", s, err)
	}
	terms = append(terms, alh)
	// Count the steps rather than the ids: with t = 2^64-1 an id loop
	// would wrap to 0 and never end.
	for k := uint64(1); k <= t-s; k++ {
		id := s + k
		h, err := l.InnerHash(id)
		if err != nil {
			return nil, fmt.Errorf("proof: linear proof: inner hash of tx %d: %w", id, err)
		}
		terms = append(terms, h)
	}
	return terms, nil
}

// VerifyLinearProof checks that p chains alhS (the Alh of tx s) to alhT
// (the Alh of tx t).
func VerifyLinearProof(p *LinearProof, s, t uint64, alhS, alhT Hash) error {
	switch {
	case p == nil:
		return failCheck("linear proof: missing")
	case p.SourceTxID != s || p.TargetTxID != t:
		return failCheck(fmt.Sprintf("linear proof: proves tx %d to tx %d, expected tx %d to tx %d", p.SourceTxID, p.TargetTxID, s, t))
	case s == 0 || s > t:
		return failCheck(fmt.Sprintf("linear proof: tx ids out of order (%d to %d)", s, t))
	case len(p.Terms) == 0:
		return failCheck("linear proof: no terms")
	case uint64(len(p.Terms)) != t-s+1:
		return failCheck(fmt.Sprintf("linear proof: %d terms, expected %d", len(p.Terms), t-s+1))
	}
	if p.Terms[0] != alhS {
		return mismatch("linear proof: source alh", alhS, p.Terms[0])
	}
	c := p.Terms[0]
	for k := 1; k < len(p.Terms); k++ {
		c = chainStep(s+uint64(k), c, p.Terms[k])
	}
	if c != alhT {
		return mismatch("linear proof: target alh", alhT, c)
	}
	return nil
}

// BuildLinearAdvanceProof is LinearAdvanceProof(start, end, treeSize) of
// HASHING.md §6.2; nil (and no error) when end ≤ start+1, where none is
// needed. Txs start+1 … end−1 must lie in the tree: end ≤ treeSize+1.
func BuildLinearAdvanceProof(l Ledger, start, end, treeSize uint64) (*LinearAdvanceProof, error) {
	if end < start {
		return nil, invalid("linear advance proof from tx %d to tx %d", start, end)
	}
	if end-start <= 1 { // not end <= start+1, which wraps at start = 2^64-1
		return nil, nil
	}
	if l == nil {
		return nil, invalid("nil ledger")
	}
	if end-1 > treeSize {
		return nil, invalid("linear advance proof to tx %d beyond tree size %d", end, treeSize)
	}
	terms, err := linearTerms(l, start+1, end)
	if err != nil {
		return nil, err
	}
	incl := make([][]Hash, 0, end-start-1)
	for tx := start + 1; tx < end; tx++ {
		p, err := l.TreeInclusionProof(tx, treeSize)
		if err != nil {
			return nil, fmt.Errorf("proof: linear advance proof: inclusion of tx %d: %w", tx, err)
		}
		incl = append(incl, p)
	}
	return &LinearAdvanceProof{LinearProofTerms: terms, InclusionProofs: incl}, nil
}

// VerifyLinearAdvanceProof checks that the Alhs of txs start+1 … end−1 chain
// to endAlh and are leaves of the tree of size treeSize with root treeRoot.
func VerifyLinearAdvanceProof(p *LinearAdvanceProof, start, end uint64, endAlh, treeRoot Hash, treeSize uint64) error {
	if end < start {
		return failCheck(fmt.Sprintf("linear advance proof: end tx %d before start tx %d", end, start))
	}
	if end-start <= 1 { // not end <= start+1, which wraps at start = 2^64-1
		return nil
	}
	switch {
	case p == nil:
		return failCheck(fmt.Sprintf("linear advance proof: missing (needed from tx %d to tx %d)", start, end))
	case uint64(len(p.LinearProofTerms)) != end-start:
		return failCheck(fmt.Sprintf("linear advance proof: %d linear terms, expected %d", len(p.LinearProofTerms), end-start))
	case uint64(len(p.InclusionProofs)) != end-start-1:
		return failCheck(fmt.Sprintf("linear advance proof: %d inclusion proofs, expected %d", len(p.InclusionProofs), end-start-1))
	}
	c := p.LinearProofTerms[0]
	for tx := start + 1; tx < end; tx++ {
		if err := VerifyInclusion(p.InclusionProofs[tx-start-1], tx, treeSize, LeafHash(c), treeRoot); err != nil {
			return within(fmt.Sprintf("linear advance proof: tx %d", tx), err)
		}
		c = chainStep(tx+1, c, p.LinearProofTerms[tx-start])
	}
	if c != endAlh {
		return mismatch("linear advance proof: end alh", endAlh, c)
	}
	return nil
}
