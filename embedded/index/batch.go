package index

import (
	"bytes"
	"fmt"
	"slices"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// Batch collects the entries of one or more consecutive txs. It is used by
// one goroutine. Errors in Begin/Add (out-of-order tx, bad key, duplicate
// key) are sticky and returned by Apply, which then applies nothing.
// After a successful Apply the batch is empty and may be reused.
type Batch struct {
	ix  *Index
	st  *batchState // nil after Close
	err error
}

type entry struct {
	keyOff, keyEnd, payEnd int // key = arena[keyOff:keyEnd], payload = arena[keyEnd:payEnd]
	tx                     uint64
	hash                   uint64 // keyHash(key)
	rev                    uint64 // filled by Apply
	encOff, encEnd         int    // encoded Pebble key in Index.encBuf, filled by Apply
	prev                   int32  // earlier entry of the same key in this batch, or -1
	hnext                  int32  // earlier entry with the same hash, or -1
}

type batchState struct {
	arena   []byte
	entries []entry
	heads   headTable // key hash -> latest entry with that hash
	firstTx uint64
	lastTx  uint64
	ntx     int
}

func (s *batchState) reset() {
	s.arena = s.arena[:0]
	s.entries = s.entries[:0]
	s.heads.reset()
	s.firstTx, s.lastTx, s.ntx = 0, 0, 0
}

var batchPool = sync.Pool{New: func() any {
	return &batchState{}
}}

// NewBatch returns an empty batch for this index.
func (ix *Index) NewBatch() *Batch {
	return &Batch{ix: ix, st: batchPool.Get().(*batchState)}
}

// Begin starts the next tx of the batch. Txs must be consecutive:
// IndexedUpTo()+1, +2, … (the first one is checked by Apply).
func (b *Batch) Begin(txID uint64) {
	if b.err != nil {
		return
	}
	if b.st == nil {
		b.err = fmt.Errorf("index: batch: %w", ErrClosed)
		return
	}
	s := b.st
	switch {
	case txID == 0:
		b.err = fmt.Errorf("%w: tx id 0", ErrOutOfOrder)
		return
	case s.ntx > 0 && txID != s.lastTx+1:
		b.err = fmt.Errorf("%w: tx %d begun after tx %d", ErrOutOfOrder, txID, s.lastTx)
		return
	case s.ntx == 0:
		s.firstTx = txID
	}
	s.lastTx = txID
	s.ntx++
}

// Add adds an entry of the current tx. A key may appear at most once per tx.
// key and payload are copied.
func (b *Batch) Add(key []byte, payload []byte) {
	if b.err != nil {
		return
	}
	if b.st == nil {
		b.err = fmt.Errorf("index: batch: %w", ErrClosed)
		return
	}
	s := b.st
	if s.ntx == 0 {
		b.err = ErrNoTx
		return
	}
	if err := b.ix.checkKey(key); err != nil {
		b.err = fmt.Errorf("tx %d: %w", s.lastTx, err)
		return
	}
	h := keyHash(key)
	prev := int32(-1)
	slot := s.heads.find(h, s.entries)
	head := s.heads.head(slot)
	for j := head; j >= 0; j = s.entries[j].hnext {
		e := &s.entries[j]
		if string(s.arena[e.keyOff:e.keyEnd]) == string(key) {
			if e.tx == s.lastTx {
				b.err = fmt.Errorf("%w: tx %d key %q", ErrDuplicateKey, s.lastTx, key)
				return
			}
			prev = j
			break
		}
	}
	off := len(s.arena)
	s.arena = append(s.arena, key...)
	s.arena = append(s.arena, payload...)
	s.heads.set(slot, int32(len(s.entries)))
	s.entries = append(s.entries, entry{
		keyOff: off, keyEnd: off + len(key), payEnd: len(s.arena),
		tx: s.lastTx, hash: h, prev: prev, hnext: head,
	})
}

// Close releases the batch without applying it. It is safe to call more
// than once and after Apply; the batch must not be used afterwards.
func (b *Batch) Close() {
	if b.st != nil {
		b.st.reset()
		batchPool.Put(b.st)
		b.st = nil
	}
}

// Len is the number of entries in the batch.
func (b *Batch) Len() int {
	if b.st == nil {
		return 0
	}
	return len(b.st.entries)
}

// Apply writes the batch and moves IndexedUpTo to its last tx, atomically
// (one Pebble batch holds the entries and the watermark). It returns
// ErrOutOfOrder if the first tx is not IndexedUpTo()+1. A batch with no tx
// is a no-op. Only one Apply runs at a time.
func (ix *Index) Apply(b *Batch) (err error) {
	defer ix.guard(&err)
	if err := ix.rlock(); err != nil {
		return err
	}
	defer ix.mu.RUnlock()
	if b.ix != ix {
		return fmt.Errorf("index: batch belongs to another index")
	}
	if b.err != nil {
		return b.err
	}
	if b.st == nil {
		return fmt.Errorf("index: batch: %w", ErrClosed)
	}
	s := b.st
	if s.ntx == 0 {
		return nil
	}
	ix.applyMu.Lock()
	defer ix.applyMu.Unlock()
	if w := ix.indexed.Load(); s.firstTx != w+1 {
		return fmt.Errorf("%w: batch starts at tx %d, index is at tx %d", ErrOutOfOrder, s.firstTx, w)
	}
	if ix.bg.failing() { // else a flush is in progress or the queue has room
		if err := ix.waitRoom(ix.bg.count()); err != nil {
			return fmt.Errorf("index: apply: background work failing: %w", err)
		}
	}
	if err := ix.applyEntries(s); err != nil {
		return err
	}
	ix.points.bump() // before IndexedUpTo moves: see iterpool.go
	ix.indexed.Store(s.lastTx)
	s.reset()
	return nil
}

// sortApply makes Apply hand its keys to Pebble in key order: the memtable
// skiplist inserter reuses the previous insert position, which makes
// sorted inserts cheaper than random ones.
var sortApply = true

func (ix *Index) applyEntries(s *batchState) error {
	var it *pebble.Iterator
	defer func() {
		if it != nil {
			it.Close()
		}
	}()
	// Pass 0: ask the key filter about the batch's keys, and add the new
	// ones, in a loop of its own. In a filter of millions of keys each
	// question is a few cache misses; with nothing else between them the CPU
	// overlaps the misses of consecutive keys, and the add finds its block
	// still cached by the question (asked inside pass 1 and added there, the
	// filter was 16% of a batch load's CPU). A key's repeats in the batch
	// are found through prev; an add only turns other keys' answers into
	// "maybe", which costs a lookup, never a wrong revision.
	// Until the filter holds every key (a rebuild may still run), every
	// answer is "maybe".
	// The questions go in runs of filterWarmRun keys whose blocks are
	// loaded first (keyFilter.warm), so their misses overlap too.
	unseen := ix.unseen[:0]
	for run := 0; run < len(s.entries); run += filterWarmRun {
		end := min(run+filterWarmRun, len(s.entries))
		if ix.filterReady {
			var x uint64
			for i := run; i < end; i++ {
				x ^= ix.filter.warm(s.entries[i].hash)
			}
			ix.filterSink = x
		}
		for i := run; i < end; i++ {
			e := &s.entries[i]
			u := ix.filterReady && e.prev < 0 && !ix.filter.mayContain(e.hash)
			if u {
				ix.filter.add(e.hash)
			}
			unseen = append(unseen, u)
		}
	}
	ix.unseen = unseen
	// Pass 1: revisions and encoded keys (into ix.encBuf).
	enc := ix.encBuf[:0]
	for i := range s.entries {
		e := &s.entries[i]
		e.encOff = len(enc)
		enc = appendPrefix(enc, s.arena[e.keyOff:e.keyEnd])
		switch {
		case e.prev >= 0:
			e.rev = s.entries[e.prev].rev + 1
		case unseen[i]:
			e.rev = 1 // never seen (and now in the filter): no lookup needed
		case ix.revCache.lookup(e.hash, s.arena[e.keyOff:e.keyEnd], &e.rev):
			e.rev++ // an update of a recently written key
		default:
			if it == nil {
				var err error
				// Most keys of a batch are usually new: let the bloom filters of
				// the last level (most of the data) answer that too.
				if it, err = ix.db.NewIter(&pebble.IterOptions{UseL6Filters: true}); err != nil {
					return fmt.Errorf("index: apply: %w", err)
				}
			}
			// The first key with this prefix is the latest version.
			e.rev = 1
			if it.SeekPrefixGE(enc[e.encOff:]) {
				_, rev, err := decodeVersionKey(it.Key())
				if err != nil {
					return err
				}
				e.rev = rev + 1
			} else if err := it.Error(); err != nil {
				return fmt.Errorf("index: apply: lookup: %w", err)
			} else {
				ix.filter.add(e.hash) // a new key the filter could not vouch for
			}
		}
		enc = appendRev(enc, e.rev)
		e.encEnd = len(enc)
	}
	ix.encBuf = enc
	// Pass 2: write in key order.
	order := ix.order[:0]
	for i := range s.entries {
		order = append(order, int32(i))
	}
	if sortApply {
		slices.SortFunc(order, func(a, b int32) int {
			ea, eb := &s.entries[a], &s.entries[b]
			return bytes.Compare(enc[ea.encOff:ea.encEnd], enc[eb.encOff:eb.encEnd])
		})
	}
	ix.order = order
	pb := ix.db.NewBatchWithSize(len(enc) + len(s.arena) + len(s.entries)*16 + 32)
	defer pb.Close()
	for _, i := range order {
		e := &s.entries[i]
		key := enc[e.encOff:e.encEnd]
		payload := s.arena[e.keyEnd:e.payEnd]
		op := pb.SetDeferred(len(key), valueLen(e.tx, payload))
		copy(op.Key, key)
		putValue(op.Value, e.tx, payload)
		if err := op.Finish(); err != nil {
			return fmt.Errorf("index: apply: %w", err)
		}
	}
	if err := pb.Set(watermarkKey, putWatermark(&ix.wmBuf, s.lastTx), nil); err != nil {
		return fmt.Errorf("index: apply: %w", err)
	}
	if err := pb.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("index: apply: commit: %w", err)
	}
	// Only committed revisions may be remembered. Only updated keys are:
	// a key updated once is likely to be updated again, and skipping new
	// keys keeps the cache off the path that matters most for throughput.
	for i := range s.entries {
		if e := &s.entries[i]; e.rev > 1 {
			ix.revCache.store(e.hash, s.arena[e.keyOff:e.keyEnd], e.rev)
		}
	}
	return nil
}
