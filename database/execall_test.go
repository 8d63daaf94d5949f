package database

import (
	"errors"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

func opKV(k, v string) *schema.Op { return &schema.Op{Operation: &schema.Op_Kv{Kv: kv(k, v)}} }
func opRef(k, rk string, atTx uint64, bound bool) *schema.Op {
	return &schema.Op{Operation: &schema.Op_Ref{Ref: &schema.ReferenceRequest{Key: []byte(k), ReferencedKey: []byte(rk), AtTx: atTx, BoundRef: bound}}}
}
func opZ(set, k string, score float64, atTx uint64, bound bool) *schema.Op {
	return &schema.Op{Operation: &schema.Op_ZAdd{ZAdd: &schema.ZAddRequest{Set: []byte(set), Key: []byte(k), Score: score, AtTx: atTx, BoundRef: bound}}}
}

func TestExecAllRules(t *testing.T) {
	d := openTestDB(t, false, nil)
	mustSet(t, d, kv("a", "1")) // tx 1
	ex := func(noWait bool, ops ...*schema.Op) (*schema.TxHeader, error) {
		return d.ExecAll(bg, &schema.ExecAllRequest{Operations: ops, NoWait: noWait})
	}
	cases := []struct {
		name   string
		noWait bool
		ops    []*schema.Op
		want   error
	}{
		{"empty", false, nil, ErrIllegalArguments},
		{"nil op", false, []*schema.Op{{}}, ErrIllegalArguments},
		{"ref to existing key", false, []*schema.Op{opRef("r1", "a", 0, false)}, nil},
		{"ref bound to old tx", false, []*schema.Op{opRef("r2", "a", 1, true)}, nil},
		{"ref to key of this request", false, []*schema.Op{opKV("b", "2"), opRef("rb", "b", 0, false)}, nil},
		{"ref to missing key", false, []*schema.Op{opRef("r3", "nope", 0, false)}, ErrKeyNotFound},
		{"ref to a reference", false, []*schema.Op{opRef("r4", "r1", 0, false)}, ErrReferencedKeyCannotBeAReference},
		{"ref over plain key", false, []*schema.Op{opRef("a", "b", 0, false)}, ErrFinalKeyCannotBeConvertedIntoReference},
		{"ref over key set here", false, []*schema.Op{opKV("c", "3"), opRef("c", "a", 0, false)}, ErrFinalKeyCannotBeConvertedIntoReference},
		{"atTx without boundRef", false, []*schema.Op{opRef("r5", "a", 1, false)}, ErrIllegalArguments},
		{"self-bound needs key in request", false, []*schema.Op{opRef("r6", "a", 0, true)}, ErrKeyNotFound},
		{"noWait: not self-contained ref", true, []*schema.Op{opRef("r7", "a", 0, false)}, ErrNoWaitOperationMustBeSelfContained},
		{"noWait: not self-contained zadd", true, []*schema.Op{opKV("e", "5"), opZ("s", "e", 1, 0, false)}, ErrNoWaitOperationMustBeSelfContained},
		{"noWait: self-bound ok", true, []*schema.Op{opKV("f", "6"), opRef("rf", "f", 0, true), opZ("s", "f", 1, 0, true)}, nil},
		{"noWait: plain kv ok", true, []*schema.Op{opKV("g", "7")}, nil},
		{"duplicate", false, []*schema.Op{opKV("h", "1"), opKV("h", "2")}, ErrDuplicatedKey},
	}
	for _, c := range cases {
		_, err := ex(c.noWait, c.ops...)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: err %v, want %v", c.name, err, c.want)
		}
	}

	// The self-bound reference and ZAdd carry the id of their own tx.
	h, err := ex(false, opKV("x", "9"), opRef("rx", "x", 0, true), opZ("s", "x", 2, 0, true))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := d.st.TxByID(h.Id)
	if err != nil {
		t.Fatal(err)
	}
	if want := proof.EncodeReferenceValue(h.Id, []byte("x")); string(tx.Entries[1].Value) != string(want) {
		t.Errorf("self-bound ref value %x want %x", tx.Entries[1].Value, want)
	}
	if want := proof.EncodeZAddKey([]byte("s"), 2, []byte("x"), h.Id); string(tx.Entries[2].Key) != string(want) {
		t.Errorf("self-bound zadd key %x want %x", tx.Entries[2].Key, want)
	}
	e, err := d.Get(bg, &schema.KeyRequest{Key: []byte("rx")})
	if err != nil || string(e.Value) != "9" || e.ReferencedBy.AtTx != h.Id {
		t.Errorf("get rx: %v %v", e, err)
	}
}
