package database

import (
	"context"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// verifiableWrite wraps a committed write: the new tx raw, with the dual
// proof from the client's state p (or the tx itself when p is 0) to it.
func (d *DB) verifiableWrite(hdr *proof.TxHeader, p uint64) (*schema.VerifiableTx, error) {
	tx, err := d.st.ReadTx(hdr.ID, false)
	if err != nil {
		return nil, err
	}
	src := hdr
	if p > 0 {
		if src, err = d.st.Header(p); err != nil {
			return nil, err
		}
	}
	return d.verifiableTx(rawTxToProto(tx), src, hdr)
}

// VerifiableSet is Set returning the new tx with its proof. proveSinceTx
// beyond the last committed tx is "illegal state" (API.md §3).
func (d *DB) VerifiableSet(ctx context.Context, req *schema.VerifiableSetRequest) (*schema.VerifiableTx, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil || req.SetRequest == nil {
		return nil, ErrIllegalArguments
	}
	if last, _ := d.st.LastCommitted(); req.ProveSinceTx > last {
		return nil, ErrIllegalState
	}
	hdr, err := d.set(ctx, req.SetRequest)
	if err != nil {
		return nil, err
	}
	return d.verifiableWrite(hdr, req.ProveSinceTx)
}

// VerifiableSetReference is SetReference with a proof; proveSinceTx beyond
// the last committed tx is "illegal arguments" here.
func (d *DB) VerifiableSetReference(ctx context.Context, req *schema.VerifiableReferenceRequest) (*schema.VerifiableTx, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil || req.ReferenceRequest == nil {
		return nil, ErrIllegalArguments
	}
	if last, _ := d.st.LastCommitted(); req.ProveSinceTx > last {
		return nil, ErrIllegalArguments
	}
	hdr, err := d.setReference(ctx, req.ReferenceRequest)
	if err != nil {
		return nil, err
	}
	return d.verifiableWrite(hdr, req.ProveSinceTx)
}

// VerifiableZAdd is ZAdd with a proof.
func (d *DB) VerifiableZAdd(ctx context.Context, req *schema.VerifiableZAddRequest) (*schema.VerifiableTx, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil || req.ZAddRequest == nil {
		return nil, ErrIllegalArguments
	}
	if last, _ := d.st.LastCommitted(); req.ProveSinceTx > last {
		return nil, ErrIllegalArguments
	}
	hdr, err := d.zAdd(ctx, req.ZAddRequest)
	if err != nil {
		return nil, err
	}
	return d.verifiableWrite(hdr, req.ProveSinceTx)
}

// VerifiableGet is Get with the entry's inclusion proof in its tx vTx and a
// dual proof between vTx and the client's state. For a reference, vTx is
// the tx of the reference entry (HASHING.md §7.1).
func (d *DB) VerifiableGet(ctx context.Context, req *schema.VerifiableGetRequest) (*schema.VerifiableEntry, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil || req.KeyRequest == nil {
		return nil, ErrIllegalArguments
	}
	if last, _ := d.st.LastCommitted(); req.ProveSinceTx > last {
		return nil, ErrIllegalState
	}
	e, err := d.get(ctx, req.KeyRequest)
	if err != nil {
		return nil, err
	}
	vTx := e.Tx
	if e.ReferencedBy != nil {
		vTx = e.ReferencedBy.Tx
	}
	if req.KeyRequest.AtTx > 0 {
		vTx = req.KeyRequest.AtTx
	}
	tx, err := d.st.ReadTxForProof(vTx) // shared: read only
	if err != nil {
		return nil, err
	}
	i := tx.IndexOf(proof.EncodeKVKey(req.KeyRequest.Key))
	if i < 0 {
		return nil, ErrKeyNotFound
	}
	ip, err := d.st.EntryInclusionProof(tx, i)
	if err != nil {
		return nil, err
	}
	src, dst, err := d.proofHeaders(vTx, req.ProveSinceTx)
	if err != nil {
		return nil, err
	}
	vtx, err := d.verifiableTx(d.proven.raw(tx), src, dst)
	if err != nil {
		return nil, err
	}
	return &schema.VerifiableEntry{Entry: e, VerifiableTx: vtx, InclusionProof: inclusionProofToProto(ip)}, nil
}
