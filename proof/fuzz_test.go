package proof

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// Fuzz targets: every decoder must either fail with an error or return a
// value that re-encodes to exactly the input; verifiers must never panic
// and never accept what the reference algorithm rejects.

func chainSeeds(f *testing.F) []chainTx {
	var main, legacy struct {
		Txs []chainTx `json:"txs"`
	}
	loadVectors(f, "tx_chain.json", &main)
	loadVectors(f, "legacy_chain.json", &legacy)
	return append(main.Txs, legacy.Txs...)
}

func FuzzParseTxHeader(f *testing.F) {
	for _, tx := range chainSeeds(f) {
		f.Add([]byte(tx.HeaderBytes))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := ParseTxHeader(b)
		if err != nil {
			return
		}
		enc, err := h.Bytes()
		if err != nil {
			t.Fatalf("parsed header does not encode: %v", err)
		}
		if !bytes.Equal(enc, b[:n]) {
			t.Fatalf("round trip: %x != %x", enc, b[:n])
		}
		if _, err := h.Alh(); err != nil {
			t.Fatal(err)
		}
	})
}

func FuzzParseKVMetadata(f *testing.F) {
	for _, tx := range chainSeeds(f) {
		for _, e := range tx.Entries {
			f.Add([]byte(e.KVMetadataBytes))
		}
	}
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseKVMetadata(b)
		if err != nil {
			return
		}
		if enc := m.Bytes(); !bytes.Equal(enc, b) || len(enc) > MaxKVMetadataLen {
			t.Fatalf("round trip: %x != %x", enc, b)
		}
	})
}

func FuzzParseTxMetadata(f *testing.F) {
	for _, tx := range chainSeeds(f) {
		if tx.Header.MetadataBytes != nil {
			f.Add([]byte(*tx.Header.MetadataBytes))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseTxMetadata(b)
		if err != nil {
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatal(err)
		}
		if enc := m.Bytes(); !bytes.Equal(enc, b) {
			t.Fatalf("round trip: %x != %x", enc, b)
		}
	})
}

func FuzzDecodeZAddKey(f *testing.F) {
	for _, tx := range chainSeeds(f) {
		for _, e := range tx.Entries {
			if len(e.Key) > 0 && e.Key[0] == PrefixZSet {
				f.Add([]byte(e.Key))
			}
		}
	}
	f.Add(EncodeZAddKey([]byte("s"), math.Inf(-1), nil, 3))
	f.Fuzz(func(t *testing.T, b []byte) {
		set, key, score, atTx, err := DecodeZAddKey(b)
		if err != nil {
			return
		}
		if enc := EncodeZAddKey(set, score, key, atTx); !bytes.Equal(enc, b) {
			// NaN payloads survive Float64bits/frombits unchanged, so
			// even those must round trip.
			t.Fatalf("round trip: %x != %x", enc, b)
		}
	})
}

func FuzzDecodeKVValue(f *testing.F) {
	for _, tx := range chainSeeds(f) {
		for _, e := range tx.Entries {
			if e.Value != nil && len(e.Key) > 0 && e.Key[0] == PrefixKV {
				f.Add([]byte(*e.Value))
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := DecodeKVValue(b)
		if err != nil {
			return
		}
		switch v.Kind {
		case ValueReference:
			if enc := EncodeReferenceValue(v.AtTx, v.RefKey); !bytes.Equal(enc, b) {
				t.Fatalf("round trip: %x != %x", enc, b)
			}
		case ValuePlain:
			if !bytes.Equal(v.Value, b[1:]) {
				t.Fatal("plain value")
			}
		default:
			t.Fatalf("kind %d", v.Kind)
		}
	})
}

func FuzzDecodeExportedTx(f *testing.F) {
	for _, tx := range chainSeeds(f) {
		if tx.ExportedTx != nil {
			f.Add([]byte(*tx.ExportedTx))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := DecodeExportedTx(b)
		if err != nil {
			return
		}
		enc, err := EncodeExportedTx(x)
		if err != nil {
			t.Fatalf("decoded tx does not encode: %v", err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("round trip: %x != %x", enc, b)
		}
	})
}

// splitHashes cuts b into 32-byte hashes (the tail is dropped).
func splitHashes(b []byte) []Hash {
	out := make([]Hash, len(b)/HashSize)
	for i := range out {
		copy(out[i][:], b[i*HashSize:])
	}
	return out
}

func FuzzVerifiers(f *testing.F) {
	txs := chainSeeds(f)
	for _, tx := range txs[:5] {
		f.Add(uint64(tx.ID), uint64(tx.ID+3), uint8(3), []byte(tx.HeaderBytes))
	}
	f.Add(uint64(0), uint64(0), uint8(0), []byte{})
	f.Add(uint64(math.MaxUint64), uint64(1), uint8(255), bytes.Repeat([]byte{1}, 200))
	f.Fuzz(func(t *testing.T, i, j uint64, split uint8, data []byte) {
		terms := splitHashes(data)
		var a, b Hash
		if len(terms) > 0 {
			a = terms[0]
			b = terms[len(terms)-1]
		}
		// Tree verifiers.
		_ = VerifyInclusion(terms, i, j, a, b)
		_ = VerifyLastInclusion(terms, i, a, b)
		_ = VerifyConsistency(terms, i, j, a, b)
		_ = VerifyHTreeInclusion(InclusionProof{Leaf: int(i % 1000), Width: int(j % 1000), Terms: terms}, a, b)
		// Linear verifiers.
		_ = VerifyLinearProof(&LinearProof{SourceTxID: i, TargetTxID: j, Terms: terms}, i, j, a, b)
		k := int(split) % (len(terms) + 1)
		incl := make([][]Hash, 0, k)
		for n := 0; n < k; n++ {
			incl = append(incl, terms[n:])
		}
		lap := &LinearAdvanceProof{LinearProofTerms: terms[k:], InclusionProofs: incl}
		_ = VerifyLinearAdvanceProof(lap, i, j, a, b, j)
		_ = VerifyLinearAdvanceProof(nil, i, j, a, b, j)
		// Dual verifiers over headers parsed from the data.
		src, n, err := ParseTxHeader(data)
		if err != nil {
			src = &TxHeader{ID: i, BlTxID: i / 2}
			n = 0
		}
		dst, _, err := ParseTxHeader(data[n:])
		if err != nil {
			dst = &TxHeader{ID: j, BlTxID: binary.BigEndian.Uint64(append(make([]byte, 8), data...)[len(data):])}
		}
		dp := &DualProof{SourceTxHeader: src, TargetTxHeader: dst, InclusionProof: terms, ConsistencyProof: terms[k:],
			TargetBlTxAlh: a, LastInclusionProof: terms[:k], LinearProof: &LinearProof{SourceTxID: i, TargetTxID: j, Terms: terms},
			LinearAdvanceProof: lap}
		sa, _ := src.Alh()
		ta, _ := dst.Alh()
		_ = VerifyDualProof(dp, src.ID, dst.ID, sa, ta)
		_ = VerifyDualProof(dp, i, j, a, b)
		_ = VerifyDualProof(&DualProof{}, i, j, a, b)
		v2 := &DualProofV2{SourceTxHeader: src, TargetTxHeader: dst, InclusionProof: terms, ConsistencyProof: terms[k:]}
		_ = VerifyDualProofV2(v2, src.ID, dst.ID, sa, ta)
		_ = VerifyDualProofV2(&DualProofV2{}, i, j, a, b)
	})
}
