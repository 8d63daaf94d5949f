package proof

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// Forked histories (CVE-2022-36111): a malicious server that shows one
// client two histories sharing a prefix must not be able to prove one an
// extension of the other, with any proof of this package.

// linking chooses blTxId for tx id: how far the binary-linking tree lags.
type linking func(id uint64) uint64

func syncLinking(id uint64) uint64 { return id - 1 } // v1.11.1 behaviour

// lagLinking lags by up to three txs, like servers before v1.11 (the
// tree size only moves in steps of four; it never decreases and stays < id).
func lagLinking(id uint64) uint64 { return (id - 1) / 4 * 4 }

// growChain appends txs to l up to n; tx payloads are derived from tag, so
// two chains with different tags differ from the first tx they add.
func growChain(t testing.TB, l *MemLedger, n uint64, tag string, bl linking) {
	t.Helper()
	for id := l.Len() + 1; id <= n; id++ {
		prev := EmptyHash
		if id > 1 {
			prev = must(l.Alh(id - 1))
		}
		h := &TxHeader{ID: id, PrevAlh: prev, Ts: int64(1700000000 + id), Version: TxHeaderV1, NEntries: 1,
			Eh: LeafHash(Sum([]byte(fmt.Sprintf("%s-%d", tag, id)))), BlTxID: bl(id)}
		if h.BlTxID > 0 {
			h.BlRoot = must(l.Tree().RootAt(h.BlTxID))
		}
		if err := l.Append(h); err != nil {
			t.Fatalf("grow %s tx %d: %v", tag, id, err)
		}
	}
}

// forkedChains returns two chains of n txs that agree on txs 1…k−1 and
// differ from tx k on.
func forkedChains(t testing.TB, n, k uint64, bl linking) (a, b *MemLedger) {
	a, b = must(NewMemLedger(nil)), must(NewMemLedger(nil))
	growChain(t, a, k-1, "shared", bl)
	growChain(t, b, k-1, "shared", bl)
	growChain(t, a, n, "fork-a", bl)
	growChain(t, b, n, "fork-b", bl)
	return a, b
}

func TestForkedHistoriesRejected(t *testing.T) {
	const n, k = 14, 6
	for name, bl := range map[string]linking{"sync": syncLinking, "lagging": lagLinking} {
		t.Run(name, func(t *testing.T) {
			a, b := forkedChains(t, n, k, bl)
			if must(a.Alh(k-1)) != must(b.Alh(k-1)) || must(a.Alh(k)) == must(b.Alh(k)) {
				t.Fatal("chains do not fork at tx k")
			}
			for s := uint64(1); s <= n; s++ {
				for tt := s; tt <= n; tt++ {
					checkForkPair(t, a, b, s, tt)
				}
			}
		})
	}
}

// checkForkPair: the client trusts tx s of chain a; the server answers
// with tx tt of chain b. Every proof must fail once s is past the fork,
// and the honest proof must pass before it (so the test can tell).
func checkForkPair(t *testing.T, a, b *MemLedger, s, tt uint64) {
	t.Helper()
	alhAS, alhBT := must(a.Alh(s)), must(b.Alh(tt))
	fromB := must(BuildDualProof(b, must(b.Header(s)), must(b.Header(tt))))
	forked := must(b.Alh(s)) != alhAS
	if !forked {
		if err := VerifyDualProof(fromB, s, tt, alhAS, alhBT); err != nil {
			t.Fatalf("%d→%d before the fork: %v", s, tt, err)
		}
		return
	}
	// Server-built proof of chain b, and the same with chain a's source
	// header (so the source Alh check passes and the tree checks must
	// catch the fork), and a proof of chain a presented for chain b.
	hybrid := *fromB
	hybrid.SourceTxHeader = must(a.Header(s))
	fromA := must(BuildDualProof(a, must(a.Header(s)), must(a.Header(tt))))
	fromA.TargetTxHeader = must(b.Header(tt))
	for pname, p := range map[string]*DualProof{"chain b": fromB, "a's source header": &hybrid, "chain a's proof": fromA} {
		if err := VerifyDualProof(p, s, tt, alhAS, alhBT); !errors.Is(err, ErrVerificationFailed) {
			t.Fatalf("dual %d→%d (%s) across the fork: %v", s, tt, pname, err)
		}
	}
	hybridV2 := &DualProofV2{SourceTxHeader: must(a.Header(s)), TargetTxHeader: must(b.Header(tt))}
	if v2, err := BuildDualProofV2(b, must(b.Header(s)), must(b.Header(tt))); err == nil {
		hybridV2.InclusionProof, hybridV2.ConsistencyProof = v2.InclusionProof, v2.ConsistencyProof
		if VerifyDualProofV2(v2, s, tt, alhAS, alhBT) == nil || VerifyDualProofV2(hybridV2, s, tt, alhAS, alhBT) == nil {
			t.Fatalf("dual v2 %d→%d accepted across the fork", s, tt)
		}
	}
	if VerifyLinearProof(must(BuildLinearProof(b, s, tt)), s, tt, alhAS, alhBT) == nil {
		t.Fatalf("linear %d→%d (chain b) accepted across the fork", s, tt)
	}
	if tt > s {
		// The linear proof of a with b's target Alh.
		if VerifyLinearProof(must(BuildLinearProof(a, s, tt)), s, tt, alhAS, alhBT) == nil {
			t.Fatalf("linear %d→%d (chain a) accepted for chain b's target", s, tt)
		}
	}
	// Tree sizes s ≤ tt: a's tree of size s is not a prefix of b's.
	rootA, rootB := must(a.Tree().RootAt(s)), must(b.Tree().RootAt(tt))
	for pname, c := range map[string][]Hash{"chain b": must(b.TreeConsistencyProof(s, tt)), "chain a": must(a.TreeConsistencyProof(s, tt))} {
		if VerifyConsistency(c, s, tt, rootA, rootB) == nil {
			t.Fatalf("consistency %d→%d (%s) accepted across the fork", s, tt, pname)
		}
	}
	if VerifyInclusion(must(b.TreeInclusionProof(s, tt)), s, tt, LeafHash(alhAS), rootB) == nil {
		t.Fatalf("inclusion of a's tx %d in b's tree of %d accepted", s, tt)
	}
}

// forgedTree returns the tree a malicious server would build: the honest
// leaves where kept is true, made-up Alhs elsewhere.
func forgedTree(t testing.TB, honest *MemLedger, size uint64, kept func(id uint64) bool) (*AHT, []Hash) {
	leaves := make([]Hash, size)
	for id := uint64(1); id <= size; id++ {
		if kept(id) {
			leaves[id-1] = must(honest.Alh(id))
		} else {
			leaves[id-1] = Sum(binary.BigEndian.AppendUint64([]byte("forged"), id))
		}
	}
	return buildAHT(t, leaves), leaves
}

// TestLinearAdvanceDefeatsForgedTree is the attack itself: the client
// trusts tx s, whose header links a tree of only b < s−1 txs. The server
// forges a target whose tree keeps the honest leaves 1…b and the trusted
// Alh of s at leaf s, but made-up leaves between them: every tree and
// linear check then holds, and only the linear-advance proof, which ties
// leaves b+1…s−1 to the chain ending in Alh(s), exposes the forgery. (A
// client accepting it could later be shown a different tx b+1.)
func TestLinearAdvanceDefeatsForgedTree(t *testing.T) {
	honest := must(NewMemLedger(nil))
	growChain(t, honest, 12, "honest", lagLinking)
	const s = 8
	src := must(honest.Header(s))
	alhS := must(honest.Alh(s))
	bTx := src.BlTxID
	if bTx+1 >= s {
		t.Fatalf("source links %d, need a gap below %d", bTx, s)
	}
	for _, m := range []uint64{s, s + 2} { // target tree size: = s (linear branch), > s (inclusion branch)
		t.Run(fmt.Sprintf("treeSize%d", m), func(t *testing.T) {
			tree, leaves := forgedTree(t, honest, m, func(id uint64) bool { return id <= bTx || id == s })
			root := must(tree.Root())
			// Target tx m+1 follows the forged leaf m, so its linear proof holds.
			dst := &TxHeader{ID: m + 1, PrevAlh: leaves[m-1], Ts: 1, Version: TxHeaderV1, NEntries: 1, Eh: Sum([]byte("x")),
				BlTxID: m, BlRoot: root}
			tt, alhT := dst.ID, must(dst.Alh())
			p := &DualProof{SourceTxHeader: src, TargetTxHeader: dst, TargetBlTxAlh: leaves[m-1],
				ConsistencyProof:   must(tree.ConsistencyProof(bTx, m)),
				LastInclusionProof: must(tree.InclusionProof(m, m)),
				LinearProof:        &LinearProof{SourceTxID: m, TargetTxID: tt, Terms: []Hash{leaves[m-1], must(dst.InnerHash())}},
			}
			if s < m {
				p.InclusionProof = must(tree.InclusionProof(s, m))
			} else {
				p.LinearProof = &LinearProof{SourceTxID: s, TargetTxID: tt, Terms: []Hash{alhS, must(dst.InnerHash())}}
			}
			// Every check but the linear-advance one passes.
			if s < m {
				if err := VerifyInclusion(p.InclusionProof, s, m, LeafHash(alhS), root); err != nil {
					t.Fatalf("forged inclusion: %v", err)
				}
			}
			if err := VerifyConsistency(p.ConsistencyProof, bTx, m, src.BlRoot, root); err != nil {
				t.Fatalf("forged consistency: %v", err)
			}
			if err := VerifyLastInclusion(p.LastInclusionProof, m, LeafHash(p.TargetBlTxAlh), root); err != nil {
				t.Fatalf("forged last inclusion: %v", err)
			}
			if err := VerifyLinearProof(p.LinearProof, p.LinearProof.SourceTxID, tt, p.LinearProof.Terms[0], alhT); err != nil {
				t.Fatalf("forged linear proof: %v", err)
			}
			end := min(s, m)
			// The attacker's best linear-advance proofs: the honest chain
			// with inclusion proofs from the forged tree, or the forged
			// leaves with made-up inner hashes.
			realTerms := must(BuildLinearProof(honest, bTx+1, end)).Terms
			fakeTerms := append([]Hash{leaves[bTx]}, realTerms[1:]...)
			var incl [][]Hash
			for tx := bTx + 1; tx < end; tx++ {
				incl = append(incl, must(tree.InclusionProof(tx, m)))
			}
			for name, la := range map[string]*LinearAdvanceProof{
				"none":        nil,
				"honest":      {LinearProofTerms: realTerms, InclusionProofs: incl},
				"forged":      {LinearProofTerms: fakeTerms, InclusionProofs: incl},
				"no proofs":   {LinearProofTerms: realTerms},
				"short chain": {LinearProofTerms: realTerms[:1], InclusionProofs: incl[:0]},
			} {
				p.LinearAdvanceProof = la
				err := VerifyDualProof(p, s, tt, alhS, alhT)
				if !errors.Is(err, ErrVerificationFailed) || !strings.Contains(err.Error(), "linear advance") {
					t.Fatalf("forged tree with %s linear-advance proof: %v", name, err)
				}
			}
		})
	}
}

// TestForgedLastLeafAtSource: with synchronous linking, the target tx s+1
// links a tree of exactly s leaves. A server can keep the honest chain
// (prevAlh = Alh(s)) but commit, in blRoot, to a tree whose leaf s is a
// forged version of tx s; the consistency, last-inclusion and linear checks
// all hold. A client that accepted it would later verify the forged tx s
// against any newer state (inclusion in a tree that extends this one).
func TestForgedLastLeafAtSource(t *testing.T) {
	honest := must(NewMemLedger(nil))
	growChain(t, honest, 6, "honest", syncLinking)
	const s = 5
	src, alhS := must(honest.Header(s)), must(honest.Alh(s))
	forgedS := *src
	forgedS.Eh = Sum([]byte("forged entries"))
	forgedAlh := must(forgedS.Alh())
	tree, _ := forgedTree(t, honest, s-1, func(uint64) bool { return true })
	must(tree.Append(forgedAlh))
	root := must(tree.Root())
	dst := &TxHeader{ID: s + 1, PrevAlh: alhS, Ts: 1, Version: TxHeaderV1, NEntries: 1, Eh: Sum([]byte("x")), BlTxID: s, BlRoot: root}
	alhT := must(dst.Alh())
	p := &DualProof{SourceTxHeader: src, TargetTxHeader: dst, TargetBlTxAlh: forgedAlh,
		ConsistencyProof:   must(tree.ConsistencyProof(s-1, s)),
		LastInclusionProof: must(tree.InclusionProof(s, s)),
		LinearProof:        &LinearProof{SourceTxID: s, TargetTxID: s + 1, Terms: []Hash{alhS, must(dst.InnerHash())}},
	}
	// Each check of the reference holds on its own.
	if err := errors.Join(
		VerifyConsistency(p.ConsistencyProof, s-1, s, src.BlRoot, root),
		VerifyLastInclusion(p.LastInclusionProof, s, LeafHash(forgedAlh), root),
		VerifyLinearProof(p.LinearProof, s, s+1, alhS, alhT),
		VerifyLinearAdvanceProof(nil, s-1, s, forgedAlh, root, s),
	); err != nil {
		t.Fatalf("the forgery is not what this test means it to be: %v", err)
	}
	err := VerifyDualProof(p, s, s+1, alhS, alhT)
	var ve *VerificationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Check, "last leaf") {
		t.Fatalf("forged leaf %d in the target tree: %v", s, err)
	}
	// The honest proof for the same pair still verifies.
	if err := VerifyDualProof(must(BuildDualProof(honest, src, must(honest.Header(s+1)))), s, s+1, alhS, must(honest.Alh(s+1))); err != nil {
		t.Fatalf("honest %d→%d: %v", s, s+1, err)
	}
}

// TestForgedLastLeafBeforeSource: with lagging links, the target's tree can
// end at s−1 while the source links only b < s−1 txs. A server can then
// fill leaves b+1…s−1 with a self-consistent forged chain (so even the
// linear-advance proof holds) while the target still extends Alh(s)
// linearly. The source header's prevAlh exposes the forged leaf s−1.
func TestForgedLastLeafBeforeSource(t *testing.T) {
	honest := must(NewMemLedger(nil))
	growChain(t, honest, 8, "honest", lagLinking)
	const s = 7
	src, alhS := must(honest.Header(s)), must(honest.Alh(s))
	bTx := src.BlTxID
	if bTx+1 >= s-1 {
		t.Fatalf("source links %d: no room for a forged leaf below %d", bTx, s-1)
	}
	// The forged chain b+1…s−1 grows from the honest Alh(b).
	forged := must(NewMemLedger(nil))
	for id := uint64(1); id <= bTx; id++ {
		must(0, forged.Append(must(honest.Header(id))))
	}
	growChain(t, forged, s-1, "forged", lagLinking)
	tree := forged.Tree()
	root := must(tree.RootAt(s - 1))
	fAlh := must(forged.Alh(s - 1))
	dst := &TxHeader{ID: s + 1, PrevAlh: alhS, Ts: 1, Version: TxHeaderV1, NEntries: 1, Eh: Sum([]byte("x")), BlTxID: s - 1, BlRoot: root}
	alhT := must(dst.Alh())
	p := &DualProof{SourceTxHeader: src, TargetTxHeader: dst, TargetBlTxAlh: fAlh,
		ConsistencyProof:   must(tree.ConsistencyProof(bTx, s-1)),
		LastInclusionProof: must(tree.InclusionProof(s-1, s-1)),
		LinearProof:        &LinearProof{SourceTxID: s, TargetTxID: s + 1, Terms: []Hash{alhS, must(dst.InnerHash())}},
		LinearAdvanceProof: must(BuildLinearAdvanceProof(forged, bTx, s-1, s-1)),
	}
	if err := errors.Join(
		VerifyConsistency(p.ConsistencyProof, bTx, s-1, src.BlRoot, root),
		VerifyLastInclusion(p.LastInclusionProof, s-1, LeafHash(fAlh), root),
		VerifyLinearProof(p.LinearProof, s, s+1, alhS, alhT),
		VerifyLinearAdvanceProof(p.LinearAdvanceProof, bTx, s-1, fAlh, root, s-1),
	); err != nil {
		t.Fatalf("the forgery is not what this test means it to be: %v", err)
	}
	err := VerifyDualProof(p, s, s+1, alhS, alhT)
	var ve *VerificationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Check, "prevAlh") {
		t.Fatalf("forged leaf %d in the target tree: %v", s-1, err)
	}
}
