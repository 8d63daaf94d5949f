package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/proof"
)

// An index payload locates a version's value in the log and carries its KV
// metadata (so deleted/expired versions are filtered without a log read);
// values of at most inlineValueMax bytes are copied into it, so reading
// them needs no log access:
//
//	u8 mdLen ‖ kvMetadata ‖ uvarint(value log position) ‖ uvarint(value length) ‖ [value]
const inlineValueMax = 64

func appendPayload(dst, md []byte, valuePos uint64, value []byte) []byte {
	dst = append(dst, byte(len(md)))
	dst = append(dst, md...)
	dst = binary.AppendUvarint(dst, valuePos)
	dst = binary.AppendUvarint(dst, uint64(len(value)))
	if len(value) <= inlineValueMax {
		dst = append(dst, value...)
	}
	return dst
}

type payload struct {
	Md       proof.KVMetadata
	ValuePos uint64
	VLen     int
	Inline   []byte // the value when VLen ≤ inlineValueMax (aliases the payload)
}

func decodePayload(b []byte) (payload, error) {
	if len(b) < 1 || len(b) < 1+int(b[0]) {
		return payload{}, fmt.Errorf("%w: index payload", ErrCorruptedData)
	}
	ml := int(b[0])
	md, err := proof.ParseKVMetadata(b[1 : 1+ml])
	if err != nil {
		return payload{}, fmt.Errorf("%w: index payload metadata: %v", ErrCorruptedData, err)
	}
	rest := b[1+ml:]
	pos, n := binary.Uvarint(rest)
	if n <= 0 {
		return payload{}, fmt.Errorf("%w: index payload position", ErrCorruptedData)
	}
	vl, m := binary.Uvarint(rest[n:])
	if m <= 0 || vl > maxRecordLen {
		return payload{}, fmt.Errorf("%w: index payload length", ErrCorruptedData)
	}
	p := payload{Md: md, ValuePos: pos, VLen: int(vl)}
	tail := rest[n+m:]
	switch {
	case vl <= inlineValueMax && len(tail) == int(vl):
		p.Inline = tail
	case len(tail) != 0 || vl <= inlineValueMax:
		return payload{}, fmt.Errorf("%w: index payload value", ErrCorruptedData)
	}
	return p, nil
}

// indexer applies committed txs to the key index, in batches, reading
// them back from the log (recent records are still in the page cache).
func (s *Store) indexer() {
	defer close(s.idxDone)
	if s.ix().Reset() != nil {
		// Open found the index damaged and started it over empty: the
		// catch-up below rebuilds it from the log.
		s.idxRepair.count.Add(1)
	}
	for {
		err := s.catchUp()
		if err == nil {
			err = s.ix().Damaged() // found by a background read
		}
		if errors.Is(err, index.ErrCorrupt) && !s.isClosing() {
			err = s.repairIndex(s.ix())
		}
		if err != nil {
			s.idxMu.Lock()
			if s.idxErr == nil {
				s.idxErr = err
			}
			s.notifyIndexWaiters()
			s.idxMu.Unlock()
		}
		select {
		case <-s.idxNotify:
		case <-s.closing:
			return
		}
	}
}

// catchUp indexes everything committed so far.
func (s *Store) catchUp() error {
	s.idxRunMu.Lock()
	defer s.idxRunMu.Unlock()
	ix := s.ix()
	for {
		done := ix.IndexedUpTo()
		last := s.indexable()
		if done >= last {
			return nil
		}
		select {
		case <-s.closing:
			return nil
		default:
		}
		to := min(last, done+uint64(s.opts.IndexBatchTxs))
		if err := s.indexRange(ix, done+1, to); err != nil {
			return err
		}
		s.idxMu.Lock()
		s.notifyIndexWaiters()
		s.idxMu.Unlock()
	}
}

// indexable is the last tx the indexer may apply: every committed tx in
// Synced mode, only durable ones otherwise (so an index flushed by Pebble
// never holds a tx the log could still lose).
func (s *Store) indexable() uint64 {
	c := s.committed.Load()
	if !s.opts.Synced {
		c = min(c, s.durable.Load())
	}
	return c
}

// notifyIndexWaiters wakes WaitForIndexedUpTo callers; idxMu is held.
func (s *Store) notifyIndexWaiters() {
	close(s.idxWait)
	s.idxWait = make(chan struct{})
}

// indexRange applies txs [from, to] in one index batch.
func (s *Store) indexRange(ix *index.Index, from, to uint64) error {
	b := ix.NewBatch()
	defer b.Close()
	var ents []recordEntry
	var pl []byte
	id := from
	entries := 0
	for id <= to && entries < maxIndexBatchEntries {
		e, err := s.txi.read(id)
		if err != nil {
			return fmt.Errorf("index tx %d: %w", id, err)
		}
		// Read the run of consecutive records up to tx to in one go (when
		// it is in the same segment), at most scanChunk unless a single
		// record is larger.
		n := scanChunk
		if te, err := s.txi.read(to); err == nil && te.Pos >= e.Pos && te.Pos>>segShift == e.Pos>>segShift {
			n = min(n, int(te.Pos+uint64(te.Len)-e.Pos))
		}
		n = max(n, int(e.Len))
		if cap(s.idxBuf) < n {
			s.idxBuf = make([]byte, n)
		}
		buf := s.idxBuf[:n]
		seg, off := splitPos(e.Pos)
		f, err := s.log.file(seg)
		if err != nil {
			return err
		}
		got, _ := f.ReadAt(buf, off)
		buf = buf[:got]
		if got < int(e.Len) {
			return fmt.Errorf("%w: record of tx %d unreadable", ErrCorruptedData, id)
		}
		pos := e.Pos
		for id <= to && len(buf) > 0 && entries < maxIndexBatchEntries {
			total, st := checkFrame(buf)
			if st != frameOK {
				break // end of segment or of what was read: look up the next tx
			}
			hdr, _, es, err := decodeRecord(buf[:total], ents[:0])
			ents = es
			if err != nil || hdr.ID != id {
				return fmt.Errorf("%w: record of tx %d while indexing", ErrCorruptedData, id)
			}
			b.Begin(id)
			for _, re := range ents {
				if len(re.Md) > 0 {
					md, err := proof.ParseKVMetadata(re.Md)
					if err != nil {
						return fmt.Errorf("%w: tx %d metadata: %v", ErrCorruptedData, id, err)
					}
					if md.NonIndexable {
						continue
					}
				}
				pl = appendPayload(pl[:0], re.Md, pos+uint64(re.ValueOff), re.Value)
				b.Add(re.Key, pl)
			}
			entries += len(ents)
			id++
			pos += uint64(total)
			buf = buf[total:]
		}
	}
	if err := ix.Apply(b); err != nil {
		return fmt.Errorf("store: apply index batch [%d, %d]: %w", from, id-1, err)
	}
	return nil
}

// maxIndexBatchEntries bounds the entries of one index batch (a batch may
// end before the requested last tx; the caller loops on IndexedUpTo). The
// batch's table of keys stays small enough for the CPU caches: with 64Ki
// entries its lookups were 7–8% of a batch load's CPU, with 16Ki 5.5–6%.
const maxIndexBatchEntries = 16 << 10

// IndexedUpTo is the last tx whose entries are in the key index.
func (s *Store) IndexedUpTo() uint64 {
	if s.ix() == nil {
		return 0
	}
	return s.ix().IndexedUpTo()
}

// WaitForIndexedUpTo blocks until the index has every tx ≤ tx, ctx ends
// (ErrIndexTimeout wrapping ctx's error) or the store closes.
func (s *Store) WaitForIndexedUpTo(ctx context.Context, tx uint64) error {
	if s.ix() == nil {
		return ErrIndexDisabled
	}
	if tx > s.committed.Load() {
		return fmt.Errorf("%w: tx %d is beyond the last committed tx %d", ErrIllegalArguments, tx, s.committed.Load())
	}
	for {
		s.idxMu.Lock()
		ch, ierr := s.idxWait, s.idxErr
		s.idxMu.Unlock()
		if s.ix().IndexedUpTo() >= tx {
			return nil
		}
		if ierr != nil {
			return fmt.Errorf("%w: indexing failed: %w", ErrIllegalState, ierr)
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("%w (indexed up to %d, waiting for %d): %w", ErrIndexTimeout, s.ix().IndexedUpTo(), tx, ctx.Err())
		case <-s.closing:
			return ErrClosed
		}
	}
}

// preconditionWait bounds how long a commit with preconditions waits for
// the index.
const preconditionWait = time.Minute

// checkPreconditions runs in the committer, after every earlier tx was
// published: the index catches up with them, then each precondition is
// checked against it.
func (s *Store) checkPreconditions(r *request) error {
	if s.ix() == nil {
		return fmt.Errorf("%w: preconditions need the key index", ErrIllegalState)
	}
	ctx, cancel := context.WithTimeout(context.Background(), preconditionWait)
	defer cancel()
	if err := s.WaitForIndexedUpTo(ctx, s.cm.lastID); err != nil {
		return err
	}
	now := s.opts.Clock()
	for _, p := range r.preconds {
		var v index.Version
		err := s.useIndex(func(ix *index.Index) (err error) {
			v, err = ix.Get(p.Key, 0)
			return err
		})
		found := err == nil
		if err != nil && !errors.Is(err, index.ErrKeyNotFound) {
			return fmt.Errorf("store: check precondition: %w", err)
		}
		live := false
		if found {
			pl, err := decodePayload(v.Payload)
			if err != nil {
				return err
			}
			live = !isGone(pl.Md, now)
		}
		var ok bool
		switch p.Kind {
		case MustExist:
			ok = live
		case MustNotExist:
			ok = !live
		case NotModifiedAfter:
			ok = !found || v.TxID <= p.TxID
		}
		if !ok {
			return fmt.Errorf("%w: %v", ErrPreconditionFailed, p)
		}
	}
	return nil
}

// swapIndex replaces the index with an empty one. Readers that find the
// old one closed wait on idxSwapMu and retry on the new one (useIndex).
func (s *Store) swapIndex() (*index.Index, error) {
	s.idxSwapMu.Lock()
	defer s.idxSwapMu.Unlock()
	// A damaged index may fail to close cleanly; it is destroyed next
	// anyway, so only an intact one's close error counts.
	old := s.ix()
	if err := old.Close(); err != nil && old.Damaged() == nil {
		return nil, fmt.Errorf("store: close index: %w", err)
	}
	o := indexOptions(s.dir, &s.opts)
	if err := index.Destroy(o.Dir); err != nil {
		return nil, fmt.Errorf("store: destroy index: %w", err)
	}
	ix, err := index.Open(o)
	if err != nil {
		return nil, fmt.Errorf("store: reopen index: %w", err)
	}
	s.idxPtr.Store(ix)
	return ix, nil
}

// isClosing reports whether Close has begun.
func (s *Store) isClosing() bool {
	select {
	case <-s.closing:
		return true
	default:
		return false
	}
}

// isGone reports whether a version reads as not found: deleted, or expired
// at unix time now.
func isGone(md proof.KVMetadata, now int64) bool {
	return md.Deleted || (md.HasExpiry && md.ExpiresAt <= now)
}

// RebuildIndex destroys the key index and rebuilds it from the log,
// reporting progress (txs done, total). Key reads during the rebuild see
// a partial index.
func (s *Store) RebuildIndex(progress func(done, total uint64)) error {
	if s.ix() == nil {
		return ErrIndexDisabled
	}
	// Close waits for idxRunMu before closing the index, and the rebuild
	// checks closing between batches, so Close waits at most one batch and
	// never races with the swap of the index.
	s.idxRunMu.Lock()
	defer s.idxRunMu.Unlock()
	return s.rebuildLocked(progress)
}

// indexRepair tracks rebuilds of an index found damaged (index.ErrCorrupt:
// a Pebble checksum mismatch or undecodable index data). The index is
// derived from the log, so damage costs a rebuild, never data.
type indexRepair struct {
	count   atomic.Uint64 // repairs done or started, including at Open
	running atomic.Bool   // readers wait for it instead of seeing a partial index
}

// IndexRepairs is the number of times the key index was found damaged and
// rebuilt from the log since Open (counting a damaged index that Open
// started over).
func (s *Store) IndexRepairs() uint64 { return s.idxRepair.count.Load() }

// repairIndex rebuilds the index from the log if damaged is still the
// current index (concurrent readers that met the same damage repair once).
func (s *Store) repairIndex(damaged *index.Index) error {
	s.idxRunMu.Lock()
	defer s.idxRunMu.Unlock()
	if s.ix() != damaged {
		return nil
	}
	s.idxRepair.count.Add(1)
	s.idxRepair.running.Store(true)
	defer s.idxRepair.running.Store(false)
	if err := s.rebuildLocked(nil); err != nil {
		return fmt.Errorf("store: rebuild damaged index (%v): %w", damaged.Damaged(), err)
	}
	return nil
}

// waitRepair blocks while a repair runs, so a reader does not see the
// half-rebuilt index.
func (s *Store) waitRepair() {
	if s.idxRepair.running.Load() {
		s.idxRunMu.Lock()
		s.idxRunMu.Unlock() //nolint:staticcheck // only waits for the holder
	}
}

// rebuildLocked is RebuildIndex with idxRunMu held.
func (s *Store) rebuildLocked(progress func(done, total uint64)) error {
	if s.isClosing() {
		return ErrClosed
	}
	ix, err := s.swapIndex()
	if err != nil {
		return err
	}
	s.idxMu.Lock()
	s.idxErr = nil
	s.idxMu.Unlock()
	total := s.committed.Load()
	for done := uint64(0); done < total; {
		if s.isClosing() {
			return ErrClosed
		}
		to := min(total, done+uint64(s.opts.IndexBatchTxs))
		if err := s.indexRange(ix, done+1, to); err != nil {
			return err
		}
		done = ix.IndexedUpTo()
		s.idxMu.Lock()
		s.notifyIndexWaiters()
		s.idxMu.Unlock()
		if progress != nil {
			progress(done, total)
		}
	}
	return nil
}

// CompactIndex runs a full compaction of the key index: every key ends in
// the last level, so reads merge nothing and the block cache holds only
// live blocks. Useful after a bulk load; Pebble compacts in the background
// anyway.
func (s *Store) CompactIndex() error {
	if s.closed.Load() {
		return ErrClosed
	}
	return s.useIndex(func(ix *index.Index) error { return ix.Compact() })
}
