package client

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
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
