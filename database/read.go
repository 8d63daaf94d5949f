package database

import (
	"context"
	"errors"
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/store"
	"github.com/attestdb/attestdb/proof"
)

// isGone reports whether an entry reads as "key not found": deleted, or
// expired (expiresAt ≤ now, HASHING.md §1.3).
func isGone(md proof.KVMetadata, now int64) bool {
	return md.Deleted || (md.HasExpiry && md.ExpiresAt <= now)
}

func isExpired(md proof.KVMetadata, now int64) bool {
	return md.HasExpiry && md.ExpiresAt <= now
}

// entryInTx returns the entry with store key sk of tx txID, with its value.
func (d *DB) entryInTx(sk []byte, txID uint64) (*store.TxEntry, error) {
	tx, err := d.st.TxByID(txID)
	if err != nil {
		return nil, mapTxErr(err)
	}
	i := tx.IndexOf(sk)
	if i < 0 {
		return nil, ErrKeyNotFound
	}
	return &tx.Entries[i], nil
}

// mapTxErr drops the engine's detail from "tx not found": clients match
// the bare text.
func mapTxErr(err error) error {
	if errors.Is(err, ErrTxNotFound) {
		return ErrTxNotFound
	}
	return err
}

// mapReadErr gives index errors immudb's wording.
func mapReadErr(err error) error {
	if errors.Is(err, index.ErrInvalidRevision) {
		return ErrInvalidRevision
	}
	return err
}

// resolveEntry builds the reply for a version of plain user key k: a plain
// value as is; a reference resolved one level, the reply being the
// referenced entry with referencedBy describing the reference.
func (d *DB) resolveEntry(k []byte, txID, rev uint64, md proof.KVMetadata, storeValue []byte) (*schema.Entry, error) {
	return d.resolveEntryInto(nil, k, txID, rev, md, storeValue, false)
}

// resolveEntryInto is resolveEntry writing a plain entry into dst when dst
// is not nil (pages of entries come from one slab). With owned, k and
// storeValue belong to the caller's answer alone and are not copied.
func (d *DB) resolveEntryInto(dst *schema.Entry, k []byte, txID, rev uint64, md proof.KVMetadata, storeValue []byte, owned bool) (*schema.Entry, error) {
	v, err := proof.DecodeKVValue(storeValue)
	if err != nil {
		return nil, fmt.Errorf("%w: key %x at tx %d: %v", ErrCorruptedData, k, txID, err)
	}
	if v.Kind != proof.ValueReference {
		if dst == nil {
			dst = &schema.Entry{}
		}
		dst.Tx, dst.Metadata, dst.Revision = txID, kvMetadataToProto(md), rev
		if owned {
			dst.Key, dst.Value = k, v.Value
			if dst.Value == nil {
				dst.Value = []byte{}
			}
		} else {
			dst.Key, dst.Value = append([]byte(nil), k...), append([]byte{}, v.Value...)
		}
		return dst, nil
	}
	ref := &schema.Reference{
		Tx:       txID,
		Key:      append([]byte(nil), k...),
		AtTx:     v.AtTx,
		Metadata: kvMetadataToProto(md),
		Revision: rev,
	}
	target, err := d.readPlain(v.RefKey, v.AtTx)
	if err != nil {
		return nil, err
	}
	target.ReferencedBy = ref
	return target, nil
}

// readPlain reads the live plain value of user key k at tx atTx (revision
// 0) or, when atTx is 0, the latest indexed one. A reference is not
// followed again: resolution is one level deep.
func (d *DB) readPlain(k []byte, atTx uint64) (*schema.Entry, error) {
	sk := proof.EncodeKVKey(k)
	var (
		txID, rev uint64
		md        proof.KVMetadata
		val       []byte
	)
	if atTx > 0 {
		e, err := d.entryInTx(sk, atTx)
		if err != nil {
			return nil, err
		}
		if isGone(e.Metadata, d.now()) {
			return nil, ErrKeyNotFound
		}
		txID, md, val = atTx, e.Metadata, e.Value
	} else {
		kv, err := d.st.Get(sk, 0)
		if err != nil {
			return nil, err
		}
		txID, rev, md, val = kv.TxID, kv.Revision, kv.Metadata, kv.Value
	}
	v, err := proof.DecodeKVValue(val)
	if err != nil {
		return nil, fmt.Errorf("%w: key %x at tx %d: %v", ErrCorruptedData, k, txID, err)
	}
	if v.Kind == proof.ValueReference {
		return nil, ErrMaxKeyResolutionLimitReached
	}
	return &schema.Entry{
		Tx:       txID,
		Key:      append([]byte(nil), k...),
		Value:    append([]byte{}, v.Value...),
		Metadata: kvMetadataToProto(md),
		Revision: rev,
	}, nil
}

// Get reads a key (API.md §5): latest, at a tx, or at a revision; deleted,
// expired and non-indexed keys (unless read by atTx) are not found.
func (d *DB) Get(ctx context.Context, req *schema.KeyRequest) (*schema.Entry, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	return d.get(ctx, req)
}

func (d *DB) get(ctx context.Context, req *schema.KeyRequest) (*schema.Entry, error) {
	if req == nil || len(req.Key) == 0 {
		return nil, ErrIllegalArguments
	}
	if req.AtTx > 0 && (req.SinceTx > 0 || req.AtRevision != 0) {
		return nil, ErrIllegalArguments
	}
	if _, err := d.checkSinceTx(req.SinceTx); err != nil {
		return nil, err
	}
	sk := proof.EncodeKVKey(req.Key)
	if req.AtTx > 0 {
		e, err := d.entryInTx(sk, req.AtTx)
		if err != nil {
			return nil, err
		}
		if isGone(e.Metadata, d.now()) {
			return nil, ErrKeyNotFound
		}
		return d.resolveEntry(req.Key, req.AtTx, 0, e.Metadata, e.Value)
	}
	if !req.NoWait {
		if err := d.waitIndexed(ctx, req.SinceTx); err != nil {
			return nil, err
		}
	}
	kv, err := d.st.GetRevision(sk, req.AtRevision, 0)
	if err != nil {
		return nil, mapReadErr(err)
	}
	return d.resolveEntry(req.Key, kv.TxID, kv.Revision, kv.Metadata, kv.Value)
}

// GetAll reads the latest value of each key; missing keys are left out.
func (d *DB) GetAll(ctx context.Context, req *schema.KeyListRequest) (*schema.Entries, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil {
		return nil, ErrIllegalArguments
	}
	if err := d.waitIndexed(ctx, req.SinceTx); err != nil {
		return nil, err
	}
	out := &schema.Entries{}
	for _, k := range req.Keys {
		if len(k) == 0 {
			return nil, ErrIllegalArguments
		}
		kv, err := d.st.Get(proof.EncodeKVKey(k), 0)
		if errors.Is(err, ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		e, err := d.resolveEntry(k, kv.TxID, kv.Revision, kv.Metadata, kv.Value)
		if errors.Is(err, ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out.Entries = append(out.Entries, e)
	}
	return out, nil
}
