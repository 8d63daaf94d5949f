package database

import (
	"errors"
	"strings"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
)

func kv(k, v string) *schema.KeyValue { return &schema.KeyValue{Key: []byte(k), Value: []byte(v)} }

func mustSet(t testing.TB, d *DB, kvs ...*schema.KeyValue) *schema.TxHeader {
	t.Helper()
	h, err := d.Set(bg, &schema.SetRequest{KVs: kvs})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestErrorTexts checks every error of API.md §3 with its exact text.
func TestErrorTexts(t *testing.T) {
	so := store.DefaultOptions()
	so.Synced = false
	so.MaxValueLen = 64
	d, err := Open("defaultdb", t.TempDir(), &Options{Store: &so})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	mustSet(t, d, kv("a", "1"))                                                                        // tx 1
	mustSet(t, d, kv("gone", "x"))                                                                     // tx 2
	if _, err := d.Delete(bg, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte("gone")}}); err != nil { // tx 3
		t.Fatal(err)
	}
	if _, err := d.SetReference(bg, &schema.ReferenceRequest{Key: []byte("ra"), ReferencedKey: []byte("a")}); err != nil { // tx 4
		t.Fatal(err)
	}
	if _, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{ // tx 5
		{Key: []byte("old"), Value: []byte("v"), Metadata: &schema.KVMetadata{Expiration: &schema.Expiration{ExpiresAt: 1}}},
		{Key: []byte("hidden"), Value: []byte("v"), Metadata: &schema.KVMetadata{NonIndexable: true}},
	}}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("k", 1024)

	cases := []struct {
		name string
		call func() error
		want string // exact text
	}{
		{"get missing", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("nope")}); return err }, "tbtree: key not found"},
		{"get deleted", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("gone")}); return err }, "tbtree: key not found"},
		{"get expired", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("old")}); return err }, "tbtree: key not found"},
		{"get non-indexable", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("hidden")}); return err }, "tbtree: key not found"},
		{"get deleted atTx", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("gone"), AtTx: 3}); return err }, "tbtree: key not found"},
		{"get not in atTx", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("a"), AtTx: 2}); return err }, "tbtree: key not found"},
		{"verifiableGet missing", func() error {
			_, err := d.VerifiableGet(bg, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("nope")}})
			return err
		}, "tbtree: key not found"},
		{"delete missing", func() error {
			_, err := d.Delete(bg, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte("nope")}})
			return err
		}, "tbtree: key not found"},
		{"txById unknown", func() error { _, err := d.TxByID(bg, &schema.TxRequest{Tx: 99}); return err }, "tx not found"},
		{"sinceTx too large", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("a"), SinceTx: 99}); return err },
			"illegal arguments: SinceTx must not be greater than the current transaction ID"},
		{"scan sinceTx too large", func() error { _, err := d.Scan(bg, &schema.ScanRequest{SinceTx: 99}); return err }, "illegal arguments"},
		{"key too long", func() error {
			_, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv(long, "v")}})
			return err
		}, "max key length exceeded"},
		{"value too long", func() error {
			_, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv("v", strings.Repeat("x", 64))}})
			return err
		}, "max value length exceeded"},
		{"duplicate key", func() error {
			_, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv("x", "1"), kv("x", "2")}})
			return err
		},
			"duplicated keys are not supported in single batch transaction"},
		{"duplicate key execAll", func() error {
			_, err := d.ExecAll(bg, &schema.ExecAllRequest{Operations: []*schema.Op{
				{Operation: &schema.Op_Kv{Kv: kv("x", "1")}}, {Operation: &schema.Op_Kv{Kv: kv("x", "2")}}}})
			return err
		}, "duplicated keys are not supported in single batch transaction"},
		{"reference to reference", func() error {
			_, err := d.SetReference(bg, &schema.ReferenceRequest{Key: []byte("rra"), ReferencedKey: []byte("ra")})
			return err
		}, "referenced key cannot be a reference"},
		{"zadd on reference", func() error {
			_, err := d.ZAdd(bg, &schema.ZAddRequest{Set: []byte("s"), Key: []byte("ra")})
			return err
		}, "referenced key cannot be a reference"},
		{"reference over plain key", func() error {
			_, err := d.SetReference(bg, &schema.ReferenceRequest{Key: []byte("a"), ReferencedKey: []byte("ra2")})
			return err
		}, "tbtree: key not found"},
		{"reference over plain key (target exists)", func() error {
			mustSet(t, d, kv("b", "2"))
			_, err := d.SetReference(bg, &schema.ReferenceRequest{Key: []byte("b"), ReferencedKey: []byte("a")})
			return err
		}, "final key cannot be converted into a reference"},
		{"reference to missing", func() error {
			_, err := d.SetReference(bg, &schema.ReferenceRequest{Key: []byte("r9"), ReferencedKey: []byte("nope")})
			return err
		}, "tbtree: key not found"},
		{"limit too large", func() error { _, err := d.Scan(bg, &schema.ScanRequest{Limit: 2501}); return err },
			"result size limit exceeded: the specified limit (2501) is larger than the maximum allowed one (2500)"},
		{"zscan limit too large", func() error { _, err := d.ZScan(bg, &schema.ZScanRequest{Set: []byte("s"), Limit: 2501}); return err },
			"result size limit exceeded: the specified limit (2501) is larger than the maximum allowed one (2500)"},
		{"history limit too large", func() error {
			_, err := d.History(bg, &schema.HistoryRequest{Key: []byte("a"), Limit: 2501})
			return err
		},
			"result size limit exceeded: the specified limit (2501) is larger than the maximum allowed one (2500)"},
		{"txScan limit too large", func() error { _, err := d.TxScan(bg, &schema.TxScanRequest{InitialTx: 1, Limit: 2501}); return err },
			"result size limit exceeded: the specified limit (2501) is larger than the maximum allowed one (2500)"},
		{"bad revision", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("a"), AtRevision: 5}); return err }, "invalid key revision number"},
		{"bad negative revision", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("a"), AtRevision: -1}); return err }, "invalid key revision number"},
		{"atTx with sinceTx", func() error {
			_, err := d.Get(bg, &schema.KeyRequest{Key: []byte("a"), AtTx: 1, SinceTx: 1})
			return err
		},
			"illegal arguments"},
		{"atTx with atRevision", func() error {
			_, err := d.Get(bg, &schema.KeyRequest{Key: []byte("a"), AtTx: 1, AtRevision: 1})
			return err
		},
			"illegal arguments"},
		{"get atTx beyond last", func() error { _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("a"), AtTx: 99}); return err }, "tx not found"},
		{"set no entries", func() error { _, err := d.Set(bg, &schema.SetRequest{}); return err }, "no entries provided"},
		{"verifiableGet proveSinceTx", func() error {
			_, err := d.VerifiableGet(bg, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("a")}, ProveSinceTx: 99})
			return err
		}, "illegal state"},
		{"verifiableSet proveSinceTx", func() error {
			_, err := d.VerifiableSet(bg, &schema.VerifiableSetRequest{SetRequest: &schema.SetRequest{KVs: []*schema.KeyValue{kv("z", "z")}}, ProveSinceTx: 99})
			return err
		}, "illegal state"},
		{"verifiableTxById proveSinceTx", func() error {
			_, err := d.VerifiableTxByID(bg, &schema.VerifiableTxRequest{Tx: 1, ProveSinceTx: 99})
			return err
		}, "illegal state: latest txID=6 is lower than specified as initial tx=99"},
		{"verifiableSetReference proveSinceTx", func() error {
			_, err := d.VerifiableSetReference(bg, &schema.VerifiableReferenceRequest{ReferenceRequest: &schema.ReferenceRequest{Key: []byte("r2"), ReferencedKey: []byte("a")}, ProveSinceTx: 99})
			return err
		}, "illegal arguments"},
		{"verifiableZAdd proveSinceTx", func() error {
			_, err := d.VerifiableZAdd(bg, &schema.VerifiableZAddRequest{ZAddRequest: &schema.ZAddRequest{Set: []byte("s"), Key: []byte("a")}, ProveSinceTx: 99})
			return err
		}, "illegal arguments"},
		{"bound ref without atTx", func() error {
			_, err := d.SetReference(bg, &schema.ReferenceRequest{Key: []byte("r3"), ReferencedKey: []byte("a"), BoundRef: true})
			return err
		}, "illegal arguments"},
		{"atTx without boundRef", func() error {
			_, err := d.ZAdd(bg, &schema.ZAddRequest{Set: []byte("s"), Key: []byte("a"), AtTx: 1})
			return err
		}, "illegal arguments"},
		{"empty key", func() error {
			_, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv("", "v")}})
			return err
		}, "illegal arguments"},
		{"nil request", func() error { _, err := d.Get(bg, nil); return err }, "illegal arguments"},
		{"sql resolve", func() error {
			_, err := d.TxByID(bg, &schema.TxRequest{Tx: 1, EntriesSpec: &schema.EntriesSpec{SqlEntriesSpec: &schema.EntryTypeSpec{Action: schema.EntryTypeAction_RESOLVE}}})
			return err // tx 1 has no SQL entry: nothing to refuse
		}, ""},
	}
	for _, c := range cases {
		err := c.call()
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			t.Errorf("%s: error %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPreconditionsAndReplica(t *testing.T) {
	d := openTestDB(t, false, nil)
	mustSet(t, d, kv("a", "1"))
	pre := func(p *schema.Precondition) error {
		_, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv("b", "1")}, Preconditions: []*schema.Precondition{p}})
		return err
	}
	mustExist := func(k string) *schema.Precondition {
		return &schema.Precondition{Precondition: &schema.Precondition_KeyMustExist{KeyMustExist: &schema.Precondition_KeyMustExistPrecondition{Key: []byte(k)}}}
	}
	mustNotExist := func(k string) *schema.Precondition {
		return &schema.Precondition{Precondition: &schema.Precondition_KeyMustNotExist{KeyMustNotExist: &schema.Precondition_KeyMustNotExistPrecondition{Key: []byte(k)}}}
	}
	notModified := func(k string, tx uint64) *schema.Precondition {
		return &schema.Precondition{Precondition: &schema.Precondition_KeyNotModifiedAfterTX{KeyNotModifiedAfterTX: &schema.Precondition_KeyNotModifiedAfterTXPrecondition{Key: []byte(k), TxID: tx}}}
	}
	for _, c := range []struct {
		p    *schema.Precondition
		fail bool
	}{
		{mustExist("a"), false}, {mustExist("zz"), true},
		{mustNotExist("zz"), false}, {mustNotExist("a"), true},
		{notModified("a", 1), false}, {notModified("b", 1), true},
	} {
		err := pre(c.p)
		if c.fail != (err != nil) || (err != nil && !errors.Is(err, ErrPreconditionFailed)) {
			t.Errorf("%v: err %v, want fail=%v", c.p, err, c.fail)
		}
		if err != nil && !strings.HasPrefix(err.Error(), "precondition failed") {
			t.Errorf("text %q", err)
		}
	}
	if err := pre(&schema.Precondition{}); !errors.Is(err, ErrIllegalArguments) {
		t.Errorf("empty precondition: %v", err)
	}

	d.SetReplica(true)
	const ro = "database is read-only because it's a replica"
	for name, f := range map[string]func() error{
		"set": func() error {
			_, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv("c", "1")}})
			return err
		},
		"delete": func() error {
			_, err := d.Delete(bg, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte("a")}})
			return err
		},
		"ref": func() error {
			_, err := d.SetReference(bg, &schema.ReferenceRequest{Key: []byte("r"), ReferencedKey: []byte("a")})
			return err
		},
		"zadd": func() error {
			_, err := d.ZAdd(bg, &schema.ZAddRequest{Set: []byte("s"), Key: []byte("a")})
			return err
		},
		"execAll": func() error {
			_, err := d.ExecAll(bg, &schema.ExecAllRequest{Operations: []*schema.Op{{Operation: &schema.Op_Kv{Kv: kv("c", "1")}}}})
			return err
		},
		"verifiableSet": func() error {
			_, err := d.VerifiableSet(bg, &schema.VerifiableSetRequest{SetRequest: &schema.SetRequest{KVs: []*schema.KeyValue{kv("c", "1")}}})
			return err
		},
	} {
		if err := f(); err == nil || err.Error() != ro {
			t.Errorf("%s on replica: %v", name, err)
		}
	}
	if _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("a")}); err != nil {
		t.Errorf("read on replica: %v", err)
	}
}
