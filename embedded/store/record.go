package store

import (
	"encoding/binary"
	"fmt"

	"github.com/attestdb/attestdb/proof"
)

// A log record is one transaction:
//
//	u32 payloadLen ‖ u32 crc32c(payload) ‖ payload
//	payload = headerBytes (HASHING.md §4.2) ‖ entry*
//	entry   = u16 keyLen ‖ key ‖ u8 mdLen ‖ kvMetadata ‖ u32 valueLen ‖ value
//
// A zero payloadLen marks the end of a segment (segments are preallocated
// with zeros).
const (
	frameLen      = 8
	entryFixedLen = 2 + 1 + 4
	// maxRecordLen bounds what a decoder accepts, so a corrupt length cannot
	// make it allocate without limit.
	maxRecordLen = 1 << 40
)

// recordEntry is a decoded entry; slices alias the record buffer.
type recordEntry struct {
	Key      []byte
	Md       []byte // KV metadata bytes
	Value    []byte
	ValueOff int // offset of Value inside the record (frame included)
}

// entriesLen is the encoded size of the entry part.
func entryLen(keyLen, mdLen, valueLen int) int { return entryFixedLen + keyLen + mdLen + valueLen }

// appendEntry encodes one entry.
func appendEntry(dst, key, md, value []byte) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(len(key)))
	dst = append(dst, key...)
	dst = append(dst, byte(len(md)))
	dst = append(dst, md...)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(value)))
	return append(dst, value...)
}

// sealFrame writes the frame of the record occupying rec (frame included).
func sealFrame(rec []byte) {
	binary.BigEndian.PutUint32(rec, uint32(len(rec)-frameLen))
	binary.BigEndian.PutUint32(rec[4:], crc(rec[frameLen:]))
}

// frameStatus classifies the bytes at a position of a segment.
type frameStatus int

const (
	frameOK    frameStatus = iota
	frameEnd               // zero length: nothing was written here
	frameShort             // the record extends beyond the bytes available
	frameBad               // checksum mismatch or absurd length
)

// checkFrame inspects the record at the start of b. It returns the total
// record length (frame included) when the status is frameOK or frameShort.
func checkFrame(b []byte) (int, frameStatus) {
	if len(b) < frameLen {
		if allZero(b) {
			return 0, frameEnd
		}
		return 0, frameShort
	}
	n := binary.BigEndian.Uint32(b)
	if n == 0 {
		return 0, frameEnd
	}
	total := int(n) + frameLen
	if total > len(b) {
		return total, frameShort
	}
	if crc(b[frameLen:total]) != binary.BigEndian.Uint32(b[4:]) {
		return total, frameBad
	}
	return total, frameOK
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// decodeRecord parses a whole, checksummed record (frame included). Entries
// are appended to ents (which may be reused) and alias rec.
func decodeRecord(rec []byte, ents []recordEntry) (*proof.TxHeader, int, []recordEntry, error) {
	if len(rec) < frameLen {
		return nil, 0, ents, fmt.Errorf("%w: record of %d bytes", ErrCorruptedData, len(rec))
	}
	payload := rec[frameLen:]
	hdr, hlen, err := proof.ParseTxHeader(payload)
	if err != nil {
		return nil, 0, ents, fmt.Errorf("%w: record header: %v", ErrCorruptedData, err)
	}
	if hdr.NEntries < 0 || hdr.NEntries > len(payload)/entryFixedLen {
		return nil, 0, ents, fmt.Errorf("%w: record of tx %d claims %d entries", ErrCorruptedData, hdr.ID, hdr.NEntries)
	}
	i := hlen
	for k := 0; k < hdr.NEntries; k++ {
		if len(payload)-i < entryFixedLen {
			return nil, 0, ents, fmt.Errorf("%w: tx %d entry %d truncated", ErrCorruptedData, hdr.ID, k)
		}
		kl := int(binary.BigEndian.Uint16(payload[i:]))
		i += 2
		if len(payload)-i < kl+1 {
			return nil, 0, ents, fmt.Errorf("%w: tx %d entry %d key truncated", ErrCorruptedData, hdr.ID, k)
		}
		key := payload[i : i+kl]
		i += kl
		ml := int(payload[i])
		i++
		if len(payload)-i < ml+4 {
			return nil, 0, ents, fmt.Errorf("%w: tx %d entry %d metadata truncated", ErrCorruptedData, hdr.ID, k)
		}
		md := payload[i : i+ml]
		i += ml
		vl := int(binary.BigEndian.Uint32(payload[i:]))
		i += 4
		if len(payload)-i < vl {
			return nil, 0, ents, fmt.Errorf("%w: tx %d entry %d value truncated", ErrCorruptedData, hdr.ID, k)
		}
		ents = append(ents, recordEntry{Key: key, Md: md, Value: payload[i : i+vl], ValueOff: frameLen + i})
		i += vl
	}
	if i != len(payload) {
		return nil, 0, ents, fmt.Errorf("%w: tx %d record has %d trailing bytes", ErrCorruptedData, hdr.ID, len(payload)-i)
	}
	return hdr, hlen, ents, nil
}
