package proof

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestDecodeZAddKeyErrors(t *testing.T) {
	good := EncodeZAddKey([]byte("set"), 1.5, []byte("k"), 9)
	for cut := 0; cut < len(good); cut++ {
		if _, _, _, _, err := DecodeZAddKey(good[:cut]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("cut at %d: %v", cut, err)
		}
	}
	if _, _, _, _, err := DecodeZAddKey(append(append([]byte{}, good...), 0)); !errors.Is(err, ErrMalformed) {
		t.Fatal("trailing byte accepted")
	}
	wrongPrefix := append([]byte{}, good...)
	wrongPrefix[0] = PrefixKV
	if _, _, _, _, err := DecodeZAddKey(wrongPrefix); !errors.Is(err, ErrMalformed) {
		t.Fatal("plain key decoded as a sorted-set key")
	}
	// A set length that overflows when added must not wrap around.
	huge := append([]byte{PrefixZSet, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, good[9:]...)
	if _, _, _, _, err := DecodeZAddKey(huge); !errors.Is(err, ErrMalformed) {
		t.Fatal("huge set length accepted")
	}
	set, key, score, at, err := DecodeZAddKey(EncodeZAddKey(nil, math.Inf(-1), nil, 0))
	if err != nil || len(set) != 0 || len(key) != 0 || !math.IsInf(score, -1) || at != 0 {
		t.Fatalf("empty set and key: %v", err)
	}
}

func TestDecodeKVValue(t *testing.T) {
	cases := []struct {
		in   []byte
		want KVValue
		err  bool
	}{
		{EncodePlainValue([]byte("v")), KVValue{Kind: ValuePlain, Value: []byte("v")}, false},
		{EncodePlainValue(nil), KVValue{Kind: ValuePlain, Value: []byte{}}, false},
		{EncodeReferenceValue(0, []byte("k")), KVValue{Kind: ValueReference, RefKey: []byte("k")}, false},
		{EncodeReferenceValue(7, nil), KVValue{Kind: ValueReference, AtTx: 7, RefKey: []byte{}}, false},
		{nil, KVValue{}, true},                          // deletion
		{[]byte{ValueReference, 0, 0}, KVValue{}, true}, // truncated
		{[]byte{ValueReference, 0, 0, 0, 0, 0, 0, 0, 1, PrefixZSet}, KVValue{}, true},
	}
	for _, c := range cases {
		got, err := DecodeKVValue(c.in)
		if (err != nil) != c.err {
			t.Fatalf("%x: err %v", c.in, err)
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("%x: %v", c.in, err)
			}
			continue
		}
		if got.Kind != c.want.Kind || !bytes.Equal(got.Value, c.want.Value) || got.AtTx != c.want.AtTx || !bytes.Equal(got.RefKey, c.want.RefKey) {
			t.Fatalf("%x: %+v", c.in, got)
		}
	}
	if k, err := DecodeKVKey(EncodeKVKey([]byte("a"))); err != nil || string(k) != "a" {
		t.Fatal("DecodeKVKey")
	}
	if _, err := DecodeKVKey([]byte{PrefixZSet}); !errors.Is(err, ErrMalformed) {
		t.Fatal("DecodeKVKey accepted a sorted-set key")
	}
}

func TestExportErrors(t *testing.T) {
	h := &TxHeader{ID: 1, PrevAlh: EmptyHash, Version: 1, NEntries: 1}
	x := &ExportedTx{Header: h, Entries: []ExportEntry{{Key: []byte{0, 'k'}, Value: []byte("short")}}, Truncated: true}
	if _, err := EncodeExportedTx(x); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("truncated value of 5 bytes encoded")
	}
	x.Truncated = false
	raw := must(EncodeExportedTx(x))
	back := must(DecodeExportedTx(raw))
	if back.Truncated || string(back.Entries[0].Value) != "short" {
		t.Fatal("round trip")
	}
	h.NEntries = 2
	if _, err := EncodeExportedTx(x); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("entry count mismatch encoded")
	}
	v0 := &ExportedTx{Header: &TxHeader{ID: 1, Version: 0, NEntries: 1},
		Entries: []ExportEntry{{Key: []byte{0}, Metadata: KVMetadata{Deleted: true}}}}
	if _, err := EncodeExportedTx(v0); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("metadata in a v0 export encoded")
	}
	// The flag byte must be 0 or 1 and the trailer count 1.
	for _, bad := range [][]byte{{0, 1, 2}, {0, 2, 0}} {
		b := append(append([]byte{}, raw[:len(raw)-3]...), bad...)
		if _, err := DecodeExportedTx(b); !errors.Is(err, ErrMalformed) {
			t.Fatalf("trailer %x accepted", bad)
		}
	}
	if _, err := EncodeExportedTx(nil); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("nil export")
	}
}

func TestLedgerAndBuilderErrors(t *testing.T) {
	txs := loadChain(t, "tx_chain.json")
	l, _ := chainLedger(t, txs)
	h5, h9 := must(l.Header(5)), must(l.Header(9))
	if _, err := BuildDualProof(l, h9, h5); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("source newer than target: %v", err)
	}
	bad := *h9
	bad.BlTxID = 3 // below the source's 4
	if _, err := BuildDualProof(l, h5, &bad); !errors.Is(err, ErrCorruptStore) {
		t.Fatalf("source blTxId beyond target's: %v", err)
	}
	if _, err := BuildLinearProof(l, 5, 4); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("backwards linear proof")
	}
	if _, err := BuildLinearProof(l, 0, 4); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("linear proof from tx 0")
	}
	if _, err := BuildLinearProof(l, 20, 30); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("linear proof beyond the ledger")
	}
	if p, err := BuildLinearAdvanceProof(l, 3, 4, 10); p != nil || err != nil {
		t.Fatal("linear advance proof where none is needed")
	}
	if _, err := BuildLinearAdvanceProof(l, 3, 12, 10); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("linear advance proof beyond the tree")
	}
	if _, err := BuildDualProofV2(l, h9, h5); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("v2 backwards")
	}
	if _, err := BuildDualProofV2(l, h5, &bad); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("v2 with lagging link")
	}
	if _, err := BuildDualProof(nil, h5, h9); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("nil ledger")
	}
	if _, err := BuildLinearAdvanceProof(nil, 1, 5, 9); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("nil ledger for linear advance")
	}
	// A ledger refuses a chain that does not link.
	hs := []*TxHeader{txs[0].Header.header(), txs[2].Header.header()}
	if _, err := NewMemLedger(hs); !errors.Is(err, ErrInvalidArgument) {
		t.Fatalf("gap accepted: %v", err)
	}
	h2 := txs[1].Header.header()
	h2.PrevAlh = flipHash(h2.PrevAlh)
	if _, err := NewMemLedger([]*TxHeader{txs[0].Header.header(), h2}); !errors.Is(err, ErrVerificationFailed) {
		t.Fatalf("broken prevAlh accepted: %v", err)
	}
	h2 = txs[1].Header.header()
	h2.BlRoot = flipHash(h2.BlRoot)
	if _, err := NewMemLedger([]*TxHeader{txs[0].Header.header(), h2}); !errors.Is(err, ErrVerificationFailed) {
		t.Fatalf("wrong blRoot accepted: %v", err)
	}
	if _, err := l.Alh(0); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("Alh(0)")
	}
	if _, err := l.InnerHash(24); !errors.Is(err, ErrInvalidArgument) {
		t.Fatal("InnerHash beyond the ledger")
	}
}

func TestVerificationErrorShape(t *testing.T) {
	err := VerifyInclusion([]Hash{{1}}, 1, 2, Hash{2}, Hash{3})
	var ve *VerificationError
	if !errors.As(err, &ve) || !errors.Is(err, ErrVerificationFailed) {
		t.Fatalf("%v", err)
	}
	if ve.Check == "" || len(ve.Expected) != HashSize || len(ve.Computed) != HashSize || ve.Expected[0] != 3 {
		t.Fatalf("%+v", ve)
	}
	// Wrapped by a higher verifier, it is still reachable.
	l, _ := chainLedger(t, loadChain(t, "tx_chain.json"))
	p := must(BuildDualProof(l, must(l.Header(3)), must(l.Header(9))))
	p.InclusionProof[0] = flipHash(p.InclusionProof[0])
	err = VerifyDualProof(p, 3, 9, must(l.Alh(3)), must(l.Alh(9)))
	if !errors.As(err, &ve) || ve.Expected == nil {
		t.Fatalf("dual proof error %v", err)
	}
}
