package client

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

type liveCall struct {
	Method          string            `json:"method"`
	RequestMetadata map[string]string `json:"requestMetadata"`
	Request         json.RawMessage   `json:"request"`
	ResponsePB      string            `json:"responseProtobufBase64"`
	ResponseHeader  map[string]string `json:"responseHeader"`
	StatusCode      string            `json:"statusCode"`
	StatusMessage   string            `json:"statusMessage"`
	StatusDetails   []json.RawMessage `json:"statusDetails"`
	index           int
}

type liveVectors struct {
	ServerUUID   string     `json:"serverUUID"`
	PublicKeyPem string     `json:"publicKeyPem"`
	Calls        []liveCall `json:"calls"`
}

var codeByName = map[string]codes.Code{
	"OK": codes.OK, "Unknown": codes.Unknown, "InvalidArgument": codes.InvalidArgument,
	"NotFound": codes.NotFound, "PermissionDenied": codes.PermissionDenied,
	"FailedPrecondition": codes.FailedPrecondition,
}

// liveScript is a fake server that plays live_session.json: each call the
// client makes must be the next recorded one (same method, same request,
// the same kind of credentials); it gets the recorded answer.
type liveScript struct {
	t     *testing.T
	mu    sync.Mutex
	calls []liveCall
	next  int
	sid   string // session id handed out
	token string // last token handed out
}

func (s *liveScript) handle(m string, md metadata.MD, req proto.Message) (proto.Message, error) {
	if m == "KeepAlive" { // timer-driven: not part of the ordered script
		return &emptyMsg{}, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.t
	if s.next >= len(s.calls) {
		t.Errorf("extra call %s after the script", m)
		return nil, unexpected(m)
	}
	c := s.calls[s.next]
	s.next++
	if !strings.HasSuffix(c.Method, "/"+m) {
		t.Errorf("call %d: client called %s, recorded %s", c.index, m, c.Method)
		return nil, unexpected(m)
	}
	want := req.ProtoReflect().New().Interface()
	if err := protojson.Unmarshal(c.Request, want); err != nil {
		t.Fatalf("call %d: request: %v", c.index, err)
	}
	if !proto.Equal(req, want) {
		t.Errorf("call %d %s: request\n got %v\nwant %v", c.index, m, req, want)
	}
	if c.RequestMetadata != nil {
		wantSid := c.RequestMetadata[MetaSessionID]
		gotSid := md.Get(MetaSessionID)
		switch {
		case wantSid == "" && len(gotSid) != 0:
			t.Errorf("call %d: unexpected sessionid", c.index)
		case wantSid != "" && (len(gotSid) != 1 || gotSid[0] != s.sid):
			t.Errorf("call %d: sessionid %v, want %q", c.index, gotSid, s.sid)
		}
		wantAuth := c.RequestMetadata[MetaAuthorization]
		if wantAuth == "Bearer <token>" {
			wantAuth = "Bearer " + s.token
		}
		if got := md.Get(MetaAuthorization); len(got) != 1 || got[0] != wantAuth {
			t.Errorf("call %d: authorization %q, want %q", c.index, got, wantAuth)
		}
	}
	if c.StatusCode != "OK" {
		code, ok := codeByName[c.StatusCode]
		if !ok {
			t.Fatalf("call %d: status %s", c.index, c.StatusCode)
		}
		st := status.New(code, c.StatusMessage)
		var details []protoadapt.MessageV1
		for i, d := range c.StatusDetails {
			var msg proto.Message = &schema.ErrorInfo{}
			if i == 1 {
				msg = &schema.RetryInfo{}
			}
			if err := protojson.Unmarshal(d, msg); err != nil {
				t.Fatalf("call %d: details: %v", c.index, err)
			}
			details = append(details, protoadapt.MessageV1Of(msg))
		}
		if len(details) > 0 {
			var err error
			if st, err = st.WithDetails(details...); err != nil {
				t.Fatal(err)
			}
		}
		return nil, st.Err()
	}
	sd, _ := protoregistry.GlobalFiles.FindDescriptorByName("immudb.schema.ImmuService")
	out := sd.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(m)).Output()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(out.FullName())
	if err != nil {
		t.Fatal(err)
	}
	resp := mt.New().Interface()
	if c.ResponsePB != "" {
		if err := proto.Unmarshal(mustB64(t, c.ResponsePB), resp); err != nil {
			t.Fatalf("call %d: response: %v", c.index, err)
		}
	}
	if m == "CloseSession" {
		s.sid = ""
	}
	switch r := resp.(type) {
	case *schema.OpenSessionResponse:
		s.sid = r.SessionID
	case *schema.LoginResponse:
		s.token = r.Token
	case *schema.UseDatabaseReply:
		if s.sid == "" {
			s.token = r.Token
		}
	}
	return resp, nil
}

func (s *liveScript) consumed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next
}

// TestReplayLiveSession drives the client through the session recorded
// with the real immudb server and its official Go client: the client must
// send the same calls with the same requests (proveSinceTx included, which
// follows its trusted state) and credentials, accept every verified
// answer, and report every error with the right type.
func TestReplayLiveSession(t *testing.T) {
	var v liveVectors
	readVectors(t, "live_session.json", &v)
	pub, err := proof.ParsePublicKeyPEM([]byte(v.PublicKeyPem))
	if err != nil {
		t.Fatal(err)
	}
	script := &liveScript{t: t}
	for i, c := range v.Calls {
		c.index = i
		if strings.HasSuffix(c.Method, "/KeepAlive") || i == 50 { // 50: raw call with a made-up session id
			continue
		}
		script.calls = append(script.calls, c)
	}
	f := newFakeServer(t, v.ServerUUID, script.handle)
	ctx := testCtx(t)
	newClient := func() *Client {
		return testClient(t, f, func(o *Options) { o.ServerSigningPubKey = pub })
	}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	mustFail := func(what string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Fatalf("%s: err = %v, want %v", what, err, want)
		}
	}
	request := func(i int, msg proto.Message) proto.Message {
		must("request", protojson.Unmarshal(v.Calls[i].Request, msg))
		return msg
	}

	c := newClient()
	err = c.OpenSession(ctx, []byte("immudb"), []byte("wrong"), "defaultdb")
	mustFail("wrong password", err, ErrInvalidCredentials)
	var se *ServerError
	if !errors.As(err, &se) || se.Code != "08004" {
		t.Fatalf("ErrorInfo not decoded: %+v", se)
	}
	must("OpenSession", c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "defaultdb"))
	st, err := c.CurrentState(ctx)
	must("CurrentState", err)
	if st.GetTxId() != 0 || st.GetDb() != "defaultdb" {
		t.Fatalf("state %v", st)
	}
	_, err = c.Get(ctx, []byte("missing"))
	mustFail("Get missing", err, ErrKeyNotFound)
	_, err = c.VerifiedGet(ctx, []byte("missing"))
	mustFail("VerifiedGet missing", err, ErrKeyNotFound)
	_, err = c.VerifiedSet(ctx, []byte("k1"), []byte("v1"))
	must("VerifiedSet", err)
	_, err = c.SetAll(ctx, request(7, &schema.SetRequest{}).(*schema.SetRequest))
	must("SetAll", err)
	e, err := c.VerifiedGet(ctx, []byte("k1"))
	must("VerifiedGet k1", err)
	if string(e.GetValue()) != "v1" {
		t.Fatalf("k1 = %q", e.GetValue())
	}
	_, err = c.VerifiedSetReference(ctx, []byte("r1"), []byte("k2"), 0)
	must("VerifiedSetReference", err)
	e, err = c.VerifiedGet(ctx, []byte("r1"))
	must("VerifiedGet r1", err)
	if string(e.GetValue()) != "v2" || string(e.GetReferencedBy().GetKey()) != "r1" {
		t.Fatalf("r1 = %v", e)
	}
	_, err = c.VerifiedZAdd(ctx, []byte("set1"), 7.5, []byte("k3"), 0)
	must("VerifiedZAdd", err)
	_, err = c.ZScan(ctx, &schema.ZScanRequest{Set: []byte("set1")})
	must("ZScan", err)
	tx, err := c.VerifiedTxByID(ctx, 1)
	must("VerifiedTxByID", err)
	if len(tx.GetEntries()) != 1 || string(tx.GetEntries()[0].GetKey()) != "k1" {
		t.Fatalf("tx 1 entries %v", tx.GetEntries())
	}
	_, err = c.TxByID(ctx, 99)
	mustFail("TxByID 99", err, ErrTxNotFound)
	_, err = c.Delete(ctx, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte("k1")}})
	must("Delete", err)
	_, err = c.Get(ctx, []byte("k1"))
	mustFail("Get deleted", err, ErrKeyNotFound)
	_, err = c.History(ctx, &schema.HistoryRequest{Key: []byte("k1")})
	must("History", err)
	_, err = c.Scan(ctx, &schema.ScanRequest{Prefix: []byte("k")})
	must("Scan", err)

	// A client that trusts tx 1000 meets a server at tx 5.
	store := c.StateStore()
	saved, _ := store.Get(v.ServerUUID, "defaultdb")
	fake := proof.Sum([]byte("future"))
	must("set state", store.Set(v.ServerUUID, &schema.ImmutableState{Db: "defaultdb", TxId: 1000, TxHash: fake[:]}))
	_, err = c.VerifiedGet(ctx, []byte("k2"))
	mustFail("server behind", err, ErrServerStateIsOlder)
	_, err = c.VerifiedTxByID(ctx, 2)
	if err == nil || IsCorruptedData(err) {
		t.Fatalf("VerifiedTxByID with proveSinceTx 1000: %v", err)
	}
	must("restore state", store.Set(v.ServerUUID, saved))
	_, err = c.Get(ctx, []byte("k2"), SinceTx(1000))
	mustFail("Get sinceTx 1000", err, ErrServerIllegalArgs)

	_, err = c.UseDatabase(ctx, "nope")
	mustFail("UseDatabase nope", err, ErrDatabaseNotFound)
	_, err = c.CreateDatabaseV2(ctx, "db2", nil)
	must("CreateDatabaseV2", err)
	_, err = c.UseDatabase(ctx, "db2")
	must("UseDatabase db2", err)
	_, err = c.VerifiedSet(ctx, []byte("x"), []byte("y"))
	must("VerifiedSet db2", err)
	_, err = c.DatabaseListV2(ctx)
	must("DatabaseListV2", err)
	_, err = c.DatabaseHealth(ctx)
	must("DatabaseHealth", err)
	_, err = c.ServerInfo(ctx)
	must("ServerInfo", err)
	_, err = c.SetAll(ctx, request(32, &schema.SetRequest{}).(*schema.SetRequest))
	if StatusCode(err) != codes.InvalidArgument {
		t.Fatalf("duplicate keys: %v", err)
	}
	_, err = c.SetAll(ctx, request(33, &schema.SetRequest{}).(*schema.SetRequest))
	if err == nil || !strings.Contains(err.Error(), "max key length exceeded") {
		t.Fatalf("long key: %v", err)
	}
	_, err = c.SetAll(ctx, request(34, &schema.SetRequest{}).(*schema.SetRequest))
	must("longest key", err)
	must("CloseSession", c.CloseSession(ctx))
	if st, _ := store.Get(v.ServerUUID, "db2"); st.GetTxId() != 1 {
		t.Fatalf("db2 state %v", st)
	}

	// Legacy token flow, a new client.
	c2 := newClient()
	_, err = c2.Health(ctx)
	must("Health", err)
	_, err = c2.Health(ctx)
	must("Health", err)
	_, err = c2.Get(ctx, []byte("k2"))
	mustFail("Get before login", err, ErrNotLoggedIn)
	lr, err := c2.Login(ctx, []byte("immudb"), []byte("immudb"))
	must("Login", err)
	if !strings.Contains(string(lr.GetWarning()), "default password") {
		t.Fatalf("warning %q", lr.GetWarning())
	}
	_, err = c2.Get(ctx, []byte("k2"))
	mustFail("Get without database", err, ErrNoDatabaseSelected)
	_, err = c2.UseDatabase(ctx, "defaultdb")
	must("UseDatabase", err)
	e, err = c2.VerifiedGet(ctx, []byte("k2"))
	must("VerifiedGet k2", err)
	if string(e.GetValue()) != "v2" {
		t.Fatalf("k2 = %q", e.GetValue())
	}
	_, err = c2.CurrentState(ctx)
	must("CurrentState", err)
	must("Logout", c2.Logout(ctx))
	_, err = c2.Get(ctx, []byte("k2"))
	mustFail("Get after logout", err, ErrNotLoggedIn)

	c3 := newClient()
	_, err = c3.Health(ctx)
	must("Health", err)
	_, err = c3.ServerInfo(ctx)
	must("ServerInfo", err)
	_, err = c3.CurrentState(ctx)
	mustFail("CurrentState without login", err, ErrNotLoggedIn)
	err = c3.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "nope")
	mustFail("OpenSession nope", err, ErrDatabaseNotFound)

	if n := script.consumed(); n != len(script.calls) {
		t.Fatalf("client made %d of the %d recorded calls", n, len(script.calls))
	}
}
