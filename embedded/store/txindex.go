package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"sync/atomic"

	"github.com/attestdb/attestdb/embedded/vfs"
	"github.com/attestdb/attestdb/proof"
)

// The tx index file holds one fixed-size entry per tx, tx id i at offset
// (i−1)·txEntryLen:
//
//	u64 log position ‖ u32 record length ‖ alh[32] ‖ u32 crc32c(previous 44 bytes)
//
// It is derived from the log and synced only at checkpoints.
const txEntryLen = 48

type txEntry struct {
	Pos uint64 // log position of the record (frame included)
	Len uint32 // record length (frame included)
	Alh proof.Hash
}

func appendTxEntry(dst []byte, e txEntry) []byte {
	start := len(dst)
	dst = binary.BigEndian.AppendUint64(dst, e.Pos)
	dst = binary.BigEndian.AppendUint32(dst, e.Len)
	dst = append(dst, e.Alh[:]...)
	return binary.BigEndian.AppendUint32(dst, crc(dst[start:]))
}

func decodeTxEntry(b []byte) (txEntry, error) {
	if len(b) != txEntryLen {
		return txEntry{}, fmt.Errorf("%w: tx index entry of %d bytes", ErrCorruptedData, len(b))
	}
	if crc(b[:txEntryLen-4]) != binary.BigEndian.Uint32(b[txEntryLen-4:]) {
		return txEntry{}, fmt.Errorf("%w: tx index entry checksum mismatch", ErrCorruptedData)
	}
	e := txEntry{Pos: binary.BigEndian.Uint64(b), Len: binary.BigEndian.Uint32(b[8:])}
	copy(e.Alh[:], b[12:44])
	if e.Len < frameLen {
		return txEntry{}, fmt.Errorf("%w: tx index entry with record length %d", ErrCorruptedData, e.Len)
	}
	return e, nil
}

// txIndex is the tx index file plus an in-memory tail of entries not
// written yet: the committer appends to the tail, the checkpointer writes
// it out. Keeping per-commit writes off the file keeps the log's fdatasync
// from paying for them (ext4 orders other files' dirty data into the same
// journal commit).
//
// Concurrency: one appender (committer or recovery), one flusher at a time
// (checkpMu), any number of readers.
type txIndex struct {
	f vfs.File

	fmu     sync.Mutex // serialises flush and truncate
	mu      sync.RWMutex
	flushed uint64 // entries in the file
	memFrom uint64 // entries before the in-memory tail (≤ flushed)
	tail    []byte // entries memFrom+1 … memFrom+len(tail)/txEntryLen
	wbuf    []byte // flusher scratch
	keep    uint64 // flushed entries kept in memory (keepTxEntries)
	closed  atomic.Bool
}

// keepTxEntries is how many flushed entries stay in memory (3 MiB): proofs
// and reads of recent txs then need no pread of the file.
const keepTxEntries = 64 << 10

func openTxIndex(f vfs.File) (*txIndex, error) {
	sz, err := f.Size()
	if err != nil {
		return nil, err
	}
	n := uint64(sz / txEntryLen)
	return &txIndex{f: f, flushed: n, memFrom: n, keep: keepTxEntries}, nil
}

// close closes the file; later reads answer ErrClosed.
func (x *txIndex) close() error {
	x.closed.Store(true)
	return x.f.Close()
}

func (x *txIndex) read(id uint64) (txEntry, error) {
	if x.closed.Load() {
		return txEntry{}, ErrClosed
	}
	var b [txEntryLen]byte
	x.mu.RLock()
	if id > x.memFrom {
		i := (id - x.memFrom - 1) * txEntryLen
		if i+txEntryLen > uint64(len(x.tail)) {
			x.mu.RUnlock()
			return txEntry{}, fmt.Errorf("%w: tx index has no entry %d", ErrCorruptedData, id)
		}
		copy(b[:], x.tail[i:])
		x.mu.RUnlock()
	} else {
		x.mu.RUnlock()
		n, err := x.f.ReadAt(b[:], int64(id-1)*txEntryLen)
		if n != txEntryLen && errors.Is(err, fs.ErrClosed) { // lost a race with Store.Close
			return txEntry{}, ErrClosed
		}
		if n != txEntryLen {
			return txEntry{}, fmt.Errorf("%w: tx index entry %d unreadable: %v", ErrCorruptedData, id, err)
		}
	}
	e, err := decodeTxEntry(b[:])
	if err != nil {
		return txEntry{}, fmt.Errorf("tx %d: %w", id, err)
	}
	return e, nil
}

// count is the number of entries (file and tail).
func (x *txIndex) count() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.memFrom + uint64(len(x.tail)/txEntryLen)
}

// append adds encoded entries for the txs after count().
func (x *txIndex) append(entries []byte) {
	x.mu.Lock()
	x.tail = append(x.tail, entries...)
	x.mu.Unlock()
}

// truncate keeps the first n entries.
func (x *txIndex) truncate(n uint64) error {
	x.fmu.Lock()
	defer x.fmu.Unlock()
	x.mu.Lock()
	defer x.mu.Unlock()
	if n >= x.flushed {
		if k := (n - x.memFrom) * txEntryLen; k < uint64(len(x.tail)) {
			x.tail = x.tail[:k]
		}
		return nil
	}
	if n >= x.memFrom {
		x.tail = x.tail[:(n-x.memFrom)*txEntryLen]
	} else {
		x.tail, x.memFrom = x.tail[:0], n
	}
	x.flushed = n
	if err := x.f.Truncate(int64(n) * txEntryLen); err != nil {
		return fmt.Errorf("store: truncate tx index: %w", err)
	}
	return nil
}

// flush writes the entries not in the file yet, then lets the oldest
// in-memory ones go once more than twice keep are kept.
func (x *txIndex) flush() error {
	x.fmu.Lock()
	defer x.fmu.Unlock()
	x.mu.RLock()
	w := append(x.wbuf[:0], x.tail[(x.flushed-x.memFrom)*txEntryLen:]...)
	off := int64(x.flushed) * txEntryLen
	x.mu.RUnlock()
	x.wbuf = w
	if len(w) == 0 {
		return nil
	}
	if _, err := x.f.WriteAt(w, off); err != nil {
		return fmt.Errorf("store: write tx index: %w", err)
	}
	x.mu.Lock()
	x.flushed += uint64(len(w) / txEntryLen)
	if kept := x.flushed - x.memFrom; kept > 2*x.keep {
		drop := kept - x.keep
		x.tail = append(x.tail[:0], x.tail[drop*txEntryLen:]...)
		x.memFrom += drop
	}
	x.mu.Unlock()
	return nil
}
