package torture

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

var (
	flagRebuildCycles = flag.Int("torture.rebuild-cycles", 0, "kills during an index rebuild (0: 5, or 3 with -short)")
	flagCreateCycles  = flag.Int("torture.create-cycles", 0, "kills during CreateDatabase (0: 8, or 4 with -short)")
)

func cyclesOr(flagV, def, short int) int {
	switch {
	case flagV > 0:
		return flagV
	case testing.Short():
		return short
	}
	return def
}

// sysClient opens a sysadmin session on db with its state in stateDir.
func sysClient(t *testing.T, srv *Server, stateDir, db string) *client.Client {
	t.Helper()
	o := client.DefaultOptions().WithAddress(srv.Host).WithPort(srv.Port).WithDir(stateDir)
	o.KeepAliveInterval = 0
	c, err := client.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), db); err != nil {
		c.Close()
		t.Fatalf("session on %s: %v", db, err)
	}
	return c
}

// TestKillDuringIndexRebuild: the key index of defaultdb is deleted, so the
// server rebuilds it from the log after it starts; it is SIGKILLed at a
// random moment of that rebuild while a client keeps writing. After a
// restart every acknowledged write is there and verifies, and a full scan
// through the index equals the expected key → value map.
func TestKillDuringIndexRebuild(t *testing.T) {
	cycles := cyclesOr(*flagRebuildCycles, 5, 3)
	seed := uint64(time.Now().UnixNano())
	if *flagSeed != 0 {
		seed = *flagSeed
	}
	t.Logf("seed=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x72656275))
	base := t.TempDir()
	dataDir, logPath := filepath.Join(base, "data"), filepath.Join(base, "immudb.log")
	state := filepath.Join(base, "state")
	srv, err := Start(immudbBin, dataDir, logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if !srv.Exited() {
			srv.Kill()
		}
	}()

	// A history worth rebuilding: 2000 keys, many revisions each, written
	// by 8 concurrent SetAll writers (so commits group).
	const keys, writers, txsPerWriter, perTx = 2000, 8, 60, 40
	want := map[string][]byte{}
	wantTx := map[string]uint64{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	var last uint64
	for w := 0; w < writers; w++ {
		c := sysClient(t, srv, filepath.Join(state, fmt.Sprint("w", w)), "defaultdb")
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			for i := 0; i < txsPerWriter; i++ {
				req := &schema.SetRequest{}
				seen := map[int]bool{}
				for j := 0; j < perTx; j++ {
					k := (w*7919 + i*perTx + j*13) % keys
					if seen[k] {
						continue
					}
					seen[k] = true
					req.KVs = append(req.KVs, &schema.KeyValue{Key: fmt.Appendf(nil, "k%05d", k), Value: fmt.Appendf(nil, "w%d-tx%d-%d", w, i, j)})
				}
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
				h, err := c.SetAll(ctx, req)
				cancel()
				if err != nil {
					t.Errorf("setup write: %v", err)
					return
				}
				// Keep the value of the highest tx per key.
				mu.Lock()
				for _, kv := range req.KVs {
					if prev, ok := wantTx[string(kv.Key)]; !ok || prev < h.GetId() {
						wantTx[string(kv.Key)] = h.GetId()
						want[string(kv.Key)] = kv.Value
					}
				}
				last = max(last, h.GetId())
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if err := srv.Stop(30 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	indexDir := filepath.Join(dataDir, "defaultdb", "data", "index")

	// Calibrate: how long a rebuild of this history takes after "ready".
	if err := os.RemoveAll(indexDir); err != nil {
		t.Fatal(err)
	}
	if srv, err = Start(immudbBin, dataDir, logPath); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	c := sysClient(t, srv, filepath.Join(state, "check"), "defaultdb")
	checkScan(t, c, want, last)
	rebuild := time.Since(t0)
	c.Close()
	t.Logf("rebuild of %d txs (%d keys) after ready: %v", last, len(want), rebuild)
	if err := srv.Stop(30 * time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}

	acked := 0
	for cycle := 0; cycle < cycles; cycle++ {
		if err := os.RemoveAll(indexDir); err != nil {
			t.Fatal(err)
		}
		if srv, err = Start(immudbBin, dataDir, logPath); err != nil {
			t.Fatalf("cycle %d: start: %v", cycle, err)
		}
		// Writes during the rebuild, until the kill.
		wc := sysClient(t, srv, filepath.Join(state, "live"), "defaultdb")
		delay := time.Duration(rng.Int64N(int64(rebuild)) + 1)
		var acks []ack
		var maybe ack // the write in flight at the kill: it may or may not be there
		done := make(chan struct{})
		go func() {
			defer close(done)
			for n := 0; ; n++ {
				k := fmt.Appendf(nil, "live-%d-%d", cycle, n)
				v := fmt.Appendf(nil, "v%d", rng.Uint64())
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
				h, err := wc.Set(ctx, k, v)
				cancel()
				if err != nil {
					maybe = ack{key: k, value: v}
					return
				}
				acks = append(acks, ack{key: k, value: v, tx: h.GetId()})
			}
		}()
		time.Sleep(delay)
		srv.Kill()
		<-done
		wc.Close()
		for _, a := range acks {
			want[string(a.key)] = a.value
			last = max(last, a.tx)
		}
		acked += len(acks)
		t.Logf("cycle %d: killed %v after ready, %d writes acknowledged meanwhile", cycle, delay, len(acks))

		if srv, err = Start(immudbBin, dataDir, logPath); err != nil {
			t.Fatalf("cycle %d: restart: %v", cycle, err)
		}
		c := sysClient(t, srv, filepath.Join(state, "check"), "defaultdb")
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		if e, err := c.Get(ctx, maybe.key); err == nil {
			// Committed though not acknowledged: allowed, with its value.
			if !bytes.Equal(e.GetValue(), maybe.value) {
				t.Fatalf("cycle %d: in-flight write %s = %q, want %q", cycle, maybe.key, e.GetValue(), maybe.value)
			}
			want[string(maybe.key)] = maybe.value
			last = max(last, e.GetTx())
		}
		cancel()
		checkScan(t, c, want, last)
		st := crashStats{}
		if lost := checkAcks(t, []*client.Client{c}, acks, rng, &st); lost > 0 {
			t.Fatalf("cycle %d: %d acknowledged writes lost", cycle, lost)
		}
		// A sample of the old keys, verified against the client's state.
		for i := 0; i < 20; i++ {
			k := fmt.Sprintf("k%05d", rng.IntN(keys))
			ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
			e, err := c.VerifiedGet(ctx, []byte(k))
			cancel()
			if err != nil || !bytes.Equal(e.GetValue(), want[k]) {
				t.Fatalf("cycle %d: verified get %s: %v %q, want %q", cycle, k, err, e.GetValue(), want[k])
			}
		}
		c.Close()
		if err := srv.Stop(30 * time.Second); err != nil {
			t.Fatalf("cycle %d: stop: %v", cycle, err)
		}
	}
	if _, err := CheckIntegrity(dataDir); err != nil {
		t.Fatalf("integrity: %v", err)
	}
	t.Logf("index rebuild kills: cycles=%d acknowledged during rebuild=%d lost=0", cycles, acked)
}

// checkScan reads every key through the index (after it has caught up with
// tx last) and compares with want.
func checkScan(t *testing.T, c *client.Client, want map[string][]byte, last uint64) {
	t.Helper()
	got := map[string][]byte{}
	var seek []byte
	for {
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		es, err := c.Scan(ctx, &schema.ScanRequest{SeekKey: seek, Limit: 1000, SinceTx: last})
		cancel()
		if err != nil {
			t.Fatalf("scan: %v", err)
		}
		for _, e := range es.GetEntries() {
			got[string(e.GetKey())] = e.GetValue()
			seek = e.GetKey()
		}
		if len(es.GetEntries()) < 1000 {
			break
		}
	}
	if len(got) != len(want) {
		t.Fatalf("scan: %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if !bytes.Equal(got[k], v) {
			t.Fatalf("scan %s = %q, want %q", k, got[k], v)
		}
	}
}

// TestKillDuringCreateDatabase SIGKILLs the server while CreateDatabaseV2
// runs. After a restart the database is either complete (listed, usable
// for a verified write and read) or absent; an absent one can be created
// again; a create that was acknowledged is never absent.
func TestKillDuringCreateDatabase(t *testing.T) {
	cycles := cyclesOr(*flagCreateCycles, 8, 4)
	seed := uint64(time.Now().UnixNano())
	if *flagSeed != 0 {
		seed = *flagSeed
	}
	t.Logf("seed=%d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x63726561))
	base := t.TempDir()
	dataDir, logPath := filepath.Join(base, "data"), filepath.Join(base, "immudb.log")
	state := filepath.Join(base, "state")
	srv, err := Start(immudbBin, dataDir, logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if !srv.Exited() {
			srv.Kill()
		}
	}()
	// Calibrate: one create without a kill.
	c := sysClient(t, srv, state, "defaultdb")
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	_, err = c.CreateDatabaseV2(ctx, "calibrate", nil)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	create := time.Since(t0)
	c.Close()
	t.Logf("CreateDatabaseV2 takes %v", create)

	var complete, absent, leftovers int
	for cycle := 0; cycle < cycles; cycle++ {
		name := fmt.Sprintf("db%d", cycle)
		c := sysClient(t, srv, state, "defaultdb")
		// Kill somewhere between just before the call and just after it,
		// log-uniformly from 100 µs, so the early steps get their share.
		delay := time.Duration(float64(100*time.Microsecond) * math.Pow(float64(create*3/2)/float64(100*time.Microsecond), rng.Float64()))
		acked := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
			defer cancel()
			_, err := c.CreateDatabaseV2(ctx, name, nil)
			acked <- err
		}()
		time.Sleep(delay)
		srv.Kill()
		ackErr := <-acked
		c.Close()
		_, statErr := os.Stat(filepath.Join(dataDir, name))
		leftover := statErr == nil

		if srv, err = Start(immudbBin, dataDir, logPath); err != nil {
			t.Fatalf("cycle %d: restart after a kill during create: %v", cycle, err)
		}
		c = sysClient(t, srv, state, "defaultdb")
		listed := false
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		dl, err := c.DatabaseListV2(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range dl.GetDatabases() {
			listed = listed || d.GetName() == name
		}
		switch {
		case listed:
			complete++
		case ackErr == nil:
			t.Fatalf("cycle %d: create of %s was acknowledged but the database is gone", cycle, name)
		default:
			absent++
			if leftover {
				leftovers++
			}
			// Half-created leftovers must not block a new create.
			ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
			_, err := c.CreateDatabaseV2(ctx, name, nil)
			cancel()
			if err != nil {
				t.Fatalf("cycle %d: create %s again after the kill: %v", cycle, name, err)
			}
		}
		c.Close()
		useDatabase(t, srv, filepath.Join(state, name), name)
		t.Logf("cycle %d: kill after %v: acknowledged=%v listed=%v directory-existed=%v", cycle, delay, ackErr == nil, listed, leftover)
	}
	if err := srv.Stop(30 * time.Second); err != nil {
		t.Errorf("stop: %v", err)
	}
	last, err := CheckIntegrity(dataDir)
	if err != nil {
		t.Fatalf("integrity: %v", err)
	}
	for cycle := 0; cycle < cycles; cycle++ {
		if name := fmt.Sprintf("db%d", cycle); last[name] != 1 {
			t.Errorf("%s holds %d txs, want the 1 written", name, last[name])
		}
	}
	t.Logf("create kills: cycles=%d complete=%d absent-then-recreated=%d (of which %d over a leftover directory)", cycles, complete, absent, leftovers)
}

// useDatabase proves a database works: a verified write and read.
func useDatabase(t *testing.T, srv *Server, stateDir, name string) {
	t.Helper()
	c := sysClient(t, srv, stateDir, name)
	defer c.Close()
	verifiedWriteRead(t, c, name, "k")
}

// verifiedWriteRead writes name under key with VerifiedSet and reads it
// back with VerifiedGet: the database takes writes and its proofs hold.
func verifiedWriteRead(t *testing.T, c *client.Client, name, key string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if _, err := c.VerifiedSet(ctx, []byte(key), []byte(name)); err != nil {
		t.Fatalf("%s: verified set of %s: %v", name, key, err)
	}
	e, err := c.VerifiedGet(ctx, []byte(key))
	if err != nil || !bytes.Equal(e.GetValue(), []byte(name)) {
		t.Fatalf("%s: verified get of %s: %v %q", name, key, err, e.GetValue())
	}
}
