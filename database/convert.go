package database

import (
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
	"github.com/attestdb/attestdb/proof"
)

// This file is the one place where engine and proof types become protobuf
// messages and back. Keeping it in one file makes the wire shape of every
// response reviewable at a glance.

func hashBytes(h proof.Hash) []byte { return append([]byte(nil), h[:]...) }

func hashesToProto(hs []proof.Hash) [][]byte {
	if len(hs) == 0 {
		return nil
	}
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = hashBytes(hs[i])
	}
	return out
}

// headerToProto converts a header. Zero tx metadata is sent as an absent
// message: clients treat absent and empty alike (HASHING.md §12).
func headerToProto(h *proof.TxHeader) *schema.TxHeader {
	if h == nil {
		return nil
	}
	p := &schema.TxHeader{
		Id:       h.ID,
		PrevAlh:  hashBytes(h.PrevAlh),
		Ts:       h.Ts,
		Nentries: int32(h.NEntries),
		EH:       hashBytes(h.Eh),
		BlTxId:   h.BlTxID,
		BlRoot:   hashBytes(h.BlRoot),
		Version:  int32(h.Version),
	}
	if !h.Metadata.IsZero() {
		p.Metadata = &schema.TxMetadata{
			TruncatedTxID: h.Metadata.TruncatedUptoTx,
			Extra:         append([]byte(nil), h.Metadata.Extra...),
		}
	}
	return p
}

// kvMetadataToProto returns nil for "no metadata", as immudb does.
func kvMetadataToProto(md proof.KVMetadata) *schema.KVMetadata {
	if md.IsZero() {
		return nil
	}
	p := &schema.KVMetadata{Deleted: md.Deleted, NonIndexable: md.NonIndexable}
	if md.HasExpiry {
		p.Expiration = &schema.Expiration{ExpiresAt: md.ExpiresAt}
	}
	return p
}

// kvMetadataFromProto maps the proto attributes one-to-one (HASHING.md §1.3):
// an expiration sub-message is an attribute even when its time is 0.
func kvMetadataFromProto(p *schema.KVMetadata) proof.KVMetadata {
	if p == nil {
		return proof.KVMetadata{}
	}
	md := proof.KVMetadata{Deleted: p.Deleted, NonIndexable: p.NonIndexable}
	if p.Expiration != nil {
		md.HasExpiry = true
		md.ExpiresAt = p.Expiration.ExpiresAt
	}
	return md
}

func inclusionProofToProto(p proof.InclusionProof) *schema.InclusionProof {
	return &schema.InclusionProof{
		Leaf:  int32(p.Leaf),
		Width: int32(p.Width),
		Terms: hashesToProto(p.Terms),
	}
}

func linearProofToProto(p *proof.LinearProof) *schema.LinearProof {
	if p == nil {
		return nil
	}
	return &schema.LinearProof{
		SourceTxId: p.SourceTxID,
		TargetTxId: p.TargetTxID,
		Terms:      hashesToProto(p.Terms),
	}
}

func linearAdvanceProofToProto(p *proof.LinearAdvanceProof) *schema.LinearAdvanceProof {
	if p == nil {
		return nil
	}
	out := &schema.LinearAdvanceProof{LinearProofTerms: hashesToProto(p.LinearProofTerms)}
	for _, ip := range p.InclusionProofs {
		out.InclusionProofs = append(out.InclusionProofs, &schema.InclusionProof{Terms: hashesToProto(ip)})
	}
	return out
}

// dualProofToProto converts a dual proof; targetBlTxAlh is always 32 bytes
// (zeros when the target has no binary-linking tree yet).
func dualProofToProto(p *proof.DualProof) *schema.DualProof {
	if p == nil {
		return nil
	}
	return &schema.DualProof{
		SourceTxHeader:     headerToProto(p.SourceTxHeader),
		TargetTxHeader:     headerToProto(p.TargetTxHeader),
		InclusionProof:     hashesToProto(p.InclusionProof),
		ConsistencyProof:   hashesToProto(p.ConsistencyProof),
		TargetBlTxAlh:      hashBytes(p.TargetBlTxAlh),
		LastInclusionProof: hashesToProto(p.LastInclusionProof),
		LinearProof:        linearProofToProto(p.LinearProof),
		LinearAdvanceProof: linearAdvanceProofToProto(p.LinearAdvanceProof),
	}
}

// txEntryToProto is a raw entry: store key with its prefix, hValue, vLen,
// metadata and, when withValue, the store value.
func txEntryToProto(e *store.TxEntry, withValue bool) *schema.TxEntry {
	p := &schema.TxEntry{
		Key:      append([]byte(nil), e.Key...),
		HValue:   hashBytes(e.HValue),
		VLen:     int32(e.VLen),
		Metadata: kvMetadataToProto(e.Metadata),
	}
	if withValue {
		p.Value = append([]byte(nil), e.Value...)
	}
	return p
}

// rawTxToProto converts a tx with every entry raw (no values): the shape of
// VerifiableTx.tx and of TxById without entriesSpec.
func rawTxToProto(tx *store.Tx) *schema.Tx {
	out := &schema.Tx{Header: headerToProto(tx.Header)}
	out.Entries = make([]*schema.TxEntry, len(tx.Entries))
	for i := range tx.Entries {
		out.Entries[i] = txEntryToProto(&tx.Entries[i], false)
	}
	return out
}

// preconditionsFromProto converts the request's preconditions; a nil or
// empty one is illegal, as in immudb.
func preconditionsFromProto(ps []*schema.Precondition) ([]store.Precondition, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	out := make([]store.Precondition, 0, len(ps))
	for _, p := range ps {
		if p == nil {
			return nil, fmt.Errorf("%w: nil precondition", ErrIllegalArguments)
		}
		switch c := p.Precondition.(type) {
		case *schema.Precondition_KeyMustExist:
			if c.KeyMustExist == nil || len(c.KeyMustExist.Key) == 0 {
				return nil, fmt.Errorf("%w: invalid precondition", ErrIllegalArguments)
			}
			out = append(out, store.Precondition{Kind: store.MustExist, Key: proof.EncodeKVKey(c.KeyMustExist.Key)})
		case *schema.Precondition_KeyMustNotExist:
			if c.KeyMustNotExist == nil || len(c.KeyMustNotExist.Key) == 0 {
				return nil, fmt.Errorf("%w: invalid precondition", ErrIllegalArguments)
			}
			out = append(out, store.Precondition{Kind: store.MustNotExist, Key: proof.EncodeKVKey(c.KeyMustNotExist.Key)})
		case *schema.Precondition_KeyNotModifiedAfterTX:
			if c.KeyNotModifiedAfterTX == nil || len(c.KeyNotModifiedAfterTX.Key) == 0 {
				return nil, fmt.Errorf("%w: invalid precondition", ErrIllegalArguments)
			}
			out = append(out, store.Precondition{Kind: store.NotModifiedAfter,
				Key: proof.EncodeKVKey(c.KeyNotModifiedAfterTX.Key), TxID: c.KeyNotModifiedAfterTX.TxID})
		default:
			return nil, fmt.Errorf("%w: invalid precondition", ErrIllegalArguments)
		}
	}
	return out, nil
}
