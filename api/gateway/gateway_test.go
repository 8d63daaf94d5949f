package gateway_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/gateway"
	"github.com/attestdb/attestdb/api/schema"
)

// fakeImmu answers Health and Get, recording the metadata it received.
type fakeImmu struct {
	schema.UnimplementedImmuServiceServer
	md metadata.MD
}

func (f *fakeImmu) Health(ctx context.Context, _ *emptypb.Empty) (*schema.HealthResponse, error) {
	_ = grpc.SetHeader(ctx, metadata.Pairs("immudb-uuid", "uuid-1"))
	return &schema.HealthResponse{Status: true}, nil
}

func (f *fakeImmu) Get(ctx context.Context, r *schema.KeyRequest) (*schema.Entry, error) {
	f.md, _ = metadata.FromIncomingContext(ctx)
	if string(r.Key) == "missing" {
		st, err := status.New(codes.Unknown, "tbtree: key not found").
			WithDetails(&schema.ErrorInfo{Code: "00000", Cause: "key not found"})
		if err != nil {
			return nil, err
		}
		return nil, st.Err()
	}
	return &schema.Entry{Tx: 5, Key: r.Key, Value: []byte("v"), Revision: uint64(r.AtTx)}, nil
}

func (f *fakeImmu) DatabaseListV2(context.Context, *schema.DatabaseListRequestV2) (*schema.DatabaseListResponseV2, error) {
	return &schema.DatabaseListResponseV2{Databases: []*schema.DatabaseInfo{
		{Name: "defaultdb", Loaded: true, CreatedAt: 1700000000, CreatedBy: "immudb"},
	}}, nil
}

type fakeAuth struct {
	authorization.UnimplementedAuthorizationServiceServer
}

func (fakeAuth) OpenSession(_ context.Context, r *authorization.OpenSessionRequest) (*authorization.OpenSessionResponse, error) {
	return &authorization.OpenSessionResponse{SessionID: "s-" + r.Username, ServerUUID: "uuid-1"}, nil
}

func setup(t *testing.T) (*fakeImmu, http.Handler) {
	t.Helper()
	lis := bufconn.Listen(1 << 20)
	srv := grpc.NewServer()
	immu := &fakeImmu{}
	schema.RegisterImmuServiceServer(srv, immu)
	authorization.RegisterAuthorizationServiceServer(srv, fakeAuth{})
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)

	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })

	mux := gateway.NewServeMux()
	if err := gateway.Register(context.Background(), mux, conn); err != nil {
		t.Fatal(err)
	}
	return immu, mux
}

func do(t *testing.T, h http.Handler, method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	rec := send(h, method, path, body, hdr)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
	}
	return rec
}

func send(h http.Handler, method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var a, b any
	if err := json.Unmarshal(got, &a); err != nil {
		t.Fatalf("reply %q: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("reply %s, want %s", got, want)
	}
}

func TestHealthOmitsDefaultsAndForwardsUUID(t *testing.T) {
	_, h := setup(t)
	rec := do(t, h, "GET", "/health", "", nil)
	// version is empty, so it is omitted as immudb's gateway does.
	jsonEqual(t, rec.Body.Bytes(), `{"status":true}`)
	if got := rec.Header().Get("Grpc-Metadata-Immudb-Uuid"); got != "uuid-1" {
		t.Errorf("Grpc-Metadata-Immudb-Uuid = %q", got)
	}
}

func TestGetMapsBytesIntsAndHeaders(t *testing.T) {
	immu, h := setup(t)
	rec := do(t, h, "GET", "/db/get/a2V5?atTx=3", "", map[string]string{
		"sessionid":     "sid-1",
		"Authorization": "Bearer tok",
	})
	// Bytes are base64, uint64 are strings, names are lowerCamelCase.
	jsonEqual(t, rec.Body.Bytes(), `{"tx":"5","key":"a2V5","value":"dg==","revision":"3"}`)
	if got := immu.md.Get("sessionid"); len(got) != 1 || got[0] != "sid-1" {
		t.Errorf("sessionid metadata = %v", got)
	}
	if got := immu.md.Get("authorization"); len(got) != 1 || got[0] != "Bearer tok" {
		t.Errorf("authorization metadata = %v", got)
	}
}

func TestAuthorizationOpenSession(t *testing.T) {
	_, h := setup(t)
	rec := do(t, h, "POST", "/authorization/session/open", `{"username":"immudb","password":"x","database":"defaultdb","unknownField":1}`, nil)
	jsonEqual(t, rec.Body.Bytes(), `{"sessionID":"s-immudb","serverUUID":"uuid-1"}`)
}

// TestProtoNamesInJSON: immudb's gateway writes proto field names, which
// matters only for the snake_case fields of DatabaseInfo.
func TestProtoNamesInJSON(t *testing.T) {
	_, h := setup(t)
	rec := do(t, h, "POST", "/db/list/v2", "{}", nil)
	jsonEqual(t, rec.Body.Bytes(),
		`{"databases":[{"name":"defaultdb","loaded":true,"created_at":"1700000000","created_by":"immudb"}]}`)
}

// TestErrorBodyV1Shape: errors carry "error" and "message" (grpc-gateway v1
// shape), the gRPC code, and the status details rendered as JSON.
func TestErrorBodyV1Shape(t *testing.T) {
	_, h := setup(t)
	rec := send(h, "GET", "/db/get/bWlzc2luZw==", "", nil)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 (Unknown)", rec.Code)
	}
	jsonEqual(t, rec.Body.Bytes(), `{"error":"tbtree: key not found","code":2,"message":"tbtree: key not found",`+
		`"details":[{"@type":"type.googleapis.com/immudb.schema.ErrorInfo","code":"00000","cause":"key not found"}]}`)
}
