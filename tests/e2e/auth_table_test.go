package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/server"
	"github.com/attestdb/attestdb/server/auth"
)

// immuRPCs lists every method of ImmuService from the compiled service
// descriptor, so a new RPC is covered by the tables below without edits.
func immuRPCs(t *testing.T) []protoreflect.MethodDescriptor {
	t.Helper()
	sd := schema.File_api_schema_service_proto.Services().ByName("ImmuService")
	if sd == nil {
		t.Fatal("ImmuService not in the descriptor")
	}
	var out []protoreflect.MethodDescriptor
	for i := 0; i < sd.Methods().Len(); i++ {
		out = append(out, sd.Methods().Get(i))
	}
	if len(out) < 50 {
		t.Fatalf("only %d ImmuService methods in the descriptor", len(out))
	}
	return out
}

// invokeEmpty calls m with an empty request message (one message for
// streaming methods) and drains the answer; it returns the call's error.
func invokeEmpty(ctx context.Context, conn *grpc.ClientConn, m protoreflect.MethodDescriptor) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	full := "/" + string(m.Parent().FullName()) + "/" + string(m.Name())
	inT, err := protoregistry.GlobalTypes.FindMessageByName(m.Input().FullName())
	if err != nil {
		return err
	}
	outT, err := protoregistry.GlobalTypes.FindMessageByName(m.Output().FullName())
	if err != nil {
		return err
	}
	in, out := inT.New().Interface(), outT.New().Interface()
	if !m.IsStreamingClient() && !m.IsStreamingServer() {
		return conn.Invoke(ctx, full, in, out)
	}
	st, err := conn.NewStream(ctx, &grpc.StreamDesc{StreamName: string(m.Name()),
		ClientStreams: m.IsStreamingClient(), ServerStreams: m.IsStreamingServer()}, full)
	if err != nil {
		return err
	}
	// A refused stream may be closed before the send: the status comes
	// with the receive.
	_ = st.SendMsg(in)
	_ = st.CloseSend()
	for {
		if err := st.RecvMsg(proto.Clone(out)); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// Methods that need no credentials (API.md §2.5).
var publicRPCs = map[string]bool{"Health": true, "ServerInfo": true, "Login": true, "OpenSession": true}

// Methods any logged-in user may call (the handler checks the rest); the
// read-only table does not call them, since they end or change the caller's
// login.
var loggedInRPCs = map[string]bool{"Logout": true, "CloseSession": true, "KeepAlive": true,
	"UseDatabase": true, "ChangePassword": true, "DatabaseList": true, "DatabaseListV2": true}

// Methods a user with read permission may call (API.md §2.1; GetAll needs
// readwrite). Everything else must refuse a read-only user.
var readRPCs = map[string]bool{
	"Get": true, "VerifiableGet": true, "streamGet": true, "streamVerifiableGet": true,
	"Scan": true, "streamScan": true, "ZScan": true, "streamZScan": true,
	"History": true, "streamHistory": true, "TxById": true, "VerifiableTxById": true,
	"TxScan": true, "Count": true, "CountAll": true, "CurrentState": true,
	"DatabaseHealth": true, "SQLQuery": true, "UnarySQLQuery": true, "ListTables": true,
	"DescribeTable": true, "VerifiableSQLGet": true, "GetDatabaseSettings": true,
	"GetDatabaseSettingsV2": true, "NewTx": true, "TxSQLQuery": true, "Commit": true, "Rollback": true,
}

func wantStatus(t *testing.T, what string, err error, code codes.Code, msg string) {
	t.Helper()
	st := status.Convert(err)
	if err == nil || st.Code() != code || st.Message() != msg {
		t.Errorf("%s: want %v %q, got %v", what, code, msg, err)
	}
}

// Every RPC but the public ones refuses a caller without valid
// credentials, with the status immudb clients expect.
func TestAuthTableCredentials(t *testing.T) {
	e := startServer(t, nil)
	rpcs := immuRPCs(t)
	bg := context.Background()

	closed, err := e.cli.OpenSession(callCtx(t), &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("immudb"), DatabaseName: "defaultdb"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.CloseSession(withSession(callCtx(t), closed.SessionID), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	lr, err := e.cli.Login(callCtx(t), &schema.LoginRequest{User: []byte("immudb"), Password: []byte("immudb")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.Logout(withToken(callCtx(t), lr.Token), &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	// A token of a server whose tokens live 1 ns: expired when used.
	short := startServer(t, func(o *server.Options) { o.TokenExpiry = time.Nanosecond })
	xr, err := short.cli.Login(callCtx(t), &schema.LoginRequest{User: []byte("immudb"), Password: []byte("immudb")})
	if err != nil {
		t.Fatal(err)
	}

	creds := []struct {
		name string
		e    *env
		ctx  context.Context
		code codes.Code
		msg  string
	}{
		{"no credentials", e, bg, codes.Unknown, "not logged in"},
		{"empty bearer", e, withToken(bg, ""), codes.Unknown, "not logged in"},
		{"closed session", e, withSession(bg, closed.SessionID), codes.PermissionDenied, "session not found"},
		{"unknown session", e, withSession(bg, "bm90LWEtc2Vzc2lvbi1pZC1hdC1hbGwtMDEyMzQ1Njc4OQ=="), codes.PermissionDenied, "session not found"},
		{"logged-out token", e, withToken(bg, lr.Token), codes.PermissionDenied, "token has expired"},
		{"expired token", short, withToken(bg, xr.Token), codes.PermissionDenied, "token has expired"},
		{"garbage token", e, withToken(bg, "v2.public.garbage"), codes.Unauthenticated, "invalid token"},
	}
	for _, c := range creds {
		t.Run(c.name, func(t *testing.T) {
			for _, m := range rpcs {
				name := string(m.Name())
				err := invokeEmpty(c.ctx, c.e.conn, m)
				if publicRPCs[name] {
					// Stale credentials do not block the public calls.
					if s := status.Convert(err); err != nil && (s.Code() == codes.PermissionDenied || s.Message() == c.msg) {
						t.Errorf("%s: public call refused: %v", name, err)
					}
					continue
				}
				wantStatus(t, name, err, c.code, c.msg)
			}
		})
	}
	if _, err := e.cli.Health(bg, &emptypb.Empty{}); err != nil {
		t.Fatalf("server down after the table: %v", err)
	}
}

// A read-only user is refused every write, admin and sysadmin RPC, with
// both a session and a token; a user of one database cannot use another.
func TestAuthTablePermissions(t *testing.T) {
	e := startServer(t, nil)
	root := e.session(t, "immudb", "immudb", "defaultdb")
	for _, db := range []string{"db1", "db2"} {
		if _, err := e.cli.CreateDatabaseV2(root, &schema.CreateDatabaseRequest{Name: db}); err != nil {
			t.Fatal(err)
		}
	}
	for _, u := range []struct {
		name string
		perm uint32
	}{{"reader", uint32(auth.PermissionRead)}, {"writer", uint32(auth.PermissionReadWrite)}} {
		if _, err := e.cli.CreateUser(root, &schema.CreateUserRequest{User: []byte(u.name), Password: []byte("Str0ng!pw"), Permission: u.perm, Database: "db1"}); err != nil {
			t.Fatalf("create %s: %v", u.name, err)
		}
	}
	st0, err := e.cli.CurrentState(e.session(t, "immudb", "immudb", "db1"), &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}

	lr, err := e.cli.Login(callCtx(t), &schema.LoginRequest{User: []byte("reader"), Password: []byte("Str0ng!pw")})
	if err != nil {
		t.Fatal(err)
	}
	ur, err := e.cli.UseDatabase(withToken(callCtx(t), lr.Token), &schema.Database{DatabaseName: "db1"})
	if err != nil {
		t.Fatal(err)
	}
	readers := map[string]context.Context{
		"session": e.session(t, "reader", "Str0ng!pw", "db1"),
		"token":   withToken(context.Background(), ur.Token),
	}
	rpcs := immuRPCs(t)
	for mode, ctx := range readers {
		t.Run("read-only "+mode, func(t *testing.T) {
			refused := 0
			for _, m := range rpcs {
				name := string(m.Name())
				if publicRPCs[name] || loggedInRPCs[name] {
					continue
				}
				err := invokeEmpty(ctx, e.conn, m)
				if readRPCs[name] {
					// Allowed: it may fail on the empty request, not on rights.
					if status.Code(err) == codes.PermissionDenied {
						t.Errorf("%s: a read was refused to a reader: %v", name, err)
					}
					continue
				}
				wantStatus(t, name, err, codes.PermissionDenied, "permission denied")
				refused++
			}
			if refused < 30 {
				t.Fatalf("only %d RPCs checked as writes", refused)
			}
		})
	}
	// Nothing the reader tried was written.
	st1, err := e.cli.CurrentState(e.session(t, "immudb", "immudb", "db1"), &emptypb.Empty{})
	if err != nil || st1.TxId != st0.TxId {
		t.Fatalf("db1 state moved from tx %d to %v (%v)", st0.TxId, st1, err)
	}

	// The writer of db1 cannot reach db2 by any route.
	const noPerm = "Logged in user does not have permission on this database"
	_, err = e.cli.OpenSession(callCtx(t), &schema.OpenSessionRequest{Username: []byte("writer"), Password: []byte("Str0ng!pw"), DatabaseName: "db2"})
	wantStatus(t, "OpenSession on db2", err, codes.PermissionDenied, noPerm)
	w := e.session(t, "writer", "Str0ng!pw", "db1")
	_, err = e.cli.UseDatabase(w, &schema.Database{DatabaseName: "db2"})
	wantStatus(t, "UseDatabase db2 (session)", err, codes.PermissionDenied, noPerm)
	wl, err := e.cli.Login(callCtx(t), &schema.LoginRequest{User: []byte("writer"), Password: []byte("Str0ng!pw")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.UseDatabase(withToken(callCtx(t), wl.Token), &schema.Database{DatabaseName: "db2"})
	wantStatus(t, "UseDatabase db2 (token)", err, codes.PermissionDenied, noPerm)
	// A token with no database selected reaches no database (multi-db mode).
	_, err = e.cli.Set(withToken(callCtx(t), wl.Token), &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}})
	wantStatus(t, "Set without a database", err, codes.Unknown, "please select a database first")
	for _, name := range []string{"db2", "defaultdb"} {
		st, err := e.cli.CurrentState(e.session(t, "immudb", "immudb", name), &emptypb.Empty{})
		if err != nil || st.TxId != 0 {
			t.Fatalf("%s written: %v %v", name, st, err)
		}
	}
}

// syncBuf is a log sink shared by the server's goroutines.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// The default password is flagged at login, new hashes use bcrypt cost
// ≥ 10, and no password, session id or token reaches the server log, even
// at debug level, after logins, failed logins, user creation and password
// changes.
func TestAuthSecretsAndPolicy(t *testing.T) {
	if auth.BcryptCost < 10 {
		t.Errorf("bcrypt cost %d < 10", auth.BcryptCost)
	}
	h, err := auth.HashPassword("Str0ng!pw", 0)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := bcrypt.Cost(h); err != nil || c < 10 {
		t.Errorf("default hash cost %d (%v), want ≥ 10", c, err)
	}
	if c := server.DefaultOptions(t.TempDir()).BcryptCost; c != 0 && c < 10 {
		t.Errorf("server default bcrypt cost %d", c)
	}

	logs := &syncBuf{}
	e := startServer(t, func(o *server.Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ctx := callCtx(t)
	lr, err := e.cli.Login(ctx, &schema.LoginRequest{User: []byte("immudb"), Password: []byte("immudb")})
	if err != nil {
		t.Fatal(err)
	}
	const warn = "immudb user has the default password: please change it to ensure proper security"
	if string(lr.Warning) != warn {
		t.Errorf("default password warning = %q", lr.Warning)
	}
	secrets := []string{lr.Token}
	sr, err := e.cli.OpenSession(ctx, &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("immudb"), DatabaseName: "defaultdb"})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, sr.SessionID)
	root := withSession(ctx, sr.SessionID)
	const bobPW, bobPW2, wrongPW, rootPW = "B0b!first-secret", "B0b!second-secret", "Wr0ng!guessed-pw", "R00t!new-secret"
	secrets = append(secrets, bobPW, bobPW2, wrongPW, rootPW)
	if _, err := e.cli.CreateUser(root, &schema.CreateUserRequest{User: []byte("bob"), Password: []byte(bobPW), Permission: 2, Database: "defaultdb"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.Login(ctx, &schema.LoginRequest{User: []byte("bob"), Password: []byte(wrongPW)})
	wantStatus(t, "wrong password", err, codes.Unknown, "invalid user name or password")
	_, err = e.cli.OpenSession(ctx, &schema.OpenSessionRequest{Username: []byte("bob"), Password: []byte(wrongPW), DatabaseName: "defaultdb"})
	wantStatus(t, "wrong password (session)", err, codes.Unknown, "invalid user name or password")
	bl, err := e.cli.Login(ctx, &schema.LoginRequest{User: []byte("bob"), Password: []byte(bobPW)})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, bl.Token)
	if len(bl.Warning) != 0 {
		t.Errorf("warning for a non-default password: %q", bl.Warning)
	}
	ur, err := e.cli.UseDatabase(withToken(ctx, bl.Token), &schema.Database{DatabaseName: "defaultdb"})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, ur.Token)
	if _, err := e.cli.ChangePassword(withToken(ctx, ur.Token), &schema.ChangePasswordRequest{User: []byte("bob"), OldPassword: []byte(bobPW), NewPassword: []byte(bobPW2)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.ChangePassword(root, &schema.ChangePasswordRequest{User: []byte("immudb"), OldPassword: []byte("immudb"), NewPassword: []byte(rootPW)}); err != nil {
		t.Fatal(err)
	}
	// With the default password gone, so is the warning.
	nr, err := e.cli.Login(ctx, &schema.LoginRequest{User: []byte("immudb"), Password: []byte(rootPW)})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, nr.Token)
	if len(nr.Warning) != 0 {
		t.Errorf("warning after the password change: %q", nr.Warning)
	}
	for _, tok := range []string{lr.Token, bl.Token, nr.Token} {
		if _, err := e.cli.Logout(withToken(ctx, tok), &emptypb.Empty{}); err != nil && status.Code(err) != codes.PermissionDenied {
			t.Errorf("logout: %v", err)
		}
	}
	if _, err := e.cli.CloseSession(root, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	e.stop(t)
	out := logs.String()
	if out == "" {
		t.Fatal("the server logged nothing: the check would be empty")
	}
	for _, s := range secrets {
		if strings.Contains(out, s) {
			t.Errorf("secret %.12q… found in the server log", s)
		}
	}
	// "immudb" is also the user name: look for it as a password value.
	for _, field := range []string{"password=immudb", "password=\"immudb\""} {
		if strings.Contains(out, field) {
			t.Errorf("%s in the server log", field)
		}
	}
}
