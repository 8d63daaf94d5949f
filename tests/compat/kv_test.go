package compat

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/codenotary/immudb/pkg/api/schema"
	"github.com/codenotary/immudb/pkg/client"
)

// kvStep is one call (or a short group of calls) of the KV scenario. Steps
// run in order on one client and one fresh database; tx holds the tx ids
// the steps produced so later steps can refer to them.
type kvStep struct {
	name string
	run  func(t *testing.T, c client.ImmuClient, tx map[string]uint64, signed bool)
}

// keys returns the user keys of entries, for compact comparisons.
func keys(es []*schema.Entry) string {
	var out []string
	for _, e := range es {
		out = append(out, string(e.Key))
	}
	return strings.Join(out, ",")
}

func wantEntry(t *testing.T, what string, e *schema.Entry, key, val string, txID uint64) {
	t.Helper()
	if e == nil {
		t.Fatalf("%s: nil entry", what)
	}
	if string(e.Key) != key || string(e.Value) != val || (txID != 0 && e.Tx != txID) {
		t.Errorf("%s: got key=%q value=%q tx=%d, want key=%q value=%q tx=%d",
			what, e.Key, e.Value, e.Tx, key, val, txID)
	}
}

var kvSteps = []kvStep{
	{"CurrentState/empty", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, signed bool) {
		st, err := c.CurrentState(ctxT(t))
		noErr(t, "CurrentState", err)
		if st.TxId != 0 || st.Db != "defaultdb" {
			t.Errorf("CurrentState = {db %q tx %d}, want {defaultdb 0}", st.Db, st.TxId)
		}
		if signed != (st.Signature != nil) {
			t.Errorf("CurrentState signature present=%v, want %v", st.Signature != nil, signed)
		}
	}},
	{"VerifiedGet/missing", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		_, err := c.VerifiedGet(ctxT(t), []byte("k1"))
		wantErr(t, "VerifiedGet(missing)", err, errKeyNotFound)
	}},
	{"VerifiedSet", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, _ bool) {
		h, err := c.VerifiedSet(ctxT(t), []byte("k1"), []byte("v1"))
		noErr(t, "VerifiedSet", err)
		if h.Id != 1 || h.Nentries != 1 {
			t.Errorf("VerifiedSet header id=%d nentries=%d, want 1 1", h.Id, h.Nentries)
		}
		tx["k1v1"] = h.Id
	}},
	{"Set", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, _ bool) {
		h, err := c.Set(ctxT(t), []byte("k1"), []byte("v2"))
		noErr(t, "Set", err)
		if h.Id != tx["k1v1"]+1 {
			t.Errorf("Set tx id %d, want %d", h.Id, tx["k1v1"]+1)
		}
		tx["k1v2"] = h.Id
	}},
	{"VerifiedGet", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, _ bool) {
		ctx := ctxT(t)
		e, err := c.VerifiedGet(ctx, []byte("k1"))
		noErr(t, "VerifiedGet", err)
		wantEntry(t, "VerifiedGet", e, "k1", "v2", tx["k1v2"])
		if e.Revision != 2 {
			t.Errorf("VerifiedGet revision %d, want 2", e.Revision)
		}
		e, err = c.VerifiedGetAt(ctx, []byte("k1"), tx["k1v1"])
		noErr(t, "VerifiedGetAt", err)
		wantEntry(t, "VerifiedGetAt", e, "k1", "v1", tx["k1v1"])
		e, err = c.VerifiedGetSince(ctx, []byte("k1"), tx["k1v2"])
		noErr(t, "VerifiedGetSince", err)
		wantEntry(t, "VerifiedGetSince", e, "k1", "v2", tx["k1v2"])
		e, err = c.VerifiedGetAtRevision(ctx, []byte("k1"), 1)
		noErr(t, "VerifiedGetAtRevision(1)", err)
		wantEntry(t, "VerifiedGetAtRevision(1)", e, "k1", "v1", tx["k1v1"])
		e, err = c.VerifiedGetAtRevision(ctx, []byte("k1"), -1)
		noErr(t, "VerifiedGetAtRevision(-1)", err)
		wantEntry(t, "VerifiedGetAtRevision(-1)", e, "k1", "v1", tx["k1v1"])
	}},
	{"Get", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, _ bool) {
		ctx := ctxT(t)
		e, err := c.Get(ctx, []byte("k1"))
		noErr(t, "Get", err)
		wantEntry(t, "Get", e, "k1", "v2", tx["k1v2"])
		e, err = c.GetAt(ctx, []byte("k1"), tx["k1v1"])
		noErr(t, "GetAt", err)
		wantEntry(t, "GetAt", e, "k1", "v1", tx["k1v1"])
		e, err = c.GetSince(ctx, []byte("k1"), tx["k1v2"])
		noErr(t, "GetSince", err)
		wantEntry(t, "GetSince", e, "k1", "v2", tx["k1v2"])
		e, err = c.GetAtRevision(ctx, []byte("k1"), 1)
		noErr(t, "GetAtRevision", err)
		wantEntry(t, "GetAtRevision", e, "k1", "v1", tx["k1v1"])
		_, err = c.Get(ctx, []byte("nope"))
		wantErr(t, "Get(missing)", err, errKeyNotFound)
		_, err = c.GetSince(ctx, []byte("k1"), 1000)
		wantErr(t, "GetSince(1000)", err, errSinceTooBig)
	}},
	{"SetAll", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, _ bool) {
		ctx := ctxT(t)
		h, err := c.SetAll(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{
			{Key: []byte("a1"), Value: []byte("va1")},
			{Key: []byte("a2"), Value: []byte("va2")},
			{Key: []byte("b1"), Value: []byte("vb1")},
		}})
		noErr(t, "SetAll", err)
		if h.Nentries != 3 {
			t.Errorf("SetAll nentries %d, want 3", h.Nentries)
		}
		tx["setall"] = h.Id
		_, err = c.SetAll(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{
			{Key: []byte("d"), Value: []byte("1")}, {Key: []byte("d"), Value: []byte("2")},
		}})
		wantErr(t, "SetAll(duplicate keys)", err, errDupKeys)
		_, err = c.Set(ctx, bytes.Repeat([]byte("k"), 1025), []byte("v"))
		wantErr(t, "Set(1025-byte key)", err, errKeyTooLong)
	}},
	{"GetAll", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		es, err := c.GetAll(ctxT(t), [][]byte{[]byte("a2"), []byte("k1"), []byte("b1")})
		noErr(t, "GetAll", err)
		if got := keys(es.Entries); got != "a2,k1,b1" {
			t.Errorf("GetAll keys %q, want a2,k1,b1", got)
		}
	}},
	{"Scan", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		ctx := ctxT(t)
		cases := []struct {
			req  *schema.ScanRequest
			want string
		}{
			{&schema.ScanRequest{Prefix: []byte("a")}, "a1,a2"},
			{&schema.ScanRequest{Prefix: []byte("a"), Desc: true}, "a2,a1"},
			{&schema.ScanRequest{Prefix: []byte("a"), Limit: 1}, "a1"},
			{&schema.ScanRequest{SeekKey: []byte("a1")}, "a2,b1,k1"},
			{&schema.ScanRequest{SeekKey: []byte("a1"), InclusiveSeek: true, Limit: 2}, "a1,a2"},
			{&schema.ScanRequest{SeekKey: []byte("k1"), Desc: true}, "b1,a2,a1"},
			{&schema.ScanRequest{}, "a1,a2,b1,k1"},
			{&schema.ScanRequest{Prefix: []byte("zz")}, ""},
		}
		for _, tc := range cases {
			es, err := c.Scan(ctx, tc.req)
			noErr(t, fmt.Sprintf("Scan(%v)", tc.req), err)
			if got := keys(es.Entries); got != tc.want {
				t.Errorf("Scan(%v) = %q, want %q", tc.req, got, tc.want)
			}
		}
	}},
	{"Count", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		ctx := ctxT(t)
		n, err := c.Count(ctx, []byte("a"))
		noErr(t, "Count", err)
		if n.Count != 2 {
			t.Errorf("Count(a) = %d, want 2", n.Count)
		}
		n, err = c.CountAll(ctx)
		noErr(t, "CountAll", err)
		if n.Count != 4 {
			t.Errorf("CountAll = %d, want 4", n.Count)
		}
	}},
	{"SetReference", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, _ bool) {
		ctx := ctxT(t)
		_, err := c.SetReference(ctx, []byte("ref1"), []byte("k1"))
		noErr(t, "SetReference", err)
		e, err := c.Get(ctx, []byte("ref1"))
		noErr(t, "Get(ref1)", err)
		wantEntry(t, "Get(ref1)", e, "k1", "v2", tx["k1v2"])
		if e.ReferencedBy == nil || string(e.ReferencedBy.Key) != "ref1" {
			t.Errorf("Get(ref1).referencedBy = %v, want key ref1", e.ReferencedBy)
		}
		h, err := c.VerifiedSetReference(ctx, []byte("ref2"), []byte("a1"))
		noErr(t, "VerifiedSetReference", err)
		tx["ref2"] = h.Id
		e, err = c.VerifiedGet(ctx, []byte("ref2"))
		noErr(t, "VerifiedGet(ref2)", err)
		wantEntry(t, "VerifiedGet(ref2)", e, "a1", "va1", tx["setall"])
		_, err = c.SetReference(ctx, []byte("ref3"), []byte("ref1"))
		wantErr(t, "SetReference(to a reference)", err,
			"rpc error: code = Unknown desc = referenced key cannot be a reference")
	}},
	{"ZAdd", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, _ bool) {
		ctx := ctxT(t)
		_, err := c.ZAdd(ctx, []byte("set1"), 1.5, []byte("k1"))
		noErr(t, "ZAdd", err)
		_, err = c.VerifiedZAdd(ctx, []byte("set1"), 2.5, []byte("a1"))
		noErr(t, "VerifiedZAdd", err)
		// The SDK's *ZAddAt helpers send atTx without boundRef, which
		// immudb refuses; the raw request with boundRef is accepted.
		_, err = c.VerifiedZAddAt(ctx, []byte("set1"), 0.5, []byte("k1"), tx["k1v1"])
		wantErr(t, "VerifiedZAddAt (no boundRef)", err,
			"rpc error: code = InvalidArgument desc = illegal arguments")
		_, err = c.GetServiceClient().ZAdd(ctx, &schema.ZAddRequest{
			Set: []byte("set1"), Score: 0.5, Key: []byte("k1"), AtTx: tx["k1v1"], BoundRef: true})
		noErr(t, "ZAdd(atTx, boundRef)", err)
		zs, err := c.ZScan(ctx, &schema.ZScanRequest{Set: []byte("set1")})
		noErr(t, "ZScan", err)
		var got []string
		for _, z := range zs.Entries {
			got = append(got, fmt.Sprintf("%s:%g:%s", z.Key, z.Score, z.Entry.Value))
		}
		if want := "k1:0.5:v1,k1:1.5:v2,a1:2.5:va1"; strings.Join(got, ",") != want {
			t.Errorf("ZScan = %q, want %q", strings.Join(got, ","), want)
		}
		zs, err = c.ZScan(ctx, &schema.ZScanRequest{Set: []byte("set1"), Desc: true, Limit: 1})
		noErr(t, "ZScan(desc)", err)
		if len(zs.Entries) != 1 || string(zs.Entries[0].Key) != "a1" {
			t.Errorf("ZScan(desc, limit 1) = %v, want a1", zs.Entries)
		}
		zs, err = c.ZScan(ctx, &schema.ZScanRequest{Set: []byte("set1"),
			MinScore: &schema.Score{Score: 1}, MaxScore: &schema.Score{Score: 2}})
		noErr(t, "ZScan(min,max)", err)
		if len(zs.Entries) != 1 || zs.Entries[0].Score != 1.5 {
			t.Errorf("ZScan(1..2) = %v, want the 1.5 entry", zs.Entries)
		}
	}},
	{"ExecAll", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, _ bool) {
		ctx := ctxT(t)
		h, err := c.ExecAll(ctx, &schema.ExecAllRequest{Operations: []*schema.Op{
			{Operation: &schema.Op_Kv{Kv: &schema.KeyValue{Key: []byte("x1"), Value: []byte("vx1")}}},
			{Operation: &schema.Op_Ref{Ref: &schema.ReferenceRequest{Key: []byte("xref"), ReferencedKey: []byte("x1"), AtTx: 0, BoundRef: true}}},
			{Operation: &schema.Op_ZAdd{ZAdd: &schema.ZAddRequest{Set: []byte("set1"), Score: 9, Key: []byte("x1"), BoundRef: true}}},
		}})
		noErr(t, "ExecAll", err)
		if h.Nentries != 3 {
			t.Errorf("ExecAll nentries %d, want 3", h.Nentries)
		}
		tx["execall"] = h.Id
		e, err := c.VerifiedGet(ctx, []byte("xref"))
		noErr(t, "VerifiedGet(xref)", err)
		wantEntry(t, "VerifiedGet(xref)", e, "x1", "vx1", h.Id)
		if e.ReferencedBy == nil || e.ReferencedBy.AtTx != h.Id {
			t.Errorf("bound reference atTx = %v, want %d", e.ReferencedBy, h.Id)
		}
		zs, err := c.ZScan(ctx, &schema.ZScanRequest{Set: []byte("set1"), MinScore: &schema.Score{Score: 9}})
		noErr(t, "ZScan(9)", err)
		if len(zs.Entries) != 1 || string(zs.Entries[0].Key) != "x1" || zs.Entries[0].AtTx != h.Id {
			t.Errorf("ZScan after ExecAll = %v, want x1 at tx %d", zs.Entries, h.Id)
		}
	}},
	{"History", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		ctx := ctxT(t)
		var vals []string
		es, err := c.History(ctx, &schema.HistoryRequest{Key: []byte("k1")})
		noErr(t, "History", err)
		for _, e := range es.Entries {
			vals = append(vals, fmt.Sprintf("%s@%d", e.Value, e.Revision))
		}
		if got := strings.Join(vals, ","); got != "v1@1,v2@2" {
			t.Errorf("History(k1) = %q, want v1@1,v2@2", got)
		}
		es, err = c.History(ctx, &schema.HistoryRequest{Key: []byte("k1"), Desc: true, Limit: 1})
		noErr(t, "History(desc)", err)
		if len(es.Entries) != 1 || string(es.Entries[0].Value) != "v2" {
			t.Errorf("History(k1, desc, limit 1) = %v, want v2", es.Entries)
		}
		_, err = c.History(ctx, &schema.HistoryRequest{Key: []byte("nope")})
		wantErr(t, "History(missing)", err, errKeyNotFound)
	}},
	{"Delete", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		ctx := ctxT(t)
		_, err := c.Delete(ctx, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte("b1")}})
		noErr(t, "Delete", err)
		_, err = c.Get(ctx, []byte("b1"))
		wantErr(t, "Get(deleted)", err, errKeyNotFound)
		_, err = c.VerifiedGet(ctx, []byte("b1"))
		wantErr(t, "VerifiedGet(deleted)", err, errKeyNotFound)
		es, err := c.Scan(ctx, &schema.ScanRequest{Prefix: []byte("b")})
		noErr(t, "Scan(b)", err)
		if len(es.Entries) != 0 {
			t.Errorf("Scan after delete = %q, want nothing", keys(es.Entries))
		}
	}},
	{"TxByID", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, _ bool) {
		ctx := ctxT(t)
		x, err := c.TxByID(ctx, tx["setall"])
		noErr(t, "TxByID", err)
		var ks []string
		for _, e := range x.Entries {
			ks = append(ks, string(e.Key))
		}
		if x.Header.Id != tx["setall"] || strings.Join(ks, ",") != "a1,a2,b1" {
			t.Errorf("TxByID = id %d keys %v, want id %d keys a1,a2,b1", x.Header.Id, ks, tx["setall"])
		}
		x, err = c.VerifiedTxByID(ctx, tx["k1v1"])
		noErr(t, "VerifiedTxByID(old)", err)
		if x.Header.Id != tx["k1v1"] {
			t.Errorf("VerifiedTxByID id %d, want %d", x.Header.Id, tx["k1v1"])
		}
		x, err = c.VerifiedTxByID(ctx, tx["execall"])
		noErr(t, "VerifiedTxByID(new)", err)
		if len(x.Entries) != 3 {
			t.Errorf("VerifiedTxByID(execall) has %d entries, want 3", len(x.Entries))
		}
		x, err = c.TxByIDWithSpec(ctx, &schema.TxRequest{Tx: tx["k1v2"], EntriesSpec: &schema.EntriesSpec{
			KvEntriesSpec: &schema.EntryTypeSpec{Action: schema.EntryTypeAction_RESOLVE}}})
		noErr(t, "TxByIDWithSpec(RESOLVE)", err)
		if len(x.KvEntries) != 1 || string(x.KvEntries[0].Value) != "v2" {
			t.Errorf("TxByIDWithSpec(RESOLVE).kvEntries = %v, want k1=v2", x.KvEntries)
		}
		_, err = c.TxByID(ctx, 1000)
		wantErr(t, "TxByID(1000)", err, errTxNotFound)
	}},
	{"TxScan", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		ctx := ctxT(t)
		l, err := c.TxScan(ctx, &schema.TxScanRequest{InitialTx: 2, Limit: 3})
		noErr(t, "TxScan", err)
		var ids []string
		for _, x := range l.Txs {
			ids = append(ids, fmt.Sprint(x.Header.Id))
		}
		if got := strings.Join(ids, ","); got != "2,3,4" {
			t.Errorf("TxScan(2, limit 3) ids %q, want 2,3,4", got)
		}
		l, err = c.TxScan(ctx, &schema.TxScanRequest{InitialTx: 3, Limit: 2, Desc: true})
		noErr(t, "TxScan(desc)", err)
		ids = nil
		for _, x := range l.Txs {
			ids = append(ids, fmt.Sprint(x.Header.Id))
		}
		if got := strings.Join(ids, ","); got != "3,2" {
			t.Errorf("TxScan(3, desc, limit 2) ids %q, want 3,2", got)
		}
	}},
	{"ProveSinceTxBeyond", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		ctx := ctxT(t)
		sc := c.GetServiceClient()
		st, err := c.CurrentState(ctx)
		noErr(t, "CurrentState", err)
		_, err = sc.VerifiableGet(ctx, &schema.VerifiableGetRequest{
			KeyRequest: &schema.KeyRequest{Key: []byte("k1")}, ProveSinceTx: 1000})
		wantIllegalStateSeen(t, "VerifiableGet(proveSinceTx 1000)", err)
		_, err = sc.VerifiableSet(ctx, &schema.VerifiableSetRequest{
			SetRequest:   &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("p"), Value: []byte("p")}}},
			ProveSinceTx: 1000})
		wantIllegalStateSeen(t, "VerifiableSet(proveSinceTx 1000)", err)
		_, err = sc.VerifiableTxById(ctx, &schema.VerifiableTxRequest{Tx: 1, ProveSinceTx: 1000})
		wantErr(t, "VerifiableTxById(proveSinceTx 1000)", err, fmt.Sprintf(
			"rpc error: code = Unknown desc = illegal state: latest txID=%d is lower than specified as initial tx=1000", st.TxId))
	}},
	{"Index", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		ctx := ctxT(t)
		_, err := c.FlushIndex(ctx, 10, true)
		noErr(t, "FlushIndex", err)
		err = c.CompactIndex(ctx, nil)
		if err != nil && !strings.Contains(err.Error(), "compaction threshold not yet reached") {
			t.Errorf("CompactIndex: %v", err)
		}
		e, err := c.VerifiedGet(ctx, []byte("k1"))
		noErr(t, "VerifiedGet after index maintenance", err)
		wantEntry(t, "VerifiedGet after index maintenance", e, "k1", "v2", 0)
	}},
	{"Health/ServerInfo", func(t *testing.T, c client.ImmuClient, _ map[string]uint64, _ bool) {
		ctx := ctxT(t)
		noErr(t, "HealthCheck", c.HealthCheck(ctx))
		_, err := c.Health(ctx)
		noErr(t, "Health (DatabaseHealth)", err)
		info, err := c.ServerInfo(ctx, &schema.ServerInfoRequest{})
		noErr(t, "ServerInfo", err)
		if info.Version == "" || info.NumDatabases < 1 || info.NumTransactions < 1 || info.StartedAt == 0 {
			t.Errorf("ServerInfo = %v, want version, startedAt, numDatabases and numTransactions set", info)
		}
	}},
	{"CurrentState/final", func(t *testing.T, c client.ImmuClient, tx map[string]uint64, signed bool) {
		ctx := ctxT(t)
		st, err := c.CurrentState(ctx)
		noErr(t, "CurrentState", err)
		if st.TxId < tx["execall"] || len(st.TxHash) != 32 {
			t.Errorf("CurrentState = tx %d hash %x, want tx >= %d and a 32-byte hash", st.TxId, st.TxHash, tx["execall"])
		}
		if signed != (st.Signature != nil) {
			t.Errorf("CurrentState signature present=%v, want %v", st.Signature != nil, signed)
		}
		// A verified read of the oldest tx proves it against the newest state.
		e, err := c.VerifiedGetAt(ctx, []byte("k1"), tx["k1v1"])
		noErr(t, "VerifiedGetAt(first tx)", err)
		wantEntry(t, "VerifiedGetAt(first tx)", e, "k1", "v1", tx["k1v1"])
	}},
}

// wantIllegalStateSeen checks what an SDK user sees after the server
// answers InvalidArgument "illegal state": the SDK's interceptor catches
// exactly that status and re-reads its state file, which with the default
// file cache fails with "file already closed" (API.md §3). Any other server
// status would come through unchanged. The raw status itself is checked by
// TestIllegalStateRaw.
func wantIllegalStateSeen(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	if err.Error() == errIllegalState {
		return
	}
	if !strings.Contains(err.Error(), "/.state-") || !strings.Contains(err.Error(), "file already closed") {
		t.Errorf("%s: error %q, want the SDK's reaction to %q", what, err, errIllegalState)
	}
}

// runKV runs kvSteps in order; a failed step stops the rest, since later
// steps depend on earlier writes.
func runKV(t *testing.T, c client.ImmuClient, signed bool) {
	tx := map[string]uint64{}
	for _, st := range kvSteps {
		if !t.Run(st.name, func(t *testing.T) { st.run(t, c, tx, signed) }) {
			t.Fatalf("step %s failed; skipping the rest", st.name)
		}
	}
}

func TestKVSessionSigned(t *testing.T) {
	s := startServer(t, true)
	runKV(t, mustSession(t, s, "immudb", "immudb", "defaultdb", signingPub), true)
}

func TestKVSessionUnsigned(t *testing.T) {
	s := startServer(t, false)
	runKV(t, mustSession(t, s, "immudb", "immudb", "defaultdb", nil), false)
}

func TestKVTokenSigned(t *testing.T) {
	s := startServer(t, true)
	runKV(t, tokenClient(t, s, "immudb", "immudb", "", signingPubFile), true)
}

func TestKVTokenUseDatabase(t *testing.T) {
	s := startServer(t, true)
	runKV(t, tokenClient(t, s, "immudb", "immudb", "defaultdb", signingPubFile), true)
}
