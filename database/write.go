package database

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
	"github.com/attestdb/attestdb/proof"
)

// commit sends one tx to the engine and, unless noWait, waits until the
// index holds it (API.md §5: a write returns once committed and indexed).
func (d *DB) commit(ctx context.Context, req store.TxRequest, noWait bool) (*proof.TxHeader, error) {
	d.writeMu.RLock()
	hdr, err := d.st.Commit(ctx, req)
	d.writeMu.RUnlock()
	if err != nil {
		return nil, err
	}
	if !noWait {
		if err := d.st.WaitForIndexedUpTo(ctx, hdr.ID); err != nil {
			return nil, err
		}
	}
	return hdr, nil
}

func (d *DB) checkWritable() error {
	if d.replica.Load() {
		return ErrIsReplica
	}
	return nil
}

// Set writes the KVs of req as one tx, in request order, with their KV
// metadata and the request's preconditions.
func (d *DB) Set(ctx context.Context, req *schema.SetRequest) (*schema.TxHeader, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	hdr, err := d.set(ctx, req)
	if err != nil {
		return nil, err
	}
	return headerToProto(hdr), nil
}

func (d *DB) set(ctx context.Context, req *schema.SetRequest) (*proof.TxHeader, error) {
	if err := d.checkWritable(); err != nil {
		return nil, err
	}
	if req == nil {
		return nil, ErrIllegalArguments
	}
	entries := make([]store.Entry, len(req.KVs))
	for i, kv := range req.KVs {
		if kv == nil || len(kv.Key) == 0 {
			return nil, ErrIllegalArguments
		}
		entries[i] = store.Entry{
			Key:      proof.EncodeKVKey(kv.Key),
			Metadata: kvMetadataFromProto(kv.Metadata),
			Value:    proof.EncodePlainValue(kv.Value),
		}
	}
	pre, err := preconditionsFromProto(req.Preconditions)
	if err != nil {
		return nil, err
	}
	return d.commit(ctx, store.TxRequest{Entries: entries, Metadata: d.requestTxMetadata(ctx), Preconditions: pre}, req.NoWait)
}

// Delete writes a deletion (KV metadata "deleted", empty store value) for
// every key; each must exist and be live.
func (d *DB) Delete(ctx context.Context, req *schema.DeleteKeysRequest) (*schema.TxHeader, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if err := d.checkWritable(); err != nil {
		return nil, err
	}
	if req == nil || len(req.Keys) == 0 {
		return nil, ErrIllegalArguments
	}
	if _, err := d.checkSinceTx(req.SinceTx); err != nil {
		return nil, err
	}
	if !req.NoWait {
		if err := d.waitIndexed(ctx, req.SinceTx); err != nil {
			return nil, err
		}
	}
	entries := make([]store.Entry, len(req.Keys))
	pre := make([]store.Precondition, len(req.Keys))
	for i, k := range req.Keys {
		if len(k) == 0 {
			return nil, ErrIllegalArguments
		}
		sk := proof.EncodeKVKey(k)
		if _, err := d.st.Get(sk, 0); err != nil {
			return nil, err
		}
		entries[i] = store.Entry{Key: sk, Metadata: proof.KVMetadata{Deleted: true}}
		// The existence check above reads the index; the precondition makes
		// it atomic with the commit.
		pre[i] = store.Precondition{Kind: store.MustExist, Key: sk}
	}
	hdr, err := d.commit(ctx, store.TxRequest{Entries: entries, Metadata: d.requestTxMetadata(ctx), Preconditions: pre}, req.NoWait)
	if err != nil {
		if errors.Is(err, ErrPreconditionFailed) {
			return nil, ErrKeyNotFound
		}
		return nil, err
	}
	return headerToProto(hdr), nil
}

// checkBound applies immudb's boundRef rule: atTx>0 needs boundRef, and
// boundRef needs atTx>0 (ExecAll alone gives boundRef with atTx 0 a meaning).
func checkBound(atTx uint64, boundRef, execAll bool) error {
	if atTx > 0 && !boundRef {
		return ErrIllegalArguments
	}
	if atTx == 0 && boundRef && !execAll {
		return ErrIllegalArguments
	}
	return nil
}

// lookupKind returns the value kind (proof.ValuePlain or ValueReference) of
// the live entry of user key k: at tx atTx when > 0, else the latest indexed.
func (d *DB) lookupKind(k []byte, atTx uint64) (byte, error) {
	sk := proof.EncodeKVKey(k)
	var md proof.KVMetadata
	var val []byte
	if atTx > 0 {
		e, err := d.entryInTx(sk, atTx)
		if err != nil {
			return 0, err
		}
		md, val = e.Metadata, e.Value
	} else {
		kv, err := d.st.Get(sk, 0)
		if err != nil {
			return 0, err
		}
		md, val = kv.Metadata, kv.Value
	}
	if md.Deleted || len(val) == 0 {
		return 0, ErrKeyNotFound
	}
	return val[0], nil
}

// checkReferenced: the referenced key must exist and must not be a reference.
func (d *DB) checkReferenced(k []byte, atTx uint64) error {
	kind, err := d.lookupKind(k, atTx)
	if err != nil {
		return err
	}
	if kind == proof.ValueReference {
		return ErrReferencedKeyCannotBeAReference
	}
	return nil
}

// checkFinalKey: a key holding a plain value cannot become a reference.
func (d *DB) checkFinalKey(k []byte) error {
	kind, err := d.lookupKind(k, 0)
	if errors.Is(err, ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if kind != proof.ValueReference {
		return ErrFinalKeyCannotBeConvertedIntoReference
	}
	return nil
}

// SetReference writes key → referencedKey (bound to atTx when boundRef).
func (d *DB) SetReference(ctx context.Context, req *schema.ReferenceRequest) (*schema.TxHeader, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	hdr, err := d.setReference(ctx, req)
	if err != nil {
		return nil, err
	}
	return headerToProto(hdr), nil
}

func (d *DB) setReference(ctx context.Context, req *schema.ReferenceRequest) (*proof.TxHeader, error) {
	if err := d.checkWritable(); err != nil {
		return nil, err
	}
	if req == nil || len(req.Key) == 0 || len(req.ReferencedKey) == 0 {
		return nil, ErrIllegalArguments
	}
	if err := checkBound(req.AtTx, req.BoundRef, false); err != nil {
		return nil, err
	}
	if bytes.Equal(req.Key, req.ReferencedKey) {
		return nil, ErrFinalKeyCannotBeConvertedIntoReference
	}
	if !req.NoWait {
		if err := d.waitIndexed(ctx, 0); err != nil {
			return nil, err
		}
	}
	if err := d.checkReferenced(req.ReferencedKey, req.AtTx); err != nil {
		return nil, err
	}
	if err := d.checkFinalKey(req.Key); err != nil {
		return nil, err
	}
	pre, err := preconditionsFromProto(req.Preconditions)
	if err != nil {
		return nil, err
	}
	e := store.Entry{Key: proof.EncodeKVKey(req.Key), Value: proof.EncodeReferenceValue(req.AtTx, req.ReferencedKey)}
	return d.commit(ctx, store.TxRequest{Entries: []store.Entry{e}, Preconditions: pre}, req.NoWait)
}

// ZAdd adds key with score to a sorted set (an entry with an empty value
// whose store key holds everything, HASHING.md §1.2).
func (d *DB) ZAdd(ctx context.Context, req *schema.ZAddRequest) (*schema.TxHeader, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	hdr, err := d.zAdd(ctx, req)
	if err != nil {
		return nil, err
	}
	return headerToProto(hdr), nil
}

func (d *DB) zAdd(ctx context.Context, req *schema.ZAddRequest) (*proof.TxHeader, error) {
	if err := d.checkWritable(); err != nil {
		return nil, err
	}
	if req == nil || len(req.Set) == 0 || len(req.Key) == 0 {
		return nil, ErrIllegalArguments
	}
	if err := checkBound(req.AtTx, req.BoundRef, false); err != nil {
		return nil, err
	}
	if !req.NoWait {
		if err := d.waitIndexed(ctx, 0); err != nil {
			return nil, err
		}
	}
	if err := d.checkReferenced(req.Key, req.AtTx); err != nil {
		return nil, err
	}
	e := store.Entry{Key: proof.EncodeZAddKey(req.Set, req.Score, req.Key, req.AtTx)}
	return d.commit(ctx, store.TxRequest{Entries: []store.Entry{e}}, req.NoWait)
}

// ExecAll commits KV sets, references and ZAdds as one tx, in request order.
// boundRef with atTx 0 binds a reference or ZAdd to the tx being committed;
// with noWait only such self-contained references and ZAdds are accepted
// (API.md §5).
func (d *DB) ExecAll(ctx context.Context, req *schema.ExecAllRequest) (*schema.TxHeader, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if err := d.checkWritable(); err != nil {
		return nil, err
	}
	if req == nil || len(req.Operations) == 0 {
		return nil, ErrIllegalArguments
	}
	if !req.NoWait {
		if err := d.waitIndexed(ctx, 0); err != nil {
			return nil, err
		}
	}
	// Plain keys set by this request, so references may point at them.
	setHere := make(map[string]bool)
	for _, op := range req.Operations {
		if kv := op.GetKv(); kv != nil {
			setHere[string(kv.Key)] = true
		}
	}
	var selfRefs []int  // entries whose atTx is this tx (references)
	var selfZAdds []int // same, ZAdds
	zargs := map[int]*schema.ZAddRequest{}
	refargs := map[int]*schema.ReferenceRequest{}
	entries := make([]store.Entry, 0, len(req.Operations))
	for _, op := range req.Operations {
		if op == nil {
			return nil, ErrIllegalArguments
		}
		switch o := op.Operation.(type) {
		case *schema.Op_Kv:
			kv := o.Kv
			if kv == nil || len(kv.Key) == 0 {
				return nil, ErrIllegalArguments
			}
			entries = append(entries, store.Entry{
				Key:      proof.EncodeKVKey(kv.Key),
				Metadata: kvMetadataFromProto(kv.Metadata),
				Value:    proof.EncodePlainValue(kv.Value),
			})
		case *schema.Op_Ref:
			r := o.Ref
			if r == nil || len(r.Key) == 0 || len(r.ReferencedKey) == 0 {
				return nil, ErrIllegalArguments
			}
			if err := checkBound(r.AtTx, r.BoundRef, true); err != nil {
				return nil, err
			}
			if bytes.Equal(r.Key, r.ReferencedKey) || setHere[string(r.Key)] {
				return nil, ErrFinalKeyCannotBeConvertedIntoReference
			}
			self := r.BoundRef && r.AtTx == 0
			if err := d.checkOpTarget(r.ReferencedKey, r.AtTx, self, setHere, req.NoWait); err != nil {
				return nil, err
			}
			if !req.NoWait {
				if err := d.checkFinalKey(r.Key); err != nil {
					return nil, err
				}
			}
			if self {
				selfRefs = append(selfRefs, len(entries))
				refargs[len(entries)] = r
			}
			entries = append(entries, store.Entry{Key: proof.EncodeKVKey(r.Key), Value: proof.EncodeReferenceValue(r.AtTx, r.ReferencedKey)})
		case *schema.Op_ZAdd:
			z := o.ZAdd
			if z == nil || len(z.Set) == 0 || len(z.Key) == 0 {
				return nil, ErrIllegalArguments
			}
			if err := checkBound(z.AtTx, z.BoundRef, true); err != nil {
				return nil, err
			}
			self := z.BoundRef && z.AtTx == 0
			if err := d.checkOpTarget(z.Key, z.AtTx, self, setHere, req.NoWait); err != nil {
				return nil, err
			}
			if self {
				selfZAdds = append(selfZAdds, len(entries))
				zargs[len(entries)] = z
			}
			entries = append(entries, store.Entry{Key: proof.EncodeZAddKey(z.Set, z.Score, z.Key, z.AtTx)})
		default:
			return nil, ErrIllegalArguments
		}
	}
	pre, err := preconditionsFromProto(req.Preconditions)
	if err != nil {
		return nil, err
	}
	txReq := store.TxRequest{Entries: entries, Preconditions: pre}
	var hdr *proof.TxHeader
	if len(selfRefs) == 0 && len(selfZAdds) == 0 {
		hdr, err = d.commit(ctx, txReq, req.NoWait)
	} else {
		hdr, err = d.commitSelfBound(ctx, txReq, req.NoWait, func(id uint64) {
			for _, i := range selfRefs {
				entries[i].Value = proof.EncodeReferenceValue(id, refargs[i].ReferencedKey)
			}
			for _, i := range selfZAdds {
				z := zargs[i]
				entries[i].Key = proof.EncodeZAddKey(z.Set, z.Score, z.Key, id)
			}
		})
	}
	if err != nil {
		return nil, err
	}
	return headerToProto(hdr), nil
}

// checkOpTarget validates what an ExecAll reference or ZAdd points to.
// Keys set by the same request are fine; with noWait nothing else is.
func (d *DB) checkOpTarget(k []byte, atTx uint64, self bool, setHere map[string]bool, noWait bool) error {
	if noWait {
		if !self || !setHere[string(k)] {
			return ErrNoWaitOperationMustBeSelfContained
		}
		return nil
	}
	if self {
		if setHere[string(k)] {
			return nil
		}
		// Bound to this tx, the key must be written by this tx.
		return ErrKeyNotFound
	}
	if setHere[string(k)] && atTx == 0 {
		return nil
	}
	return d.checkReferenced(k, atTx)
}

// commitSelfBound commits a tx whose entries depend on its own id. The
// engine assigns ids in its committer, so the id is made predictable by
// taking the write lock exclusively: with no other commit in flight the next
// id is LastCommitted+1. fill rewrites the entries for that id.
func (d *DB) commitSelfBound(ctx context.Context, req store.TxRequest, noWait bool, fill func(id uint64)) (*proof.TxHeader, error) {
	d.writeMu.Lock()
	last, _ := d.st.LastCommitted()
	fill(last + 1)
	hdr, err := d.st.Commit(ctx, req)
	d.writeMu.Unlock()
	if err != nil {
		return nil, err
	}
	if hdr.ID != last+1 {
		return nil, fmt.Errorf("%w: self-bound tx committed as %d, expected %d", ErrIllegalState, hdr.ID, last+1)
	}
	if !noWait {
		if err := d.st.WaitForIndexedUpTo(ctx, hdr.ID); err != nil {
			return nil, err
		}
	}
	return hdr, nil
}
