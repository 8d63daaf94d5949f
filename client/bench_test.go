package client

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// Client-side verification cost (CPU only) and the cost of a verified read
// over loopback gRPC against a fake server.

func benchCase(b *testing.B, kind string, i int) dualCase {
	var v dualVectors
	readVectors(b, "dual_proofs.json", &v)
	switch kind {
	case "get":
		return v.Get[i]
	case "write":
		return v.Writes[i]
	}
	return v.TxByID[i]
}

func BenchmarkVerifyGet(b *testing.B) {
	dc := benchCase(b, "get", 0) // state 5 → tx 13
	var ve schema.VerifiableEntry
	caseResponse(b, dc, &ve)
	var req schema.VerifiableGetRequest
	caseRequest(b, dc, &req)
	c := &Client{svc: stubService{}}
	st := dc.Before.proto(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.verifyGet(ctx, st, req.KeyRequest, &ve); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyWrite(b *testing.B) {
	dc := benchCase(b, "write", 0) // VerifiedSet, state 10 → tx 19
	var vtx schema.VerifiableTx
	caseResponse(b, dc, &vtx)
	var req schema.VerifiableSetRequest
	caseRequest(b, dc, &req)
	kv := req.SetRequest.KVs[0]
	c := &Client{svc: stubService{}}
	st := dc.Before.proto(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.verifyWrite(ctx, st, &vtx, proof.EncodeKVKey(kv.Key), proof.Sum(proof.EncodePlainValue(kv.Value)), true); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifiedGetLoopback(b *testing.B) {
	dc := benchCase(b, "get", 0)
	var ve schema.VerifiableEntry
	caseResponse(b, dc, &ve)
	f := newFakeServer(b, replayUUID, func(m string, _ metadata.MD, _ proto.Message) (proto.Message, error) {
		switch m {
		case "OpenSession":
			return &schema.OpenSessionResponse{SessionID: "sid", ServerUUID: replayUUID}, nil
		case "CloseSession":
			return &emptyMsg{}, nil
		case "VerifiableGet":
			return &ve, nil
		}
		return nil, unexpected(m)
	})
	store := NewMemStateStore()
	c := testClient(b, f, func(o *Options) { o.StateStore = store })
	ctx := context.Background()
	if err := c.OpenSession(ctx, []byte("u"), []byte("p"), "defaultdb"); err != nil {
		b.Fatal(err)
	}
	before := dc.Before.proto(b)
	b.ReportAllocs()
	for b.Loop() {
		// Reset the trusted state so each call proves 5 → 13 again.
		if err := store.Set(replayUUID, before); err != nil {
			b.Fatal(err)
		}
		if _, err := c.VerifiedGet(ctx, []byte("alpha")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFileStateStoreCycle(b *testing.B) {
	fs, err := NewFileStateStore(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	st := stateAt("defaultdb", 1)
	b.ReportAllocs()
	for b.Loop() {
		unlock, err := fs.Lock("u")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := fs.Get("u", "defaultdb"); err != nil {
			b.Fatal(err)
		}
		if err := fs.Set("u", st); err != nil {
			b.Fatal(err)
		}
		_ = unlock()
	}
}
