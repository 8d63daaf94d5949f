package database

import (
	"context"
	"errors"
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
	"github.com/attestdb/attestdb/proof"
)

// specAction returns the action for an entry of key space prefix; an
// absent sub-spec means EXCLUDE.
func specAction(spec *schema.EntriesSpec, prefix byte) schema.EntryTypeAction {
	var s *schema.EntryTypeSpec
	switch prefix {
	case proof.PrefixKV:
		s = spec.KvEntriesSpec
	case proof.PrefixZSet:
		s = spec.ZEntriesSpec
	default:
		s = spec.SqlEntriesSpec
	}
	if s == nil {
		return schema.EntryTypeAction_EXCLUDE
	}
	return s.Action
}

// needsIndex reports whether building the tx reply reads the key index.
func needsIndex(spec *schema.EntriesSpec, keepUnresolved bool) bool {
	if spec == nil || keepUnresolved {
		return false
	}
	return (spec.KvEntriesSpec != nil && spec.KvEntriesSpec.Action == schema.EntryTypeAction_RESOLVE) ||
		(spec.ZEntriesSpec != nil && spec.ZEntriesSpec.Action == schema.EntryTypeAction_RESOLVE)
}

// txReply builds the reply for tx id under spec (API.md §5): without spec
// raw entries without values; with it, per key space EXCLUDE, ONLY_DIGEST,
// RAW_VALUE or RESOLVE.
func (d *DB) txReply(id uint64, spec *schema.EntriesSpec, keepUnresolved bool) (*schema.Tx, error) {
	if spec == nil {
		tx, err := d.st.ReadTx(id, false)
		if err != nil {
			return nil, mapTxErr(err)
		}
		return rawTxToProto(tx), nil
	}
	tx, err := d.st.TxByID(id)
	if err != nil {
		return nil, mapTxErr(err)
	}
	out := &schema.Tx{Header: headerToProto(tx.Header)}
	now := d.now()
	for i := range tx.Entries {
		e := &tx.Entries[i]
		if len(e.Key) == 0 {
			return nil, fmt.Errorf("%w: empty key in tx %d", ErrCorruptedData, id)
		}
		switch specAction(spec, e.Key[0]) {
		case schema.EntryTypeAction_EXCLUDE:
		case schema.EntryTypeAction_ONLY_DIGEST:
			out.Entries = append(out.Entries, txEntryToProto(e, false))
		case schema.EntryTypeAction_RAW_VALUE:
			out.Entries = append(out.Entries, txEntryToProto(e, !isExpired(e.Metadata, now)))
		case schema.EntryTypeAction_RESOLVE:
			if err := d.resolveTxEntry(out, id, e, keepUnresolved, now); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%w: unknown entries spec action", ErrIllegalArguments)
		}
	}
	return out, nil
}

// resolveTxEntry appends the resolved form of e (of tx id) to out.
func (d *DB) resolveTxEntry(out *schema.Tx, id uint64, e *store.TxEntry, keepUnresolved bool, now int64) error {
	switch e.Key[0] {
	case proof.PrefixKV:
		k := e.Key[1:]
		switch {
		case e.Metadata.Deleted || len(e.Value) == 0:
			out.KvEntries = append(out.KvEntries, &schema.Entry{Tx: id, Key: append([]byte(nil), k...), Value: []byte{}, Metadata: kvMetadataToProto(e.Metadata)})
			return nil
		case isExpired(e.Metadata, now):
			out.KvEntries = append(out.KvEntries, &schema.Entry{Tx: id, Key: append([]byte(nil), k...), Metadata: kvMetadataToProto(e.Metadata), Expired: true})
			return nil
		}
		if keepUnresolved {
			v, err := proof.DecodeKVValue(e.Value)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrCorruptedData, err)
			}
			if v.Kind == proof.ValueReference {
				out.KvEntries = append(out.KvEntries, &schema.Entry{
					Tx:  id,
					Key: append([]byte(nil), v.RefKey...),
					ReferencedBy: &schema.Reference{Tx: id, Key: append([]byte(nil), k...), AtTx: v.AtTx,
						Metadata: kvMetadataToProto(e.Metadata)},
				})
				return nil
			}
		}
		ent, err := d.resolveEntry(k, id, 0, e.Metadata, e.Value)
		if err != nil {
			return err
		}
		out.KvEntries = append(out.KvEntries, ent)
	case proof.PrefixZSet:
		set, key, score, atTx, err := proof.DecodeZAddKey(e.Key)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorruptedData, err)
		}
		z := &schema.ZEntry{Set: set, Key: key, Score: score, AtTx: atTx}
		if !keepUnresolved {
			ent, err := d.readPlain(key, atTx)
			if err != nil && !errors.Is(err, ErrKeyNotFound) {
				return err
			}
			z.Entry = ent
		}
		out.ZEntries = append(out.ZEntries, z)
	default:
		return fmt.Errorf("%w: sql entries cannot be resolved", ErrIllegalArguments)
	}
	return nil
}

// TxByID returns one tx shaped by the request's entriesSpec.
func (d *DB) TxByID(ctx context.Context, req *schema.TxRequest) (*schema.Tx, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil || req.Tx == 0 {
		return nil, ErrIllegalArguments
	}
	if err := d.prepareTxRead(ctx, req.SinceTx, req.EntriesSpec, req.KeepReferencesUnresolved); err != nil {
		return nil, err
	}
	return d.txReply(req.Tx, req.EntriesSpec, req.KeepReferencesUnresolved)
}

// prepareTxRead checks sinceTx and waits for the index when entries are
// resolved through it (noWait is ignored, API.md §5).
func (d *DB) prepareTxRead(ctx context.Context, sinceTx uint64, spec *schema.EntriesSpec, keep bool) error {
	if _, err := d.checkSinceTx(sinceTx); err != nil {
		return err
	}
	if needsIndex(spec, keep) {
		return d.waitIndexed(ctx, sinceTx)
	}
	return nil
}

// proofHeaders picks the dual-proof source and target for a proof about tx
// vTx from a client state at tx p (HASHING.md §7.1).
func (d *DB) proofHeaders(vTx, p uint64) (src, dst *proof.TxHeader, err error) {
	h, err := d.st.Header(vTx)
	if err != nil {
		return nil, nil, mapTxErr(err)
	}
	if p == 0 || p == vTx {
		return h, h, nil
	}
	hp, err := d.st.Header(p)
	if err != nil {
		return nil, nil, err
	}
	if p < vTx {
		return hp, h, nil
	}
	return h, hp, nil
}

// verifiableTx assembles tx, the dual proof src → dst and the signature.
func (d *DB) verifiableTx(tx *schema.Tx, src, dst *proof.TxHeader) (*schema.VerifiableTx, error) {
	dp, err := d.st.DualProof(src, dst)
	if err != nil {
		return nil, err
	}
	vtx := &schema.VerifiableTx{Tx: tx, DualProof: dualProofToProto(dp)}
	if err := d.sign(vtx, dst); err != nil {
		return nil, err
	}
	return vtx, nil
}

// VerifiableTxByID returns a tx with a dual proof linking it and the
// client's state proveSinceTx, in whichever direction applies.
func (d *DB) VerifiableTxByID(ctx context.Context, req *schema.VerifiableTxRequest) (*schema.VerifiableTx, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil || req.Tx == 0 {
		return nil, ErrIllegalArguments
	}
	last, _ := d.st.LastCommitted()
	if req.ProveSinceTx > last {
		return nil, fmt.Errorf("%w: latest txID=%d is lower than specified as initial tx=%d", ErrIllegalState, last, req.ProveSinceTx)
	}
	if err := d.prepareTxRead(ctx, req.SinceTx, req.EntriesSpec, req.KeepReferencesUnresolved); err != nil {
		return nil, err
	}
	tx, err := d.txReply(req.Tx, req.EntriesSpec, req.KeepReferencesUnresolved)
	if err != nil {
		return nil, err
	}
	src, dst, err := d.proofHeaders(req.Tx, req.ProveSinceTx)
	if err != nil {
		return nil, err
	}
	return d.verifiableTx(tx, src, dst)
}

// TxScan lists up to limit txs from initialTx, ascending or descending.
func (d *DB) TxScan(ctx context.Context, req *schema.TxScanRequest) (*schema.TxList, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil {
		return nil, ErrIllegalArguments
	}
	limit, err := pageLimit(uint64(req.Limit))
	if err != nil {
		return nil, err
	}
	last, _ := d.st.LastCommitted()
	if req.SinceTx > last {
		return nil, ErrIllegalArguments
	}
	if needsIndex(req.EntriesSpec, false) {
		if err := d.waitIndexed(ctx, req.SinceTx); err != nil {
			return nil, err
		}
	}
	out := &schema.TxList{}
	id := req.InitialTx
	if id == 0 {
		if req.Desc {
			id = last
		} else {
			id = 1
		}
	}
	for id >= 1 && id <= last && len(out.Txs) < limit {
		tx, err := d.txReply(id, req.EntriesSpec, false)
		if err != nil {
			return nil, err
		}
		out.Txs = append(out.Txs, tx)
		if req.Desc {
			id--
		} else {
			id++
		}
	}
	return out, nil
}
