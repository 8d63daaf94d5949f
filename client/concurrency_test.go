package client

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// mainChainLedger is the 23-tx chain recorded from the reference server.
func mainChainLedger(t testing.TB) *proof.MemLedger {
	t.Helper()
	var v struct {
		Txs []legacyTx `json:"txs"`
	}
	readVectors(t, "tx_chain.json", &v)
	var hs []*proof.TxHeader
	for _, tx := range v.Txs {
		h, _, err := proof.ParseTxHeader(mustHex(t, tx.HeaderBytes))
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	l, err := proof.NewMemLedger(hs)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestConcurrentVerifiedCalls runs VerifiedTxByID from many goroutines on
// one client against an honest server over the recorded chain: every call
// verifies whatever the interleaving, and the trusted state ends at the
// newest tx read (it never moves back).
func TestConcurrentVerifiedCalls(t *testing.T) {
	l := mainChainLedger(t)
	f := newFakeServer(t, replayUUID, func(m string, _ metadata.MD, req proto.Message) (proto.Message, error) {
		switch m {
		case "OpenSession":
			return &schema.OpenSessionResponse{SessionID: "sid", ServerUUID: replayUUID}, nil
		case "CloseSession":
			return &emptyMsg{}, nil
		case "CurrentState":
			a, _ := l.Alh(3)
			return &schema.ImmutableState{Db: "defaultdb", TxId: 3, TxHash: a[:]}, nil
		case "VerifiableTxById":
			return honestTxByID(l, req.(*schema.VerifiableTxRequest))
		}
		return nil, unexpected(m)
	})
	c := testClient(t, f, func(o *Options) { o.StateStore = nil; o.Dir = t.TempDir() })
	ctx := testCtx(t)
	if err := c.OpenSession(ctx, []byte("u"), []byte("p"), "defaultdb"); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				tx := uint64((g*7+i*5)%23 + 1)
				got, err := c.VerifiedTxByID(ctx, tx)
				if err != nil {
					t.Errorf("tx %d: %v", tx, err)
					return
				}
				if got.GetHeader().GetId() != tx {
					t.Errorf("asked tx %d, got %d", tx, got.GetHeader().GetId())
				}
			}
		}(g)
	}
	wg.Wait()
	st, err := c.TrustedState()
	if err != nil || st.GetTxId() != 23 {
		t.Fatalf("final state %v %v", st.GetTxId(), err)
	}
	want, _ := l.Alh(23)
	if string(st.GetTxHash()) != string(want[:]) {
		t.Fatal("final hash")
	}
}

// stubService fails the fallback calls a fuzzed proof may trigger.
type stubService struct{ schema.ImmuServiceClient }

func (stubService) VerifiableTxById(context.Context, *schema.VerifiableTxRequest, ...grpc.CallOption) (*schema.VerifiableTx, error) {
	return nil, status.Error(codes.Unavailable, "no server in fuzzing")
}

// FuzzVerifyTx feeds mutated VerifiableTx messages to the verifier: it
// never panics, every refusal is ErrCorruptedData (or the failed fallback
// call), and an accepted answer never moves the state back.
func FuzzVerifyTx(f *testing.F) {
	var v dualVectors
	readVectors(f, "dual_proofs.json", &v)
	for _, c := range v.TxByID {
		f.Add(mustB64(f, c.ResponsePB), c.Before.TxID, string(mustHex(f, c.Before.TxHash)))
	}
	c := &Client{svc: stubService{}}
	f.Fuzz(func(t *testing.T, resp []byte, stTx uint64, stHash string) {
		var vtx schema.VerifiableTx
		if proto.Unmarshal(resp, &vtx) != nil {
			return
		}
		h := make([]byte, 32)
		copy(h, stHash)
		st := &schema.ImmutableState{Db: "defaultdb", TxId: stTx % 30, TxHash: h}
		tx := vtx.GetTx().GetHeader().GetId()
		next, err := c.verifyTx(context.Background(), st, tx, &vtx)
		if err != nil {
			if !errors.Is(err, ErrCorruptedData) && !strings.Contains(err.Error(), "fetch linear advance proof") {
				t.Fatalf("refusal without ErrCorruptedData: %v", err)
			}
			return
		}
		if next.GetTxId() < st.GetTxId() {
			t.Fatalf("state moved back from %d to %d", st.GetTxId(), next.GetTxId())
		}
	})
}
