package e2e

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// These helpers check server replies the way an official client does, with
// package proof; they convert just enough proto to do so.

func toHash(b []byte) (proof.Hash, error) {
	var h proof.Hash
	if len(b) != len(h) {
		return h, fmt.Errorf("hash of %d bytes", len(b))
	}
	copy(h[:], b)
	return h, nil
}

func toHashes(bs [][]byte) ([]proof.Hash, error) {
	out := make([]proof.Hash, len(bs))
	for i, b := range bs {
		h, err := toHash(b)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func toHeader(h *schema.TxHeader) (*proof.TxHeader, error) {
	if h == nil {
		return nil, fmt.Errorf("missing header")
	}
	ph := &proof.TxHeader{ID: h.Id, Ts: h.Ts, Version: int(h.Version), NEntries: int(h.Nentries), BlTxID: h.BlTxId}
	var err error
	if ph.PrevAlh, err = toHash(h.PrevAlh); err != nil {
		return nil, err
	}
	if ph.Eh, err = toHash(h.EH); err != nil {
		return nil, err
	}
	if len(h.BlRoot) > 0 {
		if ph.BlRoot, err = toHash(h.BlRoot); err != nil {
			return nil, err
		}
	}
	if md := h.Metadata; md != nil {
		ph.Metadata = proof.TxMetadata{TruncatedUptoTx: md.TruncatedTxID, Extra: md.Extra}
	}
	return ph, nil
}

func alhOf(h *schema.TxHeader) (proof.Hash, error) {
	ph, err := toHeader(h)
	if err != nil {
		return proof.Hash{}, err
	}
	return ph.Alh()
}

func toDualProof(p *schema.DualProof) (*proof.DualProof, error) {
	if p == nil {
		return nil, fmt.Errorf("missing dual proof")
	}
	var err error
	d := &proof.DualProof{}
	if d.SourceTxHeader, err = toHeader(p.SourceTxHeader); err != nil {
		return nil, err
	}
	if d.TargetTxHeader, err = toHeader(p.TargetTxHeader); err != nil {
		return nil, err
	}
	if d.InclusionProof, err = toHashes(p.InclusionProof); err != nil {
		return nil, err
	}
	if d.ConsistencyProof, err = toHashes(p.ConsistencyProof); err != nil {
		return nil, err
	}
	if d.TargetBlTxAlh, err = toHash(p.TargetBlTxAlh); err != nil {
		return nil, err
	}
	if d.LastInclusionProof, err = toHashes(p.LastInclusionProof); err != nil {
		return nil, err
	}
	if lp := p.LinearProof; lp != nil {
		terms, err := toHashes(lp.Terms)
		if err != nil {
			return nil, err
		}
		d.LinearProof = &proof.LinearProof{SourceTxID: lp.SourceTxId, TargetTxID: lp.TargetTxId, Terms: terms}
	}
	if la := p.LinearAdvanceProof; la != nil {
		terms, err := toHashes(la.LinearProofTerms)
		if err != nil {
			return nil, err
		}
		d.LinearAdvanceProof = &proof.LinearAdvanceProof{LinearProofTerms: terms}
		for _, ip := range la.InclusionProofs {
			hs, err := toHashes(ip.Terms)
			if err != nil {
				return nil, err
			}
			d.LinearAdvanceProof.InclusionProofs = append(d.LinearAdvanceProof.InclusionProofs, hs)
		}
	}
	return d, nil
}

// checkVerifiableTx verifies the dual proof between its own source and
// target headers and the signature of (db, T.id, Alh(T)). It returns the
// target's id and Alh, the state a client would store.
func checkVerifiableTx(pub *ecdsa.PublicKey, db string, vtx *schema.VerifiableTx) (uint64, proof.Hash, error) {
	if vtx == nil {
		return 0, proof.Hash{}, fmt.Errorf("missing verifiable tx")
	}
	dp, err := toDualProof(vtx.DualProof)
	if err != nil {
		return 0, proof.Hash{}, err
	}
	alhS, err := dp.SourceTxHeader.Alh()
	if err != nil {
		return 0, proof.Hash{}, err
	}
	alhT, err := dp.TargetTxHeader.Alh()
	if err != nil {
		return 0, proof.Hash{}, err
	}
	if err := proof.VerifyDualProof(dp, dp.SourceTxHeader.ID, dp.TargetTxHeader.ID, alhS, alhT); err != nil {
		return 0, proof.Hash{}, fmt.Errorf("dual proof: %w", err)
	}
	if vtx.Signature == nil {
		return 0, proof.Hash{}, fmt.Errorf("no signature provided")
	}
	if err := proof.VerifyStateSignature(pub, db, dp.TargetTxHeader.ID, alhT[:], vtx.Signature.Signature); err != nil {
		return 0, proof.Hash{}, fmt.Errorf("signature: %w", err)
	}
	return dp.TargetTxHeader.ID, alhT, nil
}

// checkConsistentWith verifies that a trusted state (id, alh) is the
// source or target of the reply's dual proof (what the client checks
// against its stored state).
func checkConsistentWith(vtx *schema.VerifiableTx, id uint64, alh proof.Hash) error {
	dp := vtx.DualProof
	for _, h := range []*schema.TxHeader{dp.SourceTxHeader, dp.TargetTxHeader} {
		if h.Id == id {
			got, err := alhOf(h)
			if err != nil {
				return err
			}
			if got != alh {
				return fmt.Errorf("tx %d: Alh differs from the trusted state", id)
			}
			return nil
		}
	}
	return fmt.Errorf("trusted tx %d is neither source %d nor target %d", id, dp.SourceTxHeader.Id, dp.TargetTxHeader.Id)
}

func kvMetadataBytes(md *schema.KVMetadata) []byte {
	if md == nil {
		return nil
	}
	m := proof.KVMetadata{Deleted: md.Deleted, NonIndexable: md.NonIndexable}
	if md.Expiration != nil {
		m.HasExpiry, m.ExpiresAt = true, md.Expiration.ExpiresAt
	}
	return m.Bytes()
}

// checkVerifiableEntry verifies a VerifiableGet reply: the entry's value
// hashes to the tx entry's hValue, the inclusion proof puts that entry in
// the tx's eH, and the dual proof and signature hold.
func checkVerifiableEntry(pub *ecdsa.PublicKey, db string, ve *schema.VerifiableEntry) error {
	e := ve.Entry
	if e == nil || ve.VerifiableTx == nil || ve.VerifiableTx.Tx == nil || ve.InclusionProof == nil {
		return fmt.Errorf("incomplete verifiable entry")
	}
	storeKey := proof.EncodeKVKey(e.Key)
	storeValue := proof.EncodePlainValue(e.Value)
	md := e.Metadata
	if r := e.ReferencedBy; r != nil {
		storeKey = proof.EncodeKVKey(r.Key)
		storeValue = proof.EncodeReferenceValue(r.AtTx, e.Key)
		md = r.Metadata
	}
	hdr := ve.VerifiableTx.Tx.Header
	var entry *schema.TxEntry
	for _, te := range ve.VerifiableTx.Tx.Entries {
		if string(te.Key) == string(storeKey) {
			entry = te
		}
	}
	if entry == nil {
		return fmt.Errorf("key %q not in tx %d", storeKey, hdr.GetId())
	}
	hv := sha256.Sum256(storeValue)
	if string(hv[:]) != string(entry.HValue) {
		return fmt.Errorf("value does not match hValue")
	}
	digest, err := proof.EntryDigest(int(hdr.Version), storeKey, kvMetadataBytes(md), hv)
	if err != nil {
		return err
	}
	eh, err := toHash(hdr.EH)
	if err != nil {
		return err
	}
	terms, err := toHashes(ve.InclusionProof.Terms)
	if err != nil {
		return err
	}
	ip := proof.InclusionProof{Leaf: int(ve.InclusionProof.Leaf), Width: int(ve.InclusionProof.Width), Terms: terms}
	if err := proof.VerifyHTreeInclusion(ip, digest, eh); err != nil {
		return fmt.Errorf("inclusion: %w", err)
	}
	if _, _, err = checkVerifiableTx(pub, db, ve.VerifiableTx); err != nil {
		return err
	}
	// The tx holding the entry must be one end of the dual proof.
	alh, err := alhOf(hdr)
	if err != nil {
		return err
	}
	return checkConsistentWith(ve.VerifiableTx, hdr.Id, alh)
}
