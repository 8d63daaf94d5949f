package proof

import "fmt"

// BuildDualProof builds the DualProof of HASHING.md §7.1 from src to dst
// (src.ID ≤ dst.ID) with the history in l.
func BuildDualProof(l Ledger, src, dst *TxHeader) (*DualProof, error) {
	if l == nil || src == nil || dst == nil {
		return nil, invalid("dual proof: nil ledger or header")
	}
	if src.ID == 0 {
		return nil, invalid("dual proof: source tx 0 does not exist")
	}
	if src.ID > dst.ID {
		return nil, invalid("dual proof: source tx %d is newer than target tx %d", src.ID, dst.ID)
	}
	if src.BlTxID > dst.BlTxID {
		return nil, fmt.Errorf("%w: dual proof: source blTxId %d beyond target blTxId %d", ErrCorruptStore, src.BlTxID, dst.BlTxID)
	}
	if dst.BlTxID >= dst.ID {
		return nil, fmt.Errorf("%w: dual proof: target blTxId %d not below its id %d", ErrCorruptStore, dst.BlTxID, dst.ID)
	}
	p := &DualProof{SourceTxHeader: src, TargetTxHeader: dst, InclusionProof: []Hash{},
		ConsistencyProof: []Hash{}, LastInclusionProof: []Hash{}}
	var err error
	if src.ID < dst.BlTxID {
		if p.InclusionProof, err = l.TreeInclusionProof(src.ID, dst.BlTxID); err != nil {
			return nil, fmt.Errorf("proof: dual proof inclusion: %w", err)
		}
	}
	if src.BlTxID > 0 {
		if p.ConsistencyProof, err = l.TreeConsistencyProof(src.BlTxID, dst.BlTxID); err != nil {
			return nil, fmt.Errorf("proof: dual proof consistency: %w", err)
		}
	}
	if dst.BlTxID > 0 {
		if p.TargetBlTxAlh, err = l.Alh(dst.BlTxID); err != nil {
			return nil, fmt.Errorf("proof: dual proof target bl alh: %w", err)
		}
		if p.LastInclusionProof, err = l.TreeInclusionProof(dst.BlTxID, dst.BlTxID); err != nil {
			return nil, fmt.Errorf("proof: dual proof last inclusion: %w", err)
		}
	}
	if p.LinearProof, err = BuildLinearProof(l, max(src.ID, dst.BlTxID), dst.ID); err != nil {
		return nil, err
	}
	if p.LinearAdvanceProof, err = BuildLinearAdvanceProof(l, src.BlTxID, min(src.ID, dst.BlTxID), dst.BlTxID); err != nil {
		return nil, err
	}
	return p, nil
}

// checkEnds runs the checks shared by both dual proof verifiers: headers
// present with the asked ids, and their Alhs equal to the trusted ones.
func checkEnds(src, dst *TxHeader, s, t uint64, alhS, alhT Hash) error {
	if src == nil || dst == nil {
		return failCheck("dual proof: missing header")
	}
	if src.ID != s || dst.ID != t {
		return failCheck(fmt.Sprintf("dual proof: headers of tx %d and tx %d, expected tx %d and tx %d", src.ID, dst.ID, s, t))
	}
	if s == 0 || s > t {
		return failCheck(fmt.Sprintf("dual proof: tx ids out of order (%d to %d)", s, t))
	}
	// One tx has one Alh. The v1 verifier implies this through its linear
	// proof, but DualProofV2 stops early when s == t: without this check
	// two headers of tx s from forked histories would pass (the reference
	// verifier has that gap; an honest server never trips this check).
	if s == t && alhS != alhT {
		return mismatch(fmt.Sprintf("dual proof: two Alhs for tx %d", s), alhS, alhT)
	}
	a, err := src.Alh()
	if err != nil {
		return within("dual proof: source header", fmt.Errorf("%w: %v", ErrVerificationFailed, err))
	}
	if a != alhS {
		return mismatch("dual proof: source alh", alhS, a)
	}
	if a, err = dst.Alh(); err != nil {
		return within("dual proof: target header", fmt.Errorf("%w: %v", ErrVerificationFailed, err))
	}
	if a != alhT {
		return mismatch("dual proof: target alh", alhT, a)
	}
	return nil
}

// VerifyDualProof is the complete client check of HASHING.md §7.2: the
// history up to tx s (trusted Alh alhS) is a prefix of the history up to
// tx t (alhT). The headers are tied to the trusted Alhs first, and the
// linear-advance proof is required wherever the linear chain is not covered
// by the tree proofs: together these defeat the forged-history attack of
// CVE-2022-36111. Two checks go beyond the reference client, and no honest
// proof can fail them: one tx has one Alh (s == t requires alhS == alhT),
// and when the target's tree ends at tx s (or s−1) its last leaf must be
// alhS (or the source header's prevAlh).
func VerifyDualProof(p *DualProof, s, t uint64, alhS, alhT Hash) error {
	if p == nil {
		return failCheck("dual proof: missing")
	}
	src, dst := p.SourceTxHeader, p.TargetTxHeader
	if err := checkEnds(src, dst, s, t, alhS, alhT); err != nil {
		return err
	}
	if s < dst.BlTxID {
		if err := VerifyInclusion(p.InclusionProof, s, dst.BlTxID, LeafHash(alhS), dst.BlRoot); err != nil {
			return within("dual proof: source inclusion", err)
		}
	}
	if src.BlTxID > 0 {
		if err := VerifyConsistency(p.ConsistencyProof, src.BlTxID, dst.BlTxID, src.BlRoot, dst.BlRoot); err != nil {
			return within("dual proof: consistency", err)
		}
	}
	if dst.BlTxID > 0 {
		if err := VerifyLastInclusion(p.LastInclusionProof, dst.BlTxID, LeafHash(p.TargetBlTxAlh), dst.BlRoot); err != nil {
			return within("dual proof: last inclusion", err)
		}
	}
	if s < dst.BlTxID {
		if err := VerifyLinearProof(p.LinearProof, dst.BlTxID, t, p.TargetBlTxAlh, alhT); err != nil {
			return within("dual proof", err)
		}
		if err := VerifyLinearAdvanceProof(p.LinearAdvanceProof, src.BlTxID, s, alhS, dst.BlRoot, dst.BlTxID); err != nil {
			return within("dual proof", err)
		}
		return nil
	}
	// The tree of the target ends at tx s itself: its last leaf must be the
	// trusted Alh. The reference does not check this, so a target whose
	// tree holds another version of tx s would pass, and later proofs
	// against that tree would show the forged tx s (an honest server always
	// sends Alh(s) here).
	if dst.BlTxID == s && p.TargetBlTxAlh != alhS {
		return mismatch("dual proof: target tree's last leaf is not the source alh", alhS, p.TargetBlTxAlh)
	}
	// Likewise when it ends just before s (legacy linking): the source
	// header names Alh(s−1) as its prevAlh.
	if dst.BlTxID > 0 && dst.BlTxID == s-1 && p.TargetBlTxAlh != src.PrevAlh {
		return mismatch("dual proof: target tree's last leaf is not the source prevAlh", src.PrevAlh, p.TargetBlTxAlh)
	}
	if err := VerifyLinearProof(p.LinearProof, s, t, alhS, alhT); err != nil {
		return within("dual proof", err)
	}
	if err := VerifyLinearAdvanceProof(p.LinearAdvanceProof, src.BlTxID, dst.BlTxID, p.TargetBlTxAlh, dst.BlRoot, dst.BlTxID); err != nil {
		return within("dual proof", err)
	}
	return nil
}

// checkV2Linking is the linking rule DualProofV2 relies on: both headers
// were written by a synchronously linking server (blTxId = id−1).
func checkV2Linking(src, dst *TxHeader) bool {
	return src.ID >= 1 && src.BlTxID == src.ID-1 && dst.ID >= 1 && dst.BlTxID == dst.ID-1
}

// BuildDualProofV2 builds the document-API proof of HASHING.md §7.3.
func BuildDualProofV2(l Ledger, src, dst *TxHeader) (*DualProofV2, error) {
	if l == nil || src == nil || dst == nil {
		return nil, invalid("dual proof v2: nil ledger or header")
	}
	if src.ID > dst.ID {
		return nil, invalid("dual proof v2: source tx %d is newer than target tx %d", src.ID, dst.ID)
	}
	if !checkV2Linking(src, dst) {
		return nil, fmt.Errorf("%w: dual proof v2: unexpected linking error", ErrInvalidArgument)
	}
	p := &DualProofV2{SourceTxHeader: src, TargetTxHeader: dst, InclusionProof: []Hash{}, ConsistencyProof: []Hash{}}
	if src.ID == dst.ID {
		return p, nil
	}
	var err error
	if p.InclusionProof, err = l.TreeInclusionProof(src.ID, dst.BlTxID); err != nil {
		return nil, fmt.Errorf("proof: dual proof v2 inclusion: %w", err)
	}
	if p.ConsistencyProof, err = l.TreeConsistencyProof(max(1, src.BlTxID), dst.BlTxID); err != nil {
		return nil, fmt.Errorf("proof: dual proof v2 consistency: %w", err)
	}
	return p, nil
}

// VerifyDualProofV2 checks a document-API proof (HASHING.md §7.3). It is
// stricter than the reference in one respect: with s == t it requires
// alhS == alhT, so it never accepts two forked versions of one tx.
func VerifyDualProofV2(p *DualProofV2, s, t uint64, alhS, alhT Hash) error {
	if p == nil {
		return failCheck("dual proof v2: missing")
	}
	src, dst := p.SourceTxHeader, p.TargetTxHeader
	if err := checkEnds(src, dst, s, t, alhS, alhT); err != nil {
		return err
	}
	if !checkV2Linking(src, dst) {
		return failCheck("dual proof v2: headers are not linked to their previous tx")
	}
	if s == t {
		return nil
	}
	if err := VerifyInclusion(p.InclusionProof, s, dst.BlTxID, LeafHash(alhS), dst.BlRoot); err != nil {
		return within("dual proof v2: source inclusion", err)
	}
	var err error
	if s == 1 {
		// tx 1 has no blRoot: its tree of one leaf has root L(alh1).
		err = VerifyConsistency(p.ConsistencyProof, 1, dst.BlTxID, LeafHash(alhS), dst.BlRoot)
	} else {
		err = VerifyConsistency(p.ConsistencyProof, src.BlTxID, dst.BlTxID, src.BlRoot, dst.BlRoot)
	}
	return within("dual proof v2: consistency", err)
}
