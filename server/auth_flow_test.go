package server

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// wantStatus checks an error's gRPC code, message and (when infoCode is
// not empty) its ErrorInfo code followed by a RetryInfo.
func wantStatus(t *testing.T, err error, code codes.Code, msg, infoCode string) {
	t.Helper()
	st, ok := status.FromError(err)
	if !ok || err == nil {
		t.Fatalf("want %v %q, got %v", code, msg, err)
	}
	if st.Code() != code || st.Message() != msg {
		t.Fatalf("want %v %q, got %v %q", code, msg, st.Code(), st.Message())
	}
	if infoCode == "" {
		return
	}
	d := st.Details()
	if len(d) != 2 {
		t.Fatalf("want ErrorInfo+RetryInfo details, got %v", d)
	}
	ei, ok := d[0].(*schema.ErrorInfo)
	if !ok || ei.Code != infoCode {
		t.Fatalf("want ErrorInfo code %s, got %v", infoCode, d[0])
	}
	if _, ok := d[1].(*schema.RetryInfo); !ok {
		t.Fatalf("want RetryInfo second, got %v", d[1])
	}
}

func withSession(ctx context.Context, id string) context.Context {
	// The Go client sends an empty Bearer next to the session id.
	return metadata.AppendToOutgoingContext(ctx, "sessionid", id, "authorization", "Bearer ")
}

func withToken(ctx context.Context, tok string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
}

func openSession(t *testing.T, ts *testServer, user, pw, db string) string {
	t.Helper()
	r, err := ts.cli.OpenSession(callCtx(t), &schema.OpenSessionRequest{Username: []byte(user), Password: []byte(pw), DatabaseName: db})
	if err != nil {
		t.Fatalf("OpenSession: %v", err)
	}
	if r.ServerUUID != ts.UUID() || r.SessionID == "" {
		t.Fatalf("OpenSession reply %v", r)
	}
	return r.SessionID
}

func TestUUIDHeaderOnEveryResponse(t *testing.T) {
	ts := startTestServer(t, nil)
	cases := []struct {
		name string
		ctx  func(context.Context) context.Context
		call func(ctx context.Context, o grpc.CallOption) error
		ok   bool
	}{
		{"health", nil, func(ctx context.Context, o grpc.CallOption) error {
			_, err := ts.cli.Health(ctx, &emptypb.Empty{}, o)
			return err
		}, true},
		{"not logged in", nil, func(ctx context.Context, o grpc.CallOption) error {
			_, err := ts.cli.Get(ctx, &schema.KeyRequest{Key: []byte("k")}, o)
			return err
		}, false},
		{"unknown session", func(c context.Context) context.Context { return withSession(c, "nope") }, func(ctx context.Context, o grpc.CallOption) error {
			_, err := ts.cli.CurrentState(ctx, &emptypb.Empty{}, o)
			return err
		}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := callCtx(t)
			if c.ctx != nil {
				ctx = c.ctx(ctx)
			}
			var hdr metadata.MD
			err := c.call(ctx, grpc.Header(&hdr))
			if (err == nil) != c.ok {
				t.Fatalf("err = %v", err)
			}
			if got := hdr.Get("immudb-uuid"); len(got) != 1 || got[0] != ts.UUID() {
				t.Fatalf("immudb-uuid = %v, want %s", got, ts.UUID())
			}
		})
	}
}

func TestEmptySessionIDHasNoUUIDHeader(t *testing.T) {
	ts := startTestServer(t, nil)
	var hdr metadata.MD
	_, err := ts.cli.CurrentState(withSession(callCtx(t), ""), &emptypb.Empty{}, grpc.Header(&hdr))
	wantStatus(t, err, codes.Unknown, "no sessionID provided", "28000")
	if got := hdr.Get("immudb-uuid"); len(got) != 0 {
		t.Fatalf("immudb-uuid = %v, want none", got)
	}
}

func TestAuthFailures(t *testing.T) {
	ts := startTestServer(t, nil)
	ctx := callCtx(t)

	_, err := ts.cli.Get(ctx, &schema.KeyRequest{Key: []byte("k")})
	wantStatus(t, err, codes.Unknown, "not logged in", "28000")

	_, err = ts.cli.OpenSession(ctx, &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("wrong"), DatabaseName: "defaultdb"})
	wantStatus(t, err, codes.Unknown, "invalid user name or password", "08004")

	_, err = ts.cli.OpenSession(ctx, &schema.OpenSessionRequest{Username: []byte("ghost"), Password: []byte("immudb"), DatabaseName: "defaultdb"})
	wantStatus(t, err, codes.Unknown, "invalid user name or password", "08004")

	_, err = ts.cli.OpenSession(ctx, &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("immudb"), DatabaseName: "nope"})
	wantStatus(t, err, codes.Unknown, "database does not exist", "")

	_, err = ts.cli.CurrentState(withSession(ctx, "bm9wZQ=="), &emptypb.Empty{})
	wantStatus(t, err, codes.PermissionDenied, "session not found", "08001")

	_, err = ts.cli.Get(withToken(ctx, "garbage"), &schema.KeyRequest{Key: []byte("k")})
	if status.Code(err) == codes.OK {
		t.Fatal("garbage token accepted")
	}

	_, err = ts.cli.Login(ctx, &schema.LoginRequest{User: []byte("immudb"), Password: []byte("bad")})
	wantStatus(t, err, codes.Unknown, "invalid user name or password", "08004")
}

func TestSessionFlowSignedState(t *testing.T) {
	ts := startTestServer(t, nil)
	sid := openSession(t, ts, "immudb", "immudb", "defaultdb")
	ctx := withSession(callCtx(t), sid)

	st, err := ts.cli.CurrentState(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Db != "defaultdb" || st.TxId != 0 || st.Signature == nil {
		t.Fatalf("state %v", st)
	}
	pub, err := proof.ParsePublicKeyBytes(st.Signature.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Equal(&ts.key.PublicKey) {
		t.Fatal("signature made with another key")
	}
	if err := proof.VerifyStateSignature(pub, st.Db, st.TxId, st.TxHash, st.Signature.Signature); err != nil {
		t.Fatalf("signature: %v", err)
	}
	if err := proof.VerifyStateSignature(pub, "otherdb", st.TxId, st.TxHash, st.Signature.Signature); err == nil {
		t.Fatal("signature verifies for another db")
	}

	if _, err := ts.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: []byte("v")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.cli.Get(ctx, &schema.KeyRequest{Key: []byte("missing")})
	wantStatus(t, err, codes.Unknown, "tbtree: key not found", "")

	if _, err := ts.cli.KeepAlive(ctx, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ts.cli.CloseSession(ctx, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.cli.CurrentState(ctx, &emptypb.Empty{})
	wantStatus(t, err, codes.PermissionDenied, "session not found", "08001")
}

func TestAuthorizationService(t *testing.T) {
	ts := startTestServer(t, nil)
	ac := authorization.NewAuthorizationServiceClient(ts.conn)
	ctx := callCtx(t)
	_, err := ac.OpenSession(ctx, &authorization.OpenSessionRequest{Username: "immudb", Password: "x", Database: "defaultdb"})
	wantStatus(t, err, codes.Unknown, "invalid user name or password", "08004")
	r, err := ac.OpenSession(ctx, &authorization.OpenSessionRequest{Username: "immudb", Password: "immudb", Database: "defaultdb"})
	if err != nil {
		t.Fatal(err)
	}
	if r.ServerUUID != ts.UUID() || r.InactivityTimestamp == 0 {
		t.Fatalf("reply %v", r)
	}
	sctx := withSession(ctx, r.SessionID)
	if _, err := ac.KeepAlive(sctx, &authorization.KeepAliveRequest{}); err != nil {
		t.Fatal(err)
	}
	// The session works on ImmuService too.
	if _, err := ts.cli.CurrentState(sctx, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ac.CloseSession(sctx, &authorization.CloseSessionRequest{}); err != nil {
		t.Fatal(err)
	}
	_, err = ac.KeepAlive(sctx, &authorization.KeepAliveRequest{})
	wantStatus(t, err, codes.PermissionDenied, "session not found", "08001")
}

func TestTokenFlowAndDatabaseSelection(t *testing.T) {
	ts := startTestServer(t, nil)
	ctx := callCtx(t)
	lr, err := ts.cli.Login(ctx, &schema.LoginRequest{User: []byte("immudb"), Password: []byte("immudb")})
	if err != nil {
		t.Fatal(err)
	}
	if string(lr.Warning) != "immudb user has the default password: please change it to ensure proper security" {
		t.Fatalf("warning %q", lr.Warning)
	}
	tctx := withToken(ctx, lr.Token)

	// Single-db mode: the login token already selects defaultdb.
	st, err := ts.cli.CurrentState(tctx, &emptypb.Empty{})
	if err != nil || st.Db != "defaultdb" {
		t.Fatalf("state %v, %v", st, err)
	}

	if _, err := ts.cli.CreateDatabaseV2(tctx, &schema.CreateDatabaseRequest{Name: "DB2"}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.cli.CreateDatabaseV2(tctx, &schema.CreateDatabaseRequest{Name: "defaultdb"})
	wantStatus(t, err, codes.Unknown, "database is reserved", "")
	r, err := ts.cli.CreateDatabaseV2(tctx, &schema.CreateDatabaseRequest{Name: "db2", IfNotExists: true})
	if err != nil || !r.AlreadyExisted || r.Name != "db2" {
		t.Fatalf("ifNotExists: %v %v", r, err)
	}

	// Not single-db any more: the token must select a database first.
	_, err = ts.cli.Get(tctx, &schema.KeyRequest{Key: []byte("k")})
	wantStatus(t, err, codes.Unknown, "please select a database first", "")

	_, err = ts.cli.UseDatabase(tctx, &schema.Database{DatabaseName: "nope"})
	wantStatus(t, err, codes.NotFound, "'nope' does not exist", "3F000")

	ur, err := ts.cli.UseDatabase(tctx, &schema.Database{DatabaseName: "db2"})
	if err != nil {
		t.Fatal(err)
	}
	st, err = ts.cli.CurrentState(withToken(ctx, ur.Token), &emptypb.Empty{})
	if err != nil || st.Db != "db2" {
		t.Fatalf("state %v, %v", st, err)
	}

	dl, err := ts.cli.DatabaseListV2(tctx, &schema.DatabaseListRequestV2{})
	if err != nil || len(dl.Databases) != 2 {
		t.Fatalf("list %v %v", dl, err)
	}

	if _, err := ts.cli.Logout(withToken(ctx, ur.Token), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.cli.CurrentState(withToken(ctx, ur.Token), &emptypb.Empty{})
	wantStatus(t, err, codes.PermissionDenied, "token has expired", "")
}

func TestReadOnlyUserCannotWrite(t *testing.T) {
	ts := startTestServer(t, nil)
	ctx := callCtx(t)
	admin := withSession(ctx, openSession(t, ts, "immudb", "immudb", "defaultdb"))
	if _, err := ts.cli.CreateUser(admin, &schema.CreateUserRequest{User: []byte("reader"), Password: []byte("Reader1!x"), Permission: 1, Database: "defaultdb"}); err != nil {
		t.Fatal(err)
	}
	_, err := ts.cli.CreateUser(admin, &schema.CreateUserRequest{User: []byte("x"), Password: []byte("Reader1!x"), Permission: 1, Database: "nope"})
	wantStatus(t, err, codes.NotFound, "'nope' does not exist", "3F000")

	rctx := withSession(ctx, openSession(t, ts, "reader", "Reader1!x", "defaultdb"))
	if _, err := ts.cli.CurrentState(rctx, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.cli.Set(rctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: []byte("v")}}})
	wantStatus(t, err, codes.PermissionDenied, "permission denied", "")
	_, err = ts.cli.GetAll(rctx, &schema.KeyListRequest{Keys: [][]byte{[]byte("k")}})
	wantStatus(t, err, codes.PermissionDenied, "permission denied", "")
	_, err = ts.cli.CreateDatabaseV2(rctx, &schema.CreateDatabaseRequest{Name: "x"})
	wantStatus(t, err, codes.PermissionDenied, "permission denied", "")
	_, err = ts.cli.UseDatabase(rctx, &schema.Database{DatabaseName: "systemdb"})
	wantStatus(t, err, codes.PermissionDenied, "Logged in user does not have permission on this database", "")

	// Deactivation ends the user's sessions.
	if _, err := ts.cli.SetActiveUser(admin, &schema.SetActiveUserRequest{Username: "reader", Active: false}); err != nil {
		t.Fatal(err)
	}
	_, err = ts.cli.CurrentState(rctx, &emptypb.Empty{})
	wantStatus(t, err, codes.PermissionDenied, "session not found", "08001")
}

func TestPanicIsRecovered(t *testing.T) {
	ts := startTestServer(t, nil)
	ctx := withSession(callCtx(t), openSession(t, ts, "immudb", "immudb", "defaultdb"))
	_, err := ts.cli.Get(ctx, &schema.KeyRequest{Key: []byte("panic")})
	wantStatus(t, err, codes.Internal, "internal error", "")
	// An rpc the fake does not implement panics on the nil interface.
	_, err = ts.cli.Scan(ctx, &schema.ScanRequest{})
	wantStatus(t, err, codes.Internal, "internal error", "")
	if _, err := ts.cli.Health(ctx, &emptypb.Empty{}); err != nil {
		t.Fatalf("server down after panic: %v", err)
	}
}

func TestMaxSessions(t *testing.T) {
	ts := startTestServer(t, func(o *Options) { o.MaxSessions = 2 })
	openSession(t, ts, "immudb", "immudb", "defaultdb")
	openSession(t, ts, "immudb", "immudb", "defaultdb")
	_, err := ts.cli.OpenSession(callCtx(t), &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("immudb"), DatabaseName: "defaultdb"})
	wantStatus(t, err, codes.Unknown, "can not create new session: max sessions number reached", "")
}

func TestAuthDisabled(t *testing.T) {
	ts := startTestServer(t, func(o *Options) { o.Auth = false })
	ctx := callCtx(t)
	// Local calls act on defaultdb without credentials.
	st, err := ts.cli.CurrentState(ctx, &emptypb.Empty{})
	if err != nil || st.Db != "defaultdb" {
		t.Fatalf("state %v %v", st, err)
	}
	_, err = ts.cli.OpenSession(ctx, &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("immudb")})
	wantStatus(t, err, codes.Unknown, "server is running with authentication disabled, please enable authentication to login", "")
}
