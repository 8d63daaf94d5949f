package proof

import "testing"

func TestLegacyChainVectors(t *testing.T) {
	var f struct {
		BlTxIDSchedule []uint64  `json:"blTxIdSchedule"`
		Txs            []chainTx `json:"txs"`
		DualProofs     []struct {
			Name                  string         `json:"name"`
			SourceTxID            uint64         `json:"sourceTxId"`
			TargetTxID            uint64         `json:"targetTxId"`
			SourceAlh             hexHash        `json:"sourceAlh"`
			TargetAlh             hexHash        `json:"targetAlh"`
			HasLinearAdvanceProof *bool          `json:"hasLinearAdvanceProof"`
			DualProof             *jsonDualProof `json:"dualProof"`
			ExpectedVerified      bool           `json:"expected_verified"`
		} `json:"dualProofs"`
	}
	loadVectors(t, "legacy_chain.json", &f)
	if len(f.Txs) != 15 || len(f.DualProofs) != 12 {
		t.Fatalf("%d txs, %d dual proofs", len(f.Txs), len(f.DualProofs))
	}
	if n := checkChain(t, f.Txs); n != 2 {
		t.Fatalf("%d exported txs checked, want 2", n)
	}
	for i, tx := range f.Txs {
		h := tx.Header.header()
		if h.BlTxID != f.BlTxIDSchedule[i] {
			t.Fatalf("tx %d: blTxId %d, schedule %d", h.ID, h.BlTxID, f.BlTxIDSchedule[i])
		}
		if want := 0; i >= 5 {
			want = 1
			if h.Version != want {
				t.Fatalf("tx %d: version %d", h.ID, h.Version)
			}
		} else if h.Version != want {
			t.Fatalf("tx %d: version %d", h.ID, h.Version)
		}
	}
	ledger, _ := chainLedger(t, f.Txs)
	negatives := 0
	for _, c := range f.DualProofs {
		t.Run(c.Name, func(t *testing.T) {
			want := c.DualProof.proof()
			s, d, sa, ta := c.SourceTxID, c.TargetTxID, Hash(c.SourceAlh), Hash(c.TargetAlh)
			err := VerifyDualProof(want, s, d, sa, ta)
			if (err == nil) != c.ExpectedVerified {
				t.Fatalf("verify: %v, expected %v", err, c.ExpectedVerified)
			}
			if c.HasLinearAdvanceProof != nil && (want.LinearAdvanceProof != nil) != *c.HasLinearAdvanceProof {
				t.Fatal("hasLinearAdvanceProof")
			}
			if !c.ExpectedVerified {
				negatives++
				return
			}
			got := must(BuildDualProof(ledger, must(ledger.Header(s)), must(ledger.Header(d))))
			compareDual(t, got, want)
			checkDualRejects(t, got, s, d, sa, ta)
		})
	}
	if negatives != 1 {
		t.Fatalf("%d negative cases", negatives)
	}
}
