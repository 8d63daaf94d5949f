package immubench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"

	"github.com/attestdb/attestdb/client"
)

// ErrBadFlags reports an unusable combination of server benchmark flags.
var ErrBadFlags = errors.New("invalid benchmark flags")

// ErrRunFailed reports a server run that counted errors; the summary line
// has been printed before it is returned.
var ErrRunFailed = errors.New("benchmark run had errors")

// defaultConcurrency is the per-workload default of --concurrency (issue 8).
var defaultConcurrency = map[string]int{
	"set": 128, "setall": 16, "verifiedset": 16, "get": 64,
	"verifiedget": 16, "scan": 16, "history": 16, "mixed": 64,
}

// maxPrintedErrors bounds how many individual errors are written out; the
// rest are only counted.
const maxPrintedErrors = 5

type serverConfig struct {
	address     string
	port        int
	user        string
	password    string
	database    string
	workload    string
	concurrency int
	duration    time.Duration
	n           int
	valueSize   int
	sessions    int
	connections int
	keys        int
	preloadTx   int
	progress    time.Duration
	cpuProfile  string
}

func newServerCommand() *cobra.Command {
	var c serverConfig
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Load a running server over gRPC (set|setall|verifiedset|get|verifiedget|scan|history|mixed)",
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := cmd.Flags()
			if !f.Changed("concurrency") {
				c.concurrency = defaultConcurrency[c.workload]
			}
			if !f.Changed("value-size") {
				c.valueSize = 32
				if c.workload == "setall" {
					c.valueSize = 100
				}
			}
			// Ctrl-C ends the run early but still prints the summary.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			return runServer(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), c)
		},
	}
	f := cmd.Flags()
	f.StringVar(&c.address, "address", "127.0.0.1", "server address")
	f.IntVar(&c.port, "port", 3322, "server gRPC port")
	f.StringVar(&c.user, "user", "immudb", "user name")
	f.StringVar(&c.password, "password", "immudb", "password")
	f.StringVar(&c.database, "database", "defaultdb", "database")
	f.StringVar(&c.workload, "workload", "set", "set|setall|verifiedset|get|verifiedget|scan|history|mixed")
	f.IntVar(&c.concurrency, "concurrency", 0, "concurrent workers (default per workload: set 128, setall 16, verifiedset 16, get 64, verifiedget 16, scan 16, history 16, mixed 64)")
	f.DurationVar(&c.duration, "duration", 10*time.Second, "how long to run (ignored when --n is set)")
	f.IntVar(&c.n, "n", 0, "run exactly this many operations instead of --duration")
	f.IntVar(&c.valueSize, "value-size", 32, "value size in bytes (default 100 for setall, else 32)")
	f.IntVar(&c.sessions, "sessions", 0, "client sessions the workers are spread over; 0: one per worker for verified workloads, else min(concurrency, 8)")
	f.IntVar(&c.connections, "connections", 0, "gRPC connections the sessions share (client.Dial, Options.Conn); 0: one per session")
	f.IntVar(&c.keys, "keys", 100_000, "entries preloaded for the read workloads")
	f.IntVar(&c.preloadTx, "preload-batch", 1000, "entries per preload tx (a verified read proves its entry inside its whole tx, so this sets verifiedget's cost)")
	f.DurationVar(&c.progress, "progress", time.Second, "interval of the progress lines (0: none)")
	f.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of this client during the measured phase (the server's own profile: immudb --pprof)")
	return cmd
}

// resolve fills the automatic values and checks the flags.
func (c *serverConfig) resolve() error {
	if _, ok := defaultConcurrency[c.workload]; !ok {
		return fmt.Errorf("%w: unknown workload %q", ErrBadFlags, c.workload)
	}
	if c.concurrency == 0 {
		c.concurrency = defaultConcurrency[c.workload]
	}
	switch {
	case c.concurrency < 1:
		return fmt.Errorf("%w: concurrency must be positive, got %d", ErrBadFlags, c.concurrency)
	case c.n < 0:
		return fmt.Errorf("%w: n must not be negative, got %d", ErrBadFlags, c.n)
	case c.n == 0 && c.duration <= 0:
		return fmt.Errorf("%w: give a positive --duration or --n", ErrBadFlags)
	case c.valueSize < 0:
		return fmt.Errorf("%w: value-size must not be negative, got %d", ErrBadFlags, c.valueSize)
	case c.sessions < 0:
		return fmt.Errorf("%w: sessions must not be negative, got %d", ErrBadFlags, c.sessions)
	case c.connections < 0:
		return fmt.Errorf("%w: connections must not be negative, got %d", ErrBadFlags, c.connections)
	case c.keys < 1:
		return fmt.Errorf("%w: keys must be positive, got %d", ErrBadFlags, c.keys)
	case c.preloadTx < 1:
		return fmt.Errorf("%w: preload-batch must be positive, got %d", ErrBadFlags, c.preloadTx)
	case c.port < 0 || c.port > 65535:
		return fmt.Errorf("%w: port %d out of range", ErrBadFlags, c.port)
	}
	if c.sessions == 0 {
		// A client runs its Verified* calls one at a time (the trusted state
		// is read, advanced and stored under one lock), so verified
		// workloads need a session per worker to be concurrent at all.
		if strings.HasPrefix(c.workload, "verified") {
			c.sessions = c.concurrency
		} else {
			c.sessions = min(c.concurrency, 8)
		}
	}
	c.sessions = min(c.sessions, c.concurrency)
	if c.connections == 0 || c.connections > c.sessions {
		c.connections = c.sessions
	}
	return nil
}

// connect opens c.sessions clients, each with its own session and its own
// in-memory trusted state; with fewer connections than sessions, the
// clients share c.connections connections round-robin. The returned
// function closes the clients, then the shared connections.
func connect(ctx context.Context, c serverConfig) ([]*client.Client, func(), error) {
	base := client.DefaultOptions().WithAddress(c.address).WithPort(c.port).WithDatabase(c.database)
	var conns []*grpc.ClientConn
	if c.connections < c.sessions {
		for i := 0; i < c.connections; i++ {
			cc, err := client.Dial(base.WithStateStore(client.NewMemStateStore()))
			if err != nil {
				closeConns(conns)
				return nil, nil, fmt.Errorf("connection %d: %w", i, err)
			}
			conns = append(conns, cc)
		}
	}
	clis := make([]*client.Client, 0, c.sessions)
	done := func() {
		for _, cl := range clis {
			_ = cl.Close()
		}
		closeConns(conns)
	}
	for i := 0; i < c.sessions; i++ {
		opts := base.WithStateStore(client.NewMemStateStore())
		if len(conns) > 0 {
			opts = opts.WithConn(conns[i%len(conns)])
		}
		cl, err := client.New(opts)
		if err != nil {
			done()
			return nil, nil, fmt.Errorf("client %d: %w", i, err)
		}
		if err := cl.OpenSession(ctx, []byte(c.user), []byte(c.password), c.database); err != nil {
			_ = cl.Close()
			done()
			return nil, nil, fmt.Errorf("open session %d: %w", i, err)
		}
		clis = append(clis, cl)
	}
	return clis, done, nil
}

func closeConns(conns []*grpc.ClientConn) {
	for _, cc := range conns {
		_ = cc.Close()
	}
}

// runID makes this run's keys distinct from earlier runs on the same
// database, so set never overwrites and reads see only this run's data.
func runID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func runServer(ctx context.Context, out, errOut io.Writer, c serverConfig) error {
	if err := c.resolve(); err != nil {
		return err
	}
	clis, closeClients, err := connect(ctx, c)
	if err != nil {
		return err
	}
	defer closeClients()

	wl := newWorkload(c, runID())
	t0 := time.Now()
	if err := wl.preload(ctx, clis); err != nil {
		return fmt.Errorf("preload: %w", err)
	}
	if wl.preloaded > 0 {
		fmt.Fprintf(out, "preloaded %d entries in %v\n", wl.preloaded, time.Since(t0).Round(time.Millisecond))
	}
	fmt.Fprintf(out, "server=%s:%d database=%s workload=%s concurrency=%d sessions=%d connections=%d value-size=%d\n",
		c.address, c.port, c.database, c.workload, c.concurrency, c.sessions, c.connections, c.valueSize)

	rec := newRecorder(c.concurrency, errOut)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := opNumbers(c.n, c.duration)

	if c.cpuProfile != "" {
		stopProfile, err := startCPUProfile(c.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}
	stopProgress := startProgress(out, rec, c.progress)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < c.concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			op := wl.worker(w, clis[w%len(clis)])
			lat := rec.worker(w)
			for {
				i, ok := next()
				if !ok || runCtx.Err() != nil {
					return
				}
				t := time.Now()
				entries, err := op(runCtx, i)
				if err != nil && runCtx.Err() != nil {
					return // interrupted: the op did not fail on its own
				}
				if err != nil {
					rec.fail(fmt.Errorf("%s op %d: %w", c.workload, i, err))
					continue
				}
				lat.add(time.Since(t), entries)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopProgress()

	s := rec.summary(elapsed)
	fmt.Fprintf(out, "elapsed=%v ops=%d entries=%d\n", elapsed.Round(time.Millisecond), s.ops, s.entries)
	fmt.Fprintf(out, "workload=%s concurrency=%d ops/s=%.0f entries/s=%.0f p50=%v p99=%v errors=%d\n",
		c.workload, c.concurrency, s.opsPerSec, s.entriesPerSec, roundDur(s.p50), roundDur(s.p99), s.errors)
	if s.errors > 0 {
		return fmt.Errorf("%w: %d of %d operations failed", ErrRunFailed, s.errors, s.ops+s.errors)
	}
	return nil
}

// startProgress prints a progress line every interval until the returned
// function is called.
func startProgress(out io.Writer, rec *recorder, every time.Duration) func() {
	if every <= 0 {
		return func() {}
	}
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(every)
		defer tick.Stop()
		start := time.Now()
		var lastOps int64
		last := start
		for {
			select {
			case <-done:
				return
			case now := <-tick.C:
				ops, errs := rec.counts()
				rate := float64(ops-lastOps) / now.Sub(last).Seconds()
				fmt.Fprintf(out, "progress t=%v ops=%d ops/s=%.0f errors=%d\n",
					now.Sub(start).Round(time.Second), ops, rate, errs)
				lastOps, last = ops, now
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// roundDur keeps three significant digits or so, enough for a table.
func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= 100*time.Millisecond:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}

// opNumbers hands out operation numbers to the workers until n are given
// (n > 0) or, with n = 0, until d from now has passed; a worker stops at
// the first refusal.
func opNumbers(n int, d time.Duration) func() (int64, bool) {
	var deadline time.Time
	if n == 0 {
		deadline = time.Now().Add(d)
	}
	var claimed atomic.Int64
	return func() (int64, bool) {
		i := claimed.Add(1) - 1
		if n > 0 {
			return i, i < int64(n)
		}
		return i, time.Now().Before(deadline)
	}
}
