package store

import (
	"crypto/sha256"
	"fmt"

	"github.com/attestdb/attestdb/proof"
)

// entryOf returns the tx index entry of a committed tx.
func (s *Store) entryOf(id uint64) (txEntry, error) {
	if s.closed.Load() {
		return txEntry{}, ErrClosed
	}
	if id == 0 || id > s.committed.Load() {
		return txEntry{}, fmt.Errorf("%w: tx %d", ErrTxNotFound, id)
	}
	return s.txi.read(id)
}

// readRecord reads the whole record of tx id and checks its frame.
func (s *Store) readRecord(id uint64) ([]byte, txEntry, error) {
	e, err := s.entryOf(id)
	if err != nil {
		return nil, e, err
	}
	rec := make([]byte, e.Len)
	if err := s.log.readAt(rec, e.Pos); err != nil {
		return nil, e, fmt.Errorf("tx %d: %w", id, err)
	}
	if _, st := checkFrame(rec); st != frameOK {
		return nil, e, fmt.Errorf("%w: record of tx %d fails its checksum", ErrCorruptedData, id)
	}
	return rec, e, nil
}

// TxByID reads a committed tx with its values.
func (s *Store) TxByID(id uint64) (*Tx, error) { return s.ReadTx(id, true) }

// ReadTx reads a committed tx; without values only hValue and vLen are
// filled in for each entry.
func (s *Store) ReadTx(id uint64, withValues bool) (*Tx, error) {
	rec, _, err := s.readRecord(id)
	if err != nil {
		return nil, err
	}
	hdr, _, ents, err := decodeRecord(rec, nil)
	if err != nil {
		return nil, fmt.Errorf("tx %d: %w", id, err)
	}
	if hdr.ID != id {
		return nil, fmt.Errorf("%w: record at tx %d holds tx %d", ErrCorruptedData, id, hdr.ID)
	}
	tx := &Tx{Header: hdr, Entries: make([]TxEntry, len(ents))}
	for i, e := range ents {
		md, err := proof.ParseKVMetadata(e.Md)
		if err != nil {
			return nil, fmt.Errorf("%w: tx %d entry %d metadata: %v", ErrCorruptedData, id, i, err)
		}
		te := TxEntry{Key: e.Key, Metadata: md, MdBytes: e.Md, HValue: sha256.Sum256(e.Value), VLen: len(e.Value)}
		if withValues {
			te.Value = e.Value
		}
		tx.Entries[i] = te
	}
	return tx, nil
}

// Header returns the header of a committed tx.
func (s *Store) Header(id uint64) (*proof.TxHeader, error) {
	e, err := s.entryOf(id)
	if err != nil {
		return nil, err
	}
	n := min(int(e.Len), frameLen+proof.MaxTxHeaderLen)
	b := make([]byte, n)
	if err := s.log.readAt(b, e.Pos); err != nil {
		return nil, fmt.Errorf("tx %d: %w", id, err)
	}
	h, _, err := proof.ParseTxHeader(b[frameLen:])
	if err != nil {
		return nil, fmt.Errorf("%w: header of tx %d: %v", ErrCorruptedData, id, err)
	}
	if h.ID != id {
		return nil, fmt.Errorf("%w: record at tx %d holds tx %d", ErrCorruptedData, id, h.ID)
	}
	return h, nil
}

// Alh returns the accumulated linear hash of committed tx id
// (proof.Ledger).
func (s *Store) Alh(id uint64) (proof.Hash, error) {
	e, err := s.entryOf(id)
	if err != nil {
		return proof.Hash{}, err
	}
	return e.Alh, nil
}

// InnerHash returns the inner hash of committed tx id (proof.Ledger).
func (s *Store) InnerHash(id uint64) (proof.Hash, error) {
	h, err := s.Header(id)
	if err != nil {
		return proof.Hash{}, err
	}
	return h.InnerHash()
}

// TreeInclusionProof is incl(i, j) over the binary-linking tree
// (proof.Ledger).
func (s *Store) TreeInclusionProof(i, j uint64) ([]proof.Hash, error) {
	if err := s.checkTreeRange(i, j); err != nil {
		return nil, err
	}
	return s.aht.Load().InclusionProof(i, j)
}

// TreeConsistencyProof is cons(i, j) over the binary-linking tree
// (proof.Ledger).
func (s *Store) TreeConsistencyProof(i, j uint64) ([]proof.Hash, error) {
	if err := s.checkTreeRange(i, j); err != nil {
		return nil, err
	}
	return s.aht.Load().ConsistencyProof(i, j)
}

func (s *Store) checkTreeRange(i, j uint64) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if i == 0 || i > j {
		return fmt.Errorf("%w: tree range (%d, %d)", ErrIllegalArguments, i, j)
	}
	if j > s.committed.Load() {
		return fmt.Errorf("%w: tx %d", ErrTxNotFound, j)
	}
	return nil
}

var _ proof.Ledger = (*Store)(nil)

// DualProof proves that the history up to src is a prefix of the history
// up to dst (both committed headers of this store).
func (s *Store) DualProof(src, dst *proof.TxHeader) (*proof.DualProof, error) {
	return proof.BuildDualProof(s, src, dst)
}

// DualProofV2 is the document-API variant of DualProof.
func (s *Store) DualProofV2(src, dst *proof.TxHeader) (*proof.DualProofV2, error) {
	return proof.BuildDualProofV2(s, src, dst)
}

// LinearProof chains Alh(src) to Alh(dst).
func (s *Store) LinearProof(src, dst uint64) (*proof.LinearProof, error) {
	return proof.BuildLinearProof(s, src, dst)
}

// ReadValueAt reads a value of vLen bytes at log position pos (as found in
// an index payload).
func (s *Store) ReadValueAt(pos uint64, vLen int) ([]byte, error) {
	if s.closed.Load() {
		return nil, ErrClosed
	}
	if vLen == 0 {
		return []byte{}, nil
	}
	if err := s.log.checkSpan(pos, vLen); err != nil {
		return nil, err
	}
	v := make([]byte, vLen)
	if err := s.log.readAt(v, pos); err != nil {
		return nil, err
	}
	return v, nil
}
