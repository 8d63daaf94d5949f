package proof

import "encoding/binary"

// ExportEntry is one entry of an exported tx. When the tx is exported with
// truncated values, Value holds the 32-byte hValue instead of the value.
type ExportEntry struct {
	Key      []byte // store key
	Metadata KVMetadata
	Value    []byte // store value, or its hValue when truncated
}

// ExportedTx is the payload of ExportTx / ReplicateTx (HASHING.md §8).
type ExportedTx struct {
	Header    *TxHeader
	Entries   []ExportEntry
	Truncated bool // values replaced by their hValues
}

// exportTrailerLen is u16(1) ‖ u8(truncatedFlag).
const exportTrailerLen = 3

// HValue is the hash the entry digest uses for entry i (0 ≤ i <
// len(Entries)): the hash of the value, or the value itself when the export
// carries truncated values.
func (x *ExportedTx) HValue(i int) Hash {
	e := x.Entries[i]
	if x.Truncated {
		var h Hash
		copy(h[:], e.Value)
		return h
	}
	return Sum(e.Value)
}

// EncodeExportedTx serialises x. The header's NEntries must equal
// len(x.Entries); truncated values must be 32 bytes each.
func EncodeExportedTx(x *ExportedTx) ([]byte, error) {
	if x == nil || x.Header == nil {
		return nil, invalid("export: nil tx")
	}
	if x.Header.NEntries != len(x.Entries) {
		return nil, invalid("export: header says %d entries, tx has %d", x.Header.NEntries, len(x.Entries))
	}
	hb, err := x.Header.Bytes()
	if err != nil {
		return nil, err
	}
	size := 4 + len(hb) + exportTrailerLen
	for _, e := range x.Entries {
		size += 2 + len(e.Key) + 2 + MaxKVMetadataLen + 4 + len(e.Value)
	}
	b := make([]byte, 0, size)
	b = binary.BigEndian.AppendUint32(b, uint32(len(hb)))
	b = append(b, hb...)
	for i, e := range x.Entries {
		if len(e.Key) > 0xffff {
			return nil, invalid("export: entry %d key of %d bytes", i, len(e.Key))
		}
		if x.Header.Version == TxHeaderV0 && !e.Metadata.IsZero() {
			return nil, invalid("export: entry %d has kv metadata in a version 0 tx", i)
		}
		if x.Truncated && len(e.Value) != HashSize {
			return nil, invalid("export: entry %d truncated value of %d bytes", i, len(e.Value))
		}
		if uint64(len(e.Value)) > 0xffffffff {
			return nil, invalid("export: entry %d value too long", i)
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.Key)))
		b = append(b, e.Key...)
		mdAt := len(b)
		b = append(b, 0, 0)
		b = e.Metadata.AppendBytes(b)
		binary.BigEndian.PutUint16(b[mdAt:], uint16(len(b)-mdAt-2))
		b = binary.BigEndian.AppendUint32(b, uint32(len(e.Value)))
		b = append(b, e.Value...)
	}
	flag := byte(0)
	if x.Truncated {
		flag = 1
	}
	b = binary.BigEndian.AppendUint16(b, 1)
	return append(b, flag), nil
}

// DecodeExportedTx parses an exported tx. It accepts a header with 0
// entries (the truncation tx of HASHING.md §1.4 is exported that way), while
// the reference replica refuses to replay one ("invalid number of
// entries"); a replicator that wants the same behaviour checks
// Header.NEntries ≥ 1 itself. Slices alias b.
func DecodeExportedTx(b []byte) (*ExportedTx, error) {
	if len(b) < 4 {
		return nil, malformed("export: truncated header length")
	}
	hl := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(hl) > uint64(len(b)) {
		return nil, malformed("export: truncated header")
	}
	h, n, err := ParseTxHeader(b[:hl])
	if err != nil {
		return nil, err
	}
	if n != int(hl) {
		return nil, malformed("export: header length %d, header takes %d", hl, n)
	}
	b = b[hl:]
	// Each entry takes at least 8 bytes: do not trust nentries for sizing.
	capHint := h.NEntries
	if capHint > len(b)/8 {
		capHint = len(b) / 8
	}
	x := &ExportedTx{Header: h, Entries: make([]ExportEntry, 0, capHint)}
	for i := 0; i < h.NEntries; i++ {
		var e ExportEntry
		if len(b) < 2 {
			return nil, malformed("export: entry %d: truncated key length", i)
		}
		kl := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if len(b) < kl+2 {
			return nil, malformed("export: entry %d: truncated key", i)
		}
		e.Key, b = b[:kl], b[kl:]
		ml := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if ml > MaxKVMetadataLen || len(b) < ml+4 {
			return nil, malformed("export: entry %d: bad metadata length %d", i, ml)
		}
		if e.Metadata, err = ParseKVMetadata(b[:ml]); err != nil {
			return nil, err
		}
		if h.Version == TxHeaderV0 && ml > 0 {
			return nil, malformed("export: entry %d: kv metadata in a version 0 tx", i)
		}
		b = b[ml:]
		vl := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(vl) > uint64(len(b)) {
			return nil, malformed("export: entry %d: truncated value", i)
		}
		e.Value, b = b[:vl], b[vl:]
		x.Entries = append(x.Entries, e)
	}
	if len(b) != exportTrailerLen || binary.BigEndian.Uint16(b) != 1 || b[2] > 1 {
		return nil, malformed("export: bad trailer %x", b)
	}
	x.Truncated = b[2] == 1
	if x.Truncated {
		for i, e := range x.Entries {
			if len(e.Value) != HashSize {
				return nil, malformed("export: entry %d: truncated value of %d bytes", i, len(e.Value))
			}
		}
	}
	return x, nil
}
