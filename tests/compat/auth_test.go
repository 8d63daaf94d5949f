package compat

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/codenotary/immudb/pkg/api/schema"
	immuerrors "github.com/codenotary/immudb/pkg/client/errors"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// rawService dials s without the SDK, so statuses arrive untouched by its
// interceptors.
func rawService(t *testing.T, s *server) schema.ImmuServiceClient {
	t.Helper()
	conn, err := grpc.NewClient(s.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	noErr(t, "grpc.NewClient", err)
	t.Cleanup(func() { _ = conn.Close() })
	return schema.NewImmuServiceClient(conn)
}

// rawSession opens a session over the raw stub and returns a context that
// carries it.
func rawSession(t *testing.T, sc schema.ImmuServiceClient, user, pass, db string) context.Context {
	t.Helper()
	ctx := ctxT(t)
	r, err := sc.OpenSession(ctx, &schema.OpenSessionRequest{
		Username: []byte(user), Password: []byte(pass), DatabaseName: db})
	noErr(t, "OpenSession (raw)", err)
	if r.ServerUUID == "" {
		t.Errorf("OpenSession returned an empty serverUUID")
	}
	return metadata.AppendToOutgoingContext(ctx, "sessionid", r.SessionID)
}

func TestLoginErrors(t *testing.T) {
	s := startServer(t, false)
	_, err := openSession(t, s, "immudb", "wrong", "defaultdb", nil, "")
	wantImmuErr(t, "OpenSession(wrong password)", err, "invalid user name or password", "08004")
	_, err = openSession(t, s, "nobody", "immudb", "defaultdb", nil, "")
	wantImmuErr(t, "OpenSession(unknown user)", err, "invalid user name or password", "08004")
	_, err = openSession(t, s, "immudb", "immudb", "nope", nil, "")
	wantImmuErr(t, "OpenSession(unknown db)", err, "database does not exist", "")

	sc := rawService(t, s)
	ctx := ctxT(t)
	_, err = sc.Login(ctx, &schema.LoginRequest{User: []byte("immudb"), Password: []byte("wrong")})
	wantErr(t, "Login(wrong password)", err, errBadLogin)
	_, err = sc.Get(ctx, &schema.KeyRequest{Key: []byte("k")})
	wantErr(t, "Get without credentials", err, errNotLoggedIn)
	_, err = sc.CurrentState(metadata.AppendToOutgoingContext(ctx, "sessionid", "bogus"), nil)
	wantErr(t, "CurrentState with an unknown session", err, errSessionGone)
	if _, err := sc.Health(ctx, nil); err != nil {
		t.Errorf("Health without credentials: %v", err)
	}
	if _, err := sc.ServerInfo(ctx, &schema.ServerInfoRequest{}); err != nil {
		t.Errorf("ServerInfo without credentials: %v", err)
	}

	// A closed session is gone.
	c := mustSession(t, s, "immudb", "immudb", "defaultdb", nil)
	sid := c.GetSessionID()
	noErr(t, "CloseSession", c.CloseSession(ctx))
	_, err = sc.CurrentState(metadata.AppendToOutgoingContext(ctx, "sessionid", sid), nil)
	wantErr(t, "CurrentState after CloseSession", err, errSessionGone)
}

// wantImmuErr checks an error the SDK converted to its ImmuError (it does
// so for OpenSession, UseDatabase and the admin calls): the text is the
// server's status message, and code, when given, is the SQLSTATE-style code
// from the status' ErrorInfo detail.
func wantImmuErr(t *testing.T, what string, err error, msg, code string) {
	t.Helper()
	var ie immuerrors.ImmuError
	if !errors.As(err, &ie) {
		t.Errorf("%s: error %v (%T), want an ImmuError %q", what, err, err, msg)
		return
	}
	if ie.Error() != msg {
		t.Errorf("%s: error %q, want %q", what, ie.Error(), msg)
	}
	if code != "" && string(ie.Code()) != code {
		t.Errorf("%s: error code %q, want %q", what, ie.Code(), code)
	}
}

// TestIllegalStateRaw checks the exact statuses for proveSinceTx beyond the
// last tx (API.md §3), which the SDK's interceptor would otherwise hide.
func TestIllegalStateRaw(t *testing.T) {
	s := startServer(t, false)
	sc := rawService(t, s)
	ctx := rawSession(t, sc, "immudb", "immudb", "defaultdb")
	_, err := sc.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: []byte("v")}}})
	noErr(t, "Set", err)
	_, err = sc.VerifiableGet(ctx, &schema.VerifiableGetRequest{
		KeyRequest: &schema.KeyRequest{Key: []byte("k")}, ProveSinceTx: 1000})
	wantErr(t, "VerifiableGet(proveSinceTx 1000)", err, errIllegalState)
	_, err = sc.VerifiableSet(ctx, &schema.VerifiableSetRequest{
		SetRequest:   &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("p"), Value: []byte("p")}}},
		ProveSinceTx: 1000})
	wantErr(t, "VerifiableSet(proveSinceTx 1000)", err, errIllegalState)
	_, err = sc.VerifiableSetReference(ctx, &schema.VerifiableReferenceRequest{
		ReferenceRequest: &schema.ReferenceRequest{Key: []byte("r"), ReferencedKey: []byte("k")},
		ProveSinceTx:     1000})
	wantErr(t, "VerifiableSetReference(proveSinceTx 1000)", err,
		"rpc error: code = InvalidArgument desc = illegal arguments")
	_, err = sc.VerifiableZAdd(ctx, &schema.VerifiableZAddRequest{
		ZAddRequest:  &schema.ZAddRequest{Set: []byte("s"), Score: 1, Key: []byte("k")},
		ProveSinceTx: 1000})
	wantErr(t, "VerifiableZAdd(proveSinceTx 1000)", err,
		"rpc error: code = InvalidArgument desc = illegal arguments")
	// Nothing was written by the refused calls.
	st, err := sc.CurrentState(ctx, nil)
	noErr(t, "CurrentState", err)
	if st.TxId != 1 {
		t.Errorf("CurrentState tx %d after refused writes, want 1", st.TxId)
	}
}

// TestSignatureChecked makes sure the signature checks of the positive
// tests are real: a client trusting another key must reject our states.
func TestSignatureChecked(t *testing.T) {
	s := startServer(t, true)
	c := mustSession(t, s, "immudb", "immudb", "defaultdb", wrongPub)
	_, err := c.VerifiedSet(ctxT(t), []byte("k"), []byte("v"))
	wantErrContains(t, "VerifiedSet with the wrong server key", err, "signature")

	good := mustSession(t, s, "immudb", "immudb", "defaultdb", signingPub)
	_, err = good.VerifiedSet(ctxT(t), []byte("k"), []byte("v"))
	noErr(t, "VerifiedSet with the right key", err)
	_, err = c.VerifiedGet(ctxT(t), []byte("k"))
	wantErrContains(t, "VerifiedGet with the wrong server key", err, "signature")
	_, err = c.CurrentState(ctxT(t))
	wantErrContains(t, "CurrentState with the wrong server key", err, "signature")
}

// TestTokenSelectDatabase covers the legacy flow's database selection:
// once a user database exists, a fresh login must call UseDatabase first.
func TestTokenSelectDatabase(t *testing.T) {
	s := startServer(t, true)
	admin := tokenClient(t, s, "immudb", "immudb", "", signingPubFile)
	ctx := ctxT(t)
	_, err := admin.CreateDatabaseV2(ctx, "tokdb", nil)
	noErr(t, "CreateDatabaseV2", err)

	c := tokenClient(t, s, "immudb", "immudb", "", signingPubFile)
	_, err = c.Get(ctx, []byte("k"))
	wantErr(t, "Get before UseDatabase", err, errSelectDBFirst)
	r, err := c.UseDatabase(ctx, &schema.Database{DatabaseName: "tokdb"})
	noErr(t, "UseDatabase", err)
	if r.Token == "" {
		t.Errorf("UseDatabase returned no token")
	}
	_, err = c.VerifiedSet(ctx, []byte("k"), []byte("v"))
	noErr(t, "VerifiedSet in tokdb", err)
	st, err := c.CurrentState(ctx)
	noErr(t, "CurrentState", err)
	if st.Db != "tokdb" || st.TxId != 1 {
		t.Errorf("CurrentState = {%s %d}, want {tokdb 1}", st.Db, st.TxId)
	}
	_, err = c.UseDatabase(ctx, &schema.Database{DatabaseName: "nope"})
	wantImmuErr(t, "UseDatabase(nope)", err, "'nope' does not exist", "3F000")

	noErr(t, "Logout", c.Logout(ctx))
	_, err = c.Get(ctx, []byte("k"))
	if err == nil || !strings.Contains(err.Error(), "not logged in") {
		t.Errorf("Get after Logout: %v, want not logged in", err)
	}
}
