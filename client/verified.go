package client

import (
	"bytes"
	"context"
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// VerifiedSet writes key=value and proves that the new tx contains exactly
// that entry and extends the trusted history (HASHING.md §9).
func (c *Client) VerifiedSet(ctx context.Context, key, value []byte) (*schema.TxHeader, error) {
	var hdr *schema.TxHeader
	err := c.withTrustedState(ctx, func(st *schema.ImmutableState) (*schema.ImmutableState, error) {
		vtx, err := c.svc.VerifiableSet(ctx, &schema.VerifiableSetRequest{
			SetRequest:   &schema.SetRequest{KVs: []*schema.KeyValue{{Key: key, Value: value}}},
			ProveSinceTx: st.GetTxId(),
		})
		if err != nil {
			return nil, wrapRPC(err)
		}
		hdr = vtx.GetTx().GetHeader()
		return c.verifyWrite(ctx, st, vtx, proof.EncodeKVKey(key), proof.Sum(proof.EncodePlainValue(value)), true)
	})
	return hdr, err
}

// VerifiedSetReference makes key a reference to refKey (bound to atTx when
// atTx > 0) and proves the write.
func (c *Client) VerifiedSetReference(ctx context.Context, key, refKey []byte, atTx uint64) (*schema.TxHeader, error) {
	var hdr *schema.TxHeader
	err := c.withTrustedState(ctx, func(st *schema.ImmutableState) (*schema.ImmutableState, error) {
		vtx, err := c.svc.VerifiableSetReference(ctx, &schema.VerifiableReferenceRequest{
			ReferenceRequest: &schema.ReferenceRequest{Key: key, ReferencedKey: refKey, AtTx: atTx, BoundRef: atTx > 0},
			ProveSinceTx:     st.GetTxId(),
		})
		if err != nil {
			return nil, wrapRPC(err)
		}
		hdr = vtx.GetTx().GetHeader()
		return c.verifyWrite(ctx, st, vtx, proof.EncodeKVKey(key), proof.Sum(proof.EncodeReferenceValue(atTx, refKey)), false)
	})
	return hdr, err
}

// VerifiedZAdd adds key with score to set and proves the write. Unlike
// immudb's client it sets boundRef when atTx > 0, so bound members work.
func (c *Client) VerifiedZAdd(ctx context.Context, set []byte, score float64, key []byte, atTx uint64) (*schema.TxHeader, error) {
	var hdr *schema.TxHeader
	err := c.withTrustedState(ctx, func(st *schema.ImmutableState) (*schema.ImmutableState, error) {
		vtx, err := c.svc.VerifiableZAdd(ctx, &schema.VerifiableZAddRequest{
			ZAddRequest:  &schema.ZAddRequest{Set: set, Score: score, Key: key, AtTx: atTx, BoundRef: atTx > 0},
			ProveSinceTx: st.GetTxId(),
		})
		if err != nil {
			return nil, wrapRPC(err)
		}
		hdr = vtx.GetTx().GetHeader()
		return c.verifyWrite(ctx, st, vtx, proof.EncodeZAddKey(set, score, key, atTx), proof.Sum(nil), false)
	})
	return hdr, err
}

// verifyWrite checks the answer to a single-entry verifiable write: the tx
// holds exactly one entry, it is storeKey with a store value hashing to
// hValue, its entries hash
// to the header's eH, and the dual proof ties the new tx to the trusted
// state. withMetadata keeps the entry's metadata in the digest (a Set may
// carry some); references and ZAdds never do.
func (c *Client) verifyWrite(ctx context.Context, st *schema.ImmutableState, vtx *schema.VerifiableTx, storeKey []byte, hValue proof.Hash, withMetadata bool) (*schema.ImmutableState, error) {
	tx := vtx.GetTx()
	if tx == nil || tx.GetHeader() == nil {
		return nil, corrupted("missing tx", nil)
	}
	if tx.GetHeader().GetNentries() != 1 || len(tx.GetEntries()) != 1 {
		return nil, corrupted(fmt.Sprintf("write tx has %d entries (header says %d), want 1", len(tx.GetEntries()), tx.GetHeader().GetNentries()), nil)
	}
	hdr, err := txHeaderFromProto(tx.GetHeader())
	if err != nil {
		return nil, err
	}
	digests, err := txEntryDigests(hdr.Version, tx.GetEntries())
	if err != nil {
		return nil, err
	}
	eh := proof.HTreeRoot(digests)
	hdr.Eh = eh
	alh, err := alhOf(hdr)
	if err != nil {
		return nil, err
	}
	e := tx.GetEntries()[0]
	if !bytes.Equal(e.GetKey(), storeKey) {
		return nil, corrupted("tx entry is not the key written", nil)
	}
	var md proof.KVMetadata
	if withMetadata {
		md = kvMetadataFromProto(e.GetMetadata())
	}
	if md.Deleted {
		return nil, corrupted("written entry is marked deleted", nil)
	}
	d, err := proof.EntryDigest(hdr.Version, storeKey, md.Bytes(), hValue)
	if err != nil {
		return nil, corrupted("entry digest", err)
	}
	incl, err := proof.HTreeInclusionProof(digests, 0)
	if err != nil {
		return nil, corrupted("entry inclusion proof", err)
	}
	if err := proof.VerifyHTreeInclusion(incl, d, eh); err != nil {
		return nil, corrupted("entry not in tx", err)
	}
	dp, err := dualProofFromProto(vtx.GetDualProof())
	if err != nil {
		return nil, err
	}
	if dp.TargetTxHeader.Eh != eh {
		return nil, corrupted("entries do not hash to the proof's eH", nil)
	}
	if dp.TargetTxHeader.ID != hdr.ID {
		return nil, corrupted("proof target is not the new tx", nil)
	}
	stAlh, err := stateHash(st)
	if err != nil {
		return nil, err
	}
	ps := proofSides{s: st.GetTxId(), t: hdr.ID, alhS: stAlh, alhT: alh}
	if st.GetTxId() > hdr.ID {
		return nil, corrupted(fmt.Sprintf("new tx %d is older than the trusted tx %d", hdr.ID, st.GetTxId()), nil)
	}
	return c.finish(ctx, dp, st, ps, vtx.GetSignature())
}

// GetOption refines a read (Get, VerifiedGet).
type GetOption func(*schema.KeyRequest)

// AtTx reads the key's entry written by tx (without the index).
func AtTx(tx uint64) GetOption { return func(r *schema.KeyRequest) { r.AtTx = tx } }

// SinceTx waits until the index covers tx before reading.
func SinceTx(tx uint64) GetOption { return func(r *schema.KeyRequest) { r.SinceTx = tx } }

// AtRevision reads the n-th version (n < 0 counts back from the latest).
func AtRevision(n int64) GetOption { return func(r *schema.KeyRequest) { r.AtRevision = n } }

// NoWait reads whatever is indexed now.
func NoWait(on bool) GetOption { return func(r *schema.KeyRequest) { r.NoWait = on } }

func keyRequest(key []byte, opts []GetOption) *schema.KeyRequest {
	r := &schema.KeyRequest{Key: key}
	for _, o := range opts {
		o(r)
	}
	return r
}

// VerifiedGet reads key and proves the entry is in a tx of the trusted
// history (HASHING.md §9). A reference is proven through the reference
// entry.
func (c *Client) VerifiedGet(ctx context.Context, key []byte, opts ...GetOption) (*schema.Entry, error) {
	req := keyRequest(key, opts)
	var entry *schema.Entry
	err := c.withTrustedState(ctx, func(st *schema.ImmutableState) (*schema.ImmutableState, error) {
		ve, err := c.svc.VerifiableGet(ctx, &schema.VerifiableGetRequest{KeyRequest: req, ProveSinceTx: st.GetTxId()})
		if err != nil {
			return nil, wrapRPC(err)
		}
		entry = ve.GetEntry()
		return c.verifyGet(ctx, st, req, ve)
	})
	if err != nil {
		return nil, err
	}
	return entry, nil
}

// VerifiedGetAt reads key as written by tx, verified.
func (c *Client) VerifiedGetAt(ctx context.Context, key []byte, tx uint64) (*schema.Entry, error) {
	return c.VerifiedGet(ctx, key, AtTx(tx))
}

// VerifiedGetSince reads key once the index covers tx, verified.
func (c *Client) VerifiedGetSince(ctx context.Context, key []byte, tx uint64) (*schema.Entry, error) {
	return c.VerifiedGet(ctx, key, SinceTx(tx))
}

// VerifiedGetAtRevision reads a revision of key, verified.
func (c *Client) VerifiedGetAtRevision(ctx context.Context, key []byte, rev int64) (*schema.Entry, error) {
	return c.VerifiedGet(ctx, key, AtRevision(rev))
}

func (c *Client) verifyGet(ctx context.Context, st *schema.ImmutableState, req *schema.KeyRequest, ve *schema.VerifiableEntry) (*schema.ImmutableState, error) {
	e := ve.GetEntry()
	vtx := ve.GetVerifiableTx()
	if e == nil || vtx == nil || vtx.GetTx().GetHeader() == nil {
		return nil, corrupted("incomplete verifiable entry", nil)
	}
	storeKey := proof.EncodeKVKey(req.GetKey())
	var storeValue []byte
	var md proof.KVMetadata
	vTx := req.GetAtTx()
	if ref := e.GetReferencedBy(); ref != nil {
		if !bytes.Equal(ref.GetKey(), req.GetKey()) {
			return nil, corrupted("reference answered for another key", nil)
		}
		if vTx == 0 {
			vTx = ref.GetTx()
		}
		md = kvMetadataFromProto(ref.GetMetadata())
		storeValue = proof.EncodeReferenceValue(ref.GetAtTx(), e.GetKey())
	} else {
		if !bytes.Equal(e.GetKey(), req.GetKey()) {
			return nil, corrupted("entry answered for another key", nil)
		}
		if vTx == 0 {
			vTx = e.GetTx()
		}
		md = kvMetadataFromProto(e.GetMetadata())
		storeValue = proof.EncodePlainValue(e.GetValue())
	}
	dp, err := dualProofFromProto(vtx.GetDualProof())
	if err != nil {
		return nil, err
	}
	ps, err := pickSides(dp, st, vTx)
	if err != nil {
		return nil, err
	}
	version := int(vtx.GetTx().GetHeader().GetVersion())
	d, err := proof.EntryDigest(version, storeKey, md.Bytes(), proof.Sum(storeValue))
	if err != nil {
		return nil, corrupted("entry digest", err)
	}
	incl, err := inclusionFromProto(ve.GetInclusionProof())
	if err != nil {
		return nil, err
	}
	if err := proof.VerifyHTreeInclusion(incl, d, ps.vHeader.Eh); err != nil {
		return nil, corrupted("entry not in tx", err)
	}
	return c.finish(ctx, dp, st, ps, vtx.GetSignature())
}

// VerifiedTxByID reads tx and proves its header is in the trusted history.
// The entries are checked against the header's eH too (immudb's client does
// not); their keys are returned without the key-space byte, as immudb does.
func (c *Client) VerifiedTxByID(ctx context.Context, tx uint64) (*schema.Tx, error) {
	var out *schema.Tx
	err := c.withTrustedState(ctx, func(st *schema.ImmutableState) (*schema.ImmutableState, error) {
		vtx, err := c.svc.VerifiableTxById(ctx, &schema.VerifiableTxRequest{Tx: tx, ProveSinceTx: st.GetTxId()})
		if err != nil {
			return nil, wrapRPC(err)
		}
		next, err := c.verifyTx(ctx, st, tx, vtx)
		if err != nil {
			return nil, err
		}
		out = vtx.GetTx()
		return next, nil
	})
	if err != nil {
		return nil, err
	}
	stripKeyPrefix(out)
	return out, nil
}

func (c *Client) verifyTx(ctx context.Context, st *schema.ImmutableState, tx uint64, vtx *schema.VerifiableTx) (*schema.ImmutableState, error) {
	t := vtx.GetTx()
	if t == nil || t.GetHeader() == nil {
		return nil, corrupted("missing tx", nil)
	}
	dp, err := dualProofFromProto(vtx.GetDualProof())
	if err != nil {
		return nil, err
	}
	ps, err := pickSides(dp, st, tx)
	if err != nil {
		return nil, err
	}
	hdr, err := txHeaderFromProto(t.GetHeader())
	if err != nil {
		return nil, err
	}
	got, err := alhOf(hdr)
	if err != nil {
		return nil, err
	}
	want, _ := alhOf(ps.vHeader)
	if got != want {
		return nil, corrupted("tx header differs from the proven one", nil)
	}
	if n := len(t.GetEntries()); n > 0 {
		if n != hdr.NEntries {
			return nil, corrupted(fmt.Sprintf("tx has %d entries, header says %d", n, hdr.NEntries), nil)
		}
		digests, err := txEntryDigests(hdr.Version, t.GetEntries())
		if err != nil {
			return nil, err
		}
		if proof.HTreeRoot(digests) != hdr.Eh {
			return nil, corrupted("tx entries do not hash to eH", nil)
		}
	}
	return c.finish(ctx, dp, st, ps, vtx.GetSignature())
}

// stripKeyPrefix drops the key-space byte of raw entry keys.
func stripKeyPrefix(tx *schema.Tx) {
	for _, e := range tx.GetEntries() {
		if len(e.Key) > 0 {
			e.Key = e.Key[1:]
		}
	}
}
