package client

import (
	"errors"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// Tests of the dual-proof paths that v1.11 data never takes: lagging
// blTxId (legacy_chain.json), the LinearAdvanceProof fallback, and the
// forged-history attack of CVE-2022-36111.

type legacyTx struct {
	ID          uint64 `json:"id"`
	HeaderBytes string `json:"headerBytes"`
	Alh         string `json:"alh"`
}

type legacyDual struct {
	Name      string         `json:"name"`
	Source    uint64         `json:"sourceTxId"`
	Target    uint64         `json:"targetTxId"`
	SourceAlh string         `json:"sourceAlh"`
	HasLAP    bool           `json:"hasLinearAdvanceProof"`
	DualProof map[string]any `json:"dualProof"`
	Verified  bool           `json:"expected_verified"`
}

type legacyVectors struct {
	Txs   []legacyTx   `json:"txs"`
	Duals []legacyDual `json:"dualProofs"`
}

func loadLegacy(t *testing.T) (legacyVectors, []*proof.TxHeader, *proof.MemLedger) {
	t.Helper()
	var v legacyVectors
	readVectors(t, "legacy_chain.json", &v)
	var hs []*proof.TxHeader
	for _, tx := range v.Txs {
		h, n, err := proof.ParseTxHeader(mustHex(t, tx.HeaderBytes))
		if err != nil || n != len(tx.HeaderBytes)/2 {
			t.Fatalf("tx %d header: %v", tx.ID, err)
		}
		hs = append(hs, h)
	}
	l, err := proof.NewMemLedger(hs)
	if err != nil {
		t.Fatalf("ledger: %v", err)
	}
	return v, hs, l
}

func headerToProto(h *proof.TxHeader) *schema.TxHeader {
	out := &schema.TxHeader{
		Id: h.ID, PrevAlh: clone(h.PrevAlh[:]), Ts: h.Ts, Nentries: int32(h.NEntries),
		EH: clone(h.Eh[:]), BlTxId: h.BlTxID, BlRoot: clone(h.BlRoot[:]), Version: int32(h.Version),
	}
	if !h.Metadata.IsZero() {
		out.Metadata = &schema.TxMetadata{TruncatedTxID: h.Metadata.TruncatedUptoTx, Extra: h.Metadata.Extra}
	}
	return out
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func hashesToProto(hs []proof.Hash) [][]byte {
	out := make([][]byte, len(hs))
	for i := range hs {
		out[i] = clone(hs[i][:])
	}
	return out
}

func dualToProto(p *proof.DualProof) *schema.DualProof {
	out := &schema.DualProof{
		SourceTxHeader:     headerToProto(p.SourceTxHeader),
		TargetTxHeader:     headerToProto(p.TargetTxHeader),
		InclusionProof:     hashesToProto(p.InclusionProof),
		ConsistencyProof:   hashesToProto(p.ConsistencyProof),
		TargetBlTxAlh:      clone(p.TargetBlTxAlh[:]),
		LastInclusionProof: hashesToProto(p.LastInclusionProof),
	}
	if p.LinearProof != nil {
		out.LinearProof = &schema.LinearProof{SourceTxId: p.LinearProof.SourceTxID, TargetTxId: p.LinearProof.TargetTxID, Terms: hashesToProto(p.LinearProof.Terms)}
	}
	if p.LinearAdvanceProof != nil {
		lap := &schema.LinearAdvanceProof{LinearProofTerms: hashesToProto(p.LinearAdvanceProof.LinearProofTerms)}
		for _, ip := range p.LinearAdvanceProof.InclusionProofs {
			lap.InclusionProofs = append(lap.InclusionProofs, &schema.InclusionProof{Terms: hashesToProto(ip)})
		}
		out.LinearAdvanceProof = lap
	}
	return out
}

// honestTxByID answers VerifiableTxById from a ledger with the source and
// target rule of HASHING.md §7.1.
func honestTxByID(l *proof.MemLedger, req *schema.VerifiableTxRequest) (*schema.VerifiableTx, error) {
	tx, p := req.GetTx(), req.GetProveSinceTx()
	src, dst := tx, tx
	switch {
	case p == 0:
	case p <= tx:
		src = p
	default:
		dst = p
	}
	hs, err1 := l.Header(src)
	hd, err2 := l.Header(dst)
	ht, err3 := l.Header(tx)
	if err := errors.Join(err1, err2, err3); err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	dp, err := proof.BuildDualProof(l, hs, hd)
	if err != nil {
		return nil, status.Error(codes.Unknown, err.Error())
	}
	return &schema.VerifiableTx{Tx: &schema.Tx{Header: headerToProto(ht)}, DualProof: dualToProto(dp)}, nil
}

// legacyClient opens a session on a fake server and trusts state (s, alhS).
func legacyClient(t *testing.T, h handlerFunc, s uint64, alhS []byte) (*Client, *MemStateStore) {
	t.Helper()
	f := newFakeServer(t, replayUUID, func(m string, md metadata.MD, req proto.Message) (proto.Message, error) {
		if m == "OpenSession" {
			return &schema.OpenSessionResponse{SessionID: "sid", ServerUUID: replayUUID}, nil
		}
		if m == "CloseSession" {
			return &emptyMsg{}, nil
		}
		return h(m, md, req)
	})
	store := NewMemStateStore()
	if err := store.Set(replayUUID, &schema.ImmutableState{Db: "defaultdb", TxId: s, TxHash: alhS}); err != nil {
		t.Fatal(err)
	}
	c := testClient(t, f, func(o *Options) { o.StateStore = store })
	if err := c.OpenSession(testCtx(t), []byte("u"), []byte("p"), "defaultdb"); err != nil {
		t.Fatal(err)
	}
	return c, store
}

// TestLegacyChainFallback serves the recorded legacy dual proofs without
// their LinearAdvanceProof, as servers before the fix did: the client must
// rebuild it with extra VerifiableTxById calls and accept; and with the
// proof present it must accept without extra calls.
func TestLegacyChainFallback(t *testing.T) {
	v, _, l := loadLegacy(t)
	for _, d := range v.Duals {
		if !d.Verified || d.Source == d.Target {
			continue
		}
		for _, strip := range []bool{false, true} {
			name := d.Name
			if strip {
				name += "/without LinearAdvanceProof"
			}
			t.Run(name, func(t *testing.T) {
				var dp schema.DualProof
				if err := fromHexJSON(d.DualProof, dp.ProtoReflect()); err != nil {
					t.Fatal(err)
				}
				if strip {
					dp.LinearAdvanceProof = nil
				}
				var extra atomic.Int32
				c, store := legacyClient(t, func(m string, _ metadata.MD, req proto.Message) (proto.Message, error) {
					if m != "VerifiableTxById" {
						return nil, unexpected(m)
					}
					r := req.(*schema.VerifiableTxRequest)
					if r.GetTx() == d.Target && r.GetProveSinceTx() == d.Source && r.GetEntriesSpec() == nil {
						return &schema.VerifiableTx{Tx: &schema.Tx{Header: dp.TargetTxHeader}, DualProof: &dp}, nil
					}
					extra.Add(1)
					return honestTxByID(l, r)
				}, d.Source, mustHex(t, d.SourceAlh))
				if _, err := c.VerifiedTxByID(testCtx(t), d.Target); err != nil {
					t.Fatalf("rejected: %v", err)
				}
				st, _ := store.Get(replayUUID, "defaultdb")
				if st.GetTxId() != d.Target {
					t.Fatalf("state at %d, want %d", st.GetTxId(), d.Target)
				}
				if !strip && extra.Load() != 0 {
					t.Fatalf("%d extra calls with the proof present", extra.Load())
				}
				if strip && d.HasLAP && extra.Load() == 0 {
					t.Fatalf("no fallback calls although the proof was needed")
				}
			})
		}
	}
}

// forgedTarget builds the CVE-2022-36111 forgery against a client that
// trusts tx s of the legacy chain, whose header lags (blTxId = start): a
// new tx s+1 whose tree holds the real Alhs up to start and at s, but forged
// leaves for start+1 … s−1. Every check of the dual proof holds except the
// linear-advance one. With forge=false the same construction is honest.
func forgedTarget(t *testing.T, hs []*proof.TxHeader, l *proof.MemLedger, s uint64, forge bool) (*schema.DualProof, *proof.AHT) {
	t.Helper()
	src := hs[s-1]
	tree, err := proof.OpenAHT(proof.NewMemNodeStore())
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); i <= s; i++ {
		a, _ := l.Alh(i)
		if forge && i > src.BlTxID && i < s {
			a = proof.Sum([]byte("forged history"))
		}
		if _, err := tree.Append(a); err != nil {
			t.Fatal(err)
		}
	}
	alhS, _ := l.Alh(s)
	root, _ := tree.Root()
	tgt := &proof.TxHeader{ID: s + 1, PrevAlh: alhS, Ts: hs[s-1].Ts + 10, Version: 1, NEntries: 1,
		Eh: proof.Sum([]byte("entry")), BlTxID: s, BlRoot: root}
	inner, _ := tgt.InnerHash()
	cons, err := tree.ConsistencyProof(src.BlTxID, s)
	if err != nil {
		t.Fatal(err)
	}
	last, _ := tree.InclusionProof(s, s)
	dp := &proof.DualProof{
		SourceTxHeader: src, TargetTxHeader: tgt,
		ConsistencyProof: cons, TargetBlTxAlh: alhS, LastInclusionProof: last,
		LinearProof: &proof.LinearProof{SourceTxID: s, TargetTxID: s + 1, Terms: []proof.Hash{alhS, inner}},
	}
	return dualToProto(dp), tree
}

// TestCVE2022_36111 replays the forged-history attack: the forged target
// is refused whether the server omits the linear-advance proof, refuses
// to serve it, or serves it from the forged tree; the honest twin of the
// same construction is accepted (so the test can fail).
func TestCVE2022_36111(t *testing.T) {
	_, hs, l := loadLegacy(t)
	const s = 9 // blTxId 6: txs 7 and 8 are covered only by the linear chain
	alhS, _ := l.Alh(s)
	for _, tc := range []struct {
		name     string
		forge    bool
		fallback string // "serve", "refuse"
		ok       bool
	}{
		{"honest", false, "serve", true},
		{"forged, fallback served from the forged tree", true, "serve", false},
		{"forged, fallback refused", true, "refuse", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dp, tree := forgedTarget(t, hs, l, s, tc.forge)
			c, store := legacyClient(t, func(m string, _ metadata.MD, req proto.Message) (proto.Message, error) {
				if m != "VerifiableTxById" {
					return nil, unexpected(m)
				}
				r := req.(*schema.VerifiableTxRequest)
				if r.GetEntriesSpec() == nil {
					return &schema.VerifiableTx{Tx: &schema.Tx{Header: dp.TargetTxHeader}, DualProof: dp}, nil
				}
				if tc.fallback == "refuse" {
					return nil, status.Error(codes.Unknown, "not supported")
				}
				// Fallback answers: inclusion proofs in the served tree and
				// the real linear chain (the only one that links to tx s).
				if r.GetTx() == s+1 {
					ip, err := tree.InclusionProof(r.GetProveSinceTx(), s)
					if err != nil {
						return nil, status.Error(codes.Unknown, err.Error())
					}
					return &schema.VerifiableTx{DualProof: &schema.DualProof{InclusionProof: hashesToProto(ip)}}, nil
				}
				return honestTxByID(l, r)
			}, s, alhS[:])
			_, err := c.VerifiedTxByID(testCtx(t), s+1)
			st, _ := store.Get(replayUUID, "defaultdb")
			if tc.ok {
				if err != nil || st.GetTxId() != s+1 {
					t.Fatalf("honest target refused: %v (state %d)", err, st.GetTxId())
				}
				return
			}
			if err == nil {
				t.Fatal("forged history accepted")
			}
			if tc.fallback == "serve" && !errors.Is(err, ErrCorruptedData) {
				t.Fatalf("err = %v, want ErrCorruptedData", err)
			}
			if st.GetTxId() != s {
				t.Fatalf("state moved to %d", st.GetTxId())
			}
		})
	}
}
