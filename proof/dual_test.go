package proof

import (
	"bytes"
	"crypto/ecdsa"
	"errors"
	"testing"
)

type jsonState struct {
	DB     string   `json:"db"`
	TxID   uint64   `json:"txId"`
	TxHash hexBytes `json:"txHash"`
}

type jsonTxEntry struct {
	Key      hexBytes        `json:"key"`
	HValue   hexHash         `json:"hValue"`
	VLen     int             `json:"vLen"`
	Metadata *jsonKVMetadata `json:"metadata"`
}

type jsonTx struct {
	Header  jsonHeader    `json:"header"`
	Entries []jsonTxEntry `json:"entries"`
}

type jsonSignature struct {
	PublicKey hexBytes `json:"publicKey"`
	Signature hexBytes `json:"signature"`
}

type jsonVerifiableTx struct {
	Tx        *jsonTx        `json:"tx"`
	DualProof *jsonDualProof `json:"dualProof"`
	Signature *jsonSignature `json:"signature"`
}

type jsonEntry struct {
	Tx           uint64   `json:"tx"`
	Key          hexBytes `json:"key"`
	Value        hexBytes `json:"value"`
	ReferencedBy *struct {
		Tx       uint64          `json:"tx"`
		Key      hexBytes        `json:"key"`
		AtTx     uint64          `json:"atTx"`
		Metadata *jsonKVMetadata `json:"metadata"`
	} `json:"referencedBy"`
	Metadata *jsonKVMetadata `json:"metadata"`
}

type dualArgs struct {
	SourceTxID uint64  `json:"sourceTxId"`
	TargetTxID uint64  `json:"targetTxId"`
	SourceAlh  hexHash `json:"sourceAlh"`
	TargetAlh  hexHash `json:"targetAlh"`
}

type jsonEntrySpec struct {
	Key             hexBytes `json:"key"`
	KVMetadataBytes hexBytes `json:"kvMetadataBytes"`
	Value           hexBytes `json:"value"`
}

type dualCase struct {
	Name              string    `json:"name"`
	ClientMethod      string    `json:"client_method"`
	ClientStateBefore jsonState `json:"client_state_before"`
	Request           struct {
		Tx           uint64 `json:"tx"`
		ProveSinceTx uint64 `json:"proveSinceTx"`
		KeyRequest   *struct {
			Key  hexBytes `json:"key"`
			AtTx uint64   `json:"atTx"`
		} `json:"keyRequest"`
		SetRequest *struct {
			KVs []struct {
				Key      hexBytes        `json:"key"`
				Value    hexBytes        `json:"value"`
				Metadata *jsonKVMetadata `json:"metadata"`
			} `json:"KVs"`
		} `json:"setRequest"`
		ReferenceRequest *struct {
			Key           hexBytes `json:"key"`
			ReferencedKey hexBytes `json:"referencedKey"`
			AtTx          uint64   `json:"atTx"`
		} `json:"referenceRequest"`
		ZAddRequest *struct {
			Set   hexBytes `json:"set"`
			Score float64  `json:"score"`
			Key   hexBytes `json:"key"`
			AtTx  uint64   `json:"atTx"`
		} `json:"zAddRequest"`
	} `json:"request"`
	Response struct {
		jsonVerifiableTx
		Entry          *jsonEntry          `json:"entry"`
		VerifiableTx   *jsonVerifiableTx   `json:"verifiableTx"`
		InclusionProof *jsonInclusionProof `json:"inclusionProof"`
	} `json:"response"`
	StoreDualProofArgs   *dualArgs `json:"store_dual_proof_args"`
	StoreVerifyDualProof *bool     `json:"store_verify_dual_proof"`
	ClientSteps          struct {
		DualProofArgs dualArgs       `json:"dual_proof_args"`
		DualProofOK   any            `json:"dual_proof_ok"`
		SignatureOK   *bool          `json:"signature_ok"`
		EntrySpec     *jsonEntrySpec `json:"entry_spec"`
		EntryDigest   *hexHash       `json:"entry_digest"`
		Eh            *hexHash       `json:"eh"`
		EhTakenFrom   string         `json:"eh_taken_from"`
		RecomputedEh  *hexHash       `json:"recomputed_eh"`
		InclusionOK   *bool          `json:"inclusion_ok"`
	} `json:"client_steps"`
	ExpectedVerified bool       `json:"expected_verified"`
	ClientStateAfter *jsonState `json:"client_state_after"`
}

type dualFile struct {
	VerifiableTxByID []dualCase `json:"verifiableTxById"`
	VerifiableGet    []dualCase `json:"verifiableGet"`
	VerifiableWrites []dualCase `json:"verifiableWrites"`
	NegativeCases    []dualCase `json:"negativeCases"`
	DualProofV2      []struct {
		SourceTxID  uint64  `json:"sourceTxId"`
		TargetTxID  uint64  `json:"targetTxId"`
		SourceAlh   hexHash `json:"sourceAlh"`
		TargetAlh   hexHash `json:"targetAlh"`
		DualProofV2 struct {
			SourceTxHeader   *jsonHeader `json:"sourceTxHeader"`
			TargetTxHeader   *jsonHeader `json:"targetTxHeader"`
			InclusionProof   []hexHash   `json:"inclusionProof"`
			ConsistencyProof []hexHash   `json:"consistencyProof"`
		} `json:"dualProofV2"`
		ExpectedVerified bool `json:"expected_verified"`
	} `json:"dualProofV2"`
}

// state is the client's trusted state.
type state struct {
	db   string
	id   uint64
	hash Hash
}

// clientResult is what the client flow computed, for comparison with the
// recorded client steps.
type clientResult struct {
	args      *dualArgs // nil when the dual proof was skipped
	spec      *jsonEntrySpec
	digest    Hash
	eh        Hash
	ehFrom    string
	sigErr    error
	after     state
	dualErr   error
	inclErr   error
	structErr error
}

func (r clientResult) err() error {
	return errors.Join(r.structErr, r.inclErr, r.dualErr, r.sigErr)
}

func toState(j jsonState) state {
	var h Hash
	copy(h[:], j.TxHash)
	return state{db: j.DB, id: j.TxID, hash: h}
}

// pickEnds is §9 step 3: which side of the proof the client trusts.
func pickEnds(st state, vTx uint64, dp *DualProof) (src, dst state, useTargetEh bool, err error) {
	if dp == nil || dp.SourceTxHeader == nil || dp.TargetTxHeader == nil {
		return state{}, state{}, false, errors.New("missing dual proof")
	}
	if st.id <= vTx {
		a, err := dp.TargetTxHeader.Alh()
		return st, state{db: st.db, id: vTx, hash: a}, true, err
	}
	a, err := dp.SourceTxHeader.Alh()
	return state{db: st.db, id: vTx, hash: a}, st, false, err
}

// runReadClient replays VerifiedTxByID / VerifiedGet (§9) with pure hashing.
func runReadClient(c *dualCase, pub *ecdsa.PublicKey) clientResult {
	var r clientResult
	st := toState(c.ClientStateBefore)
	vt := &c.Response.jsonVerifiableTx
	vTx := c.Request.Tx
	if c.Request.KeyRequest != nil {
		vt = c.Response.VerifiableTx
		e := c.Response.Entry
		switch {
		case c.Request.KeyRequest.AtTx != 0:
			vTx = c.Request.KeyRequest.AtTx
		case e.ReferencedBy != nil:
			vTx = e.ReferencedBy.Tx
		default:
			vTx = e.Tx
		}
	}
	dp := vt.DualProof.proof()
	src, dst, targetEh, err := pickEnds(st, vTx, dp)
	if err != nil {
		r.structErr = err
		return r
	}
	if c.Request.KeyRequest != nil {
		e := c.Response.Entry
		spec := &jsonEntrySpec{}
		if e.ReferencedBy != nil {
			spec.Key = EncodeKVKey(e.ReferencedBy.Key)
			spec.KVMetadataBytes = e.ReferencedBy.Metadata.md().Bytes()
			spec.Value = EncodeReferenceValue(e.ReferencedBy.AtTx, e.Key)
		} else {
			spec.Key = EncodeKVKey(c.Request.KeyRequest.Key)
			spec.KVMetadataBytes = e.Metadata.md().Bytes()
			spec.Value = EncodePlainValue(e.Value)
		}
		r.spec = spec
		r.eh, r.ehFrom = dp.SourceTxHeader.Eh, "dualProof.sourceTxHeader.eH"
		if targetEh {
			r.eh, r.ehFrom = dp.TargetTxHeader.Eh, "dualProof.targetTxHeader.eH"
		}
		r.digest, r.inclErr = EntryDigest(vt.Tx.Header.Version, spec.Key, spec.KVMetadataBytes, Sum(spec.Value))
		if r.inclErr == nil {
			ip := c.Response.InclusionProof
			r.inclErr = VerifyHTreeInclusion(InclusionProof{Leaf: ip.Leaf, Width: ip.Width, Terms: hashes(ip.Terms)}, r.digest, r.eh)
		}
	}
	if st.id > 0 {
		r.args = &dualArgs{SourceTxID: src.id, TargetTxID: dst.id, SourceAlh: hexHash(src.hash), TargetAlh: hexHash(dst.hash)}
		r.dualErr = VerifyDualProof(dp, src.id, dst.id, src.hash, dst.hash)
	}
	r.sigErr = checkSig(pub, vt.Signature, dst)
	r.after = dst
	return r
}

func checkSig(pub *ecdsa.PublicKey, sig *jsonSignature, st state) error {
	if sig == nil {
		return errors.New("no signature provided")
	}
	return VerifyStateSignature(pub, st.db, st.id, st.hash[:], sig.Signature)
}

// runWriteClient replays VerifiedSet / VerifiedSetReference / VerifiedZAdd.
func runWriteClient(c *dualCase, pub *ecdsa.PublicKey) clientResult {
	var r clientResult
	st := toState(c.ClientStateBefore)
	tx := c.Response.Tx
	if tx == nil || tx.Header.NEntries != 1 || len(tx.Entries) != 1 {
		r.structErr = errors.New("expected one entry")
		return r
	}
	hdr := tx.Header.header()
	digests := make([]Hash, len(tx.Entries))
	for i, e := range tx.Entries {
		d, err := EntryDigest(hdr.Version, e.Key, e.Metadata.md().Bytes(), Hash(e.HValue))
		if err != nil {
			r.structErr = err
			return r
		}
		digests[i] = d
	}
	r.eh = HTreeRoot(digests)
	hdr.Eh = r.eh
	targetAlh, err := hdr.Alh()
	if err != nil {
		r.structErr = err
		return r
	}
	rq := c.Request
	spec := &jsonEntrySpec{}
	switch {
	case rq.SetRequest != nil:
		kv := rq.SetRequest.KVs[0]
		spec.Key, spec.KVMetadataBytes, spec.Value = EncodeKVKey(kv.Key), kv.Metadata.md().Bytes(), EncodePlainValue(kv.Value)
	case rq.ReferenceRequest != nil:
		spec.Key, spec.Value = EncodeKVKey(rq.ReferenceRequest.Key), EncodeReferenceValue(rq.ReferenceRequest.AtTx, rq.ReferenceRequest.ReferencedKey)
	case rq.ZAddRequest != nil:
		z := rq.ZAddRequest
		spec.Key, spec.Value = EncodeZAddKey(z.Set, z.Score, z.Key, z.AtTx), []byte{}
	}
	r.spec = spec
	leaf := -1
	for i, e := range tx.Entries {
		if bytes.Equal(e.Key, spec.Key) {
			leaf = i
			if e.Metadata.md().Deleted {
				r.structErr = errors.New("entry deleted")
				return r
			}
		}
	}
	if leaf < 0 {
		r.structErr = errors.New("entry not in tx")
		return r
	}
	proof, err := HTreeInclusionProof(digests, leaf)
	if err != nil {
		r.structErr = err
		return r
	}
	r.digest, _ = EntryDigest(hdr.Version, spec.Key, spec.KVMetadataBytes, Sum(spec.Value))
	r.inclErr = VerifyHTreeInclusion(proof, r.digest, r.eh)
	dp := c.Response.DualProof.proof()
	if dp == nil || dp.TargetTxHeader == nil || dp.TargetTxHeader.Eh != r.eh {
		r.structErr = errors.New("recomputed eh differs from the dual proof target")
		return r
	}
	dst := state{db: st.db, id: hdr.ID, hash: targetAlh}
	if st.id > 0 {
		r.args = &dualArgs{SourceTxID: st.id, TargetTxID: dst.id, SourceAlh: hexHash(st.hash), TargetAlh: hexHash(dst.hash)}
		r.dualErr = VerifyDualProof(dp, st.id, dst.id, st.hash, dst.hash)
	}
	r.sigErr = checkSig(pub, c.Response.Signature, dst)
	r.after = dst
	return r
}

// checkSteps compares what the client flow computed with the recorded steps.
func checkSteps(t *testing.T, c *dualCase, r clientResult) {
	t.Helper()
	cs := c.ClientSteps
	if skipped, _ := cs.DualProofOK.(string); skipped != "" {
		if r.args != nil {
			t.Fatal("dual proof run although the state is empty")
		}
	} else {
		if r.args == nil || *r.args != cs.DualProofArgs {
			t.Fatalf("dual proof args %+v, want %+v", r.args, cs.DualProofArgs)
		}
		if ok, _ := cs.DualProofOK.(bool); ok != (r.dualErr == nil) {
			t.Fatalf("dual proof: %v, recorded ok=%v", r.dualErr, ok)
		}
	}
	if cs.SignatureOK != nil && *cs.SignatureOK != (r.sigErr == nil) {
		t.Fatalf("signature: %v, recorded ok=%v", r.sigErr, *cs.SignatureOK)
	}
	if cs.EntrySpec != nil {
		if r.spec == nil || !bytes.Equal(r.spec.Key, cs.EntrySpec.Key) || !bytes.Equal(r.spec.KVMetadataBytes, cs.EntrySpec.KVMetadataBytes) || !bytes.Equal(r.spec.Value, cs.EntrySpec.Value) {
			t.Fatalf("entry spec %x, want %x", r.spec, cs.EntrySpec)
		}
		if r.digest != Hash(*cs.EntryDigest) {
			t.Fatalf("entry digest %x, want %x", r.digest, *cs.EntryDigest)
		}
		if cs.InclusionOK != nil && *cs.InclusionOK != (r.inclErr == nil) {
			t.Fatalf("inclusion: %v", r.inclErr)
		}
	}
	if cs.Eh != nil && (r.eh != Hash(*cs.Eh) || r.ehFrom != cs.EhTakenFrom) {
		t.Fatalf("eh %x from %s, want %x from %s", r.eh, r.ehFrom, *cs.Eh, cs.EhTakenFrom)
	}
	if cs.RecomputedEh != nil && r.eh != Hash(*cs.RecomputedEh) {
		t.Fatalf("recomputed eh %x", r.eh)
	}
	if c.ExpectedVerified {
		if err := r.err(); err != nil {
			t.Fatalf("client flow failed: %v", err)
		}
		if c.ClientStateAfter != nil && r.after != toState(*c.ClientStateAfter) {
			t.Fatalf("state after %+v, want %+v", r.after, *c.ClientStateAfter)
		}
	} else if r.err() == nil {
		t.Fatal("negative case accepted")
	}
}

// chainLedger builds a MemLedger and the per-tx digests from a chain file.
func chainLedger(t testing.TB, txs []chainTx) (*MemLedger, [][]Hash) {
	hs := make([]*TxHeader, len(txs))
	digests := make([][]Hash, len(txs))
	for i, tx := range txs {
		hs[i] = tx.Header.header()
		for _, e := range tx.Entries {
			digests[i] = append(digests[i], Hash(e.Digest))
		}
	}
	return must(NewMemLedger(hs)), digests
}

// serverEnds is the header choice of §7.1 for TxById/Get (vTx) and writes.
func serverEnds(c *dualCase, vTx uint64, write bool) (s, t uint64) {
	p := c.Request.ProveSinceTx
	switch {
	case p == 0:
		return vTx, vTx
	case write || p <= vTx:
		return p, vTx
	default:
		return vTx, p
	}
}

func TestDualProofVectors(t *testing.T) {
	var f dualFile
	loadVectors(t, "dual_proofs.json", &f)
	ledger, digests := chainLedger(t, loadChain(t, "tx_chain.json"))
	pub := mustPubKey(t)
	if len(f.VerifiableTxByID) != 12 || len(f.VerifiableGet) != 14 || len(f.VerifiableWrites) != 3 || len(f.NegativeCases) != 7 || len(f.DualProofV2) != 5 {
		t.Fatal("unexpected vector counts")
	}
	rebuild := func(t *testing.T, c *dualCase, vt *jsonVerifiableTx, vTx uint64, write bool) {
		s, d := serverEnds(c, vTx, write)
		want := vt.DualProof.proof()
		if want.SourceTxHeader.ID != s || want.TargetTxHeader.ID != d {
			t.Fatalf("server picked %d→%d, rule says %d→%d", want.SourceTxHeader.ID, want.TargetTxHeader.ID, s, d)
		}
		got := must(BuildDualProof(ledger, must(ledger.Header(s)), must(ledger.Header(d))))
		compareDual(t, got, want)
		if a := c.StoreDualProofArgs; a != nil {
			if err := VerifyDualProof(got, a.SourceTxID, a.TargetTxID, Hash(a.SourceAlh), Hash(a.TargetAlh)); (err == nil) != *c.StoreVerifyDualProof {
				t.Fatalf("store-level verify: %v", err)
			}
		}
		sa, ta := must(ledger.Alh(s)), must(ledger.Alh(d))
		if err := VerifyDualProof(got, s, d, sa, ta); err != nil {
			t.Fatalf("rebuilt proof does not verify: %v", err)
		}
		checkDualRejects(t, got, s, d, sa, ta)
		if vt.Tx != nil {
			if h := vt.Tx.Header.header(); must(h.Alh()) != must(ledger.Alh(h.ID)) {
				t.Fatal("response tx header differs from the chain")
			}
		}
	}
	for i := range f.VerifiableTxByID {
		c := &f.VerifiableTxByID[i]
		t.Run(c.Name, func(t *testing.T) {
			rebuild(t, c, &c.Response.jsonVerifiableTx, c.Request.Tx, false)
			checkSteps(t, c, runReadClient(c, pub))
		})
	}
	for i := range f.VerifiableGet {
		c := &f.VerifiableGet[i]
		t.Run(c.Name, func(t *testing.T) {
			e := c.Response.Entry
			vTx, key := e.Tx, EncodeKVKey(c.Request.KeyRequest.Key)
			if e.ReferencedBy != nil {
				vTx = e.ReferencedBy.Tx
			}
			rebuild(t, c, c.Response.VerifiableTx, vTx, false)
			// The entry's htree proof, looked up by store key in tx vTx.
			leaf := -1
			for k, te := range c.Response.VerifiableTx.Tx.Entries {
				if bytes.Equal(te.Key, key) {
					leaf = k
				}
			}
			ip := must(HTreeInclusionProof(digests[vTx-1], leaf))
			want := c.Response.InclusionProof
			if ip.Leaf != want.Leaf || ip.Width != want.Width || !equalHashes(ip.Terms, hashes(want.Terms)) {
				t.Fatalf("entry inclusion proof %+v, want %+v", ip, want)
			}
			checkSteps(t, c, runReadClient(c, pub))
		})
	}
	for i := range f.VerifiableWrites {
		c := &f.VerifiableWrites[i]
		t.Run(c.Name, func(t *testing.T) {
			rebuild(t, c, &c.Response.jsonVerifiableTx, c.Response.Tx.Header.ID, true)
			checkSteps(t, c, runWriteClient(c, pub))
		})
	}
	for i := range f.NegativeCases {
		c := &f.NegativeCases[i]
		t.Run(c.Name, func(t *testing.T) {
			checkSteps(t, c, runReadClient(c, pub))
		})
	}
	for _, v := range f.DualProofV2 {
		want := &DualProofV2{SourceTxHeader: v.DualProofV2.SourceTxHeader.header(), TargetTxHeader: v.DualProofV2.TargetTxHeader.header(),
			InclusionProof: hashes(v.DualProofV2.InclusionProof), ConsistencyProof: hashes(v.DualProofV2.ConsistencyProof)}
		got := must(BuildDualProofV2(ledger, must(ledger.Header(v.SourceTxID)), must(ledger.Header(v.TargetTxID))))
		if !equalHashes(got.InclusionProof, want.InclusionProof) || !equalHashes(got.ConsistencyProof, want.ConsistencyProof) ||
			must(got.SourceTxHeader.Alh()) != must(want.SourceTxHeader.Alh()) || must(got.TargetTxHeader.Alh()) != must(want.TargetTxHeader.Alh()) {
			t.Fatalf("v2 %d→%d differs", v.SourceTxID, v.TargetTxID)
		}
		s, d, sa, ta := v.SourceTxID, v.TargetTxID, Hash(v.SourceAlh), Hash(v.TargetAlh)
		if err := VerifyDualProofV2(want, s, d, sa, ta); (err == nil) != v.ExpectedVerified {
			t.Fatalf("v2 %d→%d: %v", s, d, err)
		}
		if VerifyDualProofV2(want, s, d, flipHash(sa), ta) == nil || VerifyDualProofV2(want, s, d, sa, flipHash(ta)) == nil {
			t.Fatalf("v2 %d→%d accepted other Alhs", s, d)
		}
		for k := range want.InclusionProof {
			bad := *want
			bad.InclusionProof = append([]Hash{}, want.InclusionProof...)
			bad.InclusionProof[k] = flipHash(bad.InclusionProof[k])
			if VerifyDualProofV2(&bad, s, d, sa, ta) == nil {
				t.Fatalf("v2 %d→%d: flipped inclusion term accepted", s, d)
			}
		}
		for k := range want.ConsistencyProof {
			bad := *want
			bad.ConsistencyProof = append([]Hash{}, want.ConsistencyProof...)
			bad.ConsistencyProof[k] = flipHash(bad.ConsistencyProof[k])
			if VerifyDualProofV2(&bad, s, d, sa, ta) == nil {
				t.Fatalf("v2 %d→%d: flipped consistency term accepted", s, d)
			}
		}
	}
}
