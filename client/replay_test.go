package client

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

const replayUUID = "dc2jf9hksdu973mbc22g"

// replayOne runs one dual_proofs.json case against a fake server that
// answers the verifiable call with the recorded response (after tamper, if
// given) and checks that the client sends the recorded request. It returns
// the client's error and its trusted state afterwards.
func replayOne(t *testing.T, c dualCase, kind string, pub *ecdsa.PublicKey, tamper func(proto.Message), call func(context.Context, *Client) error) (error, *schema.ImmutableState) {
	t.Helper()
	var wantReq, resp proto.Message
	var method string
	switch kind {
	case "tx":
		method, wantReq, resp = "VerifiableTxById", &schema.VerifiableTxRequest{}, &schema.VerifiableTx{}
	case "get":
		method, wantReq, resp = "VerifiableGet", &schema.VerifiableGetRequest{}, &schema.VerifiableEntry{}
	case "VerifiedSet":
		method, wantReq, resp = "VerifiableSet", &schema.VerifiableSetRequest{}, &schema.VerifiableTx{}
	case "VerifiedSetReference":
		method, wantReq, resp = "VerifiableSetReference", &schema.VerifiableReferenceRequest{}, &schema.VerifiableTx{}
	case "VerifiedZAdd":
		method, wantReq, resp = "VerifiableZAdd", &schema.VerifiableZAddRequest{}, &schema.VerifiableTx{}
	default:
		t.Fatalf("unknown kind %s", kind)
	}
	caseRequest(t, c, wantReq)
	caseResponse(t, c, resp)
	if tamper != nil {
		tamper(resp)
	}
	calls := 0
	f := newFakeServer(t, replayUUID, func(m string, md metadata.MD, req proto.Message) (proto.Message, error) {
		switch m {
		case "OpenSession":
			return &schema.OpenSessionResponse{SessionID: "sid", ServerUUID: replayUUID}, nil
		case "CloseSession":
			return &emptyMsg{}, nil
		case method:
			calls++
			if got := md.Get(MetaSessionID); len(got) != 1 || got[0] != "sid" {
				t.Errorf("%s: sessionid metadata = %v", c.Name, got)
			}
			if !proto.Equal(req, wantReq) {
				t.Errorf("%s: request\n got %v\nwant %v", c.Name, req, wantReq)
			}
			return resp, nil
		}
		return nil, unexpected(m)
	})
	store := NewMemStateStore()
	if err := store.Set(replayUUID, c.Before.proto(t)); err != nil {
		t.Fatal(err)
	}
	cl := testClient(t, f, func(o *Options) { o.StateStore = store; o.ServerSigningPubKey = pub })
	ctx := testCtx(t)
	if err := cl.OpenSession(ctx, []byte("immudb"), []byte("immudb"), c.Before.Db); err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	err := call(ctx, cl)
	if calls != 1 {
		t.Errorf("%s: %s called %d times", c.Name, method, calls)
	}
	st, serr := store.Get(replayUUID, c.Before.Db)
	if serr != nil {
		t.Fatal(serr)
	}
	return err, st
}

type emptyMsg = emptypb.Empty

func dualCall(t *testing.T, c dualCase, kind string) func(context.Context, *Client) error {
	switch kind {
	case "tx":
		var r schema.VerifiableTxRequest
		caseRequest(t, c, &r)
		return func(ctx context.Context, cl *Client) error {
			_, err := cl.VerifiedTxByID(ctx, r.GetTx())
			return err
		}
	case "get":
		var r schema.VerifiableGetRequest
		caseRequest(t, c, &r)
		k := r.GetKeyRequest()
		return func(ctx context.Context, cl *Client) error {
			e, err := cl.VerifiedGet(ctx, k.GetKey(), AtTx(k.GetAtTx()), SinceTx(k.GetSinceTx()), AtRevision(k.GetAtRevision()), NoWait(k.GetNoWait()))
			if err == nil && e == nil {
				t.Errorf("%s: nil entry", c.Name)
			}
			return err
		}
	case "VerifiedSet":
		var r schema.VerifiableSetRequest
		caseRequest(t, c, &r)
		kv := r.GetSetRequest().GetKVs()[0]
		return func(ctx context.Context, cl *Client) error {
			_, err := cl.VerifiedSet(ctx, kv.GetKey(), kv.GetValue())
			return err
		}
	case "VerifiedSetReference":
		var r schema.VerifiableReferenceRequest
		caseRequest(t, c, &r)
		rr := r.GetReferenceRequest()
		return func(ctx context.Context, cl *Client) error {
			_, err := cl.VerifiedSetReference(ctx, rr.GetKey(), rr.GetReferencedKey(), rr.GetAtTx())
			return err
		}
	case "VerifiedZAdd":
		var r schema.VerifiableZAddRequest
		caseRequest(t, c, &r)
		z := r.GetZAddRequest()
		return func(ctx context.Context, cl *Client) error {
			_, err := cl.VerifiedZAdd(ctx, z.GetSet(), z.GetScore(), z.GetKey(), z.GetAtTx())
			return err
		}
	}
	t.Fatalf("kind %s", kind)
	return nil
}

type kindCase struct {
	kind string
	c    dualCase
}

func positiveCases(t *testing.T) []kindCase {
	var v dualVectors
	readVectors(t, "dual_proofs.json", &v)
	var out []kindCase
	for _, c := range v.TxByID {
		out = append(out, kindCase{"tx", c})
	}
	for _, c := range v.Get {
		out = append(out, kindCase{"get", c})
	}
	for _, c := range v.Writes {
		out = append(out, kindCase{c.ClientMethod, c})
	}
	return out
}

func sameState(a, b *schema.ImmutableState) bool {
	return a.GetDb() == b.GetDb() && a.GetTxId() == b.GetTxId() && bytes.Equal(a.GetTxHash(), b.GetTxHash())
}

// TestReplayDualProofs replays every verified response of the reference
// server: the client must accept it and end with the recorded state.
func TestReplayDualProofs(t *testing.T) {
	pub := testPubKey(t)
	for _, kc := range positiveCases(t) {
		t.Run(kc.c.Name, func(t *testing.T) {
			if !kc.c.Verified || kc.c.After == nil {
				t.Fatalf("positive case without expected state")
			}
			err, st := replayOne(t, kc.c, kc.kind, pub, nil, dualCall(t, kc.c, kc.kind))
			if err != nil {
				t.Fatalf("rejected: %v", err)
			}
			if want := kc.c.After.proto(t); !sameState(st, want) {
				t.Fatalf("state after = %d %x, want %d %x", st.GetTxId(), st.GetTxHash(), want.GetTxId(), want.GetTxHash())
			}
		})
	}
}

// TestReplayNegativeCases replays the tampered responses of the vectors:
// each must fail with ErrCorruptedData and leave the state unchanged.
func TestReplayNegativeCases(t *testing.T) {
	var v dualVectors
	readVectors(t, "dual_proofs.json", &v)
	if len(v.Negative) == 0 {
		t.Fatal("no negative cases")
	}
	pub := testPubKey(t)
	for _, c := range v.Negative {
		t.Run(c.Name, func(t *testing.T) {
			err, st := replayOne(t, c, "tx", pub, nil, dualCall(t, c, "tx"))
			if !errors.Is(err, ErrCorruptedData) {
				t.Fatalf("err = %v, want ErrCorruptedData", err)
			}
			if !sameState(st, c.Before.proto(t)) {
				t.Fatalf("state moved to %d", st.GetTxId())
			}
		})
	}
}

// TestReplayTampered derives more forgeries from the verified responses:
// a changed value, header, key or signature key must all be refused.
func TestReplayTampered(t *testing.T) {
	pub := testPubKey(t)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, kc := range positiveCases(t) {
		var tampers []struct {
			name string
			pub  *ecdsa.PublicKey
			f    func(proto.Message)
		}
		add := func(name string, p *ecdsa.PublicKey, f func(proto.Message)) {
			tampers = append(tampers, struct {
				name string
				pub  *ecdsa.PublicKey
				f    func(proto.Message)
			}{name, p, f})
		}
		add("other signing key", &other.PublicKey, nil)
		add("signature removed", pub, func(m proto.Message) {
			if ve, ok := m.(*schema.VerifiableEntry); ok {
				ve.VerifiableTx.Signature = nil
			} else {
				m.(*schema.VerifiableTx).Signature = nil
			}
		})
		switch kc.kind {
		case "get":
			var ve schema.VerifiableEntry
			caseResponse(t, kc.c, &ve)
			if ve.GetEntry().GetReferencedBy() == nil {
				add("value changed", pub, func(m proto.Message) {
					e := m.(*schema.VerifiableEntry).Entry
					e.Value = append(append([]byte(nil), e.Value...), 'x')
				})
			} else {
				// The proof covers the reference entry (as in immudb), so
				// what can be forged is where it points, not the value read.
				add("referenced key changed", pub, func(m proto.Message) {
					e := m.(*schema.VerifiableEntry).Entry
					e.Key = append(append([]byte(nil), e.Key...), 'x')
				})
				add("reference atTx changed", pub, func(m proto.Message) {
					m.(*schema.VerifiableEntry).Entry.ReferencedBy.AtTx++
				})
			}
			add("inclusion proof leaf moved", pub, func(m proto.Message) {
				m.(*schema.VerifiableEntry).InclusionProof.Leaf++
			})
		case "tx":
			add("tx header ts changed", pub, func(m proto.Message) {
				m.(*schema.VerifiableTx).Tx.Header.Ts++
			})
		default:
			add("entry hValue changed", pub, func(m proto.Message) {
				m.(*schema.VerifiableTx).Tx.Entries[0].HValue[0] ^= 1
			})
			add("target eH changed", pub, func(m proto.Message) {
				m.(*schema.VerifiableTx).DualProof.TargetTxHeader.EH[0] ^= 1
			})
		}
		for _, tc := range tampers {
			t.Run(kc.c.Name+"/"+tc.name, func(t *testing.T) {
				err, st := replayOne(t, kc.c, kc.kind, tc.pub, tc.f, dualCall(t, kc.c, kc.kind))
				if !errors.Is(err, ErrCorruptedData) {
					t.Fatalf("err = %v, want ErrCorruptedData", err)
				}
				if !sameState(st, kc.c.Before.proto(t)) {
					t.Fatalf("state moved to %d", st.GetTxId())
				}
			})
		}
	}
}
