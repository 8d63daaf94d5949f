package database

import (
	"fmt"
	"sync"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
	"google.golang.org/protobuf/proto"
)

// TestVerifiableGetSharesProvenTx: verified reads of keys in one large tx
// answer with the same tx as a fresh conversion, from one cached message
// that concurrent answers marshal at once (run with -race), and reads of
// other txs keep their own.
func TestVerifiableGetSharesProvenTx(t *testing.T) {
	d := openTestDB(t, false, nil)
	var kvs []*schema.KeyValue
	for i := 0; i < 100; i++ {
		kvs = append(kvs, kv(fmt.Sprint("big", i), fmt.Sprint("v", i)))
	}
	big, err := d.Set(bg, &schema.SetRequest{KVs: kvs})
	if err != nil {
		t.Fatal(err)
	}
	mustSet(t, d, kv("small", "v"))
	tx, err := d.st.ReadTxForProof(big.Id)
	if err != nil {
		t.Fatal(err)
	}
	want := rawTxToProto(tx)

	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				key := fmt.Sprint("big", (g*7+i)%100)
				ve, err := d.VerifiableGet(bg, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte(key)}, ProveSinceTx: 1})
				if err != nil {
					errs <- err
					return
				}
				if _, err := proto.Marshal(ve); err != nil {
					errs <- err
					return
				}
				if !proto.Equal(ve.VerifiableTx.Tx, want) {
					errs <- fmt.Errorf("%s: the answer's tx differs from a fresh conversion", key)
					return
				}
				if string(ve.Entry.Key) != key || ve.VerifiableTx.Tx.Header.Id != big.Id {
					errs <- fmt.Errorf("%s: answered key %q in tx %d", key, ve.Entry.Key, ve.VerifiableTx.Tx.Header.Id)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if _, ok := d.proven.txs[big.Id]; !ok {
		t.Fatalf("tx %d of %d entries was not kept", big.Id, len(kvs))
	}
	ve, err := d.VerifiableGet(bg, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("small")}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(ve.VerifiableTx.Tx.Entries); n != 1 || string(ve.VerifiableTx.Tx.Entries[0].Key) != string(proof.EncodeKVKey([]byte("small"))) {
		t.Fatalf("small tx answered with %d entries", n)
	}
	if _, ok := d.proven.txs[ve.VerifiableTx.Tx.Header.Id]; ok {
		t.Fatal("a 1-entry tx was cached")
	}
}

// TestProvenTxsEvictsOldest: the cache holds provenTxsSize txs and drops
// the oldest first.
func TestProvenTxsEvictsOldest(t *testing.T) {
	d := openTestDB(t, false, nil)
	var ids []uint64
	for n := 0; n < provenTxsSize+3; n++ {
		var kvs []*schema.KeyValue
		for i := 0; i < provenTxsMinEntries; i++ {
			kvs = append(kvs, kv(fmt.Sprint("t", n, "k", i), "v"))
		}
		h, err := d.Set(bg, &schema.SetRequest{KVs: kvs})
		if err != nil {
			t.Fatal(err)
		}
		tx, err := d.st.ReadTxForProof(h.Id)
		if err != nil {
			t.Fatal(err)
		}
		d.proven.raw(tx)
		ids = append(ids, h.Id)
	}
	if len(d.proven.txs) != provenTxsSize {
		t.Fatalf("%d txs cached, want %d", len(d.proven.txs), provenTxsSize)
	}
	for i, id := range ids {
		_, ok := d.proven.txs[id]
		if want := i >= 3; ok != want {
			t.Fatalf("tx %d (#%d) cached=%v, want %v", id, i, ok, want)
		}
	}
}
