package immuadmin

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/attestdb/attestdb/proof"
)

// The backup file (docs/FORMAT.md "Backup and dump files") is immudb's
// hot-backup format, so files move between immudb and attestdb both ways.
// It is a sequence of records, one per tx, in tx order:
//
//	"IMMUBACKUP" ‖ u32(1) ‖ u64(txID) ‖ u32(len(alh)) ‖ u32(len(content)) ‖ alh ‖ content
//
// content is the exportTx stream exactly as received: u64(len(tx)) ‖ tx,
// where tx is the exported form of HASHING.md §8. A dump is the same
// format, possibly starting after tx 1 (--since-tx).

const (
	recordMagic   = "IMMUBACKUP"
	recordVersion = 1
	recordHdrLen  = len(recordMagic) + 4 + 8 + 4 + 4
	// maxRecordContent bounds one record's tx before anything is read into
	// memory (a damaged length must not allocate gigabytes).
	maxRecordContent = 1 << 30
)

var (
	// ErrMalformedBackup: bytes that are not a backup record.
	ErrMalformedBackup = errors.New("malformed backup file")
	// ErrTruncatedBackup: the file ends inside a record.
	ErrTruncatedBackup = errors.New("truncated backup file")
	// ErrBackupMismatch: a record whose content does not hash to its Alh,
	// or that does not follow the previous record.
	ErrBackupMismatch = errors.New("backup file does not verify")
)

// record is one tx of a backup file.
type record struct {
	TxID    uint64
	Alh     proof.Hash
	Content []byte // u64(len(tx)) ‖ tx: sent as is to replicateTx
	Header  *proof.TxHeader
}

// appendRecord encodes one record.
func appendRecord(dst []byte, txID uint64, alh proof.Hash, content []byte) []byte {
	dst = append(dst, recordMagic...)
	dst = binary.BigEndian.AppendUint32(dst, recordVersion)
	dst = binary.BigEndian.AppendUint64(dst, txID)
	dst = binary.BigEndian.AppendUint32(dst, proof.HashSize)
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(content)))
	dst = append(dst, alh[:]...)
	return append(dst, content...)
}

// recordReader reads and checks records one by one. off is the offset of
// the next record, for error messages.
type recordReader struct {
	r   io.Reader
	off int64
}

// next returns the next record, io.EOF at a clean end of file. Every
// record is checked on its own (checkRecord); the order between records
// is the caller's business (chain).
func (rr *recordReader) next() (*record, error) {
	var h [recordHdrLen]byte
	n, err := io.ReadFull(rr.r, h[:])
	if errors.Is(err, io.EOF) {
		return nil, io.EOF
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("%w: %d bytes of a record header at offset %d", ErrTruncatedBackup, n, rr.off)
	}
	if err != nil {
		return nil, err
	}
	if string(h[:len(recordMagic)]) != recordMagic {
		return nil, fmt.Errorf("%w: no %s record at offset %d", ErrMalformedBackup, recordMagic, rr.off)
	}
	i := len(recordMagic)
	if v := binary.BigEndian.Uint32(h[i:]); v != recordVersion {
		return nil, fmt.Errorf("%w: record version %d at offset %d (only %d is known)", ErrMalformedBackup, v, rr.off, recordVersion)
	}
	txID := binary.BigEndian.Uint64(h[i+4:])
	alhLen := binary.BigEndian.Uint32(h[i+12:])
	cLen := binary.BigEndian.Uint32(h[i+16:])
	if alhLen != proof.HashSize {
		return nil, fmt.Errorf("%w: tx %d: checksum of %d bytes at offset %d", ErrMalformedBackup, txID, alhLen, rr.off)
	}
	if cLen > maxRecordContent {
		return nil, fmt.Errorf("%w: tx %d: record of %d bytes at offset %d", ErrMalformedBackup, txID, cLen, rr.off)
	}
	// Read through a growing buffer: a truncated file never makes us
	// allocate the declared length.
	var body bytes.Buffer
	want := int64(alhLen) + int64(cLen)
	got, err := io.CopyN(&body, rr.r, want)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: tx %d: record at offset %d has %d of its %d bytes", ErrTruncatedBackup, txID, rr.off, got, want)
		}
		return nil, err
	}
	b := body.Bytes()
	rec := &record{TxID: txID, Content: b[proof.HashSize:]}
	copy(rec.Alh[:], b)
	if err := checkRecord(rec); err != nil {
		return nil, fmt.Errorf("%w (record at offset %d)", err, rr.off)
	}
	rr.off += int64(recordHdrLen) + want
	return rec, nil
}

// checkRecord checks that rec's content hashes to its Alh (decodeContent)
// and keeps the parsed header.
func checkRecord(rec *record) error {
	h, alh, err := decodeContent(rec.TxID, rec.Content)
	if err != nil {
		return err
	}
	if alh != rec.Alh {
		return fmt.Errorf("%w: tx %d: the tx hashes to %x, the record says %x", ErrBackupMismatch, rec.TxID, alh[:], rec.Alh[:])
	}
	rec.Header = h
	return nil
}

// decodeContent parses the framed exported tx of txID and returns its
// header and Alh, after checking the header's eH against the entries (or
// their value hashes when the values were left out).
func decodeContent(txID uint64, c []byte) (*proof.TxHeader, proof.Hash, error) {
	var alh proof.Hash
	if len(c) < 8 || binary.BigEndian.Uint64(c) != uint64(len(c)-8) {
		return nil, alh, fmt.Errorf("%w: tx %d: bad message framing", ErrMalformedBackup, txID)
	}
	h, eh, err := parseExported(c[8:])
	if err != nil {
		return nil, alh, fmt.Errorf("%w: tx %d: %v", ErrMalformedBackup, txID, err)
	}
	if h.ID != txID {
		return nil, alh, fmt.Errorf("%w: record of tx %d holds tx %d", ErrBackupMismatch, txID, h.ID)
	}
	if eh != h.Eh {
		return nil, alh, fmt.Errorf("%w: tx %d: the entries do not hash to the header's eH", ErrBackupMismatch, txID)
	}
	if alh, err = h.Alh(); err != nil {
		return nil, alh, fmt.Errorf("%w: tx %d: %v", ErrMalformedBackup, txID, err)
	}
	return h, alh, nil
}

// parseExported walks an exported tx (HASHING.md §8) and returns its
// header and the eH recomputed from its entries. Every length is checked
// against what is left.
func parseExported(b []byte) (*proof.TxHeader, proof.Hash, error) {
	var zero proof.Hash
	if len(b) < 4 {
		return nil, zero, errors.New("no header length")
	}
	hl := uint64(binary.BigEndian.Uint32(b))
	b = b[4:]
	if hl > uint64(len(b)) {
		return nil, zero, fmt.Errorf("header of %d bytes, %d left", hl, len(b))
	}
	h, used, err := proof.ParseTxHeader(b[:hl])
	if err != nil {
		return nil, zero, err
	}
	if uint64(used) != hl {
		return nil, zero, fmt.Errorf("header of %d bytes declared as %d", used, hl)
	}
	b = b[hl:]
	if h.NEntries > len(b)/8 {
		return nil, zero, fmt.Errorf("%d entries in %d bytes", h.NEntries, len(b))
	}
	type ent struct{ key, md, val []byte }
	ents := make([]ent, h.NEntries)
	for i := range ents {
		var e ent
		var ok bool
		if e.key, b, ok = field(b, 2); !ok {
			return nil, zero, fmt.Errorf("entry %d: bad key length", i)
		}
		if e.md, b, ok = field(b, 2); !ok {
			return nil, zero, fmt.Errorf("entry %d: bad metadata length", i)
		}
		if e.val, b, ok = field(b, 4); !ok {
			return nil, zero, fmt.Errorf("entry %d: bad value length", i)
		}
		ents[i] = e
	}
	if len(b) != 3 || binary.BigEndian.Uint16(b) != 1 || b[2] > 1 {
		return nil, zero, errors.New("bad trailer")
	}
	truncated := b[2] == 1
	ds := make([]proof.Hash, len(ents))
	for i, e := range ents {
		var hv proof.Hash
		if truncated {
			if len(e.val) != proof.HashSize {
				return nil, zero, fmt.Errorf("entry %d: truncated value of %d bytes", i, len(e.val))
			}
			copy(hv[:], e.val)
		} else {
			hv = sha256.Sum256(e.val)
		}
		if ds[i], err = proof.EntryDigest(h.Version, e.key, e.md, hv); err != nil {
			return nil, zero, fmt.Errorf("entry %d: %v", i, err)
		}
	}
	return h, proof.HTreeRoot(ds), nil
}

func field(b []byte, lenSize int) (f, rest []byte, ok bool) {
	if len(b) < lenSize {
		return nil, nil, false
	}
	var n uint64
	if lenSize == 2 {
		n = uint64(binary.BigEndian.Uint16(b))
	} else {
		n = uint64(binary.BigEndian.Uint32(b))
	}
	b = b[lenSize:]
	if n > uint64(len(b)) {
		return nil, nil, false
	}
	return b[:n], b[n:], true
}

// chain checks that records follow each other: consecutive ids, and each
// tx's prevAlh is the previous record's Alh.
type chain struct {
	last    uint64
	lastAlh proof.Hash
	first   uint64
	count   uint64
}

func (c *chain) add(rec *record) error {
	if c.count > 0 {
		if rec.TxID != c.last+1 {
			return fmt.Errorf("%w: incorrect transaction order in file: tx %d after tx %d", ErrBackupMismatch, rec.TxID, c.last)
		}
		if rec.Header.PrevAlh != c.lastAlh {
			return fmt.Errorf("%w: tx %d does not follow tx %d (prevAlh differs)", ErrBackupMismatch, rec.TxID, c.last)
		}
	} else {
		c.first = rec.TxID
	}
	c.last, c.lastAlh = rec.TxID, rec.Alh
	c.count++
	return nil
}

// scanFile reads every record of r and checks them and their chain; it
// returns the chain (first, last, count, last Alh).
func scanFile(r io.Reader) (*chain, error) {
	rr := &recordReader{r: r}
	c := &chain{}
	for {
		rec, err := rr.next()
		if errors.Is(err, io.EOF) {
			return c, nil
		}
		if err != nil {
			return nil, err
		}
		if err := c.add(rec); err != nil {
			return nil, err
		}
	}
}
