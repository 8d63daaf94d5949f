package e2e

import (
	"fmt"
	"sync"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
	"github.com/attestdb/attestdb/server"
)

func wantErr(t *testing.T, err error, code codes.Code, msg string) {
	t.Helper()
	st := status.Convert(err)
	if err == nil || st.Code() != code || st.Message() != msg {
		t.Fatalf("want %v %q, got %v", code, msg, err)
	}
}

func kv(k, v string) *schema.KeyValue { return &schema.KeyValue{Key: []byte(k), Value: []byte(v)} }

// A client session through the P0/P1 calls, verifying every proof against
// the state it trusts, as the official client does.
func TestVerifiedFlow(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")

	st, err := e.cli.CurrentState(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	empty := proof.Sum(nil)
	if st.TxId != 0 || string(st.TxHash) != string(empty[:]) || st.Db != "defaultdb" {
		t.Fatalf("fresh state %v", st)
	}
	if err := proof.VerifyStateSignature(e.pub, st.Db, st.TxId, st.TxHash, st.Signature.GetSignature()); err != nil {
		t.Fatal(err)
	}

	// trusted is the client's state; every reply must extend it.
	var trustedID uint64
	var trustedAlh proof.Hash
	advance := func(vtx *schema.VerifiableTx) {
		t.Helper()
		id, alh, err := checkVerifiableTx(e.pub, "defaultdb", vtx)
		if err != nil {
			t.Fatal(err)
		}
		if trustedID > 0 {
			if err := checkConsistentWith(vtx, trustedID, trustedAlh); err != nil {
				t.Fatal(err)
			}
		}
		if id > trustedID {
			trustedID, trustedAlh = id, alh
		}
	}

	for i := 1; i <= 5; i++ {
		vtx, err := e.cli.VerifiableSet(ctx, &schema.VerifiableSetRequest{
			SetRequest:   &schema.SetRequest{KVs: []*schema.KeyValue{kv(fmt.Sprintf("k%d", i), fmt.Sprintf("v%d", i))}},
			ProveSinceTx: trustedID,
		})
		if err != nil {
			t.Fatal(err)
		}
		if vtx.Tx.Header.Id != uint64(i) || vtx.Tx.Header.Nentries != 1 {
			t.Fatalf("tx %d header %v", i, vtx.Tx.Header)
		}
		advance(vtx)
	}

	// Read an old tx against the newer trusted state, and the reverse.
	ve, err := e.cli.VerifiableGet(ctx, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("k2")}, ProveSinceTx: trustedID})
	if err != nil {
		t.Fatal(err)
	}
	if string(ve.Entry.Value) != "v2" || ve.Entry.Tx != 2 {
		t.Fatalf("entry %v", ve.Entry)
	}
	if err := checkVerifiableEntry(e.pub, "defaultdb", ve); err != nil {
		t.Fatal(err)
	}
	advance(ve.VerifiableTx)

	vt, err := e.cli.VerifiableTxById(ctx, &schema.VerifiableTxRequest{Tx: 1, ProveSinceTx: trustedID})
	if err != nil {
		t.Fatal(err)
	}
	advance(vt)

	// References and sorted sets.
	vref, err := e.cli.VerifiableSetReference(ctx, &schema.VerifiableReferenceRequest{
		ReferenceRequest: &schema.ReferenceRequest{Key: []byte("ref"), ReferencedKey: []byte("k3")}, ProveSinceTx: trustedID})
	if err != nil {
		t.Fatal(err)
	}
	advance(vref)
	ve, err = e.cli.VerifiableGet(ctx, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("ref")}, ProveSinceTx: trustedID})
	if err != nil {
		t.Fatal(err)
	}
	if string(ve.Entry.Value) != "v3" || ve.Entry.ReferencedBy == nil || string(ve.Entry.ReferencedBy.Key) != "ref" {
		t.Fatalf("reference entry %v", ve.Entry)
	}
	if err := checkVerifiableEntry(e.pub, "defaultdb", ve); err != nil {
		t.Fatal(err)
	}
	vz, err := e.cli.VerifiableZAdd(ctx, &schema.VerifiableZAddRequest{
		ZAddRequest: &schema.ZAddRequest{Set: []byte("s"), Score: 2.5, Key: []byte("k4")}, ProveSinceTx: trustedID})
	if err != nil {
		t.Fatal(err)
	}
	advance(vz)
	if _, err := e.cli.ZAdd(ctx, &schema.ZAddRequest{Set: []byte("s"), Score: 1, Key: []byte("k5")}); err != nil {
		t.Fatal(err)
	}
	zs, err := e.cli.ZScan(ctx, &schema.ZScanRequest{Set: []byte("s")})
	if err != nil {
		t.Fatal(err)
	}
	if len(zs.Entries) != 2 || string(zs.Entries[0].Key) != "k5" || string(zs.Entries[1].Entry.Value) != "v4" {
		t.Fatalf("zscan %v", zs)
	}

	// proveSinceTx beyond the last tx: the exact statuses clients match.
	_, err = e.cli.VerifiableGet(ctx, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("k1")}, ProveSinceTx: 1000})
	wantErr(t, err, codes.InvalidArgument, "illegal state")

	// The state matches what the proofs led to.
	st, err = e.cli.CurrentState(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := st.TxId, st.TxHash
	vt, err = e.cli.VerifiableTxById(ctx, &schema.VerifiableTxRequest{Tx: cur, ProveSinceTx: trustedID})
	if err != nil {
		t.Fatal(err)
	}
	advance(vt)
	if trustedID != cur || string(trustedAlh[:]) != string(st.TxHash) {
		t.Fatalf("trusted %d, state %d", trustedID, cur)
	}
}

func TestPlainKVCalls(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")

	hdr, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("a1", "x"), kv("a2", "y"), kv("b1", "z")}})
	if err != nil || hdr.Id != 1 || hdr.Nentries != 3 {
		t.Fatalf("set %v %v", hdr, err)
	}
	hdr, err = e.cli.ExecAll(ctx, &schema.ExecAllRequest{Operations: []*schema.Op{
		{Operation: &schema.Op_Kv{Kv: kv("a3", "w")}},
		{Operation: &schema.Op_ZAdd{ZAdd: &schema.ZAddRequest{Set: []byte("set"), Score: 1, Key: []byte("a1")}}},
		{Operation: &schema.Op_Ref{Ref: &schema.ReferenceRequest{Key: []byte("r"), ReferencedKey: []byte("a2")}}},
	}})
	if err != nil || hdr.Id != 2 || hdr.Nentries != 3 {
		t.Fatalf("execAll %v %v", hdr, err)
	}
	if _, err := e.cli.Delete(ctx, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte("b1")}}); err != nil {
		t.Fatal(err)
	}

	all, err := e.cli.GetAll(ctx, &schema.KeyListRequest{Keys: [][]byte{[]byte("a1"), []byte("a3")}})
	if err != nil || len(all.Entries) != 2 || string(all.Entries[1].Value) != "w" {
		t.Fatalf("getAll %v %v", all, err)
	}
	sc, err := e.cli.Scan(ctx, &schema.ScanRequest{Prefix: []byte("a")})
	if err != nil || len(sc.Entries) != 3 {
		t.Fatalf("scan %v %v", sc, err)
	}
	sc, err = e.cli.Scan(ctx, &schema.ScanRequest{Prefix: []byte("b")})
	if err != nil || len(sc.Entries) != 0 {
		t.Fatalf("scan of a deleted key %v %v", sc, err)
	}
	n, err := e.cli.Count(ctx, &schema.KeyPrefix{Prefix: []byte("a")})
	if err != nil || n.Count != 3 {
		t.Fatalf("count %v %v", n, err)
	}
	if n, err = e.cli.CountAll(ctx, &emptypb.Empty{}); err != nil || n.Count < 3 {
		t.Fatalf("countAll %v %v", n, err)
	}
	h, err := e.cli.History(ctx, &schema.HistoryRequest{Key: []byte("b1")})
	if err != nil || len(h.Entries) != 2 || !h.Entries[1].GetMetadata().GetDeleted() {
		t.Fatalf("history %v %v", h, err)
	}
	_, err = e.cli.Get(ctx, &schema.KeyRequest{Key: []byte("b1")})
	wantErr(t, err, codes.Unknown, "tbtree: key not found")
	g, err := e.cli.Get(ctx, &schema.KeyRequest{Key: []byte("b1"), AtTx: 1})
	if err != nil || string(g.Value) != "z" {
		t.Fatalf("get atTx %v %v", g, err)
	}

	tx, err := e.cli.TxById(ctx, &schema.TxRequest{Tx: 1})
	if err != nil || len(tx.Entries) != 3 || tx.Entries[0].Key[0] != 0 {
		t.Fatalf("txById raw %v %v", tx, err)
	}
	tx, err = e.cli.TxById(ctx, &schema.TxRequest{Tx: 2, EntriesSpec: &schema.EntriesSpec{
		KvEntriesSpec: &schema.EntryTypeSpec{Action: schema.EntryTypeAction_RESOLVE},
		ZEntriesSpec:  &schema.EntryTypeSpec{Action: schema.EntryTypeAction_RESOLVE},
	}})
	if err != nil || len(tx.Entries) != 0 || len(tx.KvEntries) != 2 || len(tx.ZEntries) != 1 {
		t.Fatalf("txById resolved %v %v", tx, err)
	}
	_, err = e.cli.TxById(ctx, &schema.TxRequest{Tx: 99})
	wantErr(t, err, codes.Unknown, "tx not found")
	tl, err := e.cli.TxScan(ctx, &schema.TxScanRequest{InitialTx: 1, Limit: 2})
	if err != nil || len(tl.Txs) != 2 || tl.Txs[1].Header.Id != 2 {
		t.Fatalf("txScan %v %v", tl, err)
	}

	_, err = e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("d", "1"), kv("d", "2")}})
	wantErr(t, err, codes.InvalidArgument, "duplicated keys are not supported in single batch transaction")
	_, err = e.cli.Get(ctx, &schema.KeyRequest{Key: []byte("a1"), SinceTx: 1000})
	wantErr(t, err, codes.Unknown, "illegal arguments: SinceTx must not be greater than the current transaction ID")

	dh, err := e.cli.DatabaseHealth(ctx, &emptypb.Empty{})
	if err != nil || dh.LastRequestCompletedAt == 0 {
		t.Fatalf("databaseHealth %v %v", dh, err)
	}
	info, err := e.cli.ServerInfo(ctx, &schema.ServerInfoRequest{})
	if err != nil || info.NumDatabases != 1 || info.NumTransactions < 3 || info.StartedAt == 0 {
		t.Fatalf("serverInfo %v %v", info, err)
	}
}

// Data, identity and users survive a restart on the same data dir.
func TestRestartKeepsDataAndIdentity(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")
	if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: "other"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.ChangePassword(ctx, &schema.ChangePasswordRequest{User: []byte("immudb"), OldPassword: []byte("immudb"), NewPassword: []byte("N3w-pass!")}); err != nil {
		t.Fatal(err)
	}
	uuid := e.srv.UUID()
	st1, err := e.cli.CurrentState(ctx, &emptypb.Empty{})
	if err != nil {
		t.Fatal(err)
	}
	e.stop(t)

	opts := e.optsForRestart()
	e.start(t, opts)
	if e.srv.UUID() != uuid {
		t.Fatalf("uuid changed: %s -> %s", uuid, e.srv.UUID())
	}
	_, err = e.cli.OpenSession(callCtx(t), &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("immudb"), DatabaseName: "defaultdb"})
	wantErr(t, err, codes.Unknown, "invalid user name or password")
	ctx = e.session(t, "immudb", "N3w-pass!", "defaultdb")
	st2, err := e.cli.CurrentState(ctx, &emptypb.Empty{})
	if err != nil || st2.TxId != st1.TxId || string(st2.TxHash) != string(st1.TxHash) {
		t.Fatalf("state after restart %v, before %v (%v)", st2, st1, err)
	}
	g, err := e.cli.Get(ctx, &schema.KeyRequest{Key: []byte("k")})
	if err != nil || string(g.Value) != "v" {
		t.Fatalf("get after restart %v %v", g, err)
	}
	if _, err := e.cli.UseDatabase(ctx, &schema.Database{DatabaseName: "other"}); err != nil {
		t.Fatalf("database lost on restart: %v", err)
	}
}

// Concurrent writers through the server: every acknowledged tx is there.
func TestConcurrentWriters(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")
	const writers, each = 8, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv(fmt.Sprintf("w%d-%d", w, i), "v")}}); err != nil {
					errs <- err
					return
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	st, err := e.cli.CurrentState(ctx, &emptypb.Empty{})
	if err != nil || st.TxId != writers*each {
		t.Fatalf("state %v %v", st, err)
	}
	n, err := e.cli.Count(ctx, &schema.KeyPrefix{Prefix: []byte("w")})
	if err != nil || n.Count != writers*each {
		t.Fatalf("count %v %v", n, err)
	}
}

func TestAuthFailuresOnRealServer(t *testing.T) {
	e := startServer(t, nil)
	ctx := callCtx(t)
	_, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}})
	wantErr(t, err, codes.Unknown, "not logged in")
	_, err = e.cli.Get(withSession(ctx, "dW5rbm93bg=="), &schema.KeyRequest{Key: []byte("k")})
	wantErr(t, err, codes.PermissionDenied, "session not found")
	_, err = e.cli.OpenSession(ctx, &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("nope"), DatabaseName: "defaultdb"})
	wantErr(t, err, codes.Unknown, "invalid user name or password")

	admin := e.session(t, "immudb", "immudb", "defaultdb")
	if _, err := e.cli.CreateUser(admin, &schema.CreateUserRequest{User: []byte("ro"), Password: []byte("Read0nly!"), Permission: 1, Database: "defaultdb"}); err != nil {
		t.Fatal(err)
	}
	ro := e.session(t, "ro", "Read0nly!", "defaultdb")
	_, err = e.cli.Set(ro, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}})
	wantErr(t, err, codes.PermissionDenied, "permission denied")
	_, err = e.cli.VerifiableSet(ro, &schema.VerifiableSetRequest{SetRequest: &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}}})
	wantErr(t, err, codes.PermissionDenied, "permission denied")
	if _, err := e.cli.CurrentState(ro, &emptypb.Empty{}); err != nil {
		t.Fatalf("read-only user cannot read: %v", err)
	}
}

// With --auth=false local calls need no credentials and act on defaultdb;
// sessions are refused.
func TestAuthDisabledServer(t *testing.T) {
	e := startServer(t, func(o *server.Options) { o.Auth = false })
	ctx := callCtx(t)
	hdr, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}})
	if err != nil || hdr.Id != 1 {
		t.Fatalf("set without credentials: %v %v", hdr, err)
	}
	ve, err := e.cli.VerifiableGet(ctx, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("k")}})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkVerifiableEntry(e.pub, "defaultdb", ve); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.OpenSession(ctx, &schema.OpenSessionRequest{Username: []byte("immudb"), Password: []byte("immudb"), DatabaseName: "defaultdb"})
	wantErr(t, err, codes.Unknown, "server is running with authentication disabled, please enable authentication to login")
}
