package database

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/store"
	"github.com/attestdb/attestdb/proof"
)

// scanBatch is how many index entries one engine call returns while a scan
// filters and resolves its page.
const scanBatch = 256

// pageLimit applies the 0 → MaxResultSize rule and refuses larger limits.
func pageLimit(limit uint64) (int, error) {
	if limit > MaxResultSize {
		return 0, fmt.Errorf("%w: the specified limit (%d) is larger than the maximum allowed one (%d)",
			ErrResultSizeLimitExceeded, limit, MaxResultSize)
	}
	if limit == 0 {
		return MaxResultSize, nil
	}
	return int(limit), nil
}

// checkSinceTxPlain is the scan variant: plain "illegal arguments".
func (d *DB) checkSinceTxPlain(ctx context.Context, sinceTx uint64) error {
	last, _ := d.st.LastCommitted()
	if sinceTx > last {
		return ErrIllegalArguments
	}
	return d.waitIndexed(ctx, sinceTx)
}

// iterate walks the live keys selected by o in batches, calling visit until
// it returns false. Continuing after the last key of a batch keeps each
// engine call bounded while visit may drop entries.
func (d *DB) iterate(o index.ScanOptions, visit func(kv *store.KeyValue) (bool, error)) error {
	for {
		kvs, err := d.st.Scan(store.ScanOptions{ScanOptions: o, Limit: scanBatch})
		if err != nil {
			return err
		}
		for _, kv := range kvs {
			more, err := visit(kv)
			if err != nil || !more {
				return err
			}
		}
		if len(kvs) < scanBatch {
			return nil
		}
		o.SeekKey = kvs[len(kvs)-1].Key
		o.InclusiveSeek = false
	}
}

// Scan lists the latest live value of the plain keys selected by req,
// references resolved (API.md §5).
func (d *DB) Scan(ctx context.Context, req *schema.ScanRequest) (*schema.Entries, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil {
		return nil, ErrIllegalArguments
	}
	limit, err := pageLimit(req.Limit)
	if err != nil {
		return nil, err
	}
	if err := d.checkSinceTxPlain(ctx, req.SinceTx); err != nil {
		return nil, err
	}
	o := index.ScanOptions{
		Prefix:        proof.EncodeKVKey(req.Prefix),
		InclusiveSeek: req.InclusiveSeek,
		InclusiveEnd:  req.InclusiveEnd,
		Desc:          req.Desc,
	}
	if len(req.SeekKey) > 0 {
		o.SeekKey = proof.EncodeKVKey(req.SeekKey)
	}
	if len(req.EndKey) > 0 {
		o.EndKey = proof.EncodeKVKey(req.EndKey)
	}
	out := &schema.Entries{}
	skip := req.Offset
	err = d.iterate(o, func(kv *store.KeyValue) (bool, error) {
		e, err := d.resolveEntry(kv.Key[1:], kv.TxID, kv.Revision, kv.Metadata, kv.Value)
		if errors.Is(err, ErrKeyNotFound) {
			return true, nil // a reference whose target is gone
		}
		if err != nil {
			return false, err
		}
		if skip > 0 {
			skip--
			return true, nil
		}
		out.Entries = append(out.Entries, e)
		return len(out.Entries) < limit, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// History lists the versions of a key, deletions included.
func (d *DB) History(ctx context.Context, req *schema.HistoryRequest) (*schema.Entries, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil || len(req.Key) == 0 || req.Limit < 0 {
		return nil, ErrIllegalArguments
	}
	limit, err := pageLimit(uint64(req.Limit))
	if err != nil {
		return nil, err
	}
	if err := d.checkSinceTxPlain(ctx, req.SinceTx); err != nil {
		return nil, err
	}
	kvs, err := d.st.History(proof.EncodeKVKey(req.Key), req.Offset, limit, req.Desc, 0)
	if err != nil {
		return nil, mapReadErr(err)
	}
	if len(kvs) == 0 && req.Offset == 0 {
		return nil, ErrKeyNotFound
	}
	now := d.now()
	// Every entry of the page shares one copy of the key (they are only
	// marshalled) and the values the store returned; the entries come from
	// one slab.
	key := append([]byte(nil), req.Key...)
	slab := make([]schema.Entry, len(kvs))
	out := &schema.Entries{Entries: make([]*schema.Entry, 0, len(kvs))}
	for i, kv := range kvs {
		e := &slab[i]
		switch {
		case kv.Metadata.Deleted || len(kv.Value) == 0:
			e.Tx, e.Key, e.Value, e.Metadata, e.Revision = kv.TxID, key, []byte{}, kvMetadataToProto(kv.Metadata), kv.Revision
		case isExpired(kv.Metadata, now):
			e.Tx, e.Key, e.Metadata, e.Revision, e.Expired = kv.TxID, key, kvMetadataToProto(kv.Metadata), kv.Revision, true
		default:
			if e, err = d.resolveEntryInto(e, key, kv.TxID, kv.Revision, kv.Metadata, kv.Value, true); err != nil {
				return nil, err
			}
		}
		out.Entries = append(out.Entries, e)
	}
	return out, nil
}

// Count counts the indexed plain keys under the prefix, without waiting.
func (d *DB) Count(ctx context.Context, req *schema.KeyPrefix) (*schema.EntryCount, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil {
		return nil, ErrIllegalArguments
	}
	n, err := d.st.Count(proof.EncodeKVKey(req.Prefix), 0)
	if err != nil {
		return nil, err
	}
	return &schema.EntryCount{Count: n}, nil
}

// CountAll counts every indexed plain key.
func (d *DB) CountAll(ctx context.Context) (*schema.EntryCount, error) {
	return d.Count(ctx, &schema.KeyPrefix{})
}

// zsetPrefix is the store-key prefix of the members of set.
func zsetPrefix(set []byte) []byte {
	p := make([]byte, 1+8, 1+8+len(set))
	p[0] = proof.PrefixZSet
	binary.BigEndian.PutUint64(p[1:], uint64(len(set)))
	return append(p, set...)
}

// ZScan lists the members of a sorted set in store-key order (set, raw
// IEEE-754 bits of the score, key, atTx), each with the entry it refers to.
func (d *DB) ZScan(ctx context.Context, req *schema.ZScanRequest) (*schema.ZEntries, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if req == nil || len(req.Set) == 0 {
		return nil, ErrIllegalArguments
	}
	limit, err := pageLimit(req.Limit)
	if err != nil {
		return nil, err
	}
	if err := d.checkSinceTxPlain(ctx, req.SinceTx); err != nil {
		return nil, err
	}
	prefix := zsetPrefix(req.Set)
	o := index.ScanOptions{Prefix: prefix, Desc: req.Desc, InclusiveSeek: req.InclusiveSeek}
	if len(req.SeekKey) > 0 {
		o.SeekKey = proof.EncodeZAddKey(req.Set, req.SeekScore, req.SeekKey, req.SeekAtTx)
	}
	out := &schema.ZEntries{}
	skip := req.Offset
	err = d.iterate(o, func(kv *store.KeyValue) (bool, error) {
		if !bytes.HasPrefix(kv.Key, prefix) {
			return true, nil
		}
		set, key, score, atTx, err := proof.DecodeZAddKey(kv.Key)
		if err != nil {
			return false, fmt.Errorf("%w: sorted-set key %x: %v", ErrCorruptedData, kv.Key, err)
		}
		if (req.MinScore != nil && score < req.MinScore.Score) || (req.MaxScore != nil && score > req.MaxScore.Score) {
			return true, nil
		}
		e, err := d.readPlain(key, atTx)
		if errors.Is(err, ErrKeyNotFound) {
			return true, nil // the member's key was deleted or has expired
		}
		if err != nil {
			return false, err
		}
		if skip > 0 {
			skip--
			return true, nil
		}
		out.Entries = append(out.Entries, &schema.ZEntry{Set: set, Key: key, Entry: e, Score: score, AtTx: atTx})
		return len(out.Entries) < limit, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
