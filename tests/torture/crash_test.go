package torture

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
)

var (
	flagCycles  = flag.Int("torture.cycles", 0, "crash cycles (0: 50, or 3 with -short)")
	flagClients = flag.Int("torture.clients", 8, "concurrent writing clients")
	flagSeed    = flag.Uint64("torture.seed", 0, "random seed (0: from the clock)")
	// flagIntegrityEvery: the offline engine check runs on the crashed
	// directory every n cycles; the cycles in between let the server recover
	// the raw crash state itself (and the next check covers what it did,
	// since it re-verifies the whole chain).
	flagIntegrityEvery = flag.Int("torture.integrity-every", 2, "offline integrity check every n cycles")
	flagMaxRun         = flag.Duration("torture.max-run", 400*time.Millisecond, "longest write phase before the kill")
)

// stepTimeout bounds every single client call.
const stepTimeout = 20 * time.Second

// ack is one acknowledged write.
type ack struct {
	key, value []byte
	tx         uint64
	verified   bool // through VerifiedSet
}

type crashStats struct {
	cycles, acknowledged, lost, verified int
}

func (s crashStats) String() string {
	return fmt.Sprintf("cycles=%d acknowledged=%d lost=%d verified=%d", s.cycles, s.acknowledged, s.lost, s.verified)
}

// TestCrashConsistency SIGKILLs the real server under concurrent synced
// writes, over and over, and checks that nothing acknowledged is lost.
func TestCrashConsistency(t *testing.T) {
	cycles := *flagCycles
	if cycles <= 0 {
		cycles = 50 // the CI size: make test runs this package with -race
		if testing.Short() {
			cycles = 3
		}
	}
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d (rerun with -torture.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0x70727475))

	base := t.TempDir()
	dataDir := filepath.Join(base, "data")
	stateDirs := make([]string, *flagClients)
	for i := range stateDirs {
		stateDirs[i] = filepath.Join(base, "state", strconv.Itoa(i))
	}
	logPath := filepath.Join(base, "immudb.log")

	var st crashStats
	var tm phaseTimes
	var pending, done []ack // acknowledged, not yet checked / checked
	srv, err := Start(immudbBin, dataDir, logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if srv != nil && !srv.Exited() {
			srv.Kill()
		}
		t.Logf("time spent: %s", tm.String())
		t.Log(st.String())
		fmt.Println(st.String())
	}()

	for cycle := 0; cycle < cycles; cycle++ {
		t0 := time.Now()
		clients := connect(t, srv, stateDirs)
		tm.add("connect", t0)
		t0 = time.Now()
		// Everything acknowledged before the last kill must be there.
		st.lost += checkAcks(t, clients, pending, rng, &st)
		done = append(done, pending...)
		pending = nil
		// And a sample of older writes, checked again.
		for i := 0; i < 10 && len(done) > 0; i++ {
			a := done[rng.IntN(len(done))]
			st.lost += checkAcks(t, clients, []ack{a}, rng, nil)
		}
		checkTrustedStates(t, clients)
		tm.add("check", t0)
		if t.Failed() {
			closeAll(clients)
			return
		}

		// Write phase, killed at a random moment.
		t0 = time.Now()
		runFor := time.Duration(rng.Int64N(int64(*flagMaxRun))) + 5*time.Millisecond
		acks := writeUntilKilled(clients, rng.Uint64(), func() {
			time.Sleep(runFor)
			srv.Kill()
		})
		closeAll(clients)
		tm.add("write", t0)
		st.acknowledged += len(acks)
		pending = acks
		st.cycles++
		if st.cycles%10 == 0 {
			t.Logf("progress: %s", st.String())
		}

		if *flagIntegrityEvery > 0 && cycle%*flagIntegrityEvery == 0 {
			t0 = time.Now()
			last, err := CheckIntegrity(dataDir)
			tm.add("integrity", t0)
			if err != nil {
				t.Fatalf("cycle %d: integrity of the crashed directory: %v", cycle, err)
			}
			if maxTx := maxAckTx(acks); last["defaultdb"] < maxTx {
				t.Fatalf("cycle %d: engine has %d txs, tx %d was acknowledged", cycle, last["defaultdb"], maxTx)
			}
		}
		t0 = time.Now()
		if srv, err = Start(immudbBin, dataDir, logPath); err != nil {
			t.Fatalf("cycle %d: restart: %v", cycle, err)
		}
		tm.add("restart", t0)
	}

	// Final round: check the last cycle's writes, stop cleanly, and verify
	// the whole directory once more.
	clients := connect(t, srv, stateDirs)
	st.lost += checkAcks(t, clients, pending, rng, &st)
	checkTrustedStates(t, clients)
	closeAll(clients)
	if err := srv.Stop(30 * time.Second); err != nil {
		t.Errorf("clean stop: %v", err)
	}
	if _, err := CheckIntegrity(dataDir); err != nil {
		t.Errorf("final integrity: %v", err)
	}
	if st.lost != 0 {
		t.Errorf("%d acknowledged writes lost", st.lost)
	}
}

func maxAckTx(acks []ack) uint64 {
	var m uint64
	for _, a := range acks {
		m = max(m, a.tx)
	}
	return m
}

// connect makes one client per state dir; each keeps its trusted state in
// its own directory, so it survives the restarts. The first client opens a
// session, the second logs in with the legacy token flow, and the others
// share that token: both auth paths are exercised while the bcrypt checks
// (two per connect) stay cheap.
func connect(t *testing.T, srv *Server, stateDirs []string) []*client.Client {
	t.Helper()
	out := make([]*client.Client, 0, len(stateDirs))
	fail := func(format string, args ...any) {
		t.Helper()
		closeAll(out)
		t.Fatalf(format, args...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	var token string
	for i, d := range stateDirs {
		o := client.DefaultOptions().WithAddress(srv.Host).WithPort(srv.Port).WithDir(d)
		o.KeepAliveInterval = 0
		c, err := client.New(o)
		if err != nil {
			fail("client: %v", err)
		}
		out = append(out, c)
		switch {
		case i == 0 || len(stateDirs) == 1:
			err = c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "defaultdb")
		case token == "":
			if _, err = c.Login(ctx, []byte("immudb"), []byte("immudb")); err == nil {
				var r *schema.UseDatabaseReply
				if r, err = c.UseDatabase(ctx, "defaultdb"); err == nil {
					token = r.GetToken()
				}
			}
		default:
			c.SetToken(token, "defaultdb")
			_, err = c.Health(ctx) // learns the server UUID
		}
		if err != nil {
			fail("client %d: connect: %v", i, err)
		}
	}
	return out
}

func closeAll(cs []*client.Client) {
	for _, c := range cs {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = c.CloseSession(ctx)
		cancel()
		_ = c.Close()
	}
}

// checkAcks reads every ack back with VerifiedGet (spread over the
// clients) and returns how many are missing or differ. st, when set,
// counts the verified ones.
func checkAcks(t *testing.T, clients []*client.Client, acks []ack, rng *rand.Rand, st *crashStats) int {
	t.Helper()
	lost := 0
	for i, a := range acks {
		c := clients[(i+rng.IntN(len(clients)))%len(clients)]
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		e, err := c.VerifiedGet(ctx, a.key)
		cancel()
		switch {
		case err != nil:
			t.Errorf("acknowledged %q (tx %d): %v", a.key, a.tx, err)
			lost++
		case !bytes.Equal(e.GetValue(), a.value) || e.GetTx() != a.tx:
			t.Errorf("acknowledged %q (tx %d): read tx %d value %x, want %x", a.key, a.tx, e.GetTx(), e.GetValue(), a.value)
			lost++
		case st != nil:
			st.verified++
		}
	}
	return lost
}

// checkTrustedStates makes every client prove, from the state it trusted
// before the crash, that the server's new state extends it.
func checkTrustedStates(t *testing.T, clients []*client.Client) {
	t.Helper()
	for i, c := range clients {
		ts, err := c.StateStore().Get(c.ServerUUID(), "defaultdb")
		if err != nil {
			t.Errorf("client %d: trusted state: %v", i, err)
			continue
		}
		if ts == nil || ts.GetTxId() == 0 {
			continue // never trusted anything yet
		}
		ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		tx, err := c.VerifiedTxByID(ctx, ts.GetTxId())
		cancel()
		if err != nil {
			t.Errorf("client %d: trusted state at tx %d does not verify: %v", i, ts.GetTxId(), err)
			continue
		}
		if tx.GetHeader().GetId() != ts.GetTxId() {
			t.Errorf("client %d: asked tx %d, got %d", i, ts.GetTxId(), tx.GetHeader().GetId())
		}
	}
}

// writeUntilKilled runs one writer per client (Set and VerifiedSet mixed,
// every key new) until its calls fail because kill stopped the server, and
// returns the acknowledged writes.
func writeUntilKilled(clients []*client.Client, seed uint64, kill func()) []ack {
	var mu sync.Mutex
	var acks []ack
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			for n := 0; ; n++ {
				key := fmt.Appendf(nil, "t-%016x-%d-%d", seed, i, n)
				val := make([]byte, 8+r.IntN(200))
				for j := range val {
					val[j] = byte(r.Uint32())
				}
				verified := r.IntN(2) == 0
				ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
				var tx uint64
				var err error
				if verified {
					h, e := c.VerifiedSet(ctx, key, val)
					tx, err = h.GetId(), e
				} else {
					h, e := c.Set(ctx, key, val)
					tx, err = h.GetId(), e
				}
				cancel()
				if err != nil {
					return // the server is gone: this write is unacknowledged
				}
				mu.Lock()
				acks = append(acks, ack{key: key, value: val, tx: tx, verified: verified})
				mu.Unlock()
			}
		}()
	}
	kill()
	wg.Wait()
	return acks
}

// phaseTimes sums the wall time of each phase, for the log.
type phaseTimes struct {
	names []string
	d     map[string]time.Duration
}

func (p *phaseTimes) add(name string, since time.Time) {
	if p.d == nil {
		p.d = map[string]time.Duration{}
	}
	if _, ok := p.d[name]; !ok {
		p.names = append(p.names, name)
	}
	p.d[name] += time.Since(since)
}

func (p *phaseTimes) String() string {
	var b []byte
	for _, n := range p.names {
		b = fmt.Appendf(b, "%s=%v ", n, p.d[n].Round(time.Millisecond))
	}
	return string(b)
}
