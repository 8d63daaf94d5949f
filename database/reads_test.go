package database

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
)

var (
	chainOnce sync.Once
	chainDB   *DB
)

// chain returns a database holding tx_chain.json, shared by the read tests
// (they do not write to it).
func chain(t *testing.T) *DB {
	chainOnce.Do(func() {
		d, _ := buildChain(&onceTB{T: t}, nil)
		chainDB = d
	})
	if chainDB == nil {
		t.Fatal("chain not built")
	}
	return chainDB
}

// onceTB keeps the shared database open past the test that built it.
type onceTB struct{ *testing.T }

func (o *onceTB) Cleanup(func()) {}

func (o *onceTB) TempDir() string {
	dir, err := os.MkdirTemp("", "database-chain-")
	if err != nil {
		o.Fatal(err)
	}
	chainDir = dir
	return dir
}

var chainDir string

func TestMain(m *testing.M) {
	code := m.Run()
	if chainDB != nil {
		chainDB.Close()
		os.RemoveAll(chainDir)
	}
	os.Exit(code)
}

func keysOf(es []*schema.Entry) string {
	var ks []string
	for _, e := range es {
		s := string(e.Key)
		if e.ReferencedBy != nil {
			s = string(e.ReferencedBy.Key) + "->" + s
		}
		ks = append(ks, s)
	}
	return strings.Join(ks, ",")
}

func TestScan(t *testing.T) {
	d := chain(t)
	cases := []struct {
		req  *schema.ScanRequest
		want string
	}{
		{&schema.ScanRequest{Prefix: []byte("key-")}, "key-1,key-2,key-3,key-4,key-5"},
		{&schema.ScanRequest{Prefix: []byte("key-"), Desc: true}, "key-5,key-4,key-3,key-2,key-1"},
		{&schema.ScanRequest{Prefix: []byte("key-"), Offset: 1, Limit: 2}, "key-2,key-3"},
		{&schema.ScanRequest{Prefix: []byte("key-"), SeekKey: []byte("key-2"), EndKey: []byte("key-4")}, "key-3"},
		{&schema.ScanRequest{Prefix: []byte("key-"), SeekKey: []byte("key-2"), EndKey: []byte("key-4"), InclusiveSeek: true, InclusiveEnd: true}, "key-2,key-3,key-4"},
		{&schema.ScanRequest{Prefix: []byte("key-"), SeekKey: []byte("key-4"), Desc: true}, "key-3,key-2,key-1"},
		{&schema.ScanRequest{Prefix: []byte("ref-")}, "ref-alpha->alpha,ref-beta->beta,ref-delta->delta"},
		{&schema.ScanRequest{Prefix: []byte("expired")}, ""},    // expired in the past
		{&schema.ScanRequest{Prefix: []byte("hidden")}, ""},     // non-indexable
		{&schema.ScanRequest{Prefix: []byte("gamma")}, "gamma"}, // re-created after deletion
		{&schema.ScanRequest{Prefix: []byte("k0"), Limit: 3, Offset: 98}, "k098,k099"},
	}
	for _, c := range cases {
		got, err := d.Scan(bg, c.req)
		if err != nil {
			t.Errorf("%v: %v", c.req, err)
			continue
		}
		if k := keysOf(got.Entries); k != c.want {
			t.Errorf("%v: got %q want %q", c.req, k, c.want)
		}
	}
	got, _ := d.Scan(bg, &schema.ScanRequest{Prefix: []byte("ref-beta")})
	if e := got.Entries[0]; e.Tx != 2 || len(e.Value) != 0 || e.ReferencedBy.AtTx != 2 || e.ReferencedBy.Tx != 8 {
		t.Errorf("bound reference: %v", e)
	}
	all, err := d.Scan(bg, &schema.ScanRequest{})
	if err != nil || len(all.Entries) == 0 {
		t.Fatalf("scan all: %v", err)
	}
}

func TestZScan(t *testing.T) {
	d := chain(t)
	zs := func(req *schema.ZScanRequest) string {
		t.Helper()
		got, err := d.ZScan(bg, req)
		if err != nil {
			t.Fatalf("%v: %v", req, err)
		}
		var out []string
		for _, z := range got.Entries {
			out = append(out, fmt.Sprintf("%s:%g@%d=%s", z.Key, z.Score, z.AtTx, z.Entry.Value))
		}
		return strings.Join(out, ",")
	}
	set := []byte("myset")
	cases := []struct {
		req  *schema.ZScanRequest
		want string
	}{
		// Raw IEEE-754 order: positive scores first, negative after.
		{&schema.ZScanRequest{Set: set}, "alpha:1.5@0=second value,delta:3@14=d,beta:-2.25@2="},
		{&schema.ZScanRequest{Set: set, Desc: true}, "beta:-2.25@2=,delta:3@14=d,alpha:1.5@0=second value"},
		{&schema.ZScanRequest{Set: set, MinScore: &schema.Score{Score: 0}}, "alpha:1.5@0=second value,delta:3@14=d"},
		{&schema.ZScanRequest{Set: set, MaxScore: &schema.Score{Score: 2}}, "alpha:1.5@0=second value,beta:-2.25@2="},
		{&schema.ZScanRequest{Set: set, SeekKey: []byte("delta"), SeekScore: 3, SeekAtTx: 14}, "beta:-2.25@2="},
		{&schema.ZScanRequest{Set: set, SeekKey: []byte("delta"), SeekScore: 3, SeekAtTx: 14, InclusiveSeek: true}, "delta:3@14=d,beta:-2.25@2="},
		{&schema.ZScanRequest{Set: set, Offset: 1, Limit: 1}, "delta:3@14=d"},
		{&schema.ZScanRequest{Set: []byte("vset-z")}, "vset:42@0=verified"},
		{&schema.ZScanRequest{Set: []byte("mysetx")}, ""},
	}
	for _, c := range cases {
		if got := zs(c.req); got != c.want {
			t.Errorf("%v: got %q want %q", c.req, got, c.want)
		}
	}
	if _, err := d.ZScan(bg, &schema.ZScanRequest{}); !errors.Is(err, ErrIllegalArguments) {
		t.Errorf("empty set: %v", err)
	}
}

func TestHistoryCountGetAll(t *testing.T) {
	d := chain(t)
	h, err := d.History(bg, &schema.HistoryRequest{Key: []byte("gamma")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range h.Entries {
		got = append(got, fmt.Sprintf("%d/%d/%s/%v", e.Tx, e.Revision, e.Value, e.Metadata.GetDeleted()))
	}
	if s := strings.Join(got, ","); s != "3/1/g1/false,10/2//true,18/3/g2/false" {
		t.Errorf("history gamma: %s", s)
	}
	h, _ = d.History(bg, &schema.HistoryRequest{Key: []byte("gamma"), Desc: true, Offset: 1, Limit: 1})
	if len(h.Entries) != 1 || h.Entries[0].Tx != 10 {
		t.Errorf("history desc page: %v", h.Entries)
	}
	if _, err := d.History(bg, &schema.HistoryRequest{Key: []byte("nope")}); !errors.Is(err, ErrKeyNotFound) {
		t.Errorf("history missing: %v", err)
	}

	for prefix, want := range map[string]uint64{"k0": 100, "key-": 5, "nope": 0} {
		c, err := d.Count(bg, &schema.KeyPrefix{Prefix: []byte(prefix)})
		if err != nil || c.Count != want {
			t.Errorf("count %q = %v, %v; want %d", prefix, c, err, want)
		}
	}
	all, err := d.CountAll(bg)
	if err != nil || all.Count < 100 {
		t.Errorf("countAll %v %v", all, err)
	}

	ga, err := d.GetAll(bg, &schema.KeyListRequest{Keys: [][]byte{[]byte("alpha"), []byte("nope"), []byte("ref-beta")}})
	if err != nil || keysOf(ga.Entries) != "alpha,ref-beta->beta" {
		t.Errorf("getAll: %v %v", ga, err)
	}

	// Get variants (API.md §5).
	for _, c := range []struct {
		req     *schema.KeyRequest
		tx, rev uint64
		val     string
	}{
		{&schema.KeyRequest{Key: []byte("alpha")}, 13, 2, "second value"},
		{&schema.KeyRequest{Key: []byte("alpha"), AtRevision: 1}, 1, 1, "first value"},
		{&schema.KeyRequest{Key: []byte("alpha"), AtRevision: -1}, 1, 1, "first value"},
		{&schema.KeyRequest{Key: []byte("alpha"), AtTx: 1}, 1, 0, "first value"},
		{&schema.KeyRequest{Key: []byte("alpha"), SinceTx: 23, NoWait: true}, 13, 2, "second value"},
		{&schema.KeyRequest{Key: []byte("hidden"), AtTx: 12}, 12, 0, "not indexed"},
	} {
		e, err := d.Get(bg, c.req)
		if err != nil || e.Tx != c.tx || e.Revision != c.rev || string(e.Value) != c.val {
			t.Errorf("get %v = %v, %v", c.req, e, err)
		}
	}
}

func TestTxReads(t *testing.T) {
	d := chain(t)
	spec := func(kv, z schema.EntryTypeAction) *schema.EntriesSpec {
		return &schema.EntriesSpec{KvEntriesSpec: &schema.EntryTypeSpec{Action: kv}, ZEntriesSpec: &schema.EntryTypeSpec{Action: z}}
	}
	// tx 14: kv delta, reference ref-delta → delta@14, zAdd myset delta@14.
	tx, err := d.TxByID(bg, &schema.TxRequest{Tx: 14, EntriesSpec: spec(schema.EntryTypeAction_RESOLVE, schema.EntryTypeAction_RESOLVE)})
	if err != nil {
		t.Fatal(err)
	}
	if len(tx.Entries) != 0 || keysOf(tx.KvEntries) != "delta,ref-delta->delta" || len(tx.ZEntries) != 1 ||
		string(tx.ZEntries[0].Entry.Value) != "d" || tx.ZEntries[0].AtTx != 14 {
		t.Errorf("resolve: %v", tx)
	}
	tx, _ = d.TxByID(bg, &schema.TxRequest{Tx: 14, EntriesSpec: spec(schema.EntryTypeAction_RAW_VALUE, schema.EntryTypeAction_EXCLUDE)})
	if len(tx.Entries) != 2 || string(tx.Entries[0].Value) != "\x00d" || len(tx.Entries[1].Value) == 0 {
		t.Errorf("raw value: %v", tx.Entries)
	}
	tx, _ = d.TxByID(bg, &schema.TxRequest{Tx: 14, EntriesSpec: spec(schema.EntryTypeAction_EXCLUDE, schema.EntryTypeAction_ONLY_DIGEST)})
	if len(tx.Entries) != 1 || tx.Entries[0].Key[0] != 1 || tx.Entries[0].Value != nil {
		t.Errorf("only digest: %v", tx.Entries)
	}
	tx, _ = d.TxByID(bg, &schema.TxRequest{Tx: 14})
	if len(tx.Entries) != 3 || tx.Entries[0].Value != nil || tx.Header.Id != 14 {
		t.Errorf("no spec: %v", tx)
	}
	tx, _ = d.TxByID(bg, &schema.TxRequest{Tx: 11, EntriesSpec: spec(schema.EntryTypeAction_RAW_VALUE, 0)})
	if len(tx.Entries) != 1 || len(tx.Entries[0].Value) == 0 {
		t.Errorf("not yet expired value: %v", tx.Entries)
	}
	tx, _ = d.TxByID(bg, &schema.TxRequest{Tx: 17, EntriesSpec: spec(schema.EntryTypeAction_RAW_VALUE, 0)})
	if len(tx.Entries) != 1 || tx.Entries[0].Value != nil {
		t.Errorf("expired value must be left out: %v", tx.Entries)
	}

	for _, c := range []struct {
		req  *schema.TxScanRequest
		want string
	}{
		{&schema.TxScanRequest{InitialTx: 1, Limit: 3}, "1,2,3"},
		{&schema.TxScanRequest{InitialTx: 22, Desc: true, Limit: 2}, "22,21"},
		{&schema.TxScanRequest{InitialTx: 21}, "21,22,23"},
		{&schema.TxScanRequest{InitialTx: 24}, ""},
		{&schema.TxScanRequest{InitialTx: 2, Desc: true}, "2,1"},
	} {
		l, err := d.TxScan(bg, c.req)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, tx := range l.Txs {
			ids = append(ids, fmt.Sprint(tx.Header.Id))
		}
		if s := strings.Join(ids, ","); s != c.want {
			t.Errorf("%v: %s want %s", c.req, s, c.want)
		}
	}
}
