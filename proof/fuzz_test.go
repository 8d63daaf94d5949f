package proof

import (
	"bytes"
	"encoding/binary"
	"math"
	"testing"
)

// Fuzz targets: every decoder must either fail with an error or return a
// value that re-encodes to exactly the input; verifiers must never panic
// on any input and must reject any change to a valid proof.

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

func FuzzDecodeKVKey(f *testing.F) {
	for _, tx := range chainSeeds(f) {
		for _, e := range tx.Entries {
			f.Add([]byte(e.Key))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		k, err := DecodeKVKey(b)
		if err != nil {
			return
		}
		if enc := EncodeKVKey(k); !bytes.Equal(enc, b) {
			t.Fatalf("round trip: %x != %x", enc, b)
		}
	})
}

// signedExamples are the signed states of signed_state.json.
func signedExamples(f *testing.F) (pemPriv, pemPub string, point []byte, states []jsonState, sigs [][]byte) {
	var v struct {
		PrivateKeyPem         string   `json:"privateKeyPem"`
		PublicKeyPem          string   `json:"publicKeyPem"`
		PublicKeyUncompressed hexBytes `json:"publicKeyUncompressed"`
		Examples              []struct {
			State     jsonState `json:"state"`
			Signature struct {
				Signature hexBytes `json:"signature"`
			} `json:"signature"`
		} `json:"examples"`
	}
	loadVectors(f, "signed_state.json", &v)
	for _, e := range v.Examples {
		states = append(states, e.State)
		sigs = append(sigs, e.Signature.Signature)
	}
	return v.PrivateKeyPem, v.PublicKeyPem, v.PublicKeyUncompressed, states, sigs
}

func FuzzParseKeys(f *testing.F) {
	priv, pub, point, _, _ := signedExamples(f)
	f.Add([]byte(priv))
	f.Add([]byte(pub))
	f.Add(point)
	f.Fuzz(func(t *testing.T, b []byte) {
		if k, err := ParseSigningKeyPEM(b); err == nil && k.Curve.Params().Name != "P-256" {
			t.Fatal("signing key on another curve")
		}
		if k, err := ParsePublicKeyPEM(b); err == nil && k.Curve.Params().Name != "P-256" {
			t.Fatal("public key on another curve")
		}
		if k, err := ParsePublicKeyBytes(b); err == nil {
			if enc, err := k.Bytes(); err != nil || !bytes.Equal(enc, b) {
				t.Fatalf("point round trip: %x != %x", enc, b)
			}
		}
	})
}

// FuzzVerifyStateSignature: no input panics, and the vector signatures
// verify for their own state only (the fuzzer cannot forge one).
func FuzzVerifyStateSignature(f *testing.F) {
	_, pemPub, _, states, sigs := signedExamples(f)
	pub, err := ParsePublicKeyPEM([]byte(pemPub))
	if err != nil {
		f.Fatal(err)
	}
	for i, st := range states {
		f.Add(st.DB, st.TxID, []byte(st.TxHash), uint8(i), []byte(sigs[i]))
	}
	f.Fuzz(func(t *testing.T, db string, txID uint64, txHash []byte, which uint8, sig []byte) {
		_ = VerifyStateSignature(pub, db, txID, txHash, sig)
		i := int(which) % len(sigs)
		if VerifyStateSignature(pub, db, txID, txHash, sigs[i]) != nil {
			return
		}
		st := states[i]
		if !bytes.Equal(StatePayload(db, txID, txHash), StatePayload(st.DB, st.TxID, st.TxHash)) {
			t.Fatalf("signature of %s/%d verified for %q/%d", st.DB, st.TxID, db, txID)
		}
	})
}

// dualHashes lists pointers to every hash of p the verifier depends on.
func dualHashes(p *DualProof) []*Hash {
	var out []*Hash
	add := func(hs []Hash) {
		for i := range hs {
			out = append(out, &hs[i])
		}
	}
	out = append(out, &p.SourceTxHeader.PrevAlh, &p.SourceTxHeader.Eh, &p.SourceTxHeader.BlRoot,
		&p.TargetTxHeader.PrevAlh, &p.TargetTxHeader.Eh, &p.TargetTxHeader.BlRoot)
	add(p.InclusionProof)
	add(p.ConsistencyProof)
	add(p.LastInclusionProof)
	if p.TargetTxHeader.BlTxID > 0 { // otherwise no check reads it
		out = append(out, &p.TargetBlTxAlh)
	}
	add(p.LinearProof.Terms)
	if la := p.LinearAdvanceProof; la != nil {
		add(la.LinearProofTerms)
		for _, ip := range la.InclusionProofs {
			add(ip)
		}
	}
	return out
}

// FuzzDualProofTamper flips bits of one hash of a valid dual proof (main
// or legacy chain): the proof must then be rejected.
func FuzzDualProofTamper(f *testing.F) {
	var legacy struct {
		Txs []chainTx `json:"txs"`
	}
	loadVectors(f, "legacy_chain.json", &legacy)
	mainLedger, _ := chainLedger(f, loadChain(f, "tx_chain.json"))
	legacyLedger, _ := chainLedger(f, legacy.Txs)
	ledgers := []*MemLedger{mainLedger, legacyLedger}
	f.Add(false, uint8(3), uint8(17), uint16(2), []byte{1})
	f.Add(true, uint8(2), uint8(14), uint16(9), []byte{0x80})
	f.Fuzz(func(t *testing.T, useLegacy bool, s, d uint8, which uint16, mask []byte) {
		l := ledgers[0]
		if useLegacy {
			l = ledgers[1]
		}
		n := l.Len()
		src, dst := 1+uint64(s)%n, 1+uint64(d)%n
		if src > dst {
			src, dst = dst, src
		}
		p := must(BuildDualProof(l, must(l.Header(src)), must(l.Header(dst))))
		alhS, alhT := must(l.Alh(src)), must(l.Alh(dst))
		hs := dualHashes(p)
		h := hs[int(which)%len(hs)]
		changed := false
		for i := 0; i < len(mask) && i < HashSize; i++ {
			h[i] ^= mask[i]
			changed = changed || mask[i] != 0
		}
		err := VerifyDualProof(p, src, dst, alhS, alhT)
		if changed && err == nil {
			t.Fatalf("%d→%d: hash %d changed by %x accepted", src, dst, int(which)%len(hs), mask)
		}
		if !changed && err != nil {
			t.Fatalf("%d→%d: valid proof rejected: %v", src, dst, err)
		}
	})
}
