package store

import (
	"encoding/binary"
	"fmt"

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

type txIndex struct{ f vfs.File }

func (x *txIndex) read(id uint64) (txEntry, error) {
	var b [txEntryLen]byte
	n, err := x.f.ReadAt(b[:], int64(id-1)*txEntryLen)
	if n != txEntryLen {
		return txEntry{}, fmt.Errorf("%w: tx index entry %d unreadable: %v", ErrCorruptedData, id, err)
	}
	e, err := decodeTxEntry(b[:])
	if err != nil {
		return txEntry{}, fmt.Errorf("tx %d: %w", id, err)
	}
	return e, nil
}

// count is the number of whole entries in the file.
func (x *txIndex) count() (uint64, error) {
	sz, err := x.f.Size()
	if err != nil {
		return 0, err
	}
	return uint64(sz / txEntryLen), nil
}
