package soak

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/tests/torture"
)

var (
	flagDuration = flag.Duration("soak.duration", 20*time.Second, "length of the load (make soak: SOAK_DURATION, 10m)")
	flagClients  = flag.Int("soak.clients", 4, "concurrent load clients (plus one session churner)")
	flagSample   = flag.Duration("soak.sample", 0, "sampling interval (0: duration/40, between 1s and 5s)")
	flagSeed     = flag.Uint64("soak.seed", 0, "random seed (0: from the clock)")
)

var immudbBin string

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "soak-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if immudbBin, err = torture.BuildImmudb(dir); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stepTimeout bounds every call; a call that needs longer is an error.
const stepTimeout = 20 * time.Second

// load counts operations, errors and latencies of all workers.
type load struct {
	ops, errs atomic.Int64
	mu        sync.Mutex
	lat       []time.Duration
	firstErrs []string
}

func (l *load) done(start time.Time, err error) {
	d := time.Since(start)
	l.ops.Add(1)
	l.mu.Lock()
	l.lat = append(l.lat, d)
	if err != nil {
		l.errs.Add(1)
		if len(l.firstErrs) < 10 {
			l.firstErrs = append(l.firstErrs, err.Error())
		}
	}
	l.mu.Unlock()
}

// TestSoak runs the mixed load for -soak.duration against the real server
// and checks for errors and leaks. Its last output line is the summary.
func TestSoak(t *testing.T) {
	dur := *flagDuration
	sample := *flagSample
	if sample <= 0 {
		sample = min(max(dur/40, time.Second), 5*time.Second)
	}
	seed := *flagSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("seed=%d duration=%v sample=%v clients=%d", seed, dur, sample, *flagClients)

	base := t.TempDir()
	srv, err := torture.Start(immudbBin, filepath.Join(base, "data"), filepath.Join(base, "immudb.log"),
		"--metrics-server=true", "--metrics-server-port=0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if !srv.Exited() {
			srv.Kill()
		}
	}()
	metrics := srv.LogField("metrics")
	if metrics == "" || !strings.HasPrefix(metrics, "127.0.0.1:") {
		t.Fatalf("metrics listener %q not on loopback", metrics)
	}
	take := func(at time.Duration) Sample {
		t.Helper()
		s, err := Take(srv.PID(), metrics, at)
		if err != nil {
			t.Fatalf("sample: %v", err)
		}
		return s
	}
	idleStart := take(0)

	var l load
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < *flagClients; i++ {
		c := connect(t, srv, filepath.Join(base, "state", fmt.Sprint(i)))
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer closeClient(c)
			worker(ctx, c, i, rand.New(rand.NewPCG(seed, uint64(i))), &l)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		churnSessions(ctx, srv, filepath.Join(base, "state", "churn"), &l)
	}()

	// Sample under load; the warm-up is the first fifth of the run.
	t0 := time.Now()
	var samples []Sample
	var warm Sample
	warmUntil := dur / 5
	tick := time.NewTicker(sample)
	for time.Since(t0) < dur {
		<-tick.C
		s := take(time.Since(t0))
		samples = append(samples, s)
		if s.At <= warmUntil || warm.At == 0 {
			warm = s
		}
		if l.errs.Load() > 0 {
			break // fail fast; the summary still prints
		}
	}
	tick.Stop()
	elapsed := time.Since(t0)
	stop()
	wg.Wait()

	// Idle again: every session closed and connection gone. Wait (bounded)
	// for the server to reap them; the end sample is taken regardless.
	var idleEnd Sample
	for i := 0; i < 20; i++ {
		time.Sleep(250 * time.Millisecond)
		idleEnd = take(time.Since(t0))
		if idleEnd.Goroutines <= idleStart.Goroutines+DefaultLimits.ExtraGoroutines {
			break
		}
	}
	for _, s := range samples {
		t.Logf("t=%v rss=%.1fMiB goroutines=%d fds=%d", s.At.Round(time.Second), s.RSSMiB, s.Goroutines, s.FDs)
	}
	t.Logf("idle start: rss=%.1fMiB goroutines=%d fds=%d; warm (t=%v): rss=%.1fMiB; idle end: rss=%.1fMiB goroutines=%d fds=%d",
		idleStart.RSSMiB, idleStart.Goroutines, idleStart.FDs, warm.At.Round(time.Second), warm.RSSMiB,
		idleEnd.RSSMiB, idleEnd.Goroutines, idleEnd.FDs)

	sum := Summary{Duration: elapsed, Ops: int(l.ops.Load()), Errors: int(l.errs.Load()),
		Start: idleStart, Warm: warm, End: idleEnd}
	sum.P50 = Percentile(l.lat, 50)
	sum.P99 = Percentile(l.lat, 99)
	defer fmt.Println(sum.String())
	t.Log(sum.String())

	for _, e := range l.firstErrs {
		t.Errorf("load error: %s", e)
	}
	if sum.Ops == 0 {
		t.Error("no operation ran")
	}
	for _, msg := range DefaultLimits.Check(idleStart, warm, idleEnd) {
		t.Errorf("leak: %s", msg)
	}
	if err := srv.Stop(30 * time.Second); err != nil {
		t.Errorf("clean stop: %v", err)
	}
}

func connect(t *testing.T, srv *torture.Server, stateDir string) *client.Client {
	t.Helper()
	c, err := openSession(srv, stateDir)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func openSession(srv *torture.Server, stateDir string) (*client.Client, error) {
	o := client.DefaultOptions().WithAddress(srv.Host).WithPort(srv.Port).WithDir(stateDir)
	o.KeepAliveInterval = 0
	c, err := client.New(o)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	if err := c.OpenSession(ctx, []byte("immudb"), []byte("immudb"), "defaultdb"); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

func closeClient(c *client.Client) {
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
	defer cancel()
	_ = c.CloseSession(ctx)
	_ = c.Close()
}

// worker mixes writes (Set 45%, VerifiedSet 10%), verified reads of its own
// keys (30%, value checked) and prefix scans (15%, every value checked)
// until ctx ends. Keys cycle over 2000 per worker, so the load has both
// new keys and updates.
func worker(ctx context.Context, c *client.Client, id int, r *rand.Rand, l *load) {
	const keySpace = 2000
	written := map[int][]byte{}
	key := func(n int) []byte { return fmt.Appendf(nil, "soak-%d-%05d", id, n) }
	for n := 0; ctx.Err() == nil; n++ {
		cctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
		start := time.Now()
		var err error
		switch p := r.IntN(100); {
		case p < 55 || len(written) == 0:
			k := r.IntN(keySpace)
			v := fmt.Appendf(nil, "v-%d-%d-%d", id, n, r.Uint64())
			if p < 10 {
				_, err = c.VerifiedSet(cctx, key(k), v)
			} else {
				_, err = c.Set(cctx, key(k), v)
			}
			if err == nil {
				written[k] = v
			}
		case p < 85:
			k := pickKey(written, r)
			var e *schema.Entry
			if e, err = c.VerifiedGet(cctx, key(k)); err == nil && !bytes.Equal(e.GetValue(), written[k]) {
				err = fmt.Errorf("verified get %s: %q, want %q", key(k), e.GetValue(), written[k])
			}
		default:
			var es *schema.Entries
			prefix := fmt.Appendf(nil, "soak-%d-0%d", id, r.IntN(2)) // keys 0-999 or 1000-1999
			if es, err = c.Scan(cctx, &schema.ScanRequest{Prefix: prefix, Limit: 100}); err == nil {
				for _, e := range es.GetEntries() {
					k, perr := strconv.Atoi(strings.TrimPrefix(string(e.GetKey()), fmt.Sprintf("soak-%d-", id)))
					if perr != nil || !bytes.Equal(e.GetValue(), written[k]) {
						err = fmt.Errorf("scan %s: %q, want %q", e.GetKey(), e.GetValue(), written[k])
						break
					}
				}
			}
		}
		cancel()
		l.done(start, err)
	}
}

func pickKey(m map[int][]byte, r *rand.Rand) int {
	i := r.IntN(len(m))
	for k := range m {
		if i == 0 {
			return k
		}
		i--
	}
	panic("unreachable")
}

// churnSessions opens a new client and session, reads the server state and
// closes both, in a loop: sessions and connections must not pile up.
func churnSessions(ctx context.Context, srv *torture.Server, stateDir string, l *load) {
	for ctx.Err() == nil {
		start := time.Now()
		c, err := openSession(srv, stateDir)
		if err == nil {
			cctx, cancel := context.WithTimeout(context.Background(), stepTimeout)
			_, err = c.CurrentState(cctx)
			cancel()
			closeClient(c)
		}
		l.done(start, err)
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func TestParseGoroutines(t *testing.T) {
	page := "# HELP go_goroutines Number of goroutines.\n# TYPE go_goroutines gauge\ngo_goroutines 42\ngo_threads 9\n"
	if n, err := parseGoroutines(strings.NewReader(page)); err != nil || n != 42 {
		t.Fatalf("got %d, %v", n, err)
	}
	if _, err := parseGoroutines(strings.NewReader("go_threads 9\n")); err == nil {
		t.Fatal("missing gauge accepted")
	}
}

func TestLimits(t *testing.T) {
	start := Sample{RSSMiB: 50, Goroutines: 30, FDs: 40}
	warm := Sample{RSSMiB: 120}
	for _, c := range []struct {
		name string
		end  Sample
		bad  int
	}{
		{"steady", Sample{RSSMiB: 200, Goroutines: 35, FDs: 60}, 0},
		{"goroutine leak", Sample{RSSMiB: 200, Goroutines: 51, FDs: 60}, 1},
		{"fd leak", Sample{RSSMiB: 200, Goroutines: 30, FDs: 105}, 1},
		{"rss leak", Sample{RSSMiB: 400, Goroutines: 30, FDs: 40}, 1},
		{"all", Sample{RSSMiB: 1000, Goroutines: 300, FDs: 400}, 3},
	} {
		if got := DefaultLimits.Check(start, warm, c.end); len(got) != c.bad {
			t.Errorf("%s: %v", c.name, got)
		}
	}
}
