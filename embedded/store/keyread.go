package store

import (
	"errors"
	"fmt"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/proof"
)

// KeyValue is one version of a key read through the index.
type KeyValue struct {
	Key      []byte
	TxID     uint64
	Revision uint64
	Metadata proof.KVMetadata
	Value    []byte
}

// mapIndexErr turns index errors into the store's sentinels.
func mapIndexErr(err error) error {
	switch {
	case errors.Is(err, index.ErrKeyNotFound):
		return ErrKeyNotFound
	case errors.Is(err, index.ErrInvalidRevision):
		return fmt.Errorf("%w: %w", ErrIllegalArguments, err)
	case errors.Is(err, index.ErrInvalidKey):
		return fmt.Errorf("%w: %w", ErrIllegalArguments, err)
	case errors.Is(err, index.ErrClosed):
		return ErrClosed
	}
	return err
}

func (s *Store) readIndex() (*index.Index, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	ix := s.ix()
	if ix == nil {
		return nil, ErrIndexDisabled
	}
	return ix, nil
}

// useIndex runs fn on the current key index. When RebuildIndex replaced
// the index under fn (fn saw it closed while the store is open), fn runs
// again on the new one: readers see a partial index during a rebuild,
// never ErrClosed. When fn finds the index damaged (index.ErrCorrupt), the
// index is rebuilt from the log and fn runs once more on the new one.
func (s *Store) useIndex(fn func(ix *index.Index) error) error {
	s.waitRepair()
	ix, err := s.readIndex()
	if err != nil {
		return err
	}
	repaired := false
	for {
		err := fn(ix)
		if errors.Is(err, index.ErrCorrupt) && !repaired && !s.isClosing() {
			if rerr := s.repairIndex(ix); rerr != nil {
				return fmt.Errorf("%w (and the rebuild failed: %v)", err, rerr)
			}
			repaired = true
			ix = s.ix()
			continue
		}
		if !errors.Is(err, index.ErrClosed) || s.isClosing() {
			return err
		}
		s.idxSwapMu.RLock() // waits for a swap in progress
		next := s.ix()
		s.idxSwapMu.RUnlock()
		if next == ix {
			return err // closed and not replaced: a failed rebuild
		}
		ix = next
	}
}

// version turns an index version into a KeyValue, reading the value from
// the log; filter makes deleted and expired versions ErrKeyNotFound.
func (s *Store) version(key []byte, v index.Version, filter bool, now int64) (*KeyValue, error) {
	pl, err := decodePayload(v.Payload)
	if err != nil {
		return nil, err
	}
	if filter && isGone(pl.Md, now) {
		return nil, ErrKeyNotFound
	}
	// Scan payloads are only valid until the iterator moves: copy.
	val := append([]byte(nil), pl.Inline...)
	if pl.Inline == nil {
		if val, err = s.ReadValueAt(pl.ValuePos, pl.VLen); err != nil {
			return nil, err
		}
	}
	return &KeyValue{Key: key, TxID: v.TxID, Revision: v.Revision, Metadata: pl.Md, Value: val}, nil
}

// Get returns the latest version of key written by a tx ≤ atTx (0 = the
// latest indexed). A deleted or expired latest version reads as
// ErrKeyNotFound. It does not wait for the index: see WaitForIndexedUpTo.
func (s *Store) Get(key []byte, atTx uint64) (*KeyValue, error) {
	return s.GetRevision(key, 0, atTx)
}

// GetRevision returns revision rev of key (rev > 0: the rev-th version;
// rev < 0: |rev| versions before the latest; 0: the latest) among versions
// ≤ atTx. Deleted and expired versions read as ErrKeyNotFound.
func (s *Store) GetRevision(key []byte, rev int64, atTx uint64) (*KeyValue, error) {
	var v index.Version
	err := s.useIndex(func(ix *index.Index) (err error) {
		v, err = ix.GetRevision(key, rev, atTx)
		return err
	})
	if err != nil {
		return nil, mapIndexErr(err)
	}
	return s.version(append([]byte(nil), key...), v, true, s.opts.Clock())
}

// History returns versions of key ≤ atTx, oldest first (newest first when
// desc), skipping offset and returning at most limit (0 = all). Deleted
// and expired versions are included, with their metadata.
func (s *Store) History(key []byte, offset uint64, limit int, desc bool, atTx uint64) ([]*KeyValue, error) {
	var vs []index.Version
	err := s.useIndex(func(ix *index.Index) (err error) {
		vs, err = ix.History(key, offset, limit, desc, atTx)
		return err
	})
	if err != nil {
		return nil, mapIndexErr(err)
	}
	// One allocation for the KeyValues and one for the inline values: a
	// history page is typically many small versions of one key.
	out := make([]*KeyValue, len(vs))
	kvs := make([]KeyValue, len(vs))
	k := append([]byte(nil), key...)
	arena := make([]byte, 0, inlineArenaSize(vs))
	for i, v := range vs {
		pl, err := decodePayload(v.Payload)
		if err != nil {
			return nil, err
		}
		var val []byte
		if pl.Inline != nil {
			start := len(arena)
			arena = append(arena, pl.Inline...)
			val = arena[start:len(arena):len(arena)] // capped: an append by the caller cannot reach the next value
		} else if val, err = s.ReadValueAt(pl.ValuePos, pl.VLen); err != nil {
			return nil, err
		}
		kvs[i] = KeyValue{Key: k, TxID: v.TxID, Revision: v.Revision, Metadata: pl.Md, Value: val}
		out[i] = &kvs[i]
	}
	return out, nil
}

// inlineArenaSize bounds the bytes of the inline values of vs.
func inlineArenaSize(vs []index.Version) int {
	n := 0
	for _, v := range vs {
		n += min(len(v.Payload), inlineValueMax)
	}
	return n
}

// ScanOptions select the keys of Scan (see index.ScanOptions) and page the
// live ones.
type ScanOptions struct {
	index.ScanOptions
	Offset uint64
	Limit  int // 0 = no limit
}

// Scan returns the latest live version of each key selected by o, in key
// order (reverse when Desc); deleted and expired keys are skipped before
// Offset and Limit apply.
func (s *Store) Scan(o ScanOptions) ([]*KeyValue, error) {
	var out []*KeyValue
	err := s.useIndex(func(ix *index.Index) error {
		var err error
		out, err = s.scanIndex(ix, &o)
		return err
	})
	if err != nil {
		return nil, mapIndexErr(err)
	}
	return out, nil
}

func (s *Store) scanIndex(ix *index.Index, o *ScanOptions) ([]*KeyValue, error) {
	it, err := ix.Scan(o.ScanOptions)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	now := s.opts.Clock()
	var out []*KeyValue
	skip := o.Offset
	for it.Next() {
		v := it.Version()
		pl, err := decodePayload(v.Payload)
		if err != nil {
			return nil, err
		}
		if isGone(pl.Md, now) {
			continue
		}
		if skip > 0 {
			skip--
			continue
		}
		kv, err := s.version(append([]byte(nil), it.Key()...), v, false, 0)
		if err != nil {
			return nil, err
		}
		out = append(out, kv)
		if o.Limit > 0 && len(out) >= o.Limit {
			break
		}
	}
	return out, it.Err()
}

// Count returns the number of keys under prefix whose latest version ≤
// atTx is live.
func (s *Store) Count(prefix []byte, atTx uint64) (uint64, error) {
	var n uint64
	err := s.useIndex(func(ix *index.Index) error {
		n = 0
		it, err := ix.Scan(index.ScanOptions{Prefix: prefix, AtTx: atTx})
		if err != nil {
			return err
		}
		defer it.Close()
		now := s.opts.Clock()
		for it.Next() {
			pl, err := decodePayload(it.Version().Payload)
			if err != nil {
				return err
			}
			if !isGone(pl.Md, now) {
				n++
			}
		}
		return it.Err()
	})
	if err != nil {
		return 0, mapIndexErr(err)
	}
	return n, nil
}
