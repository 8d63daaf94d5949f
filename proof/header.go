package proof

import (
	"crypto/sha256"
	"encoding/binary"
	"math"
)

// Byte sizes of the header layout (HASHING.md §4.2).
const (
	headerPrefixLen = 8 + HashSize // u64(id) ‖ prevAlh: not part of innerHash
	// v0: prefix ‖ u64(ts) ‖ u16(0) ‖ u16(nentries) ‖ eh ‖ u64(blTxId) ‖ blRoot
	headerV0Len = headerPrefixLen + 8 + 2 + 2 + HashSize + 8 + HashSize
	// v1 without metadata: prefix ‖ u64(ts) ‖ u16(1) ‖ u16(mdLen) ‖ u32(nentries) ‖ eh ‖ u64(blTxId) ‖ blRoot
	headerV1BaseLen = headerPrefixLen + 8 + 2 + 2 + 4 + HashSize + 8 + HashSize
	// MaxTxHeaderLen is the longest encoded header.
	MaxTxHeaderLen = headerV1BaseLen + MaxTxMetadataLen
)

// validate checks what the byte layout can express for h's version.
func (h *TxHeader) validate() error {
	if h == nil {
		return invalid("nil tx header")
	}
	if h.NEntries < 0 {
		return invalid("tx header with %d entries", h.NEntries)
	}
	switch h.Version {
	case TxHeaderV0:
		if !h.Metadata.IsZero() {
			return invalid("tx metadata in a version 0 header")
		}
		if h.NEntries > MaxV0Entries {
			return invalid("%d entries in a version 0 header (max %d)", h.NEntries, MaxV0Entries)
		}
	case TxHeaderV1:
		if err := h.Metadata.Validate(); err != nil {
			return err
		}
		if uint64(h.NEntries) > 0xffffffff {
			return invalid("%d entries in a tx header", h.NEntries)
		}
	default:
		return invalid("unknown tx header version %d", h.Version)
	}
	return nil
}

// AppendBytes appends the header bytes of HASHING.md §4.2 to dst.
func (h *TxHeader) AppendBytes(dst []byte) ([]byte, error) {
	if err := h.validate(); err != nil {
		return dst, err
	}
	dst = binary.BigEndian.AppendUint64(dst, h.ID)
	dst = append(dst, h.PrevAlh[:]...)
	return h.appendInner(dst), nil
}

// appendInner appends the part of the header covered by innerHash. h must be
// valid.
func (h *TxHeader) appendInner(dst []byte) []byte {
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.Ts))
	dst = binary.BigEndian.AppendUint16(dst, uint16(h.Version))
	if h.Version == TxHeaderV0 {
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.NEntries))
	} else {
		dst = binary.BigEndian.AppendUint16(dst, uint16(h.Metadata.encodedLen()))
		dst = h.Metadata.AppendBytes(dst)
		dst = binary.BigEndian.AppendUint32(dst, uint32(h.NEntries))
	}
	dst = append(dst, h.Eh[:]...)
	dst = binary.BigEndian.AppendUint64(dst, h.BlTxID)
	return append(dst, h.BlRoot[:]...)
}

// Bytes returns the header bytes.
func (h *TxHeader) Bytes() ([]byte, error) {
	if err := h.validate(); err != nil { // before sizing: h may be nil
		return nil, err
	}
	return h.AppendBytes(make([]byte, 0, headerV1BaseLen+h.Metadata.encodedLen()))
}

// InnerHash is H(header bytes without u64(id) ‖ prevAlh) (HASHING.md §4.3).
func (h *TxHeader) InnerHash() (Hash, error) {
	if err := h.validate(); err != nil {
		return Hash{}, err
	}
	var buf [MaxTxHeaderLen]byte
	return sha256.Sum256(h.appendInner(buf[:0])), nil
}

// Alh is the accumulated linear hash H(u64(id) ‖ prevAlh ‖ innerHash).
func (h *TxHeader) Alh() (Hash, error) {
	inner, err := h.InnerHash()
	if err != nil {
		return Hash{}, err
	}
	return AlhFrom(h.ID, h.PrevAlh, inner), nil
}

// AlhFrom is H(u64(id) ‖ prevAlh ‖ innerHash).
func AlhFrom(id uint64, prevAlh, innerHash Hash) Hash {
	var b [8 + 2*HashSize]byte
	binary.BigEndian.PutUint64(b[:], id)
	copy(b[8:], prevAlh[:])
	copy(b[8+HashSize:], innerHash[:])
	return sha256.Sum256(b[:])
}

// ParseTxHeader decodes one header from the front of b and returns it with
// the number of bytes it took. Unknown versions, v0 with metadata (it has no
// room for any) and malformed tx metadata are errors.
func ParseTxHeader(b []byte) (*TxHeader, int, error) {
	if len(b) < headerPrefixLen+8+2 {
		return nil, 0, malformed("tx header: truncated")
	}
	h := &TxHeader{}
	h.ID = binary.BigEndian.Uint64(b)
	copy(h.PrevAlh[:], b[8:])
	i := headerPrefixLen
	h.Ts = int64(binary.BigEndian.Uint64(b[i:]))
	i += 8
	h.Version = int(binary.BigEndian.Uint16(b[i:]))
	i += 2
	switch h.Version {
	case TxHeaderV0:
		if len(b) < headerV0Len {
			return nil, 0, malformed("tx header v0: truncated")
		}
		h.NEntries = int(binary.BigEndian.Uint16(b[i:]))
		i += 2
	case TxHeaderV1:
		if len(b) < i+2 {
			return nil, 0, malformed("tx header v1: truncated")
		}
		mdLen := int(binary.BigEndian.Uint16(b[i:]))
		i += 2
		if mdLen > MaxTxMetadataLen {
			return nil, 0, malformed("tx header v1: metadata of %d bytes", mdLen)
		}
		if len(b) < headerV1BaseLen+mdLen {
			return nil, 0, malformed("tx header v1: truncated")
		}
		md, err := ParseTxMetadata(b[i : i+mdLen])
		if err != nil {
			return nil, 0, err
		}
		h.Metadata = md
		i += mdLen
		n := binary.BigEndian.Uint32(b[i:])
		if uint64(n) > math.MaxInt {
			// Only on 32-bit platforms: int(n) would turn negative.
			return nil, 0, malformed("tx header v1: %d entries do not fit an int", n)
		}
		h.NEntries = int(n)
		i += 4
	default:
		return nil, 0, malformed("tx header: unknown version %d", h.Version)
	}
	copy(h.Eh[:], b[i:])
	i += HashSize
	h.BlTxID = binary.BigEndian.Uint64(b[i:])
	i += 8
	copy(h.BlRoot[:], b[i:])
	i += HashSize
	return h, i, nil
}
