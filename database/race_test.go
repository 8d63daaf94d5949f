package database

import (
	"fmt"
	"sync"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
)

// TestConcurrentUse mixes writers (Set, self-bound ExecAll, ZAdd), readers
// and verifiable reads on one database; run with -race. Every verifiable
// reply is checked, so a torn read fails the test.
func TestConcurrentUse(t *testing.T) {
	d := openTestDB(t, false, nil)
	mustSet(t, d, kv("seed", "0"))
	const workers, rounds = 4, 25
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(3)
		go func(w int) { // plain writer
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				mustSet(t, d, kv(fmt.Sprintf("w%d-%d", w, i), "v"))
			}
		}(w)
		go func(w int) { // self-bound ExecAll and ZAdd
			defer wg.Done()
			for i := 0; i < rounds/5; i++ {
				k := fmt.Sprintf("x%d-%d", w, i)
				h, err := d.ExecAll(bg, &schema.ExecAllRequest{Operations: []*schema.Op{opKV(k, "v"), opRef("r"+k, k, 0, true)}})
				if err != nil {
					t.Error(err)
					return
				}
				e, err := d.Get(bg, &schema.KeyRequest{Key: []byte("r" + k)})
				if err != nil || e.ReferencedBy.AtTx != h.Id || e.Tx != h.Id {
					t.Errorf("self-bound: %v %v (tx %d)", e, err, h.Id)
				}
				if _, err := d.ZAdd(bg, &schema.ZAddRequest{Set: []byte("s"), Key: []byte(k), Score: float64(i)}); err != nil {
					t.Error(err)
				}
			}
		}(w)
		go func() { // readers
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				st, err := d.CurrentState(bg)
				if err != nil {
					t.Error(err)
					return
				}
				ve, err := d.VerifiableGet(bg, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("seed")}, ProveSinceTx: st.TxId})
				if err != nil {
					t.Error(err)
					return
				}
				dp := ve.VerifiableTx.DualProof
				src, dst := dp.SourceTxHeader.Id, dp.TargetTxHeader.Id
				if src != 1 || dst != st.TxId {
					t.Errorf("proof %d→%d, state %d", src, dst, st.TxId)
				}
				if _, err := d.Scan(bg, &schema.ScanRequest{Prefix: []byte("w")}); err != nil {
					t.Error(err)
				}
				if _, err := d.ZScan(bg, &schema.ZScanRequest{Set: []byte("s")}); err != nil {
					t.Error(err)
				}
				if _, err := d.TxScan(bg, &schema.TxScanRequest{InitialTx: 1, Limit: 10}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	c, err := d.Count(bg, &schema.KeyPrefix{Prefix: []byte("w")})
	if err != nil || c.Count != workers*rounds {
		t.Errorf("count %v %v", c, err)
	}
	if err := d.st.VerifyIntegrity(1, d.TxCount()); err != nil {
		t.Error(err)
	}
}

// TestCloseWaitsForCalls: Close during calls neither races nor panics;
// calls after Close fail cleanly.
func TestCloseWaitsForCalls(t *testing.T) {
	d := openTestDB(t, false, nil)
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := d.Set(bg, &schema.SetRequest{KVs: []*schema.KeyValue{kv(fmt.Sprint(i, j), "v")}}); err != nil {
					if err != ErrDBClosed {
						t.Error(err)
					}
					return
				}
			}
		}(i)
	}
	d.Close()
	wg.Wait()
	if _, err := d.Get(bg, &schema.KeyRequest{Key: []byte("x")}); err != ErrDBClosed {
		t.Errorf("after close: %v", err)
	}
	if p, _ := d.Health(); p != 0 {
		t.Errorf("pending %d", p)
	}
}
