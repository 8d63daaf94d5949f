package web

import (
	"bytes"
	"context"
	"strings"
	"sync"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/schema"
)

const (
	fakeUUID    = "cs0s6bqv0bsb8c2lj9c0"
	fakeToken   = "tok-123"
	fakeSession = "sess-456"
)

// fakeImmu is a small in-memory ImmuService: enough to exercise the
// gateway's JSON mapping, metadata and error paths.
type fakeImmu struct {
	schema.UnimplementedImmuServiceServer

	mu   sync.Mutex
	txID uint64
	kv   map[string]*schema.Entry
}

func newFakeImmu() *fakeImmu { return &fakeImmu{kv: map[string]*schema.Entry{}} }

func (f *fakeImmu) register(s *grpc.Server) {
	schema.RegisterImmuServiceServer(s, f)
	authorization.RegisterAuthorizationServiceServer(s, fakeAuth{})
}

// fakeAuth is the AuthorizationService half (both services have a
// CloseSession, so they cannot share one type).
type fakeAuth struct {
	authorization.UnimplementedAuthorizationServiceServer
}

// uuidInterceptor sets immudb-uuid on every response, as the real server.
func uuidInterceptor(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	_ = grpc.SetHeader(ctx, metadata.Pairs("immudb-uuid", fakeUUID))
	return h(ctx, req)
}

// authorized accepts the legacy bearer token or a session id.
func authorized(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if strings.TrimPrefix(v, "Bearer ") == fakeToken {
			return nil
		}
	}
	for _, v := range md.Get("sessionid") {
		if v == fakeSession {
			return nil
		}
	}
	return status.Error(codes.Unauthenticated, "no session or token")
}

func (f *fakeImmu) Health(context.Context, *emptypb.Empty) (*schema.HealthResponse, error) {
	return &schema.HealthResponse{Status: true, Version: "1.11.1"}, nil
}

func (f *fakeImmu) Login(_ context.Context, r *schema.LoginRequest) (*schema.LoginResponse, error) {
	if string(r.GetUser()) != "immudb" || string(r.GetPassword()) != "immudb" {
		return nil, status.Error(codes.PermissionDenied, "invalid user name or password")
	}
	return &schema.LoginResponse{Token: fakeToken}, nil
}

func (fakeAuth) OpenSession(_ context.Context, r *authorization.OpenSessionRequest) (*authorization.OpenSessionResponse, error) {
	if r.GetUsername() != "immudb" || r.GetPassword() != "immudb" {
		return nil, status.Error(codes.PermissionDenied, "invalid user name or password")
	}
	return &authorization.OpenSessionResponse{SessionID: fakeSession, ServerUUID: fakeUUID}, nil
}

func (f *fakeImmu) CurrentState(ctx context.Context, _ *emptypb.Empty) (*schema.ImmutableState, error) {
	if err := authorized(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return &schema.ImmutableState{Db: "defaultdb", TxId: f.txID, TxHash: bytes.Repeat([]byte{0xab}, 32)}, nil
}

func (f *fakeImmu) Set(ctx context.Context, r *schema.SetRequest) (*schema.TxHeader, error) {
	if err := authorized(ctx); err != nil {
		return nil, err
	}
	if len(r.GetKVs()) == 0 {
		return nil, status.Error(codes.InvalidArgument, "no entries provided")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txID++
	for _, kv := range r.GetKVs() {
		f.kv[string(kv.GetKey())] = &schema.Entry{Tx: f.txID, Key: kv.GetKey(), Value: kv.GetValue(), Revision: 1}
	}
	return &schema.TxHeader{Id: f.txID, Nentries: int32(len(r.GetKVs()))}, nil
}

func (f *fakeImmu) Get(ctx context.Context, r *schema.KeyRequest) (*schema.Entry, error) {
	if err := authorized(ctx); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.kv[string(r.GetKey())]
	if !ok {
		st, _ := status.New(codes.NotFound, "key not found").WithDetails(&errdetails.ErrorInfo{Reason: "key not found", Domain: "immudb"})
		return nil, st.Err()
	}
	return e, nil
}
