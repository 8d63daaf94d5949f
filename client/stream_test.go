package client

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

// framing records the chunks of one message.
func framing(t *testing.T, chunkSize int, msg []byte) [][]byte {
	t.Helper()
	var out [][]byte
	err := sendBytes(func(c *schema.Chunk) error { out = append(out, c.Content); return nil }, chunkSize, msg)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestChunkFramingLayout(t *testing.T) {
	// One small message: u64 big-endian length then the bytes, one chunk.
	got := framing(t, 4096, []byte("hello"))
	want := append([]byte{0, 0, 0, 0, 0, 0, 0, 5}, "hello"...)
	if len(got) != 1 || !bytes.Equal(got[0], want) {
		t.Fatalf("chunks %x", got)
	}
	// Empty message: the length alone.
	if got := framing(t, 4096, nil); len(got) != 1 || !bytes.Equal(got[0], make([]byte, 8)) {
		t.Fatalf("empty message chunks %x", got)
	}
	// 5000 bytes with 4096-byte chunks: the length counts against the first.
	msg := bytes.Repeat([]byte{7}, 5000)
	got = framing(t, 4096, msg)
	if len(got) != 2 || len(got[0]) != 4096 || len(got[1]) != 5000-4088 {
		t.Fatalf("chunk sizes %d", len(got))
	}
	if binary.BigEndian.Uint64(got[0]) != 5000 {
		t.Fatal("length prefix")
	}
}

func chunkFeed(chunks [][]byte) func() (*schema.Chunk, error) {
	return func() (*schema.Chunk, error) {
		if len(chunks) == 0 {
			return nil, io.EOF
		}
		c := chunks[0]
		chunks = chunks[1:]
		return &schema.Chunk{Content: c}, nil
	}
}

func TestMessageReader(t *testing.T) {
	var all [][]byte
	msgs := [][]byte{[]byte("k"), bytes.Repeat([]byte("v"), 70000), nil, []byte("last")}
	for _, m := range msgs {
		all = append(all, framing(t, 4096, m)...)
	}
	r := &messageReader{recv: chunkFeed(all)}
	for i, m := range msgs {
		got, err := r.next()
		if err != nil || !bytes.Equal(got, m) {
			t.Fatalf("message %d: %v", i, err)
		}
	}
	if _, err := r.next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	bad := map[string][][]byte{
		"short first chunk": {{0, 0, 1}},
		"truncated":         {append([]byte{0, 0, 0, 0, 0, 0, 0, 9}, "abc"...)},
		"overlong chunk":    {append([]byte{0, 0, 0, 0, 0, 0, 0, 2}, "abc"...)},
		"overlong next":     {append([]byte{0, 0, 0, 0, 0, 0, 0, 4}, "ab"...), []byte("cde")},
		"empty next":        {append([]byte{0, 0, 0, 0, 0, 0, 0, 4}, "ab"...), {}},
		"huge":              {{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	}
	for name, chunks := range bad {
		r := &messageReader{recv: chunkFeed(chunks)}
		if _, err := r.next(); !errors.Is(err, ErrMalformedStream) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzMessageReader: arbitrary chunks never panic and never yield a
// message longer than announced; a decoded message re-frames to a reader
// that yields it again.
func FuzzMessageReader(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'}, []byte{})
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 5, 'a'}, []byte("bcde"))
	f.Add([]byte{1}, []byte{2})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		r := &messageReader{recv: chunkFeed([][]byte{a, b}), max: 1 << 16}
		m, err := r.next()
		if err != nil {
			return
		}
		if uint64(len(m)) != binary.BigEndian.Uint64(a) {
			t.Fatalf("length %d, announced %d", len(m), binary.BigEndian.Uint64(a))
		}
		var again [][]byte
		_ = sendBytes(func(c *schema.Chunk) error { again = append(again, c.Content); return nil }, 4096, m)
		m2, err := (&messageReader{recv: chunkFeed(again)}).next()
		if err != nil || !bytes.Equal(m, m2) {
			t.Fatalf("re-frame: %v", err)
		}
	})
}

// streamServer answers the stream RPCs of the tests.
func streamServer(t *testing.T, h func(method string, s grpc.ServerStream) error) *Client {
	f := sessionServer(t)
	f.setStreams(h)
	c := testClient(t, f, nil)
	if err := c.OpenSession(testCtx(t), []byte("u"), []byte("p"), "defaultdb"); err != nil {
		t.Fatal(err)
	}
	return c
}

func serverMessages(s grpc.ServerStream) *messageReader {
	return &messageReader{recv: func() (*schema.Chunk, error) {
		c := &schema.Chunk{}
		err := s.RecvMsg(c)
		return c, err
	}}
}

func serverSend(s grpc.ServerStream) func(*schema.Chunk) error {
	return func(c *schema.Chunk) error { return s.SendMsg(c) }
}

func TestStreamSetGetScan(t *testing.T) {
	big := bytes.Repeat([]byte("0123456789"), 20000) // 200 KB: many chunks
	var got [][]byte
	c := streamServer(t, func(m string, s grpc.ServerStream) error {
		switch m {
		case "streamSet":
			r := serverMessages(s)
			for {
				b, err := r.next()
				if err == io.EOF {
					return s.SendMsg(&schema.TxHeader{Id: 7, Nentries: int32(len(got) / 2)})
				}
				if err != nil {
					return err
				}
				got = append(got, b)
			}
		case "streamGet":
			req := &schema.KeyRequest{}
			if err := s.RecvMsg(req); err != nil {
				return err
			}
			if string(req.Key) != "big" || req.AtTx != 3 {
				return status.Error(codes.InvalidArgument, "bad request")
			}
			if err := sendBytes(serverSend(s), 4096, req.Key); err != nil {
				return err
			}
			return sendBytes(serverSend(s), 4096, big)
		case "streamScan", "streamHistory":
			for _, kv := range [][2]string{{"a", "1"}, {"b", ""}} {
				_ = sendBytes(serverSend(s), 4096, []byte(kv[0]))
				_ = sendBytes(serverSend(s), 4096, []byte(kv[1]))
			}
			return nil
		case "streamZScan":
			var score, atTx [8]byte
			binary.BigEndian.PutUint64(score[:], math.Float64bits(-2.5))
			binary.BigEndian.PutUint64(atTx[:], 9)
			for _, p := range [][]byte{[]byte("set"), []byte("k"), score[:], atTx[:], []byte("v")} {
				_ = sendBytes(serverSend(s), 4096, p)
			}
			return nil
		}
		return status.Error(codes.Unimplemented, m)
	})
	ctx := testCtx(t)
	h, err := c.StreamSet(ctx, []StreamKV{{Key: []byte("big"), Value: bytes.NewReader(big), Size: len(big)}, {Key: []byte("e"), Size: 0}})
	if err != nil || h.Id != 7 || h.Nentries != 2 {
		t.Fatalf("StreamSet: %v %v", h, err)
	}
	if len(got) != 4 || string(got[0]) != "big" || !bytes.Equal(got[1], big) || string(got[2]) != "e" || len(got[3]) != 0 {
		t.Fatalf("server received %d messages", len(got))
	}
	e, err := c.StreamGet(ctx, []byte("big"), AtTx(3))
	if err != nil || !bytes.Equal(e.Value, big) {
		t.Fatalf("StreamGet: %v", err)
	}
	for _, f := range []func() (*schema.Entries, error){
		func() (*schema.Entries, error) { return c.StreamScan(ctx, &schema.ScanRequest{}) },
		func() (*schema.Entries, error) { return c.StreamHistory(ctx, &schema.HistoryRequest{Key: []byte("a")}) },
	} {
		es, err := f()
		if err != nil || len(es.Entries) != 2 || string(es.Entries[0].Key) != "a" || string(es.Entries[0].Value) != "1" {
			t.Fatalf("scan: %v %v", es, err)
		}
	}
	z, err := c.StreamZScan(ctx, &schema.ZScanRequest{Set: []byte("set")})
	if err != nil || len(z.Entries) != 1 || z.Entries[0].Score != -2.5 || z.Entries[0].AtTx != 9 || string(z.Entries[0].Entry.Value) != "v" {
		t.Fatalf("zscan: %v %v", z, err)
	}
	// A value shorter than announced is refused locally.
	if _, err := c.StreamSet(ctx, []StreamKV{{Key: []byte("k"), Value: bytes.NewReader([]byte("ab")), Size: 5}}); !errors.Is(err, ErrIllegalArgument) {
		t.Fatalf("short value: %v", err)
	}
}

// TestStreamVerifiedReplay replays recorded verifiable answers through the
// stream RPCs: StreamVerifiedGet (entries without metadata, which the
// stream does not carry) and StreamVerifiedSet.
func TestStreamVerifiedReplay(t *testing.T) {
	pub := testPubKey(t)
	var v dualVectors
	readVectors(t, "dual_proofs.json", &v)
	ran := 0
	for _, dc := range v.Get {
		var ve schema.VerifiableEntry
		caseResponse(t, dc, &ve)
		if ve.GetEntry().GetMetadata() != nil || ve.GetEntry().GetReferencedBy().GetMetadata() != nil {
			continue
		}
		for _, tamper := range []bool{false, true} {
			name := dc.Name
			if tamper {
				name += "/tampered value"
			}
			t.Run(name, func(t *testing.T) {
				var req schema.VerifiableGetRequest
				caseRequest(t, dc, &req)
				c, store := streamReplayClient(t, dc, pub, func(m string, s grpc.ServerStream) error {
					if m != "streamVerifiableGet" {
						return status.Error(codes.Unimplemented, m)
					}
					in := &schema.VerifiableGetRequest{}
					if err := s.RecvMsg(in); err != nil {
						return err
					}
					if !proto.Equal(in, &req) {
						return status.Error(codes.InvalidArgument, "unexpected request")
					}
					e := &schema.Entry{Tx: ve.Entry.Tx, Key: ve.Entry.Key, ReferencedBy: ve.Entry.ReferencedBy}
					value := ve.Entry.Value
					if tamper {
						value = append(append([]byte(nil), value...), '!')
					}
					for _, m := range []proto.Message{e, ve.VerifiableTx, ve.InclusionProof} {
						b, _ := proto.Marshal(m)
						if err := sendBytes(serverSend(s), 4096, b); err != nil {
							return err
						}
					}
					return sendBytes(serverSend(s), 4096, value)
				})
				k := req.KeyRequest
				_, err := c.StreamVerifiedGet(testCtx(t), k.Key, AtTx(k.AtTx), SinceTx(k.SinceTx), AtRevision(k.AtRevision), NoWait(k.NoWait))
				st, _ := store.Get(replayUUID, dc.Before.Db)
				isRef := ve.Entry.ReferencedBy != nil
				switch {
				case tamper && !isRef:
					if !errors.Is(err, ErrCorruptedData) || !sameState(st, dc.Before.proto(t)) {
						t.Fatalf("tampered value: %v, state %d", err, st.GetTxId())
					}
				case !tamper:
					if err != nil || !sameState(st, dc.After.proto(t)) {
						t.Fatalf("refused: %v", err)
					}
				}
			})
			ran++
		}
	}
	if ran == 0 {
		t.Fatal("no case without metadata")
	}

	w := v.Writes[0] // VerifiedSet
	var wreq schema.VerifiableSetRequest
	caseRequest(t, w, &wreq)
	var wresp schema.VerifiableTx
	caseResponse(t, w, &wresp)
	c, store := streamReplayClient(t, w, pub, func(m string, s grpc.ServerStream) error {
		r := serverMessages(s)
		since, err := r.mustNext("proveSinceTx")
		if err != nil {
			return err
		}
		k, _ := r.mustNext("key")
		val, _ := r.mustNext("value")
		if binary.BigEndian.Uint64(since) != wreq.ProveSinceTx || !bytes.Equal(k, wreq.SetRequest.KVs[0].Key) || !bytes.Equal(val, wreq.SetRequest.KVs[0].Value) {
			return status.Error(codes.InvalidArgument, "unexpected request")
		}
		return s.SendMsg(&wresp)
	})
	kv := wreq.SetRequest.KVs[0]
	if _, err := c.StreamVerifiedSet(testCtx(t), StreamKV{Key: kv.Key, Value: bytes.NewReader(kv.Value), Size: len(kv.Value)}); err != nil {
		t.Fatalf("StreamVerifiedSet: %v", err)
	}
	if st, _ := store.Get(replayUUID, w.Before.Db); !sameState(st, w.After.proto(t)) {
		t.Fatalf("state %d", st.GetTxId())
	}
}

func streamReplayClient(t *testing.T, dc dualCase, pub *ecdsaKey, h func(string, grpc.ServerStream) error) (*Client, *MemStateStore) {
	t.Helper()
	f := sessionServer(t)
	f.setStreams(h)
	store := NewMemStateStore()
	if err := store.Set(replayUUID, dc.Before.proto(t)); err != nil {
		t.Fatal(err)
	}
	c := testClient(t, f, func(o *Options) { o.StateStore = store; o.ServerSigningPubKey = pub })
	if err := c.OpenSession(testCtx(t), []byte("u"), []byte("p"), dc.Before.Db); err != nil {
		t.Fatal(err)
	}
	return c, store
}

// TestStreamChecksServerUUID: a stream answered by a server with another
// UUID than the session's is refused like a unary call.
func TestStreamChecksServerUUID(t *testing.T) {
	var f *fakeServer
	f = newFakeServer(t, "uuid-a", func(m string, _ metadata.MD, _ proto.Message) (proto.Message, error) {
		switch m {
		case "OpenSession":
			return &schema.OpenSessionResponse{SessionID: "s", ServerUUID: "uuid-a"}, nil
		case "CloseSession":
			return &emptyMsg{}, nil
		}
		return nil, unexpected(m)
	})
	f.setStreams(func(m string, s grpc.ServerStream) error {
		_ = s.RecvMsg(&schema.KeyRequest{})
		_ = sendBytes(serverSend(s), 4096, []byte("k"))
		return sendBytes(serverSend(s), 4096, []byte("v"))
	})
	c := testClient(t, f, nil)
	ctx := testCtx(t)
	if err := c.OpenSession(ctx, []byte("u"), []byte("p"), "defaultdb"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.StreamGet(ctx, []byte("k")); err != nil {
		t.Fatalf("same server: %v", err)
	}
	f.setUUID("uuid-b")
	if _, err := c.StreamGet(ctx, []byte("k")); !errors.Is(err, ErrServerIdentityChanged) {
		t.Fatalf("changed server: %v", err)
	}
}

func TestStreamExecAll(t *testing.T) {
	type op struct {
		typ  byte
		a, b []byte
	}
	var got []op
	c := streamServer(t, func(m string, s grpc.ServerStream) error {
		if m != "streamExecAll" {
			return status.Error(codes.Unimplemented, m)
		}
		r := serverMessages(s)
		for {
			typ, err := r.next()
			if err == io.EOF {
				return s.SendMsg(&schema.TxHeader{Id: 1, Nentries: int32(len(got))})
			}
			if err != nil || len(typ) != 1 {
				return status.Error(codes.InvalidArgument, "bad op")
			}
			a, _ := r.mustNext("first")
			var b []byte
			if typ[0] == 1 {
				b, _ = r.mustNext("value")
			}
			got = append(got, op{typ[0], a, b})
		}
	})
	ctx := testCtx(t)
	z := &schema.ZAddRequest{Set: []byte("s"), Score: 3, Key: []byte("k")}
	h, err := c.StreamExecAll(ctx, []StreamOp{
		{KV: &StreamKV{Key: []byte("k"), Value: bytes.NewReader([]byte("v")), Size: 1}},
		{ZAdd: z},
	})
	if err != nil || h.Nentries != 2 {
		t.Fatalf("StreamExecAll: %v %v", h, err)
	}
	var gz schema.ZAddRequest
	if got[0].typ != 1 || string(got[0].a) != "k" || string(got[0].b) != "v" || got[1].typ != 2 ||
		proto.Unmarshal(got[1].a, &gz) != nil || !proto.Equal(&gz, z) {
		t.Fatalf("server got %+v", got)
	}
	if _, err := c.StreamExecAll(ctx, []StreamOp{{}}); !errors.Is(err, ErrIllegalArgument) {
		t.Fatalf("empty op: %v", err)
	}
}
