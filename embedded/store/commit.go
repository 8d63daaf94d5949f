package store

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/attestdb/attestdb/proof"
)

// request is one tx queued for the committer. The caller's goroutine does
// all the work that does not depend on the tx id (validation, value and
// entry hashing, eh, encoding the entries), so it runs in parallel across
// committers; the committer only adds the header.
type request struct {
	md       proof.TxMetadata
	preconds []Precondition
	nentries int
	eh       proof.Hash
	body     []byte // encoded entries
	keys     [][]byte

	digests []proof.Hash
	scratch []proof.Hash
	seen    []dupSlot

	hdr  proof.TxHeader
	err  error
	done chan struct{}

	replay *proof.TxHeader // set for a replicated tx: the header to reproduce (replicate.go)
}

var requestPool = sync.Pool{New: func() any { return &request{done: make(chan struct{}, 1)} }}

func getRequest() *request { return requestPool.Get().(*request) }

func putRequest(r *request) {
	if cap(r.body) > 1<<20 {
		r.body = nil // do not pin large buffers
	}
	r.body = r.body[:0]
	clear(r.keys)
	r.keys = r.keys[:0]
	if cap(r.seen) > 1<<16 {
		r.seen = nil // a huge tx's table (more than 1 MiB)
	}
	r.md, r.preconds, r.err, r.hdr = proof.TxMetadata{}, nil, nil, proof.TxHeader{}
	requestPool.Put(r)
}

// maxTxBodyLen keeps a record's length within its u32 frame field.
const maxTxBodyLen = math.MaxUint32 - frameLen - proof.MaxTxHeaderLen

// prepare validates the tx and fills in everything but the header.
func (s *Store) prepare(r *request, req *TxRequest, allowEmpty bool) error {
	n := len(req.Entries)
	if n == 0 && !allowEmpty {
		return ErrNoEntries
	}
	if n > s.opts.MaxTxEntries {
		return fmt.Errorf("%w: %d entries (max %d)", ErrTooManyEntries, n, s.opts.MaxTxEntries)
	}
	v := s.opts.HeaderVersion
	if err := req.Metadata.Validate(); err != nil {
		return fmt.Errorf("%w: tx metadata: %v", ErrIllegalArguments, err)
	}
	if v == proof.TxHeaderV0 && !req.Metadata.IsZero() {
		return fmt.Errorf("%w: tx metadata needs header version 1", ErrIllegalArguments)
	}
	for _, p := range req.Preconditions {
		if p.Kind < MustExist || p.Kind > NotModifiedAfter || len(p.Key) == 0 || len(p.Key) > s.opts.MaxKeyLen {
			return fmt.Errorf("%w: invalid precondition: %v", ErrIllegalArguments, p)
		}
	}
	if cap(r.digests) < n {
		r.digests = make([]proof.Hash, n)
	}
	r.digests = r.digests[:n]
	size := 0
	for i := range req.Entries {
		e := &req.Entries[i]
		if len(e.Key) == 0 {
			return ErrEmptyKey
		}
		if len(e.Key) > s.opts.MaxKeyLen {
			return ErrMaxKeyLenExceeded
		}
		if len(e.Value) > s.opts.MaxValueLen {
			return ErrMaxValueLenExceeded
		}
		if v == proof.TxHeaderV0 && !e.Metadata.IsZero() {
			return fmt.Errorf("%w: KV metadata needs header version 1", ErrIllegalArguments)
		}
		size += entryLen(len(e.Key), proof.MaxKVMetadataLen, len(e.Value))
	}
	if size > maxTxBodyLen { // checked on the upper bound, before allocating
		return fmt.Errorf("%w: tx of up to %d bytes exceeds the %d-byte record limit", ErrIllegalArguments, size, maxTxBodyLen)
	}
	if err := r.checkDuplicates(req.Entries); err != nil {
		return err
	}
	if cap(r.body) < size {
		r.body = make([]byte, 0, size)
	}
	body := r.body[:0]
	var mdBuf [proof.MaxKVMetadataLen]byte
	for i := range req.Entries {
		e := &req.Entries[i]
		md := e.Metadata.AppendBytes(mdBuf[:0])
		body = appendEntry(body, e.Key, md, e.Value)
		d, err := proof.EntryDigest(v, e.Key, md, sha256.Sum256(e.Value))
		if err != nil {
			return fmt.Errorf("%w: %v", ErrIllegalArguments, err)
		}
		r.digests[i] = d
	}
	r.body = body
	if n > 1 && cap(r.scratch) < n {
		r.scratch = make([]proof.Hash, n)
	}
	r.eh = proof.HTreeRootInto(r.scratch[:cap(r.scratch)], r.digests)
	r.nentries = n
	r.md = req.Metadata
	r.preconds = req.Preconditions
	r.replay = req.replay
	if len(r.preconds) > 0 {
		for i := range req.Entries {
			r.keys = append(r.keys, req.Entries[i].Key)
		}
	}
	return nil
}

// Commit commits a tx of 1..MaxTxEntries entries and returns its header.
// It returns once the tx is durable (Synced) or written (not Synced). ctx
// bounds only the wait for room in the commit queue: once queued, a tx is
// committed or fails on its own.
func (s *Store) Commit(ctx context.Context, req TxRequest) (*proof.TxHeader, error) {
	return s.commit(ctx, &req, false)
}

// CommitMetadataOnly commits a tx with no entries that carries only tx
// metadata (immudb's truncation tx: truncatedUptoTx = N, eh = H("")).
func (s *Store) CommitMetadataOnly(ctx context.Context, md proof.TxMetadata) (*proof.TxHeader, error) {
	if md.IsZero() {
		return nil, fmt.Errorf("%w: a tx without entries must carry tx metadata", ErrIllegalArguments)
	}
	return s.commit(ctx, &TxRequest{Metadata: md}, true)
}

func (s *Store) commit(ctx context.Context, req *TxRequest, allowEmpty bool) (*proof.TxHeader, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	r := getRequest()
	if err := s.prepare(r, req, allowEmpty); err != nil {
		putRequest(r)
		return nil, err
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		putRequest(r)
		return nil, ctx.Err()
	case <-s.closing:
		putRequest(r)
		return nil, ErrClosed
	}
	s.qmu.Lock()
	if s.qclosed {
		s.qmu.Unlock()
		<-s.slots
		putRequest(r)
		return nil, ErrClosed
	}
	s.queue = append(s.queue, r)
	s.qmu.Unlock()
	if s.opts.Synced {
		s.gather.queued()
	}
	select {
	case s.kick <- struct{}{}:
	default:
	}
	<-r.done
	<-s.slots
	if r.err != nil {
		err := r.err
		putRequest(r)
		return nil, err
	}
	h := r.hdr
	putRequest(r)
	return &h, nil
}

// committer is the single goroutine that orders, hashes and writes txs.
//
// In Synced mode it builds records (ids, headers, tree) as soon as txs
// arrive but writes them only when the syncer is about to need them (it is
// idle) or when enough bytes are pending: the write then covers every tx
// that arrived during the previous fsync in one system call, instead of one
// per wake-up of the committer.
func (s *Store) committer() {
	defer s.wg.Done()
	var batch []*request
	for {
		select {
		case <-s.kick:
		case <-s.syncIdle:
		case <-s.closing:
			// Drain what is queued, then refuse more.
			s.qmu.Lock()
			s.qclosed = true
			batch, s.queue = s.queue, batch[:0]
			s.qmu.Unlock()
			s.process(batch)
			s.flushRun()
			if s.opts.Synced {
				close(s.syncCh)
			}
			return
		}
		for {
			s.qmu.Lock()
			batch, s.queue = s.queue, batch[:0]
			s.qmu.Unlock()
			if len(batch) == 0 {
				break
			}
			s.process(batch)
		}
		if s.syncerIdle.Load() {
			s.flushRun()
		}
	}
}

// process commits the queued txs in groups bounded by MaxGroupBytes. A tx
// with preconditions starts a new group so that it is checked against an
// index that has every earlier tx.
func (s *Store) process(batch []*request) {
	start, bytes := 0, 0
	for i, r := range batch {
		if i > start && (len(r.preconds) > 0 || bytes+len(r.body) > s.opts.MaxGroupBytes) {
			s.commitGroup(batch[start:i])
			start, bytes = i, 0
		}
		bytes += len(r.body)
	}
	if start < len(batch) {
		s.commitGroup(batch[start:])
	}
	clear(batch)
}

// chunk is a contiguous run of the group buffer bound for one segment.
type chunk struct {
	seg        uint32
	off        int64
	start, end int
	create     bool // the segment must be created first
}

// pendingRun holds the records built by the committer and not yet written:
// their txs have ids, headers and tree leaves, but nothing is on disk.
type pendingRun struct {
	reqs   []*request
	buf    []byte // the records, back to back
	txi    []byte // their tx index entries
	chunks []chunk
	cur    chunk // the chunk being filled (not in chunks yet)
	// The committer's state before the run, restored if its write fails.
	startID    uint64
	startAlh   proof.Hash
	startSeg   uint32
	startEnd   int64
	startNodes uint64
}

// runWriteBytes is the amount of pending records written without waiting
// for the syncer: large txs are written as they come, so the fsync that
// follows finds them in the page cache.
const runWriteBytes = 64 << 10

func (s *Store) commitGroup(group []*request) {
	if err := s.brokenErr(); err != nil {
		failAll(group, err)
		return
	}
	if len(group[0].preconds) > 0 {
		s.flushRun()
		s.drainSyncer() // the check must see every earlier tx published
		if err := s.checkPreconditions(group[0]); err != nil {
			failAll(group[:1], err)
			group = group[1:]
			if len(group) == 0 {
				return
			}
		}
	}
	s.buildGroup(group)
	if !s.opts.Synced || len(s.cm.run.buf) >= runWriteBytes || s.syncerIdle.Load() {
		s.flushRun()
	}
}

// buildGroup gives the group's txs their ids and headers, appends their
// records to the pending run and their Alhs to the tree. On failure the
// group alone is undone and failed; the run keeps the earlier groups.
func (s *Store) buildGroup(group []*request) {
	c := &s.cm
	run := &c.run
	if len(run.reqs) == 0 {
		run.startID, run.startAlh, run.startSeg, run.startEnd = c.lastID, c.lastAlh, c.seg, c.end
		run.startNodes = s.nodes.Count()
		run.buf, run.txi, run.chunks = run.buf[:0], run.txi[:0], run.chunks[:0]
		run.cur = chunk{seg: c.seg, off: c.end}
	}
	markNodes := s.nodes.Count()
	buf, txi, chunks, cur := run.buf, run.txi, run.chunks, run.cur
	aht := s.aht.Load()
	id, prevAlh := c.lastID, c.lastAlh
	var err error
	for _, r := range group {
		id++
		h := &r.hdr
		*h = proof.TxHeader{
			ID: id, PrevAlh: prevAlh, Ts: s.opts.Clock(), Version: s.opts.HeaderVersion,
			Metadata: r.md, NEntries: r.nentries, Eh: r.eh, BlTxID: id - 1,
		}
		if id > 1 {
			if h.BlRoot, err = aht.Root(); err != nil {
				break
			}
		}
		if err = r.matchReplay(h); err != nil {
			break
		}
		recStart := len(buf)
		buf = append(buf, make([]byte, frameLen)...)
		if buf, err = h.AppendBytes(buf); err != nil {
			err = fmt.Errorf("%w: %v", ErrIllegalArguments, err)
			break
		}
		inner := sha256.Sum256(buf[recStart+frameLen+8+proof.HashSize:])
		alh := proof.AlhFrom(id, prevAlh, inner)
		buf = append(buf, r.body...)
		sealFrame(buf[recStart:])
		recLen := int64(len(buf) - recStart)

		// A record that does not fit in the current segment opens the next
		// one (unless the segment is empty: an oversized record gets a
		// segment of its own).
		used := cur.off + int64(recStart-cur.start)
		if used > 0 && used+recLen > s.opts.FileSize {
			cur.end = recStart
			if cur.end > cur.start {
				chunks = append(chunks, cur)
			}
			cur = chunk{seg: cur.seg + 1, off: 0, start: recStart, create: true}
			used = 0
		}
		txi = appendTxEntry(txi, txEntry{Pos: makePos(cur.seg, used), Len: uint32(recLen), Alh: alh})
		if _, err = aht.Append(alh); err != nil {
			break
		}
		prevAlh = alh
	}
	if err != nil {
		// Nothing of the group reached the disk: forget its bytes and tree
		// leaves. The slices keep their (possibly grown) arrays.
		n := len(run.buf)
		run.buf = buf[:n]
		run.txi = txi[:len(run.txi)]
		run.chunks = chunks[:len(run.chunks)]
		s.undoTree(markNodes, err)
		failAll(group, err)
		return
	}
	run.buf, run.txi, run.chunks, run.cur = buf, txi, chunks, cur
	c.lastID, c.lastAlh = id, prevAlh
	c.seg, c.end = cur.seg, cur.off+int64(len(buf)-cur.start)
	run.reqs = append(run.reqs, group...)
}

// flushRun writes the pending run (one write per segment it touches) and
// hands it to the syncer (Synced) or publishes it. A failed write rolls
// the committer back to the state before the run and fails its txs.
func (s *Store) flushRun() {
	c := &s.cm
	run := &c.run
	if len(run.reqs) == 0 {
		return
	}
	cur := run.cur
	cur.end = len(run.buf)
	if cur.end > cur.start {
		run.chunks = append(run.chunks, cur)
	}
	reqs := run.reqs
	// A failed fsync (syncer) may have broken the store since this run was
	// built: then nothing more goes to the log.
	err := s.brokenErr()
	if err == nil {
		err = s.writeGroup(run.chunks, run.buf, run.startID, c.lastID)
	}
	switch {
	case err != nil:
		span := 0 // bytes the run may have written into its first segment
		for _, ch := range run.chunks {
			if ch.seg == run.startSeg && !ch.create {
				span += ch.end - ch.start
			}
		}
		s.rollback(run.startID, run.startAlh, run.startSeg, run.startEnd, run.startNodes, span, err)
		failAll(reqs, err)
	case !s.opts.Synced:
		s.finish(reqs, run.txi, c.lastID, c.lastAlh)
	default:
		s.syncCh <- &syncItem{group: slices.Clone(reqs), txi: slices.Clone(run.txi), lastID: c.lastID, lastAlh: c.lastAlh}
	}
	if err == nil {
		// After the handoff: the syncer's fsync need not wait for the zeros.
		last := run.chunks[len(run.chunks)-1]
		s.zeroAfter(last.seg, last.off+int64(last.end-last.start), int64(len(run.buf)))
	}
	clear(run.reqs)
	run.reqs = run.reqs[:0]
	if cap(run.buf) > 4*s.opts.MaxGroupBytes {
		run.buf = nil // a huge oversized tx: do not pin its buffer
	}
}

// undoTree drops the tree leaves appended since the node count was nodes
// (a group that failed before anything was written).
func (s *Store) undoTree(nodes uint64, cause error) {
	if err := s.nodes.truncate(nodes); err != nil {
		s.setBroken(fmt.Errorf("%w: undo after %v: %v", ErrIllegalState, cause, err))
		return
	}
	t, err := proof.OpenAHT(s.nodes)
	if err != nil {
		s.setBroken(fmt.Errorf("%w: undo after %v: %v", ErrIllegalState, cause, err))
		return
	}
	s.aht.Store(t)
}

// writeGroup writes a run's records (one write per segment touched; a new
// segment is created after the previous one is fsynced). Making them
// durable is the syncer's job (Synced) or the flusher's.
func (s *Store) writeGroup(chunks []chunk, buf []byte, startID, endID uint64) (err error) {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	defer func() {
		// rollback removes the segments this write opened: the syncer must
		// fsync the segment the run started in (which holds any earlier
		// group it still waits on), not one of those. It reads dirtySeg as
		// soon as syncMu is free, so this is fixed before.
		start := chunks[0].seg
		if chunks[0].create {
			start-- // the run's records all went to new segments
		}
		if err != nil && s.dirtySeg > start {
			s.dirtySeg, s.dirty = start, true
		}
	}()
	for _, ch := range chunks {
		if ch.create {
			// Make the previous segment durable before the log moves on, so
			// recovery only ever has a torn tail in the last segment.
			if err := s.syncLog(); err != nil {
				return err
			}
			if _, err := s.log.create(ch.seg); err != nil {
				return err
			}
		}
		f, err := s.log.file(ch.seg)
		if err != nil {
			return err
		}
		if _, err := f.WriteAt(buf[ch.start:ch.end], ch.off); err != nil {
			return fmt.Errorf("store: write log: %w", err)
		}
		s.dirtySeg = ch.seg
		s.dirty = true
	}
	s.written.Store(endID)
	return nil
}

// syncItem is a written group waiting for the syncer, or a barrier the
// committer waits on until everything before it is published.
type syncItem struct {
	group   []*request
	txi     []byte
	lastID  uint64
	lastAlh proof.Hash
	barrier chan struct{}
}

// syncer (Synced mode) fsyncs the log once for every run of written groups
// it finds queued, then publishes them in order and wakes their callers.
// It overlaps the fsync of one group with the preparation and write of the
// next ones by the committer.
func (s *Store) syncer() {
	defer s.wg.Done()
	var items []*syncItem
	released, took := 0, time.Duration(0) // by the last fsync
	for {
		var it *syncItem
		ok := true
		select {
		case it, ok = <-s.syncCh:
		default:
			// Nothing written is waiting: let the callers just released
			// come back first (gather.go), then tell the committer to write
			// what it has built, and wait for it.
			s.gather.wait(released, took)
			s.syncerIdle.Store(true)
			select {
			case s.syncIdle <- struct{}{}:
			default:
			}
			it, ok = <-s.syncCh
			s.syncerIdle.Store(false)
		}
		if !ok {
			break
		}
		items = append(items[:0], it)
	drain:
		for {
			select {
			case it, ok := <-s.syncCh:
				if !ok {
					break drain
				}
				items = append(items, it)
			default:
				break drain
			}
		}
		err := s.brokenErr()
		if err == nil {
			t0 := time.Now()
			err = s.syncWritten()
			took = time.Since(t0)
		}
		released = 0
		for _, it := range items {
			released += len(it.group)
			s.gather.released(len(it.group))
			if it.barrier != nil {
				close(it.barrier)
				continue
			}
			if err != nil {
				for _, r := range it.group {
					r.err = err
				}
			} else {
				s.txi.append(it.txi)
				s.publish(it.lastID, it.lastAlh)
				s.countEntries(it.group)
			}
			s.wakeCh <- it.group
		}
		clear(items)
	}
	close(s.wakeCh)
}

// waker wakes the callers of published (or failed) groups, so that the
// syncer can start the next fsync at once instead of spending its time on
// goroutine wake-ups.
func (s *Store) waker() {
	defer s.wg.Done()
	for group := range s.wakeCh {
		for _, r := range group {
			r.done <- struct{}{}
		}
	}
}

// syncWritten fsyncs the segment last written, without holding syncMu so
// the committer keeps writing meanwhile (a rollover syncs the previous
// segment itself, under syncMu). Used by the syncer and the flusher.
func (s *Store) syncWritten() error {
	s.syncMu.Lock()
	seg, written := s.dirtySeg, s.written.Load()
	s.dirty = false
	s.syncMu.Unlock()
	f, err := s.log.file(seg)
	if err == nil {
		err = f.Sync()
	}
	if err != nil {
		err = fmt.Errorf("store: sync log: %w", err)
		s.setBroken(err)
		return err
	}
	if s.durable.Load() < written {
		s.durable.Store(written)
	}
	if !s.opts.Synced {
		select { // the indexer only indexes durable txs in this mode
		case s.idxNotify <- struct{}{}:
		default:
		}
	}
	return nil
}

// finish publishes a durable (or, not Synced, written) group and wakes its
// callers. The derived files are written by the checkpointer; readers find
// recent entries in memory.
func (s *Store) finish(group []*request, txi []byte, lastID uint64, lastAlh proof.Hash) {
	s.txi.append(txi)
	s.publish(lastID, lastAlh)
	s.countEntries(group)
	for _, r := range group {
		r.done <- struct{}{}
	}
}

// drainSyncer waits until every group handed to the syncer is published.
func (s *Store) drainSyncer() {
	if !s.opts.Synced {
		return
	}
	b := make(chan struct{})
	s.syncCh <- &syncItem{barrier: b}
	<-b
}

// syncLog fsyncs the segment last written; syncMu is held. A failed fsync
// leaves the page cache in an unknown state, so the store stops accepting
// commits (reopening recovers from what is on disk).
func (s *Store) syncLog() error {
	if !s.dirty {
		return nil
	}
	f, err := s.log.file(s.dirtySeg)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		err = fmt.Errorf("store: sync log: %w", err)
		s.setBroken(err)
		return err
	}
	s.dirty = false
	s.durable.Store(s.written.Load())
	if !s.opts.Synced {
		select {
		case s.idxNotify <- struct{}{}:
		default:
		}
	}
	return nil
}

// rollback forgets a run that could not be written: the in-memory chain
// and tree go back to the state before the run, the segments it opened
// are removed and the bytes it may have written past the old end are
// zeroed (span bytes; see below).
func (s *Store) rollback(startID uint64, startAlh proof.Hash, seg uint32, end int64, nodes uint64, span int, cause error) {
	c := &s.cm
	c.lastID, c.lastAlh, c.seg, c.end = startID, startAlh, seg, end
	if err := s.txi.truncate(startID); err != nil {
		s.setBroken(fmt.Errorf("%w: rollback after %v: %v", ErrIllegalState, cause, err))
		return
	}
	if err := s.nodes.truncate(nodes); err != nil {
		s.setBroken(fmt.Errorf("%w: rollback after %v: %v", ErrIllegalState, cause, err))
		return
	}
	t, err := proof.OpenAHT(s.nodes)
	if err != nil {
		s.setBroken(fmt.Errorf("%w: rollback after %v: %v", ErrIllegalState, cause, err))
		return
	}
	s.aht.Store(t)
	if n, cerr := s.log.segmentCount(); cerr == nil && n > seg+1 {
		// The group had opened a new segment: recovery must not find the
		// unacknowledged records there.
		if rerr := s.log.removeFrom(seg + 1); rerr != nil {
			s.setBroken(fmt.Errorf("%w: rollback after %v: %v", ErrIllegalState, cause, rerr))
		}
	}
	// The log bytes past end may hold complete, valid records of txs that
	// were never acknowledged. Zero them (the frame first, so recovery
	// cannot mistake them for committed data even if the rest fails), which
	// also leaves the tail all zeros as VerifyFiles expects.
	if f, ferr := s.log.file(seg); ferr == nil {
		// Best effort: if this fails too, the next group overwrites it.
		var zero [64 << 10]byte
		_, _ = f.WriteAt(zero[:frameLen], end)
		for off := frameLen; off < span; off += len(zero) {
			_, _ = f.WriteAt(zero[:min(len(zero), span-off)], end+int64(off))
		}
	}
}

func failAll(group []*request, err error) {
	for _, r := range group {
		r.err = err
		r.done <- struct{}{}
	}
}

func (s *Store) setBroken(err error) {
	s.brokenMu.Lock()
	if s.broken == nil {
		s.broken = err
	}
	s.brokenMu.Unlock()
}

func (s *Store) brokenErr() error {
	s.brokenMu.Lock()
	defer s.brokenMu.Unlock()
	if s.broken != nil {
		return fmt.Errorf("%w: store needs reopening after a write failure: %w", ErrIllegalState, s.broken)
	}
	return nil
}

// Sync makes every tx acknowledged so far durable (a no-op when Synced).
func (s *Store) Sync() error {
	if s.closed.Load() {
		return ErrClosed
	}
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	return s.syncLog()
}

// flusher syncs the log periodically in async mode.
func (s *Store) flusher() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			if s.durable.Load() < s.written.Load() {
				_ = s.syncWritten() // a failure marks the store broken
			}
		}
	}
}

// countEntries adds the entries of a published group to EntriesSinceOpen.
func (s *Store) countEntries(group []*request) {
	n := 0
	for _, r := range group {
		n += r.nentries
	}
	s.entries.Add(uint64(n))
}

// EntriesSinceOpen is the number of entries committed since Open (immudb's
// immudb_number_of_stored_entries counts the same: new entries since the
// process started).
func (s *Store) EntriesSinceOpen() uint64 { return s.entries.Load() }
