package store

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"path/filepath"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// The CHECKPOINT file: u64 txID ‖ u32 crc32c. Up to txID the tx index and
// tree node files were synced, so recovery can start there.
const checkpointLen = 12

func encodeCheckpoint(id uint64) []byte {
	b := binary.BigEndian.AppendUint64(nil, id)
	return binary.BigEndian.AppendUint32(b, crc(b))
}

func decodeCheckpoint(b []byte) (uint64, error) {
	if len(b) != checkpointLen || crc(b[:8]) != binary.BigEndian.Uint32(b[8:]) {
		return 0, fmt.Errorf("%w: CHECKPOINT file", ErrCorruptedData)
	}
	return binary.BigEndian.Uint64(b), nil
}

func nodeCount(n uint64) uint64 { return 2*n - uint64(bits.OnesCount64(n)) }

// recover brings the store to the end of its valid log. It starts from the
// last checkpoint (verified against the log), so a current store is not
// replayed; it then scans forward record by record, checking frame
// checksums, the id sequence and the prevAlh chain, re-derives the tx index
// entries and tree nodes of what it finds, and cuts the log after the last
// valid record.
func (s *Store) recover() error {
	cp := uint64(0)
	if b, err := vfs.ReadFile(s.fs, filepath.Join(s.dir, checkpointFile)); err == nil {
		if cp, err = decodeCheckpoint(b); err != nil {
			cp = 0 // derived data: fall back to a full scan
		}
	} else if !vfs.IsNotExist(err) {
		return fmt.Errorf("store: read CHECKPOINT: %w", err)
	}
	ntx := s.txi.count()
	k := min(cp, ntx)
	if c := s.nodes.Count(); nodeCount(k) > c {
		k = 0
	}
	start := makePos(0, 0)
	prevAlh := proof.EmptyHash
	if k > 0 {
		e, err := s.verifyTxEntry(k)
		switch {
		case err == nil:
			start, prevAlh = e.Pos+uint64(e.Len), e.Alh
		case errors.Is(err, ErrCorruptedData):
			k = 0 // the starting point does not match the log: rescan all
		default:
			return fmt.Errorf("store: recovery: %w", err) // the log could not be read
		}
	}
	if err := s.txi.truncate(k); err != nil {
		return err
	}
	if err := s.nodes.truncate(nodeCount(k)); err != nil {
		return err
	}
	t, err := proof.OpenAHT(s.nodes)
	if err != nil {
		return fmt.Errorf("%w: tree nodes: %v", ErrCorruptedData, err)
	}
	s.aht.Store(t)
	s.cpID = k
	return s.scan(k, start, prevAlh)
}

// verifyTxEntry checks tx index entry id against the record it points to
// and the tree leaf of id.
func (s *Store) verifyTxEntry(id uint64) (txEntry, error) {
	e, err := s.txi.read(id)
	if err != nil {
		return e, err
	}
	rec := make([]byte, e.Len)
	if err := s.log.readAt(rec, e.Pos); err != nil {
		return e, err
	}
	if _, st := checkFrame(rec); st != frameOK {
		return e, fmt.Errorf("%w: record of tx %d", ErrCorruptedData, id)
	}
	h, hlen, err := proof.ParseTxHeader(rec[frameLen:])
	if err != nil || h.ID != id {
		return e, fmt.Errorf("%w: record of tx %d", ErrCorruptedData, id)
	}
	inner := sha256.Sum256(rec[frameLen+8+proof.HashSize : frameLen+hlen])
	if proof.AlhFrom(id, h.PrevAlh, inner) != e.Alh {
		return e, fmt.Errorf("%w: alh of tx %d", ErrCorruptedData, id)
	}
	leaf, err := s.nodes.ReadNode(proof.NodePos(0, id-1))
	if err != nil || leaf != proof.LeafHash(e.Alh) {
		return e, fmt.Errorf("%w: tree leaf of tx %d", ErrCorruptedData, id)
	}
	return e, nil
}

// scanChunk is how much of a segment the scan reads at a time.
const scanChunk = 4 << 20

// scan walks the log from pos (just after tx last) and appends what it
// finds to the derived files.
func (s *Store) scan(last uint64, pos uint64, prevAlh proof.Hash) error {
	seg, off := splitPos(pos)
	nseg, err := s.log.segmentCount()
	if err != nil {
		return err
	}
	if nseg == 0 {
		return fmt.Errorf("%w: no log segment", ErrCorruptedData)
	}
	aht := s.aht.Load()
	var txi []byte
	buf := make([]byte, scanChunk)
	flush := func() error {
		s.txi.append(txi)
		txi = txi[:0]
		if err := s.txi.flush(); err != nil {
			return err
		}
		return s.nodes.flush()
	}
	for {
		f, err := s.log.file(seg)
		if err != nil {
			return err
		}
		size, err := f.Size()
		if err != nil {
			return err
		}
		// Scan this segment.
		for off < size {
			want := min(int64(len(buf)), size-off)
			n, rerr := f.ReadAt(buf[:want], off)
			if rerr != nil && !errors.Is(rerr, io.EOF) {
				return fmt.Errorf("store: recovery: read segment %d at %d: %w", seg, off, rerr)
			}
			b := buf[:n]
			consumed := 0
			for consumed < len(b) {
				total, st := checkFrame(b[consumed:])
				if st == frameShort && consumed > 0 {
					break // reread from this record's start
				}
				if st == frameShort && total > len(buf) && off+int64(total) <= size && total <= maxRecordLen {
					buf = make([]byte, total) // a record larger than the buffer
					break
				}
				if st != frameOK {
					goto segmentEnd
				}
				r := b[consumed : consumed+total]
				h, hlen, perr := proof.ParseTxHeader(r[frameLen:])
				if perr != nil || h.ID != last+1 || h.PrevAlh != prevAlh {
					goto segmentEnd
				}
				inner := sha256.Sum256(r[frameLen+8+proof.HashSize : frameLen+hlen])
				alh := proof.AlhFrom(h.ID, prevAlh, inner)
				txi = appendTxEntry(txi, txEntry{Pos: makePos(seg, off), Len: uint32(total), Alh: alh})
				if _, err := aht.Append(alh); err != nil {
					return err
				}
				last, prevAlh = h.ID, alh
				off += int64(total)
				consumed += total
				if len(txi) >= 1<<20 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if n == 0 {
				break
			}
		}
	segmentEnd:
		// Continue in the next segment only if it starts with the next tx.
		if seg+1 < nseg {
			next, err := s.segmentStartsWith(seg+1, last+1, prevAlh)
			if err != nil {
				return err
			}
			if next {
				seg, off = seg+1, 0
				continue
			}
		}
		break
	}
	if err := flush(); err != nil {
		return err
	}
	if err := s.cutTail(seg, off); err != nil {
		return err
	}
	if seg+1 < nseg {
		if err := s.log.removeFrom(seg + 1); err != nil {
			return err
		}
	}
	c := &s.cm
	c.lastID, c.lastAlh, c.seg, c.end = last, prevAlh, seg, off
	s.lastAlh = prevAlh
	s.committed.Store(last)
	s.written.Store(last)
	s.durable.Store(last)
	return nil
}

// segmentStartsWith reports whether segment seg starts with tx id chained
// to prevAlh. Only I/O errors are errors: a segment that cannot be read
// must not be mistaken for a torn one (and removed).
func (s *Store) segmentStartsWith(seg uint32, id uint64, prevAlh proof.Hash) (bool, error) {
	f, err := s.log.file(seg)
	if err != nil {
		return false, err
	}
	readAt := func(p []byte, off int64) (bool, error) {
		n, err := f.ReadAt(p, off)
		if err != nil && !errors.Is(err, io.EOF) {
			return false, fmt.Errorf("store: recovery: read segment %d: %w", seg, err)
		}
		return n == len(p), nil
	}
	var fr [frameLen]byte
	if ok, err := readAt(fr[:], 0); !ok || err != nil {
		return false, err
	}
	total := int(binary.BigEndian.Uint32(fr[:])) + frameLen
	if total <= frameLen || total > maxRecordLen {
		return false, nil
	}
	size, err := f.Size()
	if err != nil {
		return false, fmt.Errorf("store: recovery: size of segment %d: %w", seg, err)
	}
	if int64(total) > size {
		return false, nil
	}
	rec := make([]byte, total)
	if ok, err := readAt(rec, 0); !ok || err != nil {
		return false, err
	}
	if _, st := checkFrame(rec); st != frameOK {
		return false, nil
	}
	h, _, err := proof.ParseTxHeader(rec[frameLen:])
	return err == nil && h.ID == id && h.PrevAlh == prevAlh, nil
}

// cutTail zeroes whatever follows the last valid record of seg (a torn
// write) so that the next appends start on a clean end, and makes it
// durable.
func (s *Store) cutTail(seg uint32, end int64) error {
	f, err := s.log.file(seg)
	if err != nil {
		return err
	}
	size, err := f.Size()
	if err != nil {
		return err
	}
	if end >= size {
		return nil
	}
	var fr [frameLen]byte
	n, err := f.ReadAt(fr[:], end)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("store: cut log tail: %w", err)
	}
	if allZero(fr[:n]) {
		// Nothing was written past the end, or the frame of a torn record
		// was never written; zero the whole tail anyway in the latter case
		// is not needed: its bytes cannot pass the checksum and the chain.
		return nil
	}
	if err := f.Truncate(end); err != nil {
		return fmt.Errorf("store: cut log tail: %w", err)
	}
	if err := f.Truncate(max(size, s.opts.FileSize)); err != nil {
		return fmt.Errorf("store: cut log tail: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: cut log tail: %w", err)
	}
	return nil
}
