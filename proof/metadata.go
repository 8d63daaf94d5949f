package proof

import "encoding/binary"

// KV metadata attribute codes (HASHING.md §1.3), written in this order.
const (
	kvAttrDeleted      = 0
	kvAttrExpiresAt    = 1
	kvAttrNonIndexable = 2
)

// Tx metadata attribute codes (HASHING.md §1.4), written in this order.
const (
	txAttrTruncatedUpto = 0
	txAttrExtra         = 1
)

// IsZero reports whether m carries no attribute (encodes to zero bytes).
func (m KVMetadata) IsZero() bool {
	return !m.Deleted && !m.HasExpiry && !m.NonIndexable
}

// AppendBytes appends the encoding of m to dst: the present attributes in
// code order, each u8(code) ‖ payload.
func (m KVMetadata) AppendBytes(dst []byte) []byte {
	if m.Deleted {
		dst = append(dst, kvAttrDeleted)
	}
	if m.HasExpiry {
		dst = append(dst, kvAttrExpiresAt)
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.ExpiresAt))
	}
	if m.NonIndexable {
		dst = append(dst, kvAttrNonIndexable)
	}
	return dst
}

// Bytes returns the encoding of m; nil when m has no attribute.
func (m KVMetadata) Bytes() []byte {
	if m.IsZero() {
		return nil
	}
	return m.AppendBytes(make([]byte, 0, MaxKVMetadataLen))
}

// ParseKVMetadata decodes KV metadata bytes strictly: attributes must appear
// at most once, in ascending code order, complete, with known codes.
func ParseKVMetadata(b []byte) (KVMetadata, error) {
	var m KVMetadata
	last := -1
	for i := 0; i < len(b); {
		code := int(b[i])
		if code <= last {
			return KVMetadata{}, malformed("kv metadata: attribute %d out of order or repeated", code)
		}
		last = code
		i++
		switch code {
		case kvAttrDeleted:
			m.Deleted = true
		case kvAttrExpiresAt:
			if len(b)-i < 8 {
				return KVMetadata{}, malformed("kv metadata: truncated expiresAt")
			}
			m.HasExpiry = true
			m.ExpiresAt = int64(binary.BigEndian.Uint64(b[i:]))
			i += 8
		case kvAttrNonIndexable:
			m.NonIndexable = true
		default:
			return KVMetadata{}, malformed("kv metadata: unknown attribute %d", code)
		}
	}
	return m, nil
}

// IsZero reports whether m carries no attribute.
func (m TxMetadata) IsZero() bool {
	return m.TruncatedUptoTx == 0 && len(m.Extra) == 0
}

// Validate checks the limits of the byte layout (extra at most 256 bytes).
func (m TxMetadata) Validate() error {
	if len(m.Extra) > MaxTxExtraLen {
		return invalid("tx metadata extra of %d bytes (max %d)", len(m.Extra), MaxTxExtraLen)
	}
	return nil
}

// AppendBytes appends the encoding of m to dst. It does not validate m: an
// oversize Extra is cut to its low 16-bit length; call Validate first (the
// header encoder does).
func (m TxMetadata) AppendBytes(dst []byte) []byte {
	if m.TruncatedUptoTx > 0 {
		dst = append(dst, txAttrTruncatedUpto)
		dst = binary.BigEndian.AppendUint64(dst, m.TruncatedUptoTx)
	}
	if len(m.Extra) > 0 {
		dst = append(dst, txAttrExtra)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.Extra)))
		dst = append(dst, m.Extra...)
	}
	return dst
}

// Bytes returns the encoding of m; nil when m has no attribute. Like
// AppendBytes it does not validate m.
func (m TxMetadata) Bytes() []byte {
	if m.IsZero() {
		return nil
	}
	return m.AppendBytes(make([]byte, 0, 1+8+1+2+len(m.Extra)))
}

// encodedLen is len(m.Bytes()) without building it.
func (m TxMetadata) encodedLen() int {
	n := 0
	if m.TruncatedUptoTx > 0 {
		n += 9
	}
	if len(m.Extra) > 0 {
		n += 3 + len(m.Extra)
	}
	return n
}

// ParseTxMetadata decodes tx metadata bytes strictly. Attributes that the
// encoder never writes (truncatedUptoTx 0, empty extra) are rejected too,
// because a client could not rebuild them from the proto message.
func ParseTxMetadata(b []byte) (TxMetadata, error) {
	if len(b) > MaxTxMetadataLen {
		return TxMetadata{}, malformed("tx metadata of %d bytes (max %d)", len(b), MaxTxMetadataLen)
	}
	var m TxMetadata
	last := -1
	for i := 0; i < len(b); {
		code := int(b[i])
		if code <= last {
			return TxMetadata{}, malformed("tx metadata: attribute %d out of order or repeated", code)
		}
		last = code
		i++
		switch code {
		case txAttrTruncatedUpto:
			if len(b)-i < 8 {
				return TxMetadata{}, malformed("tx metadata: truncated truncatedUptoTx")
			}
			m.TruncatedUptoTx = binary.BigEndian.Uint64(b[i:])
			if m.TruncatedUptoTx == 0 {
				return TxMetadata{}, malformed("tx metadata: truncatedUptoTx of 0")
			}
			i += 8
		case txAttrExtra:
			if len(b)-i < 2 {
				return TxMetadata{}, malformed("tx metadata: truncated extra length")
			}
			n := int(binary.BigEndian.Uint16(b[i:]))
			i += 2
			if n == 0 || n > MaxTxExtraLen {
				return TxMetadata{}, malformed("tx metadata: extra of %d bytes", n)
			}
			if len(b)-i < n {
				return TxMetadata{}, malformed("tx metadata: truncated extra")
			}
			m.Extra = append([]byte(nil), b[i:i+n]...)
			i += n
		default:
			return TxMetadata{}, malformed("tx metadata: unknown attribute %d", code)
		}
	}
	return m, nil
}
