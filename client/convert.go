package client

import (
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// Conversions from the wire messages to the proof package's types. Every
// malformed field (wrong hash length, missing message) is reported as
// corrupted data: a server that sends it cannot be verified.

func toHash(b []byte, what string) (proof.Hash, error) {
	var h proof.Hash
	if len(b) != proof.HashSize {
		return h, corrupted(fmt.Sprintf("%s has %d bytes, want %d", what, len(b), proof.HashSize), nil)
	}
	copy(h[:], b)
	return h, nil
}

func toHashes(bs [][]byte, what string) ([]proof.Hash, error) {
	out := make([]proof.Hash, len(bs))
	for i, b := range bs {
		h, err := toHash(b, what)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func txHeaderFromProto(h *schema.TxHeader) (*proof.TxHeader, error) {
	if h == nil {
		return nil, corrupted("missing tx header", nil)
	}
	prev, err := toHash(h.GetPrevAlh(), "prevAlh")
	if err != nil {
		return nil, err
	}
	eh, err := toHash(h.GetEH(), "eH")
	if err != nil {
		return nil, err
	}
	var blRoot proof.Hash
	// A header with an empty tree may carry an absent root.
	if len(h.GetBlRoot()) != 0 || h.GetBlTxId() != 0 {
		if blRoot, err = toHash(h.GetBlRoot(), "blRoot"); err != nil {
			return nil, err
		}
	}
	out := &proof.TxHeader{
		ID:       h.GetId(),
		PrevAlh:  prev,
		Ts:       h.GetTs(),
		Version:  int(h.GetVersion()),
		NEntries: int(h.GetNentries()),
		Eh:       eh,
		BlTxID:   h.GetBlTxId(),
		BlRoot:   blRoot,
	}
	if md := h.GetMetadata(); md != nil {
		out.Metadata = proof.TxMetadata{TruncatedUptoTx: md.GetTruncatedTxID(), Extra: md.GetExtra()}
	}
	return out, nil
}

func alhOf(h *proof.TxHeader) (proof.Hash, error) {
	a, err := h.Alh()
	if err != nil {
		return a, corrupted("tx header does not encode", err)
	}
	return a, nil
}

func kvMetadataFromProto(m *schema.KVMetadata) proof.KVMetadata {
	if m == nil {
		return proof.KVMetadata{}
	}
	out := proof.KVMetadata{Deleted: m.GetDeleted(), NonIndexable: m.GetNonIndexable()}
	if e := m.GetExpiration(); e != nil {
		out.HasExpiry, out.ExpiresAt = true, e.GetExpiresAt()
	}
	return out
}

func inclusionFromProto(p *schema.InclusionProof) (proof.InclusionProof, error) {
	if p == nil {
		return proof.InclusionProof{}, corrupted("missing inclusion proof", nil)
	}
	terms, err := toHashes(p.GetTerms(), "inclusion proof term")
	if err != nil {
		return proof.InclusionProof{}, err
	}
	return proof.InclusionProof{Leaf: int(p.GetLeaf()), Width: int(p.GetWidth()), Terms: terms}, nil
}

func dualProofFromProto(p *schema.DualProof) (*proof.DualProof, error) {
	if p == nil {
		return nil, corrupted("missing dual proof", nil)
	}
	src, err := txHeaderFromProto(p.GetSourceTxHeader())
	if err != nil {
		return nil, err
	}
	dst, err := txHeaderFromProto(p.GetTargetTxHeader())
	if err != nil {
		return nil, err
	}
	out := &proof.DualProof{SourceTxHeader: src, TargetTxHeader: dst}
	if out.InclusionProof, err = toHashes(p.GetInclusionProof(), "inclusionProof"); err != nil {
		return nil, err
	}
	if out.ConsistencyProof, err = toHashes(p.GetConsistencyProof(), "consistencyProof"); err != nil {
		return nil, err
	}
	if out.LastInclusionProof, err = toHashes(p.GetLastInclusionProof(), "lastInclusionProof"); err != nil {
		return nil, err
	}
	if out.TargetBlTxAlh, err = toHash(p.GetTargetBlTxAlh(), "targetBlTxAlh"); err != nil {
		return nil, err
	}
	if lp := p.GetLinearProof(); lp != nil {
		terms, err := toHashes(lp.GetTerms(), "linearProof term")
		if err != nil {
			return nil, err
		}
		out.LinearProof = &proof.LinearProof{SourceTxID: lp.GetSourceTxId(), TargetTxID: lp.GetTargetTxId(), Terms: terms}
	}
	if lap := p.GetLinearAdvanceProof(); lap != nil {
		if out.LinearAdvanceProof, err = linearAdvanceFromProto(lap); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func linearAdvanceFromProto(p *schema.LinearAdvanceProof) (*proof.LinearAdvanceProof, error) {
	terms, err := toHashes(p.GetLinearProofTerms(), "linearAdvanceProof term")
	if err != nil {
		return nil, err
	}
	out := &proof.LinearAdvanceProof{LinearProofTerms: terms}
	for _, ip := range p.GetInclusionProofs() {
		hs, err := toHashes(ip.GetTerms(), "linearAdvanceProof inclusion term")
		if err != nil {
			return nil, err
		}
		out.InclusionProofs = append(out.InclusionProofs, hs)
	}
	return out, nil
}

// txEntryDigests returns the entry digests of a raw tx (entries with store
// keys and hValues, as sent without an entries spec).
func txEntryDigests(version int, entries []*schema.TxEntry) ([]proof.Hash, error) {
	out := make([]proof.Hash, len(entries))
	for i, e := range entries {
		hv, err := toHash(e.GetHValue(), "entry hValue")
		if err != nil {
			return nil, err
		}
		d, err := proof.EntryDigest(version, e.GetKey(), kvMetadataFromProto(e.GetMetadata()).Bytes(), hv)
		if err != nil {
			return nil, corrupted("entry digest", err)
		}
		out[i] = d
	}
	return out, nil
}
