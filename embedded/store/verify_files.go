package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/attestdb/attestdb/embedded/index"
	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// The integrity check must report any changed byte of any data file.
// VerifyIntegrity re-hashes the records, tx index entries and tree nodes of
// a tx range; the bytes it does not cover are checked here:
//
//   - log segments: after the last record of a segment, and in a segment
//     no record reaches (a spare one), every byte must be zero: segments
//     are created zero-filled and only appended to;
//   - FORMAT: decoded again (magic, version, checksum, segment size);
//   - CHECKPOINT: its checksum, and its tx must be the one the store
//     checkpointed (or started from at Open);
//   - the key index directory: index.(*Index).VerifyFiles (Pebble tables,
//     MANIFEST, WAL, OPTIONS, key filter); not with DisableIndex.
//
// Open rewrites some files (a CHECKPOINT it could not use after the next
// checkpoint, Pebble's OPTIONS and WAL, a torn log tail), so damage to
// those is only visible at rest: VerifyDir checks a closed store before
// Open.

// VerifyFiles checks every byte of the store's files that VerifyIntegrity
// does not re-hash (see above) and returns the first damage found,
// wrapping ErrCorruptedData. It reads the zero tail of the last segment
// (up to a segment size) and every index file, so it is meant for
// integrity tooling, not for every commit; commits go on while it runs.
func (s *Store) VerifyFiles() error {
	if s.closed.Load() {
		return ErrClosed
	}
	if err := s.verifyFormatFile(); err != nil {
		return err
	}
	if err := s.verifyCheckpointFile(); err != nil {
		return err
	}
	if err := s.verifyLogTails(); err != nil {
		return err
	}
	return s.verifyIndexFiles()
}

// VerifyAll is the whole integrity check of an open store:
// VerifyIntegrity over every committed tx, then VerifyFiles.
func (s *Store) VerifyAll() error {
	if last, _ := s.LastCommitted(); last > 0 {
		if err := s.VerifyIntegrity(1, last); err != nil {
			return err
		}
	}
	return s.VerifyFiles()
}

// VerifyDir checks the files of a cleanly closed store that Open would
// rewrite or ignore: FORMAT, CHECKPOINT and the key index directory (its
// OPTIONS file and WAL are replaced by every Open). opts must be the
// options the store was last opened with (nil means DefaultOptions). Run
// it before Open, then VerifyAll on the opened store. After a crash, the
// index directory may hold remains of interrupted work that Open removes
// (a partly written table); there, rely on VerifyAll after Open.
func VerifyDir(dir string, opts *Options) error {
	o := DefaultOptions()
	if opts != nil {
		o = *opts
	}
	if err := o.normalize(); err != nil {
		return err
	}
	b, err := vfs.ReadFile(o.FS, filepath.Join(dir, formatFile))
	if err != nil {
		return fmt.Errorf("store: read FORMAT: %w", err)
	}
	if _, err := decodeFormat(b); err != nil {
		return err
	}
	b, err = vfs.ReadFile(o.FS, filepath.Join(dir, checkpointFile))
	switch {
	case vfs.IsNotExist(err):
	case err != nil:
		return fmt.Errorf("store: read CHECKPOINT: %w", err)
	default:
		if _, err := decodeCheckpoint(b); err != nil {
			return err
		}
	}
	if o.FS != vfs.OS {
		return nil // the index lives on the OS file system only
	}
	if err := index.VerifyDir(indexOptions(dir, &o)); err != nil {
		return indexDamage(err)
	}
	return nil
}

func indexOptions(dir string, o *Options) index.Options {
	return index.Options{Dir: indexPath(dir, o), CacheSize: o.IndexCacheSize, MaxKeyLen: o.MaxKeyLen}
}

// indexPath is the key index's directory of the store at dir.
func indexPath(dir string, o *Options) string {
	if o.IndexDir != "" {
		return o.IndexDir
	}
	return filepath.Join(dir, indexDir)
}

func indexDamage(err error) error {
	if errors.Is(err, index.ErrCorrupt) {
		return fmt.Errorf("%w: key index: %w", ErrCorruptedData, err)
	}
	return fmt.Errorf("store: verify key index: %w", err)
}

func (s *Store) verifyFormatFile() error {
	b, err := vfs.ReadFile(s.fs, filepath.Join(s.dir, formatFile))
	if err != nil {
		return fmt.Errorf("store: read FORMAT: %w", err)
	}
	fi, err := decodeFormat(b)
	if err != nil {
		return err
	}
	if fi.FileSize != s.opts.FileSize {
		return fmt.Errorf("%w: FORMAT segment size %d, the store runs with %d", ErrCorruptedData, fi.FileSize, s.opts.FileSize)
	}
	return nil
}

// verifyCheckpointFile: the file is written only by checkpoint (under
// checkpMu, which also sets cpID) and read by Open, which sets cpID to the
// tx it started from. So it must exist exactly when cpID > 0 and hold
// cpID; anything else means it was changed, or Open could not use it
// because it (or the files it vouches for) was damaged.
func (s *Store) verifyCheckpointFile() error {
	s.checkpMu.Lock()
	defer s.checkpMu.Unlock()
	b, err := vfs.ReadFile(s.fs, filepath.Join(s.dir, checkpointFile))
	switch {
	case vfs.IsNotExist(err):
		if s.cpID != 0 {
			return fmt.Errorf("%w: CHECKPOINT file missing (tx %d was checkpointed)", ErrCorruptedData, s.cpID)
		}
		return nil
	case err != nil:
		return fmt.Errorf("store: read CHECKPOINT: %w", err)
	}
	id, err := decodeCheckpoint(b)
	if err != nil {
		return err
	}
	if id != s.cpID {
		return fmt.Errorf("%w: CHECKPOINT file says tx %d, the store checkpointed tx %d (Open could not start from it)", ErrCorruptedData, id, s.cpID)
	}
	return nil
}

func (s *Store) verifyIndexFiles() error {
	if s.opts.DisableIndex {
		// The index directory is not this store's to judge: it may be
		// another process's, or the remains of a crash (see VerifyDir).
		return nil
	}
	s.idxSwapMu.RLock() // RebuildIndex replaces the directory under the write lock
	defer s.idxSwapMu.RUnlock()
	ix := s.ix()
	if ix == nil {
		return nil
	}
	if err := ix.VerifyFiles(indexOptions(s.dir, &s.opts)); err != nil {
		if errors.Is(err, index.ErrClosed) {
			return ErrClosed
		}
		return indexDamage(err)
	}
	return nil
}

// logEnd is where the written records end: the segment and offset after
// the last record, the id the next record must carry, and the end of the
// last record of each segment the walk left behind.
type logEnd struct {
	seg     uint32
	off     int64
	next    uint64
	segEnds map[uint32]int64
}

// writtenEnd walks the records written after tx last (published or not)
// from the end of tx last's record. syncMu must be held, so no write is in
// progress and every record found is complete.
func (s *Store) writtenEnd(last uint64) (logEnd, error) {
	end := logEnd{next: last + 1, segEnds: map[uint32]int64{}}
	if last > 0 {
		e, err := s.entryOf(last)
		if err != nil {
			return end, err
		}
		end.seg, end.off = splitPos(e.Pos + uint64(e.Len))
	}
	return end, s.walkRecords(&end)
}

// walkRecords advances end over complete records that carry the next tx
// ids (syncMu held). It stops at anything else, which the tail check then
// reports unless it is zero.
func (s *Store) walkRecords(end *logEnd) error {
	var fr [frameLen]byte
	var rec []byte
	for {
		f, err := s.log.file(end.seg)
		if err != nil {
			return err
		}
		size, err := f.Size()
		if err != nil {
			return fmt.Errorf("store: size of segment %d: %w", end.seg, err)
		}
		n, err := f.ReadAt(fr[:], end.off)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("store: read segment %d at %d: %w", end.seg, end.off, err)
		}
		if n == frameLen && binary.BigEndian.Uint32(fr[:]) != 0 {
			total := int64(binary.BigEndian.Uint32(fr[:])) + frameLen
			if total > size-end.off {
				return nil // a length past the segment: not a record
			}
			if int64(cap(rec)) < total {
				rec = make([]byte, total)
			}
			rec = rec[:total]
			if _, err := f.ReadAt(rec, end.off); err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("store: read segment %d at %d: %w", end.seg, end.off, err)
			}
			if _, st := checkFrame(rec); st != frameOK {
				return nil
			}
			if h, _, err := proof.ParseTxHeader(rec[frameLen:]); err != nil || h.ID != end.next {
				return nil
			}
			end.off += total
			end.next++
			continue
		}
		// End of this segment's records: go on only if the next segment
		// starts with a record (a zero-filled spare segment does not).
		next, err := s.segmentHasRecord(end.seg + 1)
		if err != nil || !next {
			return err
		}
		end.segEnds[end.seg] = end.off
		end.seg, end.off = end.seg+1, 0
	}
}

func (s *Store) segmentHasRecord(seg uint32) (bool, error) {
	if _, err := s.fs.Stat(segName(s.log.dir, seg)); vfs.IsNotExist(err) {
		return false, nil
	}
	f, err := s.log.file(seg)
	if err != nil {
		return false, err
	}
	var fr [frameLen]byte
	n, err := f.ReadAt(fr[:], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, fmt.Errorf("store: read segment %d: %w", seg, err)
	}
	return n == frameLen && binary.BigEndian.Uint32(fr[:]) != 0, nil
}

// verifyLogTails checks that every log byte after the last record of its
// segment is zero. The records themselves are VerifyIntegrity's.
func (s *Store) verifyLogTails() error {
	segs, err := s.segmentFiles()
	if err != nil {
		return err
	}
	s.syncMu.Lock()
	last := s.committed.Load()
	end, err := s.writtenEnd(last)
	s.syncMu.Unlock()
	if err != nil {
		return err
	}
	buf := make([]byte, scanChunk)
	for _, seg := range segs {
		if err := s.verifySegmentTail(seg, last, &end, buf); err != nil {
			return err
		}
	}
	return nil
}

// segmentFiles lists the segment numbers present in the log directory.
func (s *Store) segmentFiles() ([]uint32, error) {
	names, err := s.fs.ReadDir(s.log.dir)
	if err != nil {
		return nil, fmt.Errorf("store: list log: %w", err)
	}
	var segs []uint32
	for _, name := range names {
		num, ok := strings.CutSuffix(name, ".seg")
		if !ok || len(num) != 8 {
			continue
		}
		n, err := strconv.ParseUint(num, 10, 32)
		if err != nil {
			continue
		}
		segs = append(segs, uint32(n))
	}
	slices.Sort(segs)
	return segs, nil
}

// tailStart is where the zero tail of seg begins, given the written end.
func (s *Store) tailStart(seg uint32, last uint64, end *logEnd) (int64, error) {
	switch {
	case seg > end.seg:
		return 0, nil // no record reaches it
	case seg == end.seg:
		return end.off, nil
	}
	if off, ok := end.segEnds[seg]; ok {
		return off, nil
	}
	// An older segment: the end of the last committed record in it (txs
	// are in log order, so search the tx index).
	lo, hi := uint64(1), last // find the last tx whose record is in seg
	found := false
	var tail int64
	for lo <= hi {
		mid := lo + (hi-lo)/2
		e, err := s.entryOf(mid)
		if err != nil {
			return 0, err
		}
		es, off := splitPos(e.Pos)
		if es <= seg {
			if es == seg {
				found, tail = true, off+int64(e.Len)
			}
			lo = mid + 1
		} else {
			hi = mid - 1
		}
	}
	if !found {
		return 0, nil // no record in it: all of it must be zero
	}
	return tail, nil
}

// verifySegmentTail reads seg from its tail start in big chunks and
// reports the first non-zero byte. A commit may write past the end taken
// before the scan; a non-zero byte is therefore checked again under
// syncMu, with the end walked forward.
func (s *Store) verifySegmentTail(seg uint32, last uint64, end *logEnd, buf []byte) error {
	from, err := s.tailStart(seg, last, end)
	if err != nil {
		return err
	}
	f, err := s.fs.OpenFile(segName(s.log.dir, seg), os.O_RDONLY, 0)
	if vfs.IsNotExist(err) {
		return nil // removed meanwhile (a rollback)
	}
	if err != nil {
		return fmt.Errorf("store: open segment %d: %w", seg, err)
	}
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		return fmt.Errorf("store: size of segment %d: %w", seg, err)
	}
	skip := func(off int64) int64 { return off }
	if s.fs == vfs.OS {
		// Skip holes: a preallocated segment is mostly never-written space.
		if of, err := os.Open(segName(s.log.dir, seg)); err == nil {
			defer of.Close()
			skip = func(off int64) int64 { return nextData(of, off, size) }
		}
	}
	for off := skip(from); off < size; off = skip(off) {
		n, rerr := f.ReadAt(buf[:min(int64(len(buf)), size-off)], off)
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return fmt.Errorf("store: read segment %d at %d: %w", seg, off, rerr)
		}
		if n == 0 {
			break
		}
		i := firstNonZero(buf[:n])
		if i < 0 {
			off += int64(n)
			continue
		}
		bad := off + int64(i)
		next, err := s.recheckTail(f, seg, bad, from, end)
		if err != nil {
			return err
		}
		off = max(next, bad+1)
	}
	return nil
}

// recheckTail is called on a non-zero byte at seg/off past the end taken
// earlier: under syncMu it walks the end forward over records written
// meanwhile. If the byte now lies inside them it returns where to resume;
// otherwise the byte is damage.
func (s *Store) recheckTail(f vfs.File, seg uint32, off, from int64, end *logEnd) (int64, error) {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if err := s.walkRecords(end); err != nil {
		return 0, err
	}
	start := int64(0) // a segment past the end: no record reaches it
	switch {
	case seg < end.seg:
		start = from // an older segment: its end does not move
		if e, ok := end.segEnds[seg]; ok {
			start = e // the end moved on from this segment meanwhile
		}
	case seg == end.seg:
		start = end.off
	}
	if off < start {
		return start, nil
	}
	var b [1]byte
	if _, err := f.ReadAt(b[:], off); err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("store: read segment %d at %d: %w", seg, off, err)
	}
	if b[0] == 0 {
		return off + 1, nil // rewritten meanwhile (a rolled-back write zeroed)
	}
	return 0, fmt.Errorf("%w: log segment %d: non-zero byte at offset %d, after its last record (at %d)", ErrCorruptedData, seg, off, start)
}

// zeroBlock is compared against with bytes.Equal, which is vectorised.
var zeroBlock [64 << 10]byte

// firstNonZero returns the index of the first non-zero byte of b, or -1.
func firstNonZero(b []byte) int {
	base := 0
	for len(b) >= len(zeroBlock) && bytes.Equal(b[:len(zeroBlock)], zeroBlock[:]) {
		b, base = b[len(zeroBlock):], base+len(zeroBlock)
	}
	for i, c := range b {
		if c != 0 {
			return base + i
		}
	}
	return -1
}
