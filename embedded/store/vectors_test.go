package store

import (
	"context"
	"reflect"
	"testing"

	"github.com/attestdb/attestdb/proof"
)

// commitChain commits the 23 txs of tx_chain.json and checks each header.
func commitChain(t *testing.T, s *Store, clk *clockAt, txs []vecTx) {
	t.Helper()
	ctx := context.Background()
	for _, v := range txs {
		clk.ts = v.Header.Ts
		want := v.Header.header()
		var got *proof.TxHeader
		var err error
		if len(v.Entries) == 0 {
			got, err = s.CommitMetadataOnly(ctx, want.Metadata)
		} else {
			req := TxRequest{Metadata: want.Metadata}
			for _, e := range v.Entries {
				md, perr := proof.ParseKVMetadata(e.Md)
				if perr != nil {
					t.Fatal(perr)
				}
				req.Entries = append(req.Entries, Entry{Key: e.Key, Metadata: md, Value: e.Value})
			}
			got, err = s.Commit(ctx, req)
		}
		if err != nil {
			t.Fatalf("tx %d: %v", v.ID, err)
		}
		if !reflect.DeepEqual(normHeader(got), normHeader(want)) {
			t.Fatalf("tx %d header:\n got %+v\nwant %+v", v.ID, got, want)
		}
		alh, err := got.Alh()
		if err != nil || alh != proof.Hash(v.Alh) {
			t.Fatalf("tx %d alh %x, want %x (%v)", v.ID, alh, v.Alh, err)
		}
	}
}

func normHeader(h *proof.TxHeader) proof.TxHeader {
	c := *h
	if len(c.Metadata.Extra) == 0 {
		c.Metadata.Extra = nil
	}
	return c
}

func checkChain(t *testing.T, s *Store, txs []vecTx) {
	t.Helper()
	id, alh := s.LastCommitted()
	if id != 23 || alh != proof.Hash(txs[22].Alh) {
		t.Fatalf("last committed %d %x", id, alh)
	}
	for _, v := range txs {
		tx, err := s.TxByID(v.ID)
		if err != nil {
			t.Fatalf("TxByID(%d): %v", v.ID, err)
		}
		if !reflect.DeepEqual(normHeader(tx.Header), normHeader(v.Header.header())) {
			t.Fatalf("tx %d header read back %+v", v.ID, tx.Header)
		}
		if len(tx.Entries) != len(v.Entries) {
			t.Fatalf("tx %d: %d entries", v.ID, len(tx.Entries))
		}
		ds, err := tx.Digests()
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range v.Entries {
			te := tx.Entries[i]
			if string(te.Key) != string(e.Key) || string(te.MdBytes) != string(e.Md) || string(te.Value) != string(e.Value) ||
				te.HValue != proof.Hash(e.HValue) || te.VLen != e.VLen || ds[i] != proof.Hash(e.Digest) {
				t.Fatalf("tx %d entry %d differs", v.ID, i)
			}
		}
		if proof.HTreeRoot(ds) != tx.Header.Eh {
			t.Fatalf("tx %d eh", v.ID)
		}
		a, err := s.Alh(v.ID)
		if err != nil || a != proof.Hash(v.Alh) {
			t.Fatalf("Alh(%d) = %x %v", v.ID, a, err)
		}
		in, err := s.InnerHash(v.ID)
		if err != nil || in != proof.Hash(v.InnerHash) {
			t.Fatalf("InnerHash(%d) = %x %v", v.ID, in, err)
		}
	}
	if _, err := s.TxByID(24); !errorsIs(err, ErrTxNotFound) {
		t.Fatalf("TxByID(24): %v", err)
	}
	if _, err := s.TxByID(0); !errorsIs(err, ErrTxNotFound) {
		t.Fatalf("TxByID(0): %v", err)
	}
}

type jsonDual struct {
	SourceTxHeader     *jsonHeader `json:"sourceTxHeader"`
	TargetTxHeader     *jsonHeader `json:"targetTxHeader"`
	InclusionProof     []hexHash   `json:"inclusionProof"`
	ConsistencyProof   []hexHash   `json:"consistencyProof"`
	TargetBlTxAlh      hexHash     `json:"targetBlTxAlh"`
	LastInclusionProof []hexHash   `json:"lastInclusionProof"`
	LinearProof        *struct {
		SourceTxID uint64    `json:"sourceTxId"`
		TargetTxID uint64    `json:"TargetTxId"`
		Terms      []hexHash `json:"terms"`
	} `json:"linearProof"`
	LinearAdvanceProof *struct {
		LinearProofTerms []hexHash `json:"linearProofTerms"`
		InclusionProofs  []struct {
			Terms []hexHash `json:"terms"`
		} `json:"inclusionProofs"`
	} `json:"LinearAdvanceProof"`
}

func hashes(h []hexHash) []proof.Hash {
	if len(h) == 0 {
		return nil
	}
	out := make([]proof.Hash, len(h))
	for i := range h {
		out[i] = proof.Hash(h[i])
	}
	return out
}

func nz(h []proof.Hash) []proof.Hash {
	if len(h) == 0 {
		return nil
	}
	return h
}

func (j *jsonDual) proof() *proof.DualProof {
	p := &proof.DualProof{
		SourceTxHeader: j.SourceTxHeader.header(), TargetTxHeader: j.TargetTxHeader.header(),
		InclusionProof: hashes(j.InclusionProof), ConsistencyProof: hashes(j.ConsistencyProof),
		TargetBlTxAlh: proof.Hash(j.TargetBlTxAlh), LastInclusionProof: hashes(j.LastInclusionProof),
	}
	if j.LinearProof != nil {
		p.LinearProof = &proof.LinearProof{SourceTxID: j.LinearProof.SourceTxID, TargetTxID: j.LinearProof.TargetTxID, Terms: hashes(j.LinearProof.Terms)}
	}
	if j.LinearAdvanceProof != nil {
		la := &proof.LinearAdvanceProof{LinearProofTerms: hashes(j.LinearAdvanceProof.LinearProofTerms)}
		for _, ip := range j.LinearAdvanceProof.InclusionProofs {
			la.InclusionProofs = append(la.InclusionProofs, hashes(ip.Terms))
		}
		p.LinearAdvanceProof = la
	}
	return p
}

func normDual(p *proof.DualProof) *proof.DualProof {
	c := *p
	h1, h2 := normHeader(c.SourceTxHeader), normHeader(c.TargetTxHeader)
	c.SourceTxHeader, c.TargetTxHeader = &h1, &h2
	c.InclusionProof, c.ConsistencyProof, c.LastInclusionProof = nz(c.InclusionProof), nz(c.ConsistencyProof), nz(c.LastInclusionProof)
	if c.LinearProof != nil {
		lp := *c.LinearProof
		lp.Terms = nz(lp.Terms)
		c.LinearProof = &lp
	}
	if c.LinearAdvanceProof != nil {
		la := *c.LinearAdvanceProof
		la.LinearProofTerms = nz(la.LinearProofTerms)
		var ips [][]proof.Hash
		for _, ip := range la.InclusionProofs {
			ips = append(ips, nz(ip))
		}
		la.InclusionProofs = ips
		if len(la.LinearProofTerms) == 0 && len(ips) == 0 {
			c.LinearAdvanceProof = nil
		} else {
			c.LinearAdvanceProof = &la
		}
	}
	return &c
}

func checkDualProofs(t *testing.T, s *Store) {
	t.Helper()
	var f struct {
		VerifiableTxByID []struct {
			Name     string `json:"name"`
			Response struct {
				DualProof *jsonDual `json:"dualProof"`
			} `json:"response"`
			Expected bool `json:"expected_verified"`
		} `json:"verifiableTxById"`
		DualProofV2 []struct {
			SourceTxID uint64 `json:"sourceTxId"`
			TargetTxID uint64 `json:"targetTxId"`
			P          struct {
				InclusionProof   []hexHash `json:"inclusionProof"`
				ConsistencyProof []hexHash `json:"consistencyProof"`
			} `json:"dualProofV2"`
			Expected bool `json:"expected_verified"`
		} `json:"dualProofV2"`
	}
	loadJSON(t, "dual_proofs.json", &f)
	n := 0
	for _, c := range f.VerifiableTxByID {
		if c.Response.DualProof == nil || !c.Expected {
			continue
		}
		want := c.Response.DualProof.proof()
		src, err := s.Header(want.SourceTxHeader.ID)
		if err != nil {
			t.Fatal(err)
		}
		dst, err := s.Header(want.TargetTxHeader.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.DualProof(src, dst)
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if !reflect.DeepEqual(normDual(got), normDual(want)) {
			t.Fatalf("%s: dual proof differs:\n got %+v\nwant %+v", c.Name, normDual(got), normDual(want))
		}
		alhS, _ := s.Alh(src.ID)
		alhT, _ := s.Alh(dst.ID)
		if err := proof.VerifyDualProof(got, src.ID, dst.ID, alhS, alhT); err != nil {
			t.Fatalf("%s: verify: %v", c.Name, err)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no dual proof vector checked")
	}
	for _, c := range f.DualProofV2 {
		if !c.Expected {
			continue
		}
		src, _ := s.Header(c.SourceTxID)
		dst, _ := s.Header(c.TargetTxID)
		got, err := s.DualProofV2(src, dst)
		if err != nil {
			t.Fatalf("v2 %d→%d: %v", c.SourceTxID, c.TargetTxID, err)
		}
		if !reflect.DeepEqual(nz(got.InclusionProof), hashes(c.P.InclusionProof)) || !reflect.DeepEqual(nz(got.ConsistencyProof), hashes(c.P.ConsistencyProof)) {
			t.Fatalf("v2 %d→%d differs", c.SourceTxID, c.TargetTxID)
		}
	}
}

func TestVectorChain(t *testing.T) {
	txs := loadChain(t)
	dir := t.TempDir()
	clk := &clockAt{}
	o := DefaultOptions()
	o.Clock = clk.now
	o.FileSize = 64 << 10 // several segments for 23 txs with a 4 KiB value
	s := openTest(t, dir, &o)
	commitChain(t, s, clk, txs)
	checkChain(t, s, txs)
	checkDualProofs(t, s)
	if err := s.VerifyIntegrity(1, 23); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Reopen: everything is read back from disk.
	s = openTest(t, dir, &o)
	defer s.Close()
	checkChain(t, s, txs)
	checkDualProofs(t, s)
	if err := s.VerifyIntegrity(1, 23); err != nil {
		t.Fatal(err)
	}
}
