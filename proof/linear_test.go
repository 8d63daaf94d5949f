package proof

import "testing"

func TestLinearProofVectors(t *testing.T) {
	type linVec struct {
		SourceTxID       uint64    `json:"sourceTxId"`
		TargetTxID       uint64    `json:"targetTxId"`
		SourceAlh        hexHash   `json:"sourceAlh"`
		TargetAlh        hexHash   `json:"targetAlh"`
		Terms            []hexHash `json:"terms"`
		ExpectedVerified bool      `json:"expected_verified"`
	}
	var f struct {
		Main   []linVec `json:"mainChainLinearProofs"`
		Legacy []linVec `json:"legacyChainLinearProofs"`
		Adv    []struct {
			StartTxID          uint64             `json:"startTxId"`
			EndTxID            uint64             `json:"endTxId"`
			TreeSize           uint64             `json:"treeSize"`
			TreeRoot           hexHash            `json:"treeRoot"`
			EndAlh             hexHash            `json:"endAlh"`
			LinearAdvanceProof *jsonLinearAdvance `json:"linearAdvanceProof"`
			ExpectedVerified   bool               `json:"expected_verified"`
		} `json:"legacyChainLinearAdvanceProofs"`
	}
	loadVectors(t, "linear_proofs.json", &f)
	mainLedger, _ := chainLedger(t, loadChain(t, "tx_chain.json"))
	var legacy struct {
		Txs []chainTx `json:"txs"`
	}
	loadVectors(t, "legacy_chain.json", &legacy)
	legacyLedger, _ := chainLedger(t, legacy.Txs)
	if len(f.Main) != 4 || len(f.Legacy) != 4 || len(f.Adv) != 3 {
		t.Fatal("unexpected vector counts")
	}
	for li, set := range [][]linVec{f.Main, f.Legacy} {
		ledger := []*MemLedger{mainLedger, legacyLedger}[li]
		for _, v := range set {
			want := &LinearProof{SourceTxID: v.SourceTxID, TargetTxID: v.TargetTxID, Terms: hashes(v.Terms)}
			got := must(BuildLinearProof(ledger, v.SourceTxID, v.TargetTxID))
			if got.SourceTxID != want.SourceTxID || got.TargetTxID != want.TargetTxID || !equalHashes(got.Terms, want.Terms) {
				t.Fatalf("linear %d→%d differs", v.SourceTxID, v.TargetTxID)
			}
			s, d, sa, ta := v.SourceTxID, v.TargetTxID, Hash(v.SourceAlh), Hash(v.TargetAlh)
			if err := VerifyLinearProof(want, s, d, sa, ta); (err == nil) != v.ExpectedVerified {
				t.Fatalf("linear %d→%d: %v", s, d, err)
			}
			rejects := map[string]error{
				"other source alh": VerifyLinearProof(want, s, d, flipHash(sa), ta),
				"other target alh": VerifyLinearProof(want, s, d, sa, flipHash(ta)),
				"other source id":  VerifyLinearProof(want, s+1, d, sa, ta),
				"other target id":  VerifyLinearProof(want, s, d+1, sa, ta),
				"nil":              VerifyLinearProof(nil, s, d, sa, ta),
				"short": VerifyLinearProof(&LinearProof{SourceTxID: s, TargetTxID: d,
					Terms: want.Terms[:len(want.Terms)-1]}, s, d, sa, ta),
			}
			for k := range want.Terms {
				bad := &LinearProof{SourceTxID: s, TargetTxID: d, Terms: append([]Hash{}, want.Terms...)}
				bad.Terms[k] = flipHash(bad.Terms[k])
				rejects["flipped term"] = VerifyLinearProof(bad, s, d, sa, ta)
			}
			for name, err := range rejects {
				if err == nil {
					t.Fatalf("linear %d→%d: %s accepted", s, d, name)
				}
			}
		}
	}
	for _, v := range f.Adv {
		want := v.LinearAdvanceProof.proof()
		got := must(BuildLinearAdvanceProof(legacyLedger, v.StartTxID, v.EndTxID, v.TreeSize))
		if (got == nil) != (want == nil) {
			t.Fatalf("advance %d→%d: presence differs", v.StartTxID, v.EndTxID)
		}
		if got != nil {
			compareDual(t, &DualProof{LinearAdvanceProof: got}, &DualProof{LinearAdvanceProof: want})
		}
		if must(legacyLedger.Tree().RootAt(v.TreeSize)) != Hash(v.TreeRoot) {
			t.Fatalf("tree root at %d", v.TreeSize)
		}
		err := VerifyLinearAdvanceProof(want, v.StartTxID, v.EndTxID, Hash(v.EndAlh), Hash(v.TreeRoot), v.TreeSize)
		if (err == nil) != v.ExpectedVerified {
			t.Fatalf("advance %d→%d: %v", v.StartTxID, v.EndTxID, err)
		}
		if want == nil {
			continue
		}
		if VerifyLinearAdvanceProof(nil, v.StartTxID, v.EndTxID, Hash(v.EndAlh), Hash(v.TreeRoot), v.TreeSize) == nil ||
			VerifyLinearAdvanceProof(want, v.StartTxID, v.EndTxID, flipHash(Hash(v.EndAlh)), Hash(v.TreeRoot), v.TreeSize) == nil ||
			VerifyLinearAdvanceProof(want, v.StartTxID, v.EndTxID, Hash(v.EndAlh), flipHash(Hash(v.TreeRoot)), v.TreeSize) == nil ||
			VerifyLinearAdvanceProof(want, v.EndTxID, v.StartTxID, Hash(v.EndAlh), Hash(v.TreeRoot), v.TreeSize) == nil {
			t.Fatalf("advance %d→%d: tampered input accepted", v.StartTxID, v.EndTxID)
		}
		for k := range want.LinearProofTerms {
			bad := &LinearAdvanceProof{LinearProofTerms: append([]Hash{}, want.LinearProofTerms...), InclusionProofs: want.InclusionProofs}
			bad.LinearProofTerms[k] = flipHash(bad.LinearProofTerms[k])
			if VerifyLinearAdvanceProof(bad, v.StartTxID, v.EndTxID, Hash(v.EndAlh), Hash(v.TreeRoot), v.TreeSize) == nil {
				t.Fatalf("advance %d→%d: flipped term %d accepted", v.StartTxID, v.EndTxID, k)
			}
		}
	}
}
