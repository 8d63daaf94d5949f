package immubench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/attestdb/attestdb/api/codec"
	"github.com/attestdb/attestdb/api/schema"
)

// floorAddrTimeout bounds how long the parent waits for the child's
// address (and, at the end, for its CPU report) before killing it; a
// variable so that tests can shorten it.
var floorAddrTimeout = 10 * time.Second

const (
	floorKeySize = 32
	floorCPULine = "cpu_ns="
)

type floorConfig struct {
	concurrency int
	sessions    int
	duration    time.Duration
	n           int
	valueSize   int
	entries     int
	progress    time.Duration

	// The child's role (hidden flags).
	serve       bool
	maxLifetime time.Duration
}

func newGRPCFloorCommand() *cobra.Command {
	var c floorConfig
	cmd := &cobra.Command{
		Use:   "grpc-floor",
		Short: "Measure grpc-go's own cost of a unary Get that does no work (client and server in separate processes)",
		Long: `grpc-floor measures the floor that no gRPC server built on grpc-go can
beat on this machine: a child process (this program re-executed) serves
ImmuService.Get over loopback with the real server's gRPC options but no
interceptors, no auth and no work (it answers a fixed entry), and this
process loads it like 'immubench server --workload get' does: --concurrency
workers over --sessions plain grpc-go connections. With --entries N > 1 the
calls are History calls answered with N fixed entries instead (the shape of
'immubench server --workload history' is --entries 100 --concurrency 16).

The last line is the server workloads' summary plus the CPU time per call:
server_cpu_us/op is the child's CPU over its whole lifetime (start-up and
connection set-up included, but the measured phase dominates it) divided by
the calls made; client_cpu_us/op is this process's CPU over the measured
phase only. CPU times are read from /proc/self/stat (Linux, 10 ms ticks).`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.serve {
				// The parent passes checked values, but a bad hand-made
				// --value-size would panic in bytes.Repeat.
				if err := c.resolve(); err != nil {
					return err
				}
				// Ctrl-C reaches the whole process group; the child ends when
				// the parent closes its stdin, so it can still report its CPU.
				signal.Ignore(os.Interrupt)
				return serveFloor(os.Stdin, cmd.OutOrStdout(), c.shape(), c.maxLifetime)
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
			defer stop()
			return runGRPCFloor(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), c)
		},
	}
	f := cmd.Flags()
	f.IntVar(&c.concurrency, "concurrency", 64, "concurrent workers")
	f.IntVar(&c.sessions, "sessions", 8, "gRPC connections the workers are spread over (round-robin)")
	f.DurationVar(&c.duration, "duration", 10*time.Second, "how long to run (ignored when --n is set)")
	f.IntVar(&c.n, "n", 0, "run exactly this many calls instead of --duration")
	f.IntVar(&c.valueSize, "value-size", 32, "value size in bytes of the answered entries")
	f.IntVar(&c.entries, "entries", 1, "entries per answer: 1 = Get (the get workload's shape), more = History answered with that many (history: 100)")
	f.DurationVar(&c.progress, "progress", time.Second, "interval of the progress lines (0: none)")
	f.BoolVar(&c.serve, "serve", false, "run as the child server (internal)")
	f.DurationVar(&c.maxLifetime, "max-lifetime", time.Hour, "child server: exit after this long even if stdin stays open (internal)")
	_ = f.MarkHidden("serve")
	_ = f.MarkHidden("max-lifetime")
	return cmd
}

func (c *floorConfig) resolve() error {
	switch {
	case c.concurrency < 1:
		return fmt.Errorf("%w: concurrency must be positive, got %d", ErrBadFlags, c.concurrency)
	case c.sessions < 1:
		return fmt.Errorf("%w: sessions must be positive, got %d", ErrBadFlags, c.sessions)
	case c.n < 0:
		return fmt.Errorf("%w: n must not be negative, got %d", ErrBadFlags, c.n)
	case c.n == 0 && c.duration <= 0:
		return fmt.Errorf("%w: give a positive --duration or --n", ErrBadFlags)
	case c.valueSize < 0:
		return fmt.Errorf("%w: value-size must not be negative, got %d", ErrBadFlags, c.valueSize)
	case c.entries < 1:
		return fmt.Errorf("%w: entries must be positive, got %d", ErrBadFlags, c.entries)
	}
	if size := c.shape().answerSize(); size > floorMaxAnswer {
		return fmt.Errorf("%w: an answer of %d entries with %d-byte values is %d bytes or more, over grpc-go's default limit of %d a client receives (package client's too): every call would fail",
			ErrBadFlags, c.entries, c.valueSize, size, floorMaxAnswer)
	}
	// More connections than workers would stay idle.
	c.sessions = min(c.sessions, c.concurrency)
	return nil
}

// floorMaxAnswer is grpc-go's default limit on a message a client receives,
// which package client keeps.
const floorMaxAnswer = 4 << 20

// answerSize is the encoded size of the child's answer; or, when each
// entry's key and value alone exceed floorMaxAnswer, that lower bound,
// without building the answer.
func (s floorShape) answerSize() int64 {
	if least := int64(s.entries) * int64(floorKeySize+s.valueSize); least > floorMaxAnswer {
		return least
	}
	svc := &floorService{value: make([]byte, s.valueSize), entries: s.entries}
	key := make([]byte, floorKeySize)
	if s.entries <= 1 {
		e, _ := svc.Get(context.Background(), &schema.KeyRequest{Key: key})
		return int64(e.SizeVT())
	}
	es, _ := svc.History(context.Background(), &schema.HistoryRequest{Key: key})
	return int64(es.SizeVT())
}

// floorShape is the answer the child gives: entries of valueSize bytes,
// one for a Get, entries of them for a History.
type floorShape struct {
	valueSize int
	entries   int
}

func (c *floorConfig) shape() floorShape {
	return floorShape{valueSize: c.valueSize, entries: c.entries}
}

// floorService answers every Get with a fixed entry and every History
// with shape.entries of them, and does nothing else.
type floorService struct {
	schema.UnimplementedImmuServiceServer
	value   []byte
	entries int
}

func (s *floorService) Get(_ context.Context, req *schema.KeyRequest) (*schema.Entry, error) {
	return &schema.Entry{Tx: 1, Key: req.Key, Value: s.value, Revision: 1}, nil
}

func (s *floorService) History(_ context.Context, req *schema.HistoryRequest) (*schema.Entries, error) {
	// Built per call, as a server builds its answer; one slab of entries.
	es := make([]schema.Entry, s.entries)
	out := &schema.Entries{Entries: make([]*schema.Entry, s.entries)}
	for i := range es {
		es[i].Tx, es[i].Key, es[i].Value, es[i].Revision = uint64(i+1), req.Key, s.value, uint64(i+1)
		out.Entries[i] = &es[i]
	}
	return out, nil
}

// serveFloor is the child's role: it prints its address, serves until in
// reaches EOF (the parent closed it or is gone), then prints its CPU time.
// maxLifetime bounds its life if in never ends.
func serveFloor(in io.Reader, out io.Writer, shape floorShape, maxLifetime time.Duration) error {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	// The options of server.newGRPC that shape the transport; its
	// interceptors (auth, sessions, metrics) are what this leaves out.
	g := grpc.NewServer(
		grpc.NumStreamWorkers(uint32(128*runtime.GOMAXPROCS(0))),
		grpc.InitialWindowSize(1<<20),
		grpc.InitialConnWindowSize(8<<20),
		grpc.ForceServerCodecV2(codec.Codec{}),
	)
	schema.RegisterImmuServiceServer(g, &floorService{value: bytes.Repeat([]byte{'v'}, shape.valueSize), entries: shape.entries})
	go func() { _ = g.Serve(lis) }()
	defer g.Stop()
	if _, err := fmt.Fprintln(out, lis.Addr().String()); err != nil {
		return err
	}

	eof := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, in)
		close(eof)
	}()
	limit := time.NewTimer(maxLifetime)
	defer limit.Stop()
	select {
	case <-eof:
	case <-limit.C:
		return fmt.Errorf("grpc-floor child: stdin still open after the maximum lifetime %v, exiting", maxLifetime)
	}
	g.Stop()
	cpu, err := processCPU()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s%d\n", floorCPULine, cpu.Nanoseconds())
	return err
}

// processCPU is this process's user+system CPU time so far, from
// /proc/self/stat: it compiles on every platform, unlike getrusage.
func processCPU() (time.Duration, error) {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0, fmt.Errorf("read CPU time (grpc-floor needs Linux): %w", err)
	}
	// The command name (field 2) may hold spaces; the fields after it
	// start at the state (field 3), so utime (14) and stime (15) are the
	// 12th and 13th.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/self/stat: %q", b)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/self/stat: %q", b)
	}
	var ticks uint64
	for _, s := range fields[11:13] {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("unexpected /proc/self/stat: %q", b)
		}
		ticks += v
	}
	// USER_HZ is 100 in the Linux ABI of every architecture Go supports.
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}

// floorChild is the running child process.
type floorChild struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string // the child's stdout, line by line; closed at EOF
	addr   string
	waited bool
}

// startFloorChild re-executes this program as the child server and waits
// up to floorAddrTimeout for its address. Its stderr goes to errOut.
func startFloorChild(c floorConfig, errOut io.Writer) (*floorChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("grpc-floor: find own executable: %w", err)
	}
	// Only a safety bound: the child ends as soon as its stdin closes,
	// which happens when this process exits, however it exits.
	lifetime := time.Hour
	if c.n == 0 {
		lifetime = c.duration + time.Minute
	}
	cmd := exec.Command(exe, "grpc-floor", "--serve",
		"--value-size", strconv.Itoa(c.valueSize), "--entries", strconv.Itoa(c.entries), "--max-lifetime", lifetime.String())
	cmd.Stderr = errOut
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("grpc-floor: start child %s: %w", exe, err)
	}
	ch := &floorChild{cmd: cmd, stdin: stdin, lines: make(chan string, 4)}
	go func() {
		defer close(ch.lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			ch.lines <- sc.Text()
		}
	}()
	line, err := ch.next("its address")
	if err != nil {
		return nil, err
	}
	if _, _, err := net.SplitHostPort(line); err != nil {
		ch.kill()
		return nil, fmt.Errorf("grpc-floor: child pid %d printed %q instead of its address", ch.pid(), line)
	}
	ch.addr = line
	return ch, nil
}

func (ch *floorChild) pid() int { return ch.cmd.Process.Pid }

// next returns the child's next stdout line; if there is none within
// floorAddrTimeout, or the child closed its stdout, it kills the child and
// returns an error naming what was awaited.
func (ch *floorChild) next(what string) (string, error) {
	timer := time.NewTimer(floorAddrTimeout)
	defer timer.Stop()
	select {
	case line, ok := <-ch.lines:
		if ok {
			return line, nil
		}
		err := ch.wait()
		return "", fmt.Errorf("grpc-floor: child pid %d ended without printing %s (%v)", ch.pid(), what, err)
	case <-timer.C:
		ch.kill()
		return "", fmt.Errorf("grpc-floor: child pid %d did not print %s within %v; killed it", ch.pid(), what, floorAddrTimeout)
	}
}

// finish closes the child's stdin, which ends it, and returns the CPU
// time it reports.
func (ch *floorChild) finish() (time.Duration, error) {
	_ = ch.stdin.Close()
	line, err := ch.next("its CPU time")
	if err != nil {
		return 0, err
	}
	if err := ch.wait(); err != nil {
		return 0, fmt.Errorf("grpc-floor: child pid %d: %w", ch.pid(), err)
	}
	ns, err := strconv.ParseInt(strings.TrimPrefix(line, floorCPULine), 10, 64)
	if !strings.HasPrefix(line, floorCPULine) || err != nil {
		return 0, fmt.Errorf("grpc-floor: child pid %d printed %q instead of its CPU time", ch.pid(), line)
	}
	return time.Duration(ns), nil
}

// kill ends the child at once unless it was already waited for.
func (ch *floorChild) kill() {
	if !ch.waited {
		_ = ch.cmd.Process.Kill()
		_ = ch.wait()
	}
}

// wait reaps the child after draining its stdout, as exec.Cmd requires.
func (ch *floorChild) wait() error {
	if ch.waited {
		return nil
	}
	ch.waited = true
	for range ch.lines {
	}
	return ch.cmd.Wait()
}

// syncWriter serialises the child's stderr (copied by exec) with the
// recorder's error lines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func runGRPCFloor(ctx context.Context, out, errOut io.Writer, c floorConfig) error {
	if err := c.resolve(); err != nil {
		return err
	}
	if _, err := processCPU(); err != nil {
		return err
	}
	errW := &syncWriter{w: errOut}
	child, err := startFloorChild(c, errW)
	if err != nil {
		return err
	}
	defer child.kill()

	// Plain grpc-go connections with the dial options of package client
	// that change the transport (it sets no window sizes), without its
	// interceptors.
	conns := make([]*grpc.ClientConn, 0, c.sessions)
	defer func() {
		for _, cc := range conns {
			_ = cc.Close()
		}
	}()
	for i := 0; i < c.sessions; i++ {
		cc, err := grpc.NewClient(child.addr,
			grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(codec.Codec{})))
		if err != nil {
			return fmt.Errorf("grpc-floor: connection %d: %w", i, err)
		}
		conns = append(conns, cc)
		// Connect outside the measured phase, as the server workloads do
		// when they open their sessions.
		key := make([]byte, floorKeySize)
		if err := floorCall(ctx, schema.NewImmuServiceClient(cc), key, c.shape()); err != nil {
			return fmt.Errorf("grpc-floor: first call on connection %d: %w", i, err)
		}
	}
	fmt.Fprintf(out, "grpc-floor child pid=%d addr=%s concurrency=%d sessions=%d value-size=%d entries=%d\n",
		child.pid(), child.addr, c.concurrency, c.sessions, c.valueSize, c.entries)

	// rec gives the progress lines and the error printing of the server
	// workloads; latencies go to per-worker histograms instead of its
	// logs, which would grow by 8 bytes a call inside the measured client.
	rec := newRecorder(0, errW)
	lats := make([]*latencies, c.concurrency)
	next := opNumbers(c.n, c.duration)

	cpu0, err := processCPU()
	if err != nil {
		return err
	}
	stopProgress := startProgress(out, rec, c.progress)
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < c.concurrency; w++ {
		lats[w] = newLatencies()
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			svc := schema.NewImmuServiceClient(conns[w%len(conns)])
			var seed [32]byte
			seed[0], seed[1] = byte(w), byte(w>>8)
			rnd := rand.NewChaCha8(seed)
			key := make([]byte, floorKeySize)
			for {
				i, ok := next()
				if !ok || ctx.Err() != nil {
					return
				}
				_, _ = rnd.Read(key)
				t := time.Now()
				err := floorCall(ctx, svc, key, c.shape())
				if err != nil && ctx.Err() != nil {
					return // interrupted: the call did not fail on its own
				}
				if err != nil {
					rec.fail(fmt.Errorf("grpc-floor call %d: %w", i, err))
					continue
				}
				lats[w].record(time.Since(t))
				rec.ops.Add(1)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu1, err := processCPU()
	if err != nil {
		return err
	}
	stopProgress()

	for _, cc := range conns {
		_ = cc.Close()
	}
	conns = nil
	serverCPU, err := child.finish()
	if err != nil {
		return err
	}

	all := newLatencies()
	for _, l := range lats {
		all.merge(l)
	}
	ops, errs := all.count(), rec.errs.Load()
	var opsPerSec float64
	if sec := elapsed.Seconds(); sec > 0 {
		opsPerSec = float64(ops) / sec
	}
	perCall := func(d time.Duration) float64 {
		if ops+errs == 0 {
			return 0
		}
		return float64(d) / float64(time.Microsecond) / float64(ops+errs)
	}
	fmt.Fprintf(out, "elapsed=%v ops=%d entries=%d server_cpu=%v client_cpu=%v\n",
		elapsed.Round(time.Millisecond), ops, ops*int64(c.entries), serverCPU, cpu1-cpu0)
	fmt.Fprintf(out, "workload=grpc-floor concurrency=%d ops/s=%.0f entries/s=%.0f p50=%v p99=%v errors=%d server_cpu_us/op=%.2f client_cpu_us/op=%.2f\n",
		c.concurrency, opsPerSec, opsPerSec*float64(c.entries), roundDur(all.percentile(0.50)), roundDur(all.percentile(0.99)), errs,
		perCall(serverCPU), perCall(cpu1-cpu0))
	if errs > 0 {
		return fmt.Errorf("%w: %d of %d calls failed", ErrRunFailed, errs, ops+errs)
	}
	return nil
}

// errWrongAnswer reports an answer that is not the child's fixed entry.
var errWrongAnswer = errors.New("wrong answer")

// floorCall makes one call (a Get, or a History when the shape has more
// than one entry) and checks that the answer is the child's fixed one for
// the key asked.
func floorCall(ctx context.Context, svc schema.ImmuServiceClient, key []byte, shape floorShape) error {
	if shape.entries <= 1 {
		e, err := svc.Get(ctx, &schema.KeyRequest{Key: key})
		if err != nil {
			return err
		}
		return checkFloorEntry(e, key, shape.valueSize)
	}
	es, err := svc.History(ctx, &schema.HistoryRequest{Key: key, Limit: int32(shape.entries)})
	if err != nil {
		return err
	}
	if n := len(es.GetEntries()); n != shape.entries {
		return fmt.Errorf("%w: %d entries, want %d", errWrongAnswer, n, shape.entries)
	}
	for _, e := range es.GetEntries() {
		if err := checkFloorEntry(e, key, shape.valueSize); err != nil {
			return err
		}
	}
	return nil
}

func checkFloorEntry(e *schema.Entry, key []byte, valueSize int) error {
	if len(e.GetValue()) != valueSize || !bytes.Equal(e.GetKey(), key) {
		return fmt.Errorf("%w: key %x value of %d bytes, want key %x and %d bytes",
			errWrongAnswer, e.GetKey(), len(e.GetValue()), key, valueSize)
	}
	return nil
}
