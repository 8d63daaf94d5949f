package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

// TestSharedConnection: clients built on one connection (Dial,
// Options.Conn) use it, each call carrying its own client's session; a
// client's Close leaves the connection to the others and to its owner.
func TestSharedConnection(t *testing.T) {
	var mu sync.Mutex
	peers := map[string]bool{}
	opened := 0
	f := newFakeServer(t, "uuid-1", func(m string, md metadata.MD, req proto.Message) (proto.Message, error) {
		switch m {
		case "OpenSession":
			mu.Lock()
			opened++
			id := fmt.Sprint("session-", opened)
			mu.Unlock()
			return &schema.OpenSessionResponse{SessionID: id, ServerUUID: "uuid-1"}, nil
		case "Get":
			// The value is the session the call came with.
			sid := md.Get(MetaSessionID)
			if len(sid) != 1 {
				return nil, fmt.Errorf("sessionid %v", sid)
			}
			return &schema.Entry{Key: req.(*schema.KeyRequest).Key, Value: []byte(sid[0])}, nil
		case "CloseSession":
			return &emptyMsg{}, nil
		}
		return nil, unexpected(m)
	}, grpc.ChainStreamInterceptor(func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
		if p, ok := peer.FromContext(ss.Context()); ok {
			mu.Lock()
			peers[p.Addr.String()] = true
			mu.Unlock()
		}
		return h(srv, ss)
	}))
	ctx := testCtx(t)
	base := DefaultOptions().WithAddress("127.0.0.1").WithPort(f.addr.Port).WithStateStore(NewMemStateStore())
	base.KeepAliveInterval = 0
	cc, err := Dial(base)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	var clis []*Client
	for i := 0; i < 3; i++ {
		c, err := New(base.WithStateStore(NewMemStateStore()).WithConn(cc))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "defaultdb"); err != nil {
			t.Fatal(err)
		}
		clis = append(clis, c)
	}
	seen := map[string]bool{}
	for i, c := range clis {
		e, err := c.Get(ctx, []byte("k"))
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		if seen[string(e.Value)] {
			t.Fatalf("client %d called with another client's session %s", i, e.Value)
		}
		seen[string(e.Value)] = true
	}
	mu.Lock()
	if len(peers) != 1 {
		t.Fatalf("calls came over %d connections, want 1: %v", len(peers), peers)
	}
	mu.Unlock()

	if err := clis[0].Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := clis[0].Get(ctx, []byte("k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get after Close = %v, want ErrClosed", err)
	}
	if _, err := clis[1].Get(ctx, []byte("k")); err != nil {
		t.Fatalf("another client after the first one's Close: %v", err)
	}
	for _, c := range clis[1:] {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if s := cc.GetState(); s == connectivity.Shutdown {
		t.Fatal("the clients' Close closed the shared connection")
	}
}

// TestDialValidates: Dial refuses the options New refuses.
func TestDialValidates(t *testing.T) {
	if _, err := Dial(DefaultOptions().WithPort(0)); !errors.Is(err, ErrIllegalArgument) {
		t.Fatalf("Dial with port 0 = %v, want ErrIllegalArgument", err)
	}
}

// whoServer is a fake server that tells each call's credentials back: a
// unary Get and a streamGet answer "sid=<sessionid> auth=<authorization>",
// a streamSet fails unless its value is that same text. Sessions and
// tokens are numbered in the order they are given out.
type whoServer struct {
	*fakeServer
	mu         sync.Mutex
	sessions   int
	tokens     int
	keepAlives map[string]int // by sessionid
	closed     map[string]int // CloseSession calls by sessionid
}

func who(md metadata.MD) string {
	return fmt.Sprintf("sid=%s auth=%s", md.Get(MetaSessionID), md.Get(MetaAuthorization))
}

func newWhoServer(t *testing.T, uuid string, opts ...grpc.ServerOption) *whoServer {
	w := &whoServer{keepAlives: map[string]int{}, closed: map[string]int{}}
	w.fakeServer = newFakeServer(t, uuid, func(m string, md metadata.MD, req proto.Message) (proto.Message, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		sid := ""
		if v := md.Get(MetaSessionID); len(v) == 1 {
			sid = v[0]
		}
		switch m {
		case "OpenSession":
			w.sessions++
			return &schema.OpenSessionResponse{SessionID: fmt.Sprint("session-", w.sessions), ServerUUID: uuid}, nil
		case "CloseSession":
			w.closed[sid]++
			return &emptyMsg{}, nil
		case "KeepAlive":
			w.keepAlives[sid]++
			return &emptyMsg{}, nil
		case "Health":
			return &schema.HealthResponse{Status: true, Version: "1"}, nil
		case "Login":
			w.tokens++
			return &schema.LoginResponse{Token: fmt.Sprint("tok-", w.tokens)}, nil
		case "UseDatabase":
			w.tokens++
			return &schema.UseDatabaseReply{Token: fmt.Sprint("tok-", w.tokens)}, nil
		case "Logout":
			return &emptyMsg{}, nil
		case "Get":
			return &schema.Entry{Key: req.(*schema.KeyRequest).Key, Value: []byte(who(md))}, nil
		}
		return nil, unexpected(m)
	}, opts...)
	w.setStreams(func(m string, s grpc.ServerStream) error {
		md, _ := metadata.FromIncomingContext(s.Context())
		switch m {
		case "streamGet":
			req := &schema.KeyRequest{}
			if err := s.RecvMsg(req); err != nil {
				return err
			}
			if err := sendBytes(serverSend(s), 4096, req.Key); err != nil {
				return err
			}
			return sendBytes(serverSend(s), 4096, []byte(who(md)))
		case "streamSet":
			r := serverMessages(s)
			if _, err := r.mustNext("key"); err != nil {
				return err
			}
			v, err := r.mustNext("value")
			if err != nil {
				return err
			}
			if string(v) != who(md) {
				return status.Errorf(codes.InvalidArgument, "value %q sent with %q", v, who(md))
			}
			return s.SendMsg(&schema.TxHeader{Id: 1, Nentries: 1})
		}
		return status.Error(codes.Unimplemented, m)
	})
	return w
}

// sharedClients dials one connection to f and builds n clients on it,
// each with its own state store; mod changes the options of both.
func sharedClients(t *testing.T, f *fakeServer, n int, mod func(*Options)) (*grpc.ClientConn, []*Client) {
	t.Helper()
	o := testOptions(f, mod)
	cc, err := Dial(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	var clis []*Client
	for i := 0; i < n; i++ {
		c, err := New(o.WithStateStore(NewMemStateStore()).WithConn(cc))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		clis = append(clis, c)
	}
	return cc, clis
}

// TestSharedConnectionConcurrent: several clients on one connection call
// at the same time, unary and streaming, in session and token mode, with
// their keep-alives running; every call carries its own client's
// credentials (run with -race).
func TestSharedConnectionConcurrent(t *testing.T) {
	w := newWhoServer(t, "uuid-1")
	cc, clis := sharedClients(t, w.fakeServer, 4, func(o *Options) { o.KeepAliveInterval = 2 * time.Millisecond })
	ctx := testCtx(t)
	// Clients 0-2 open sessions; client 3 logs in (token flow, with the
	// Health call that learns the UUID).
	for _, c := range clis[:3] {
		if err := c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "defaultdb"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := clis[3].Login(ctx, []byte("immudb"), []byte("immudb")); err != nil {
		t.Fatal(err)
	}
	if clis[3].ServerUUID() != "uuid-1" {
		t.Fatalf("token client UUID %q", clis[3].ServerUUID())
	}
	// Session mode sends an empty token, as immudb's client does.
	want := []string{
		"sid=[session-1] auth=[Bearer ]",
		"sid=[session-2] auth=[Bearer ]",
		"sid=[session-3] auth=[Bearer ]",
		"sid=[] auth=[Bearer tok-1]",
	}

	const workers, rounds = 3, 10
	errs := make(chan error, len(clis)*workers)
	var wg sync.WaitGroup
	for i, c := range clis {
		for g := 0; g < workers; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for r := 0; r < rounds; r++ {
					e, err := c.Get(ctx, []byte("k"))
					if err == nil && string(e.Value) != want[i] {
						err = fmt.Errorf("client %d: Get answered for %q, want %q", i, e.Value, want[i])
					}
					if err == nil {
						e, err = c.StreamGet(ctx, []byte("k"))
						if err == nil && string(e.Value) != want[i] {
							err = fmt.Errorf("client %d: StreamGet answered for %q, want %q", i, e.Value, want[i])
						}
					}
					if err == nil {
						v := []byte(want[i])
						_, err = c.StreamSet(ctx, []StreamKV{{Key: []byte("k"), Value: bytes.NewReader(v), Size: len(v)}})
					}
					if err != nil {
						errs <- fmt.Errorf("client %d worker %d round %d: %w", i, g, r, err)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	// Every session was kept alive with its own id (the token client has
	// no session, hence no keep-alive).
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.mu.Lock()
		n := 0
		for _, s := range []string{"session-1", "session-2", "session-3"} {
			if w.keepAlives[s] > 0 {
				n++
			}
		}
		stray := len(w.keepAlives) - n
		w.mu.Unlock()
		if stray != 0 {
			t.Fatalf("keep-alives with another sessionid: %v", w.keepAlives)
		}
		if n == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("keep-alives %v, want one for each session", w.keepAlives)
		}
		time.Sleep(5 * time.Millisecond)
	}

	// UseDatabase and Logout of the token client change its credentials
	// only.
	if _, err := clis[3].UseDatabase(ctx, "db2"); err != nil {
		t.Fatal(err)
	}
	for i, wantv := range map[int]string{0: want[0], 3: "sid=[] auth=[Bearer tok-2]"} {
		if e, err := clis[i].Get(ctx, []byte("k")); err != nil || string(e.Value) != wantv {
			t.Fatalf("client %d after UseDatabase: %v %v, want %q", i, e, err, wantv)
		}
	}
	if err := clis[3].Logout(ctx); err != nil {
		t.Fatal(err)
	}

	// The clients close at the same time, each closing its own session,
	// and leave the connection open.
	var cw sync.WaitGroup
	for _, c := range clis {
		cw.Add(1)
		go func() {
			defer cw.Done()
			if err := c.Close(); err != nil {
				t.Error(err)
			}
		}()
	}
	cw.Wait()
	w.mu.Lock()
	closed := fmt.Sprint(w.closed)
	w.mu.Unlock()
	if closed != "map[session-1:1 session-2:1 session-3:1]" {
		t.Fatalf("CloseSession calls %s", closed)
	}
	if cc.GetState() == connectivity.Shutdown {
		t.Fatal("the clients closed the shared connection")
	}
}

// TestSharedConnectionServerUUID: the identity check works per client over
// a shared connection, on unary calls and on streams.
func TestSharedConnectionServerUUID(t *testing.T) {
	w := newWhoServer(t, "uuid-a")
	_, clis := sharedClients(t, w.fakeServer, 2, nil)
	ctx := testCtx(t)
	for _, c := range clis {
		if err := c.OpenSession(ctx, []byte("u"), []byte("p"), "defaultdb"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.StreamGet(ctx, []byte("k")); err != nil {
			t.Fatalf("same server: %v", err)
		}
	}
	w.setUUID("uuid-b")
	if _, err := clis[0].Get(ctx, []byte("k")); !errors.Is(err, ErrServerIdentityChanged) {
		t.Fatalf("unary call to a changed server: %v", err)
	}
	if _, err := clis[1].StreamGet(ctx, []byte("k")); !errors.Is(err, ErrServerIdentityChanged) {
		t.Fatalf("stream from a changed server: %v", err)
	}
}

// TestSharedConnectionDialOptions: the DialOptions given to Dial apply to
// the calls of every client on the connection, and run inside the client's
// own interceptor (they see its credentials).
func TestSharedConnectionDialOptions(t *testing.T) {
	w := newWhoServer(t, "uuid-1")
	var mu sync.Mutex
	var seen []string
	rec := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if strings.HasSuffix(method, "/Get") {
			md, _ := metadata.FromOutgoingContext(ctx)
			mu.Lock()
			seen = append(seen, fmt.Sprint(md.Get(MetaSessionID)))
			mu.Unlock()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	_, clis := sharedClients(t, w.fakeServer, 2, func(o *Options) {
		o.DialOptions = []grpc.DialOption{grpc.WithChainUnaryInterceptor(rec)}
	})
	ctx := testCtx(t)
	for _, c := range clis {
		if err := c.OpenSession(ctx, []byte("u"), []byte("p"), "defaultdb"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(ctx, []byte("k")); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(seen) != "[[session-1] [session-2]]" {
		t.Fatalf("the connection's interceptor saw sessions %v", seen)
	}
}

// TestSharedConnectionVerifiedStream: a verified stream write proves and
// advances each client's own trusted state over a shared connection.
func TestSharedConnectionVerifiedStream(t *testing.T) {
	pub := testPubKey(t)
	var v dualVectors
	readVectors(t, "dual_proofs.json", &v)
	wc := v.Writes[0]
	var wreq schema.VerifiableSetRequest
	caseRequest(t, wc, &wreq)
	var wresp schema.VerifiableTx
	caseResponse(t, wc, &wresp)
	f := sessionServer(t)
	f.setStreams(func(m string, s grpc.ServerStream) error {
		if m != "streamVerifiableSet" {
			return status.Error(codes.Unimplemented, m)
		}
		r := serverMessages(s)
		for _, what := range []string{"proveSinceTx", "key", "value"} {
			if _, err := r.mustNext(what); err != nil {
				return err
			}
		}
		return s.SendMsg(&wresp)
	})
	o := DefaultOptions().WithAddress("127.0.0.1").WithPort(f.addr.Port).WithStateStore(NewMemStateStore())
	o.KeepAliveInterval, o.ServerSigningPubKey = 0, pub
	cc, err := Dial(o)
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	ctx := testCtx(t)
	kv := wreq.SetRequest.KVs[0]
	for i := 0; i < 2; i++ {
		store := NewMemStateStore()
		if err := store.Set(replayUUID, wc.Before.proto(t)); err != nil {
			t.Fatal(err)
		}
		c, err := New(o.WithStateStore(store).WithConn(cc))
		if err != nil {
			t.Fatal(err)
		}
		if err := c.OpenSession(ctx, []byte("u"), []byte("p"), wc.Before.Db); err != nil {
			t.Fatal(err)
		}
		if _, err := c.StreamVerifiedSet(ctx, StreamKV{Key: kv.Key, Value: bytes.NewReader(kv.Value), Size: len(kv.Value)}); err != nil {
			t.Fatalf("client %d: StreamVerifiedSet: %v", i, err)
		}
		if st, _ := store.Get(replayUUID, wc.Before.Db); !sameState(st, wc.After.proto(t)) {
			t.Fatalf("client %d: state %d", i, st.GetTxId())
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
