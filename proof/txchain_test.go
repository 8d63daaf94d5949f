package proof

import (
	"bytes"
	"errors"
	"testing"
)

type chainEntry struct {
	Index           int       `json:"index"`
	Key             hexBytes  `json:"key"`
	KVMetadataBytes hexBytes  `json:"kvMetadataBytes"`
	Value           *hexBytes `json:"value"`
	VLen            int       `json:"vLen"`
	HValue          hexHash   `json:"hValue"`
	Digest          hexHash   `json:"digest"`
}

type chainTx struct {
	ID                uint64       `json:"id"`
	Header            jsonHeader   `json:"header"`
	HeaderBytes       hexBytes     `json:"headerBytes"`
	InnerHashPreimage hexBytes     `json:"innerHashPreimage"`
	InnerHash         hexHash      `json:"innerHash"`
	Alh               hexHash      `json:"alh"`
	Entries           []chainEntry `json:"entries"`
	ExportedTx        *hexBytes    `json:"exportedTx"`
}

type chainFile struct {
	Txs []chainTx `json:"txs"`
}

func loadChain(t testing.TB, name string) []chainTx {
	var f chainFile
	loadVectors(t, name, &f)
	if len(f.Txs) == 0 {
		t.Fatalf("%s: no txs", name)
	}
	return f.Txs
}

// checkChain checks every field of every tx of a chain vector file:
// entries, digests, eh, metadata, header bytes (both ways), innerHash, Alh,
// the prevAlh links, the AHT root in blRoot and the export encoding.
func checkChain(t *testing.T, txs []chainTx) (exports int) {
	prev := EmptyHash
	tree := must(OpenAHT(NewMemNodeStore()))
	var alhs []Hash
	for _, tx := range txs {
		h := tx.Header.header()
		if h.ID != tx.ID {
			t.Fatalf("tx %d: header id %d", tx.ID, h.ID)
		}
		if tx.Header.MetadataBytes != nil && !bytes.Equal(h.Metadata.Bytes(), *tx.Header.MetadataBytes) {
			t.Fatalf("tx %d: metadata bytes %x, want %x", tx.ID, h.Metadata.Bytes(), *tx.Header.MetadataBytes)
		}
		// Entries and eh.
		digests := make([]Hash, len(tx.Entries))
		for i, e := range tx.Entries {
			if e.Index != i {
				t.Fatalf("tx %d: entry index %d at %d", tx.ID, e.Index, i)
			}
			if e.Value != nil {
				if Sum(*e.Value) != Hash(e.HValue) || len(*e.Value) != e.VLen {
					t.Fatalf("tx %d entry %d: hValue/vLen", tx.ID, i)
				}
			}
			md, err := ParseKVMetadata(e.KVMetadataBytes)
			if err != nil || !bytes.Equal(md.Bytes(), e.KVMetadataBytes) {
				t.Fatalf("tx %d entry %d: metadata %x: %v", tx.ID, i, e.KVMetadataBytes, err)
			}
			d, err := EntryDigest(h.Version, e.Key, e.KVMetadataBytes, Hash(e.HValue))
			if err != nil || d != Hash(e.Digest) {
				t.Fatalf("tx %d entry %d: digest %x (%v), want %x", tx.ID, i, d, err, e.Digest)
			}
			digests[i] = d
		}
		if h.NEntries != len(digests) {
			t.Fatalf("tx %d: nentries %d, %d entries", tx.ID, h.NEntries, len(digests))
		}
		if eh := HTreeRoot(digests); eh != h.Eh {
			t.Fatalf("tx %d: eh %x, want %x", tx.ID, eh, h.Eh)
		}
		// Header bytes, both ways.
		hb, err := h.Bytes()
		if err != nil || !bytes.Equal(hb, tx.HeaderBytes) {
			t.Fatalf("tx %d: header bytes %x (%v)\nwant %x", tx.ID, hb, err, tx.HeaderBytes)
		}
		if !bytes.Equal(tx.HeaderBytes[40:], tx.InnerHashPreimage) {
			t.Fatalf("tx %d: vector preimage", tx.ID)
		}
		back, n, err := ParseTxHeader(append(append([]byte{}, tx.HeaderBytes...), 0xaa))
		if err != nil || n != len(tx.HeaderBytes) {
			t.Fatalf("tx %d: ParseTxHeader n=%d err=%v", tx.ID, n, err)
		}
		if bb, _ := back.Bytes(); !bytes.Equal(bb, hb) {
			t.Fatalf("tx %d: parsed header re-encodes differently", tx.ID)
		}
		for cut := 0; cut < len(tx.HeaderBytes); cut++ {
			if _, _, err := ParseTxHeader(tx.HeaderBytes[:cut]); !errors.Is(err, ErrMalformed) {
				t.Fatalf("tx %d: header cut at %d: err %v", tx.ID, cut, err)
			}
		}
		inner := must(h.InnerHash())
		if inner != Hash(tx.InnerHash) || Sum(tx.InnerHashPreimage) != inner {
			t.Fatalf("tx %d: innerHash %x", tx.ID, inner)
		}
		alh := must(h.Alh())
		if alh != Hash(tx.Alh) || AlhFrom(h.ID, h.PrevAlh, inner) != alh {
			t.Fatalf("tx %d: alh %x, want %x", tx.ID, alh, tx.Alh)
		}
		if h.PrevAlh != prev {
			t.Fatalf("tx %d: prevAlh does not chain", tx.ID)
		}
		prev = alh
		// blRoot is the AHT root at blTxId over the previous Alhs.
		if h.BlTxID >= h.ID {
			t.Fatalf("tx %d: blTxId %d", tx.ID, h.BlTxID)
		}
		if h.BlTxID == 0 {
			if h.BlRoot != (Hash{}) {
				t.Fatalf("tx %d: blRoot not zero", tx.ID)
			}
		} else if r := must(tree.RootAt(h.BlTxID)); r != h.BlRoot {
			t.Fatalf("tx %d: AHT root at %d is %x, want %x", tx.ID, h.BlTxID, r, h.BlRoot)
		}
		must(tree.Append(alh))
		alhs = append(alhs, alh)
		// Tampering any header byte changes the Alh.
		for i := 0; i < len(hb); i += 7 {
			tb := append([]byte{}, hb...)
			tb[i] ^= 0x10
			th, _, err := ParseTxHeader(tb)
			if err != nil {
				continue // the flip made the bytes invalid: also a rejection
			}
			if ta, err := th.Alh(); err == nil && ta == alh {
				t.Fatalf("tx %d: flip of byte %d keeps the Alh", tx.ID, i)
			}
		}
		if tx.ExportedTx != nil {
			exports++
			checkExport(t, tx, h, []byte(*tx.ExportedTx))
		}
	}
	return exports
}

func checkExport(t *testing.T, tx chainTx, h *TxHeader, raw []byte) {
	x, err := DecodeExportedTx(raw)
	if err != nil {
		t.Fatalf("tx %d: DecodeExportedTx: %v", tx.ID, err)
	}
	if a, _ := x.Header.Alh(); a != Hash(tx.Alh) {
		t.Fatalf("tx %d: exported header alh", tx.ID)
	}
	if len(x.Entries) != len(tx.Entries) {
		t.Fatalf("tx %d: exported %d entries", tx.ID, len(x.Entries))
	}
	digests := make([]Hash, len(x.Entries))
	for i, e := range x.Entries {
		want := tx.Entries[i]
		if !bytes.Equal(e.Key, want.Key) || !bytes.Equal(e.Metadata.Bytes(), want.KVMetadataBytes) {
			t.Fatalf("tx %d: exported entry %d", tx.ID, i)
		}
		if x.HValue(i) != Hash(want.HValue) {
			t.Fatalf("tx %d: exported entry %d hValue", tx.ID, i)
		}
		digests[i] = must(EntryDigest(x.Header.Version, e.Key, e.Metadata.Bytes(), x.HValue(i)))
	}
	if HTreeRoot(digests) != h.Eh {
		t.Fatalf("tx %d: exported entries do not rebuild eh", tx.ID)
	}
	enc, err := EncodeExportedTx(x)
	if err != nil || !bytes.Equal(enc, raw) {
		t.Fatalf("tx %d: EncodeExportedTx differs (%v)", tx.ID, err)
	}
	for cut := 0; cut < len(raw); cut++ {
		if _, err := DecodeExportedTx(raw[:cut]); !errors.Is(err, ErrMalformed) {
			t.Fatalf("tx %d: export cut at %d: err %v", tx.ID, cut, err)
		}
	}
	if _, err := DecodeExportedTx(append(append([]byte{}, raw...), 0)); !errors.Is(err, ErrMalformed) {
		t.Fatalf("tx %d: trailing byte accepted", tx.ID)
	}
}

func TestTxChainVectors(t *testing.T) {
	txs := loadChain(t, "tx_chain.json")
	if len(txs) != 23 {
		t.Fatalf("%d txs", len(txs))
	}
	if n := checkChain(t, txs); n != 5 {
		t.Fatalf("%d exported txs checked, want 5", n)
	}
	// Tx 22 is the 0-entry truncation tx.
	h22 := txs[21].Header.header()
	if h22.NEntries != 0 || h22.Eh != EmptyHash || h22.Metadata.TruncatedUptoTx != 5 {
		t.Fatalf("tx 22: %+v", h22)
	}
}

func TestHeaderErrors(t *testing.T) {
	cases := map[string]*TxHeader{
		"v0 with metadata": {Version: 0, Metadata: TxMetadata{TruncatedUptoTx: 1}},
		"v0 too many":      {Version: 0, NEntries: MaxV0Entries + 1},
		"unknown version":  {Version: 2},
		"negative entries": {Version: 1, NEntries: -1},
		"extra too long":   {Version: 1, Metadata: TxMetadata{Extra: make([]byte, 257)}},
	}
	for name, h := range cases {
		if _, err := h.Alh(); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: Alh err %v", name, err)
		}
		if _, err := h.AppendBytes(nil); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("%s: AppendBytes err %v", name, err)
		}
	}
	var nilHeader *TxHeader
	if _, err := nilHeader.Alh(); err == nil {
		t.Error("nil header")
	}
	v0 := &TxHeader{Version: 0, NEntries: MaxV0Entries}
	b := must(v0.Bytes())
	b[49] = 2 // version 2
	if _, _, err := ParseTxHeader(b); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown version parsed: %v", err)
	}
}
