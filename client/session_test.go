package client

import (
	"errors"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

func TestOptionsDefaultsAndValidate(t *testing.T) {
	o := DefaultOptions()
	if o.Address != "127.0.0.1" || o.Port != 3322 || o.MaxRecvMsgSize != 4<<20 ||
		o.KeepAliveInterval != 60*time.Second || o.Dir != "." || o.Database != "defaultdb" {
		t.Fatalf("defaults: %+v", o)
	}
	if o.Target() != "127.0.0.1:3322" {
		t.Fatalf("target %s", o.Target())
	}
	if DefaultOptions().WithAddress("::1").WithPort(1).Target() != "[::1]:1" {
		t.Fatal("IPv6 target")
	}
	bad := map[string]Options{
		"no address":   DefaultOptions().WithAddress(""),
		"port 0":       DefaultOptions().WithPort(0),
		"port 70000":   DefaultOptions().WithPort(70000),
		"recv size":    DefaultOptions().WithMaxRecvMsgSize(0),
		"keepalive":    DefaultOptions().WithKeepAliveInterval(-1),
		"no state dir": DefaultOptions().WithDir(""),
	}
	for name, o := range bad {
		if _, err := New(o); !errors.Is(err, ErrIllegalArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := New(DefaultOptions().WithMTLs(true).WithMTLsOptions(MTLSOptions{ClientCAs: "/nonexistent/ca.pem"})); err == nil {
		t.Error("missing CA file accepted")
	}
	if _, err := LoadServerSigningPubKey("/nonexistent.pem"); err == nil {
		t.Error("missing key file accepted")
	}
}

// recorder is a fake server that records the metadata of each call.
type recorder struct {
	mu    sync.Mutex
	calls []struct {
		method string
		md     metadata.MD
	}
}

func (r *recorder) add(m string, md metadata.MD) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls = append(r.calls, struct {
		method string
		md     metadata.MD
	}{m, md.Copy()})
}

func (r *recorder) last(m string) metadata.MD {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.calls) - 1; i >= 0; i-- {
		if r.calls[i].method == m {
			return r.calls[i].md
		}
	}
	return nil
}

func TestMetadataHeaders(t *testing.T) {
	rec := &recorder{}
	var keepAlives atomic.Int32
	f := newFakeServer(t, "uuid-1", func(m string, md metadata.MD, req proto.Message) (proto.Message, error) {
		rec.add(m, md)
		switch m {
		case "OpenSession":
			r := req.(*schema.OpenSessionRequest)
			if string(r.Username) != "immudb" || r.DatabaseName != "mydb" {
				t.Errorf("OpenSession request %v", r)
			}
			return &schema.OpenSessionResponse{SessionID: "session-1", ServerUUID: "uuid-1"}, nil
		case "KeepAlive":
			keepAlives.Add(1)
			return &emptyMsg{}, nil
		case "CloseSession", "Logout":
			return &emptyMsg{}, nil
		case "Health":
			return &schema.HealthResponse{Status: true, Version: "1"}, nil
		case "Login":
			return &schema.LoginResponse{Token: "tok-1"}, nil
		case "UseDatabase":
			return &schema.UseDatabaseReply{Token: "tok-2"}, nil
		case "Get":
			return &schema.Entry{Key: req.(*schema.KeyRequest).Key, Value: []byte("v")}, nil
		}
		return nil, unexpected(m)
	})
	c := testClient(t, f, func(o *Options) { o.KeepAliveInterval = 5 * time.Millisecond })
	ctx := testCtx(t)

	if err := c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "MyDB"); err != nil {
		t.Fatal(err)
	}
	if c.ServerUUID() != "uuid-1" || c.CurrentDatabase() != "mydb" {
		t.Fatalf("uuid %q db %q", c.ServerUUID(), c.CurrentDatabase())
	}
	if err := c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "x"); !errors.Is(err, ErrSessionAlreadyOpen) {
		t.Fatalf("second OpenSession: %v", err)
	}
	if _, err := c.Get(ctx, []byte("k")); err != nil {
		t.Fatal(err)
	}
	md := rec.last("Get")
	if got := md.Get(MetaSessionID); len(got) != 1 || got[0] != "session-1" {
		t.Fatalf("session mode sessionid = %v", got)
	}
	if got := md.Get(MetaAuthorization); len(got) != 1 || got[0] != "Bearer " {
		t.Fatalf("session mode authorization = %q", got)
	}
	// The caller's own metadata travels with ours.
	if _, err := c.Get(metadata.AppendToOutgoingContext(ctx, "x-trace", "t1"), []byte("k")); err != nil {
		t.Fatal(err)
	}
	md = rec.last("Get")
	if got := md.Get("x-trace"); len(got) != 1 || got[0] != "t1" {
		t.Fatalf("caller's metadata = %v", got)
	}
	if got := md.Get(MetaSessionID); len(got) != 1 || got[0] != "session-1" {
		t.Fatalf("sessionid beside the caller's metadata = %v", got)
	}
	// The keep-alive goroutine runs and carries the session.
	deadline := time.Now().Add(10 * time.Second)
	for keepAlives.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if keepAlives.Load() < 2 {
		t.Fatal("no keep-alive sent")
	}
	if got := rec.last("KeepAlive").Get(MetaSessionID); len(got) != 1 || got[0] != "session-1" {
		t.Fatalf("keep-alive sessionid = %v", got)
	}
	if err := c.CloseSession(ctx); err != nil {
		t.Fatal(err)
	}
	n := keepAlives.Load()
	time.Sleep(30 * time.Millisecond)
	if keepAlives.Load() != n {
		t.Fatal("keep-alive continues after CloseSession")
	}

	// Legacy token flow.
	if _, err := c.Login(ctx, []byte("immudb"), []byte("immudb")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, []byte("k")); err != nil {
		t.Fatal(err)
	}
	md = rec.last("Get")
	if got := md.Get(MetaAuthorization); len(got) != 1 || got[0] != "Bearer tok-1" {
		t.Fatalf("token mode authorization = %q", got)
	}
	if got := md.Get(MetaSessionID); len(got) != 0 {
		t.Fatalf("token mode sends sessionid %v", got)
	}
	if _, err := c.UseDatabase(ctx, "db2"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, []byte("k")); err != nil {
		t.Fatal(err)
	}
	if got := rec.last("Get").Get(MetaAuthorization); got[0] != "Bearer tok-2" || c.CurrentDatabase() != "db2" {
		t.Fatalf("after UseDatabase authorization = %q db %q", got, c.CurrentDatabase())
	}
	if err := c.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if c.IsConnected() {
		t.Fatal("still connected after Logout")
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(ctx, []byte("k")); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

func TestServerErrorsAreTyped(t *testing.T) {
	replies := map[string]error{
		"missing":  status.Error(codes.Unknown, "tbtree: key not found"),
		"tx":       status.Error(codes.Unknown, "tx not found"),
		"login":    status.Error(codes.Unknown, "not logged in"),
		"session":  status.Error(codes.PermissionDenied, "session not found"),
		"selectdb": status.Error(codes.Unknown, "please select a database first"),
		"denied":   status.Error(codes.PermissionDenied, "Logged in user does not have permission on this database"),
		"precond":  status.Error(codes.FailedPrecondition, "precondition failed: key must exist"),
	}
	f := newFakeServer(t, "u", func(m string, _ metadata.MD, req proto.Message) (proto.Message, error) {
		return nil, replies[string(req.(*schema.KeyRequest).Key)]
	})
	c := testClient(t, f, nil)
	ctx := testCtx(t)
	for key, want := range map[string]error{
		"missing": ErrKeyNotFound, "tx": ErrTxNotFound, "login": ErrNotLoggedIn, "session": ErrSessionNotFound,
		"selectdb": ErrNoDatabaseSelected, "denied": ErrPermissionDenied, "precond": ErrPreconditionFailed,
	} {
		_, err := c.Get(ctx, []byte(key))
		if !errors.Is(err, want) {
			t.Errorf("%s: %v does not match %v", key, err, want)
		}
		var se *ServerError
		if !errors.As(err, &se) || se.Status.Message() != status.Convert(replies[key]).Message() {
			t.Errorf("%s: status not kept: %v", key, err)
		}
		if StatusCode(err) != status.Code(replies[key]) {
			t.Errorf("%s: code %v", key, StatusCode(err))
		}
		if !strings.HasPrefix(err.Error(), "rpc error: code = ") {
			t.Errorf("%s: text %q", key, err)
		}
	}
	_, err := c.Get(ctx, []byte("missing"))
	if !IsKeyNotFound(err) || IsTxNotFound(err) {
		t.Error("IsKeyNotFound")
	}
	if _, err := c.Get(ctx, []byte("session")); !IsNotLoggedIn(err) {
		t.Error("IsNotLoggedIn on session not found")
	}
}

// TestCVE2022_39199 replays the identity attack: a server that answers
// with another UUID at the same address, to make the client start over
// with a fresh state, is refused both within a connection and across
// clients sharing a state directory.
func TestCVE2022_39199(t *testing.T) {
	var v dualVectors
	readVectors(t, "dual_proofs.json", &v)
	c0 := v.TxByID[0] // tx 1 from an empty state
	var resp schema.VerifiableTx
	caseResponse(t, c0, &resp)
	var current atomic.Value
	current.Store("uuid-a")
	f := newFakeServer(t, "uuid-a", func(m string, _ metadata.MD, req proto.Message) (proto.Message, error) {
		switch m {
		case "OpenSession":
			return &schema.OpenSessionResponse{SessionID: "s", ServerUUID: current.Load().(string)}, nil
		case "CloseSession", "KeepAlive":
			return &emptyMsg{}, nil
		case "CurrentState":
			return &schema.ImmutableState{Db: "defaultdb", TxHash: make([]byte, 32)}, nil
		case "VerifiableTxById":
			return &resp, nil
		case "Health":
			return &schema.HealthResponse{Status: true}, nil
		}
		return nil, unexpected(m)
	})
	dir := t.TempDir()
	withDir := func(o *Options) { o.StateStore = nil; o.Dir = dir }
	ctx := testCtx(t)

	a := testClient(t, f, withDir)
	if err := a.OpenSession(ctx, []byte("u"), []byte("p"), "defaultdb"); err != nil {
		t.Fatal(err)
	}
	if _, err := a.VerifiedTxByID(ctx, 1); err != nil {
		t.Fatalf("first server: %v", err)
	}
	// Same connection, the UUID header changes: every call is refused.
	f.setUUID("uuid-b")
	if _, err := a.Health(ctx); !errors.Is(err, ErrServerIdentityChanged) {
		t.Fatalf("UUID change within a connection: %v", err)
	}
	// A new client on the same directory meets the replaced server.
	current.Store("uuid-b")
	b := testClient(t, f, withDir)
	if err := b.OpenSession(ctx, []byte("u"), []byte("p"), "defaultdb"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.VerifiedTxByID(ctx, 1); !errors.Is(err, ErrServerIdentityChanged) {
		t.Fatalf("replaced server accepted: %v", err)
	}
	fs, _ := NewFileStateStore(dir)
	if st, _ := fs.Get("uuid-b", "defaultdb"); st != nil {
		t.Fatal("state created for the impostor")
	}
	if st, _ := fs.Get("uuid-a", "defaultdb"); st.GetTxId() != 1 {
		t.Fatalf("trusted state changed: %v", st)
	}
}

// TestConcurrentOpenSession: of several goroutines opening a session on one
// client, exactly one wins; the others are told a session is open.
func TestConcurrentOpenSession(t *testing.T) {
	var opened atomic.Int32
	f := newFakeServer(t, "u", func(m string, _ metadata.MD, _ proto.Message) (proto.Message, error) {
		switch m {
		case "OpenSession":
			opened.Add(1)
			return &schema.OpenSessionResponse{SessionID: "s", ServerUUID: "u"}, nil
		case "CloseSession", "KeepAlive":
			return &emptyMsg{}, nil
		}
		return nil, unexpected(m)
	})
	c := testClient(t, f, func(o *Options) { o.KeepAliveInterval = time.Hour })
	ctx := testCtx(t)
	var wg sync.WaitGroup
	var ok, busy atomic.Int32
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			switch err := c.OpenSession(ctx, []byte("u"), []byte("p"), ""); {
			case err == nil:
				ok.Add(1)
			case errors.Is(err, ErrSessionAlreadyOpen):
				busy.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 || busy.Load() != 7 || opened.Load() != 1 {
		t.Fatalf("ok %d busy %d opened %d", ok.Load(), busy.Load(), opened.Load())
	}
	if c.CurrentDatabase() != "defaultdb" {
		t.Fatalf("default database %q", c.CurrentDatabase())
	}
}

// TestOpenSessionRefusals: a session without server UUID, or with another
// UUID than the one the server already announced, is closed and refused.
func TestOpenSessionRefusals(t *testing.T) {
	var respUUID atomic.Value
	var closed atomic.Int32
	f := newFakeServer(t, "uuid-h", func(m string, md metadata.MD, _ proto.Message) (proto.Message, error) {
		switch m {
		case "OpenSession":
			return &schema.OpenSessionResponse{SessionID: "s1", ServerUUID: respUUID.Load().(string)}, nil
		case "CloseSession":
			if got := md.Get(MetaSessionID); len(got) == 1 && got[0] == "s1" {
				closed.Add(1)
			}
			return &emptyMsg{}, nil
		case "Health":
			return &schema.HealthResponse{Status: true}, nil
		}
		return nil, unexpected(m)
	})
	ctx := testCtx(t)
	f.setUUID("")
	respUUID.Store("")
	c := testClient(t, f, nil)
	if err := c.OpenSession(ctx, []byte("u"), []byte("p"), "defaultdb"); !errors.Is(err, ErrNoServerUUID) {
		t.Fatalf("no UUID: %v", err)
	}
	f.setUUID("uuid-h")
	if _, err := c.Health(ctx); err != nil || c.ServerUUID() != "uuid-h" {
		t.Fatalf("Health: %v, uuid %q", err, c.ServerUUID())
	}
	respUUID.Store("uuid-other")
	if err := c.OpenSession(ctx, []byte("u"), []byte("p"), "defaultdb"); !errors.Is(err, ErrServerIdentityChanged) {
		t.Fatalf("other UUID: %v", err)
	}
	if closed.Load() != 2 || c.IsConnected() {
		t.Fatalf("refused sessions closed %d times, connected %v", closed.Load(), c.IsConnected())
	}
}

func TestTokenAndKeyFile(t *testing.T) {
	f := newFakeServer(t, "u", func(m string, _ metadata.MD, _ proto.Message) (proto.Message, error) { return nil, unexpected(m) })
	c := testClient(t, f, nil)
	c.SetToken("tok", "db1")
	if c.Token() != "tok" || c.CurrentDatabase() != "db1" || !c.IsConnected() {
		t.Fatal("SetToken")
	}
	var sv signedVectors
	readVectors(t, "signed_state.json", &sv)
	p := t.TempDir() + "/pub.pem"
	if err := os.WriteFile(p, []byte(sv.PublicKeyPem), 0o600); err != nil {
		t.Fatal(err)
	}
	k, err := LoadServerSigningPubKey(p)
	if err != nil || !k.Equal(testPubKey(t)) {
		t.Fatalf("LoadServerSigningPubKey: %v", err)
	}
	if err := os.WriteFile(p, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadServerSigningPubKey(p); err == nil {
		t.Fatal("garbage key accepted")
	}
}
