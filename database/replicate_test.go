package database

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
)

// TestReplicateBetweenDatabases: txs exported from one database and
// replicated into a replica keep their headers (ts included: the two
// clocks differ), KV metadata travels, and the replica serves the same
// reads. Concurrent replicate calls of the same tx commit it once.
func TestReplicateBetweenDatabases(t *testing.T) {
	ctx := context.Background()
	src := openTestDB(t, true, nil)
	dst := openTestDB(t, false, &Options{Replica: true})
	for i := 0; i < 5; i++ {
		if _, err := src.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{
			{Key: []byte(fmt.Sprintf("k%d", i)), Value: []byte("v"), Metadata: &schema.KVMetadata{NonIndexable: i == 3}},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := src.Delete(ctx, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte("k0")}}); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := src.ExportTx(ctx, 0); !errors.Is(err, ErrIllegalArguments) {
		t.Fatalf("export tx 0: %v", err)
	}
	if _, _, _, err := src.ExportTx(ctx, 7); !errors.Is(err, ErrTxNotFound) {
		t.Fatalf("export tx 7: %v", err)
	}
	p1, _, _, err := src.ExportTx(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.ReplicateTx(ctx, p1, false); !errors.Is(err, ErrIsNotReplica) || err.Error() != "database is NOT a replica" {
		t.Fatalf("replicate on a primary: %v", err)
	}
	for id := uint64(1); id <= 6; id++ {
		p, last, _, err := src.ExportTx(ctx, id)
		if err != nil || last != 6 {
			t.Fatalf("export %d: %v (last %d)", id, err, last)
		}
		// Two callers race with the same tx: one commits it, the other is
		// refused as not the next tx.
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for j := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[j] = dst.ReplicateTx(ctx, p, true)
			}()
		}
		wg.Wait()
		ok := 0
		for _, e := range errs {
			switch {
			case e == nil:
				ok++
			case !errors.Is(e, ErrUnexpectedTxID):
				t.Fatalf("tx %d: %v", id, e)
			}
		}
		if ok != 1 {
			t.Fatalf("tx %d committed %d times", id, ok)
		}
	}
	a, _ := src.CurrentState(ctx)
	b, _ := dst.CurrentState(ctx)
	if a.TxId != b.TxId || string(a.TxHash) != string(b.TxHash) {
		t.Fatalf("states differ: %d %x / %d %x", a.TxId, a.TxHash, b.TxId, b.TxHash)
	}
	if _, err := dst.Get(ctx, &schema.KeyRequest{Key: []byte("k0")}); !errors.Is(err, ErrKeyNotFound) {
		t.Fatalf("deleted key on the replica: %v", err)
	}
	if e, err := dst.Get(ctx, &schema.KeyRequest{Key: []byte("k1")}); err != nil || string(e.Value) != "v" {
		t.Fatalf("k1 on the replica: %v", err)
	}
	if _, err := dst.ReplicateTx(ctx, []byte("junk"), false); !errors.Is(err, ErrMalformedExport) {
		t.Fatalf("junk: %v", err)
	}
}
