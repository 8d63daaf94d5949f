package store

import (
	"bytes"
	"testing"

	"github.com/attestdb/attestdb/proof"
)

// vectorRecords builds the log records of the tx_chain.json txs, as the
// committer writes them.
func vectorRecords(t testing.TB) [][]byte {
	var recs [][]byte
	for _, v := range loadChain(t) {
		h := v.Header.header()
		rec := make([]byte, frameLen)
		rec, err := h.AppendBytes(rec)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range v.Entries {
			rec = appendEntry(rec, e.Key, e.Md, e.Value)
		}
		sealFrame(rec)
		recs = append(recs, rec)
	}
	return recs
}

func TestRecordRoundTrip(t *testing.T) {
	for i, rec := range vectorRecords(t) {
		total, st := checkFrame(rec)
		if st != frameOK || total != len(rec) {
			t.Fatalf("tx %d: frame %d %v", i+1, total, st)
		}
		h, _, ents, err := decodeRecord(rec, nil)
		if err != nil || h.ID != uint64(i+1) || len(ents) != h.NEntries {
			t.Fatalf("tx %d: %v", i+1, err)
		}
		// Any flipped byte is caught by the checksum.
		for j := 0; j < len(rec); j += 7 {
			c := bytes.Clone(rec)
			c[j] ^= 0x40
			if _, st := checkFrame(c); st == frameOK {
				t.Fatalf("tx %d: flipped byte %d passes the frame check", i+1, j)
			}
		}
	}
}

func FuzzRecord(f *testing.F) {
	for _, rec := range vectorRecords(f) {
		f.Add(rec)
	}
	f.Add([]byte{})
	f.Add(make([]byte, 8))
	f.Fuzz(func(t *testing.T, b []byte) {
		total, st := checkFrame(b)
		if st != frameOK {
			return
		}
		if total > len(b) {
			t.Fatalf("frame of %d bytes in %d", total, len(b))
		}
		h, _, ents, err := decodeRecord(b[:total], nil)
		if err != nil {
			return
		}
		// A decoded record re-encodes to the same bytes.
		re := make([]byte, frameLen)
		re, err = h.AppendBytes(re)
		if err != nil {
			t.Fatalf("decoded header does not encode: %v", err)
		}
		for _, e := range ents {
			re = appendEntry(re, e.Key, e.Md, e.Value)
		}
		sealFrame(re)
		if !bytes.Equal(re, b[:total]) {
			t.Fatalf("re-encoding differs")
		}
	})
}

func FuzzTxEntry(f *testing.F) {
	f.Add(appendTxEntry(nil, txEntry{Pos: makePos(3, 1234), Len: 99, Alh: proof.Sum([]byte("x"))}))
	f.Add(make([]byte, txEntryLen))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeTxEntry(b)
		if err != nil {
			return
		}
		if !bytes.Equal(appendTxEntry(nil, e), b) {
			t.Fatal("tx index entry does not round-trip")
		}
	})
}

func FuzzFormat(f *testing.F) {
	f.Add(encodeFormat(formatInfo{Version: FormatVersion, FileSize: DefaultFileSize}))
	f.Add(encodeFormat(formatInfo{Version: 2, FileSize: 1}))
	f.Add(encodeCheckpoint(42))
	f.Fuzz(func(t *testing.T, b []byte) {
		if fi, err := decodeFormat(b); err == nil && !bytes.Equal(encodeFormat(fi), b) {
			t.Fatal("FORMAT does not round-trip")
		}
		if id, err := decodeCheckpoint(b); err == nil && !bytes.Equal(encodeCheckpoint(id), b) {
			t.Fatal("CHECKPOINT does not round-trip")
		}
	})
}

func FuzzPayload(f *testing.F) {
	f.Add(appendPayload(nil, []byte{0}, makePos(1, 77), []byte("twelve bytes")))
	f.Add(appendPayload(nil, []byte{0}, makePos(1, 77), make([]byte, inlineValueMax+1)))
	f.Add(appendPayload(nil, proof.KVMetadata{HasExpiry: true, ExpiresAt: 5, NonIndexable: true}.Bytes(), 0, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePayload(b)
		if err != nil {
			return
		}
		if (p.Inline != nil || p.VLen == 0) != (p.VLen <= inlineValueMax) {
			t.Fatalf("inline value of %d bytes for length %d", len(p.Inline), p.VLen)
		}
		if p.VLen > 1<<20 {
			// A length is only a number here; re-encoding it would need a
			// value that large. Readers bound it by the log (checkSpan).
			return
		}
		value := p.Inline
		if p.VLen > inlineValueMax {
			value = make([]byte, p.VLen)
		}
		q, err := decodePayload(appendPayload(nil, p.Md.Bytes(), p.ValuePos, value))
		if err != nil || q.Md != p.Md || q.ValuePos != p.ValuePos || q.VLen != p.VLen || string(q.Inline) != string(p.Inline) {
			t.Fatalf("payload does not round-trip: %+v %+v %v", p, q, err)
		}
	})
}

func TestFormatVersionChecked(t *testing.T) {
	if _, err := decodeFormat(encodeFormat(formatInfo{Version: 2, FileSize: 1 << 20})); !errorsIs(err, ErrUnsupportedFormat) {
		t.Fatalf("version 2: %v", err)
	}
	b := encodeFormat(formatInfo{Version: FormatVersion, FileSize: 1 << 20})
	b[3] ^= 1
	if _, err := decodeFormat(b); !errorsIs(err, ErrCorruptedData) {
		t.Fatalf("bad magic: %v", err)
	}
}
