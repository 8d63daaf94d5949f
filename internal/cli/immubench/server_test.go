package immubench

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/connectivity"

	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/server"
)

// startTestServer runs the real server in-process on a free loopback port
// with a temporary data directory and returns its port.
func startTestServer(tb testing.TB) int {
	tb.Helper()
	opts := server.DefaultOptions(filepath.Join(tb.TempDir(), "data"))
	opts.Address = "127.0.0.1:0"
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Stop(ctx); err != nil {
			tb.Errorf("stop: %v", err)
		}
	})
	return srv.Addr().(*net.TCPAddr).Port
}

// runBench runs the immubench command line and returns stdout, stderr and
// the command's error.
func runBench(args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	cmd := NewCommand()
	cmd.SetArgs(args)
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

var summaryLine = regexp.MustCompile(`^workload=(\w+) concurrency=(\d+) ops/s=(\d+) entries/s=(\d+) p50=(\S+) p99=(\S+) errors=(\d+)$`)

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestServerWorkloads(t *testing.T) {
	port := startTestServer(t)
	tests := []struct {
		workload       string
		n              int
		entriesPerOp   int
		defConcurrency int
	}{
		{"set", 300, 1, 128},
		{"setall", 8, setAllEntries, 16},
		{"verifiedset", 40, 1, 16},
		{"get", 300, 1, 64},
		{"verifiedget", 40, 1, 16},
		{"scan", 40, scanLimit, 16},
		{"history", 40, historyRevisions, 16},
		{"mixed", 300, 1, 64},
	}
	for _, tc := range tests {
		t.Run(tc.workload, func(t *testing.T) {
			out, errOut, err := runBench("server", "--port", strconv.Itoa(port), "--workload", tc.workload,
				"--n", strconv.Itoa(tc.n), "--keys", "500")
			if err != nil {
				t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
			}
			m := summaryLine.FindStringSubmatch(lastLine(out))
			if m == nil {
				t.Fatalf("last line %q does not have the summary format\n%s", lastLine(out), out)
			}
			if m[1] != tc.workload || m[2] != strconv.Itoa(tc.defConcurrency) || m[7] != "0" {
				t.Errorf("summary %q: want workload=%s concurrency=%d errors=0", m[0], tc.workload, tc.defConcurrency)
			}
			for _, d := range m[5:7] {
				if v, err := time.ParseDuration(d); err != nil || v <= 0 {
					t.Errorf("percentile %q is not a positive duration", d)
				}
			}
			ops, _ := strconv.Atoi(m[3])
			ents, _ := strconv.Atoi(m[4])
			if ops <= 0 || ents < ops*tc.entriesPerOp-tc.entriesPerOp || ents > ops*tc.entriesPerOp+tc.entriesPerOp {
				t.Errorf("ops/s=%d entries/s=%d: want about %d entries per op", ops, ents, tc.entriesPerOp)
			}
			if !strings.Contains(out, "\nelapsed=") || !strings.Contains(out, "ops="+strconv.Itoa(tc.n)+" ") {
				t.Errorf("want exactly %d ops reported:\n%s", tc.n, out)
			}
			if errOut != "" {
				t.Errorf("unexpected stderr:\n%s", errOut)
			}
		})
	}
}

// TestServerDurationAndProgress runs by time and checks that progress lines
// come before the summary, which stays the last line.
func TestServerDurationAndProgress(t *testing.T) {
	port := startTestServer(t)
	out, errOut, err := runBench("server", "--port", strconv.Itoa(port), "--workload", "get",
		"--concurrency", "4", "--sessions", "2", "--keys", "100", "--duration", "350ms", "--progress", "100ms")
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, "progress t=") {
		t.Errorf("no progress line:\n%s", out)
	}
	if !strings.Contains(out, "sessions=2 ") {
		t.Errorf("sessions not reported:\n%s", out)
	}
	if m := summaryLine.FindStringSubmatch(lastLine(out)); m == nil || m[2] != "4" || m[7] != "0" {
		t.Errorf("last line %q: want the summary with concurrency=4 errors=0", lastLine(out))
	}
}

// TestServerCPUProfile checks that --cpuprofile leaves a profile that the
// pprof tools can read (a gzipped profile with samples), and that an unwritable path fails the run.
func TestServerCPUProfile(t *testing.T) {
	port := startTestServer(t)
	path := filepath.Join(t.TempDir(), "client.cpu")
	out, errOut, err := runBench("server", "--port", strconv.Itoa(port), "--workload", "set",
		"--concurrency", "2", "--n", "200", "--progress", "0", "--cpuprofile", path)
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("profile is not gzipped: %v", err)
	}
	if raw, err := io.ReadAll(zr); err != nil || len(raw) == 0 {
		t.Errorf("profile body: %d bytes, err %v", len(raw), err)
	}
	_, _, err = runBench("server", "--port", strconv.Itoa(port), "--workload", "set",
		"--concurrency", "1", "--n", "1", "--progress", "0", "--cpuprofile", filepath.Join(t.TempDir(), "no", "such", "dir", "p"))
	if err == nil || !strings.Contains(err.Error(), "cpu profile") {
		t.Errorf("unwritable profile path: err = %v, want a cpu profile error", err)
	}
}

// TestServerErrorsCounted checks that a refused login fails the run and
// that failed operations are counted, the first few printed.
func TestServerErrorsCounted(t *testing.T) {
	port := startTestServer(t)
	if _, _, err := runBench("server", "--port", strconv.Itoa(port), "--password", "wrong", "--n", "1"); err == nil {
		t.Error("a wrong password must fail the run")
	}

	// Values over the 32 MiB message limit: every set is refused, and the
	// run still ends with the summary, then fails.
	out, errOut1, err := runBench("server", "--port", strconv.Itoa(port), "--workload", "set",
		"--concurrency", "1", "--n", "3", "--value-size", strconv.Itoa(33<<20))
	if !errors.Is(err, ErrRunFailed) {
		t.Errorf("got %v, want ErrRunFailed", err)
	}
	if m := summaryLine.FindStringSubmatch(lastLine(out)); m == nil || m[7] != "3" || m[3] != "0" {
		t.Errorf("last line %q: want ops/s=0 errors=3", lastLine(out))
	}
	if !strings.Contains(errOut1, "error: set op 0") {
		t.Errorf("first error not printed:\n%s", errOut1)
	}

	// A worker whose every op fails: the recorder counts, prints the first
	// maxPrintedErrors and the summary says how many.
	var errOut bytes.Buffer
	rec := newRecorder(1, &errOut)
	for i := 0; i < 12; i++ {
		rec.fail(errors.New("boom"))
	}
	rec.worker(0).add(time.Millisecond, 1)
	s := rec.summary(time.Second)
	if s.errors != 12 || s.ops != 1 {
		t.Errorf("summary counted ops=%d errors=%d, want 1 and 12", s.ops, s.errors)
	}
	if got := strings.Count(errOut.String(), "error: boom"); got != maxPrintedErrors {
		t.Errorf("printed %d errors, want %d:\n%s", got, maxPrintedErrors, errOut.String())
	}
}

// TestServerSharedConnections runs sessions over fewer connections
// (--connections) and checks the header and the automatic values.
func TestServerSharedConnections(t *testing.T) {
	for _, tc := range []struct{ sessions, connections, want int }{
		{4, 0, 4}, {4, 2, 2}, {4, 9, 4}, {1, 1, 1},
	} {
		c := serverConfig{workload: "get", concurrency: 4, n: 1, sessions: tc.sessions, connections: tc.connections, keys: 1, preloadTx: 1}
		if err := c.resolve(); err != nil || c.connections != tc.want {
			t.Errorf("sessions=%d connections=%d: resolved to %d (%v), want %d", tc.sessions, tc.connections, c.connections, err, tc.want)
		}
	}
	port := startTestServer(t)
	out, errOut, err := runBench("server", "--port", strconv.Itoa(port), "--workload", "verifiedset",
		"--concurrency", "3", "--sessions", "3", "--connections", "2", "--n", "30", "--progress", "0")
	if err != nil {
		t.Fatalf("run: %v\n%s\n%s", err, out, errOut)
	}
	if !strings.Contains(out, " sessions=3 connections=2 ") {
		t.Errorf("header does not report sessions=3 connections=2:\n%s", out)
	}
	if m := summaryLine.FindStringSubmatch(lastLine(out)); m == nil || m[7] != "0" {
		t.Errorf("last line %q: want the summary with errors=0", lastLine(out))
	}

	// connect spreads the sessions round-robin over the connections, and
	// its close function closes them after the clients.
	c := serverConfig{address: "127.0.0.1", port: port, database: "defaultdb", user: "immudb", password: "immudb",
		workload: "get", concurrency: 3, n: 1, sessions: 3, connections: 2, keys: 1, preloadTx: 1}
	if err := c.resolve(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	clis, done, err := connect(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	conns := []*grpc.ClientConn{clis[0].Options().Conn, clis[1].Options().Conn, clis[2].Options().Conn}
	if conns[0] == nil || conns[1] == nil || conns[0] == conns[1] || conns[2] != conns[0] {
		t.Fatalf("sessions 0, 1, 2 on connections %p %p %p, want two shared round-robin", conns[0], conns[1], conns[2])
	}
	done()
	for i, cc := range conns[:2] {
		if s := cc.GetState(); s != connectivity.Shutdown {
			t.Errorf("connection %d is %v after the close function, want Shutdown", i, s)
		}
	}
	if _, err := clis[0].Get(ctx, []byte("k")); !errors.Is(err, client.ErrClosed) {
		t.Errorf("client after the close function: %v, want ErrClosed", err)
	}
}

func TestServerBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--workload", "nope"},
		{"--concurrency", "-1"},
		{"--n", "-5"},
		{"--duration", "0"},
		{"--value-size", "-1"},
		{"--sessions", "-2"},
		{"--connections", "-1"},
		{"--keys", "0"},
		{"--preload-batch", "0"},
		{"--port", "70000"},
	} {
		// --port 1 is never dialled: the flags are refused before.
		_, _, err := runBench(append([]string{"server", "--port", "1"}, args...)...)
		if !errors.Is(err, ErrBadFlags) {
			t.Errorf("%v: got %v, want ErrBadFlags", args, err)
		}
	}
}

func TestPercentile(t *testing.T) {
	lat := []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{0.5, 6}, {0.99, 10}, {0, 1}} {
		if got := percentile(lat, tc.p); got != tc.want {
			t.Errorf("p%v = %v, want %v", tc.p, got, tc.want)
		}
	}
	if percentile(nil, 0.5) != 0 {
		t.Error("empty percentile must be 0")
	}
}
