package client

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/attestdb/attestdb/api/schema"
)

// handlerFunc answers one unary call of the fake server. method is the
// short name ("VerifiableGet"); md is the incoming metadata.
type handlerFunc func(method string, md metadata.MD, req proto.Message) (proto.Message, error)

// fakeServer is a gRPC server on 127.0.0.1:0 that answers every unary
// ImmuService method through one handler, decoding requests with the
// schema's descriptors. It stands in for a real server in replay tests.
type fakeServer struct {
	t    testing.TB
	srv  *grpc.Server
	addr *net.TCPAddr

	mu      sync.Mutex
	uuid    string // sent in the immudb-uuid header ("" = none)
	handler handlerFunc
	streams func(method string, stream grpc.ServerStream) error
}

func newFakeServer(t testing.TB, uuid string, h handlerFunc, opts ...grpc.ServerOption) *fakeServer {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	f := &fakeServer{t: t, addr: lis.Addr().(*net.TCPAddr), uuid: uuid, handler: h}
	f.srv = grpc.NewServer(append(opts, grpc.UnknownServiceHandler(f.serve))...)
	go func() { _ = f.srv.Serve(lis) }()
	t.Cleanup(f.srv.Stop)
	return f
}

func (f *fakeServer) setUUID(u string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uuid = u
}

func (f *fakeServer) setStreams(h func(method string, stream grpc.ServerStream) error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.streams = h
}

func (f *fakeServer) serve(_ any, stream grpc.ServerStream) error {
	full, ok := grpc.MethodFromServerStream(stream)
	if !ok {
		return status.Error(codes.Internal, "no method")
	}
	parts := strings.Split(strings.TrimPrefix(full, "/"), "/")
	if len(parts) != 2 {
		return status.Errorf(codes.Unimplemented, "bad method %s", full)
	}
	sd, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(parts[0]))
	if err != nil {
		return status.Errorf(codes.Unimplemented, "unknown service %s", parts[0])
	}
	md := sd.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(parts[1]))
	if md == nil {
		return status.Errorf(codes.Unimplemented, "unknown method %s", full)
	}
	if md.IsStreamingClient() || md.IsStreamingServer() {
		f.mu.Lock()
		uuid, sh := f.uuid, f.streams
		f.mu.Unlock()
		if sh == nil {
			return status.Errorf(codes.Unimplemented, "unsupported method %s", full)
		}
		if uuid != "" {
			_ = stream.SetHeader(metadata.Pairs(MetaServerUUID, uuid))
		}
		return sh(parts[1], stream)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(md.Input().FullName())
	if err != nil {
		return status.Errorf(codes.Internal, "input type: %v", err)
	}
	req := mt.New().Interface()
	if err := stream.RecvMsg(req); err != nil {
		return err
	}
	f.mu.Lock()
	uuid, h := f.uuid, f.handler
	f.mu.Unlock()
	if uuid != "" {
		_ = stream.SetHeader(metadata.Pairs(MetaServerUUID, uuid))
	}
	in, _ := metadata.FromIncomingContext(stream.Context())
	resp, err := h(parts[1], in, req)
	if err != nil {
		return err
	}
	if resp == nil {
		return status.Errorf(codes.Internal, "handler gave no response for %s", parts[1])
	}
	return stream.SendMsg(resp)
}

// sessionServer is a fake server (UUID replayUUID) that opens and closes
// sessions ("sid") and answers no other unary call; its streams are set by
// the caller (setStreams).
func sessionServer(t testing.TB) *fakeServer {
	return newFakeServer(t, replayUUID, func(m string, _ metadata.MD, _ proto.Message) (proto.Message, error) {
		switch m {
		case "OpenSession":
			return &schema.OpenSessionResponse{SessionID: "sid", ServerUUID: replayUUID}, nil
		case "CloseSession":
			return &emptyMsg{}, nil
		}
		return nil, unexpected(m)
	})
}

// testOptions are the options of a client of f: an in-memory store, no
// keep-alive, then mod.
func testOptions(f *fakeServer, mod func(*Options)) Options {
	o := DefaultOptions().WithAddress("127.0.0.1").WithPort(f.addr.Port).WithStateStore(NewMemStateStore())
	o.KeepAliveInterval = 0
	if mod != nil {
		mod(&o)
	}
	return o
}

// testClient connects a client to f with an in-memory store unless opts
// says otherwise. Every test server call is bounded by the test context.
func testClient(t testing.TB, f *fakeServer, mod func(*Options)) *Client {
	t.Helper()
	c, err := New(testOptions(f, mod))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// testCtx bounds a test's calls in time.
func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func unexpected(method string) error {
	return status.Error(codes.Unimplemented, fmt.Sprintf("unexpected call %s", method))
}
