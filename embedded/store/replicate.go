package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/attestdb/attestdb/proof"
)

// Export and replication of whole txs (HASHING.md §8, docs/FORMAT.md
// "Exported tx"). The exported form is immudb v1.11's, byte for byte, so
// immudb replicas and immuadmin hot-backup files interoperate:
//
//	u32(len(hdr)) ‖ hdr (proof header bytes, v0 or v1)
//	per entry: u16(len(key)) ‖ key ‖ u16(len(md)) ‖ md ‖ u32(len(value)) ‖ value
//	u16(1) ‖ u8(truncated)   -- 0: values present; 1: each value is its sha256
//
// ReplicateTx commits such a tx again with the same header: id, prevAlh,
// ts, version, metadata, entries, blTxId and blRoot must all come out
// equal, so the replica's Alh is the source's.

var (
	// ErrUnexpectedTxID: a replicated tx that is not the next one.
	ErrUnexpectedTxID = errors.New("replicated tx is not the next tx")
	// ErrReplicaMismatch: a replicated tx whose header (and so Alh) this
	// store would not reproduce: a different history, or altered content.
	ErrReplicaMismatch = errors.New("replicated tx does not match")
	// ErrMalformedExport: bytes that are not an exported tx.
	ErrMalformedExport = errors.New("malformed exported tx")
)

// ExportedTx is a decoded exported tx.
type ExportedTx struct {
	Header *proof.TxHeader
	// Entries in tx order; with Truncated, each Value is the sha256 of the
	// original value.
	Entries   []Entry
	Truncated bool
}

// ExportTx returns tx id in the exported form.
func (s *Store) ExportTx(id uint64) ([]byte, error) {
	tx, err := s.ReadTx(id, true)
	if err != nil {
		return nil, err
	}
	hdr, err := tx.Header.Bytes()
	if err != nil {
		return nil, fmt.Errorf("%w: tx %d header: %v", ErrCorruptedData, id, err)
	}
	n := 4 + len(hdr) + 3
	for _, e := range tx.Entries {
		n += 2 + len(e.Key) + 2 + len(e.MdBytes) + 4 + len(e.Value)
	}
	b := make([]byte, 0, n)
	b = binary.BigEndian.AppendUint32(b, uint32(len(hdr)))
	b = append(b, hdr...)
	for _, e := range tx.Entries {
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.Key)))
		b = append(b, e.Key...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(e.MdBytes)))
		b = append(b, e.MdBytes...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(e.Value)))
		b = append(b, e.Value...)
	}
	b = binary.BigEndian.AppendUint16(b, 1)
	return append(b, 0), nil
}

// DecodeExportedTx parses an exported tx. Every length is checked against
// what is left, so damaged input is an ErrMalformedExport, never a panic or
// a large allocation.
func DecodeExportedTx(b []byte) (*ExportedTx, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformedExport, fmt.Sprintf(format, args...))
	}
	if len(b) < 4 {
		return nil, bad("truncated before the header length")
	}
	hl := binary.BigEndian.Uint32(b)
	b = b[4:]
	if uint64(hl) > uint64(len(b)) || hl > proof.MaxTxHeaderLen {
		return nil, bad("header length %d with %d bytes left", hl, len(b))
	}
	h, used, err := proof.ParseTxHeader(b[:hl])
	if err != nil {
		return nil, bad("header: %v", err)
	}
	if used != int(hl) {
		return nil, bad("header of %d bytes declared as %d", used, hl)
	}
	b = b[hl:]
	// Each entry takes at least 8 bytes: bound NEntries before allocating.
	if h.NEntries < 0 || h.NEntries > len(b)/8 {
		return nil, bad("%d entries in %d bytes", h.NEntries, len(b))
	}
	x := &ExportedTx{Header: h, Entries: make([]Entry, h.NEntries)}
	var vals [][]byte
	for i := range x.Entries {
		var key, md, val []byte
		if key, b, err = cut(b, 2); err != nil {
			return nil, bad("entry %d key: %v", i, err)
		}
		if md, b, err = cut(b, 2); err != nil {
			return nil, bad("entry %d metadata: %v", i, err)
		}
		if val, b, err = cut(b, 4); err != nil {
			return nil, bad("entry %d value: %v", i, err)
		}
		kmd, err := proof.ParseKVMetadata(md)
		if err != nil {
			return nil, bad("entry %d metadata: %v", i, err)
		}
		if !bytes.Equal(kmd.Bytes(), md) {
			return nil, bad("entry %d metadata is not in canonical form", i)
		}
		x.Entries[i] = Entry{Key: key, Metadata: kmd, Value: val}
		vals = append(vals, val)
	}
	if len(b) != 3 || binary.BigEndian.Uint16(b) != 1 || b[2] > 1 {
		return nil, bad("bad trailer (%d bytes left)", len(b))
	}
	x.Truncated = b[2] == 1
	if x.Truncated {
		for i, v := range vals {
			if len(v) != proof.HashSize {
				return nil, bad("entry %d: truncated value of %d bytes", i, len(v))
			}
		}
	}
	return x, nil
}

// cut takes a big-endian length of lenSize bytes and that many bytes.
func cut(b []byte, lenSize int) (field, rest []byte, err error) {
	if len(b) < lenSize {
		return nil, nil, errors.New("truncated length")
	}
	var n uint64
	if lenSize == 2 {
		n = uint64(binary.BigEndian.Uint16(b))
	} else {
		n = uint64(binary.BigEndian.Uint32(b))
	}
	b = b[lenSize:]
	if n > uint64(len(b)) {
		return nil, nil, fmt.Errorf("length %d with %d bytes left", n, len(b))
	}
	return b[:n:n], b[n:], nil
}

// ReplicateTx commits x as the next tx, reproducing its header exactly.
// It refuses a tx that is not the next one (ErrUnexpectedTxID) and one
// whose header this store would not reproduce (ErrReplicaMismatch); the
// final check runs in the committer, when the id is assigned. Ordinary
// commits queued in the same group as a refused replicated tx fail with it,
// so a store that replicates should commit nothing else (replica databases
// refuse ordinary writes).
func (s *Store) ReplicateTx(ctx context.Context, x *ExportedTx) (*proof.TxHeader, error) {
	if x == nil || x.Header == nil {
		return nil, fmt.Errorf("%w: no tx", ErrIllegalArguments)
	}
	if x.Truncated {
		return nil, fmt.Errorf("%w: tx %d was exported without its values", ErrIllegalArguments, x.Header.ID)
	}
	want := x.Header
	last, alh := s.LastCommitted()
	if want.ID != last+1 {
		return nil, fmt.Errorf("%w: got tx %d, expected tx %d", ErrUnexpectedTxID, want.ID, last+1)
	}
	if want.PrevAlh != alh {
		return nil, fmt.Errorf("%w: tx %d follows alh %x, this database ends at %x", ErrReplicaMismatch, want.ID, want.PrevAlh[:], alh[:])
	}
	if want.NEntries != len(x.Entries) {
		return nil, fmt.Errorf("%w: tx %d header says %d entries, %d given", ErrReplicaMismatch, want.ID, want.NEntries, len(x.Entries))
	}
	if want.Version != s.opts.HeaderVersion {
		return nil, fmt.Errorf("%w: tx %d has header version %d, this database writes version %d", ErrReplicaMismatch, want.ID, want.Version, s.opts.HeaderVersion)
	}
	w := *want
	req := &TxRequest{Entries: x.Entries, Metadata: want.Metadata, replay: &w}
	return s.commit(ctx, req, len(x.Entries) == 0)
}

// matchReplay (committer) gives a replicated tx its source's timestamp and
// checks that everything else this store derived equals the source header.
func (r *request) matchReplay(h *proof.TxHeader) error {
	w := r.replay
	if w == nil {
		return nil
	}
	h.Ts = w.Ts
	var what string
	switch {
	case h.ID != w.ID:
		return fmt.Errorf("%w: got tx %d, expected tx %d", ErrUnexpectedTxID, w.ID, h.ID)
	case h.PrevAlh != w.PrevAlh:
		what = "prevAlh"
	case h.Version != w.Version:
		what = "header version"
	case h.NEntries != w.NEntries:
		what = "number of entries"
	case h.Eh != w.Eh:
		what = "entries hash (eH)"
	case h.BlTxID != w.BlTxID:
		what = "blTxId"
	case h.BlRoot != w.BlRoot:
		what = "blRoot"
	case !bytes.Equal(h.Metadata.Bytes(), w.Metadata.Bytes()):
		what = "tx metadata"
	default:
		return nil
	}
	return fmt.Errorf("%w: tx %d: %s differs, the resulting alh would not be the source's", ErrReplicaMismatch, w.ID, what)
}
