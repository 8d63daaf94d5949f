package immubench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/attestdb/attestdb/api/codec"
	"github.com/attestdb/attestdb/api/schema"
)

// testChildEnv makes the test binary, which is what os.Executable returns
// in a test, play the grpc-floor child: "command" runs the command line it
// is given (the real child), "silent" never prints an address, "fail"
// exits at once.
const testChildEnv = "IMMUBENCH_TEST_GRPC_FLOOR_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(testChildEnv) {
	case "command":
		cmd := NewCommand()
		cmd.SetArgs(os.Args[1:])
		if cmd.Execute() != nil {
			os.Exit(1)
		}
		os.Exit(0)
	case "silent":
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, os.Stdin); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
		os.Exit(0)
	case "fail":
		fmt.Fprintln(os.Stderr, "test child: failing on purpose")
		os.Exit(3)
	}
	os.Exit(m.Run())
}

var floorSummary = regexp.MustCompile(`^workload=grpc-floor concurrency=(\d+) ops/s=(\d+) entries/s=(\d+) p50=(\S+) p99=(\S+) errors=(\d+) server_cpu_us/op=([0-9.]+) client_cpu_us/op=([0-9.]+)$`)

var floorPid = regexp.MustCompile(`child pid[= ](\d+)`)

func needProcCPU(t *testing.T) {
	t.Helper()
	if _, err := processCPU(); err != nil {
		t.Skip(err)
	}
}

// processGone reports whether pid no longer exists (it was reaped).
func processGone(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return true
	}
	return p.Signal(syscall.Signal(0)) != nil
}

func childPid(t *testing.T, s string) int {
	t.Helper()
	m := floorPid.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("no child pid in %q", s)
	}
	pid, _ := strconv.Atoi(m[1])
	return pid
}

func TestGRPCFloor(t *testing.T) {
	needProcCPU(t)
	t.Setenv(testChildEnv, "command")
	out, errOut, err := runBench("grpc-floor", "--n", "2000", "--concurrency", "4", "--sessions", "2", "--progress", "0")
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	m := floorSummary.FindStringSubmatch(lastLine(out))
	if m == nil {
		t.Fatalf("last line %q does not have the grpc-floor summary format\n%s", lastLine(out), out)
	}
	if m[1] != "4" || m[6] != "0" {
		t.Errorf("summary %q: want concurrency=4 errors=0", m[0])
	}
	if ops, _ := strconv.Atoi(m[2]); ops <= 0 || m[3] != m[2] {
		t.Errorf("summary %q: want ops/s > 0 and entries/s = ops/s", m[0])
	}
	for _, d := range m[4:6] {
		if v, err := time.ParseDuration(d); err != nil || v <= 0 {
			t.Errorf("percentile %q is not a positive duration", d)
		}
	}
	for _, cpu := range m[7:9] {
		if v, err := strconv.ParseFloat(cpu, 64); err != nil || v <= 0 {
			t.Errorf("summary %q: CPU per call %q is not positive", m[0], cpu)
		}
	}
	if !strings.Contains(out, "\nelapsed=") || !strings.Contains(out, " ops=2000 ") {
		t.Errorf("want exactly 2000 ops reported:\n%s", out)
	}
	if !strings.Contains(out, "sessions=2 ") {
		t.Errorf("want sessions=2 in the header:\n%s", out)
	}
	if errOut != "" {
		t.Errorf("unexpected stderr:\n%s", errOut)
	}
	if pid := childPid(t, out); pid == os.Getpid() || !processGone(pid) {
		t.Errorf("child pid %d still exists after the run", pid)
	}
}

// TestGRPCFloorHistory: with --entries the calls are History calls and
// entries/s counts the entries of the answers.
func TestGRPCFloorHistory(t *testing.T) {
	needProcCPU(t)
	t.Setenv(testChildEnv, "command")
	out, errOut, err := runBench("grpc-floor", "--n", "300", "--entries", "10", "--concurrency", "2", "--sessions", "1", "--progress", "0")
	if err != nil {
		t.Fatalf("run: %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
	}
	m := floorSummary.FindStringSubmatch(lastLine(out))
	if m == nil {
		t.Fatalf("last line %q does not have the grpc-floor summary format\n%s", lastLine(out), out)
	}
	ops, _ := strconv.Atoi(m[2])
	entries, _ := strconv.Atoi(m[3])
	if m[6] != "0" || ops <= 0 || entries < 9*ops || entries > 11*ops {
		t.Errorf("summary %q: want errors=0 and entries/s = 10 × ops/s", m[0])
	}
	if !strings.Contains(out, " ops=300 entries=3000 ") || !strings.Contains(out, "entries=10\n") {
		t.Errorf("want 300 calls of 10 entries reported:\n%s", out)
	}
	if pid := childPid(t, out); pid == os.Getpid() || !processGone(pid) {
		t.Errorf("child pid %d still exists after the run", pid)
	}
}

func TestGRPCFloorBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero concurrency", []string{"--concurrency", "0"}, "concurrency must be positive"},
		{"negative concurrency", []string{"--concurrency", "-3"}, "concurrency must be positive"},
		{"zero sessions", []string{"--sessions", "0"}, "sessions must be positive"},
		{"negative n", []string{"--n", "-1"}, "n must not be negative"},
		{"no duration", []string{"--duration", "0"}, "positive --duration or --n"},
		{"negative value size", []string{"--value-size", "-1"}, "value-size must not be negative"},
		{"zero entries", []string{"--entries", "0"}, "entries must be positive"},
		// Answers over grpc-go's 4 MiB receive limit would fail every call
		// (the first was found only after the child had started).
		{"history answer too large", []string{"--entries", "100000"}, "over grpc-go's default limit"},
		{"get answer too large", []string{"--value-size", "5000000"}, "over grpc-go's default limit"},
		{"huge answer", []string{"--entries", "2000000000", "--value-size", "2000000000"}, "over grpc-go's default limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := runBench(append([]string{"grpc-floor", "--progress", "0"}, tc.args...)...)
			if !errors.Is(err, ErrBadFlags) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %v mentioning %q", err, ErrBadFlags, tc.want)
			}
			if out != "" {
				t.Errorf("a rejected run printed:\n%s", out)
			}
		})
	}
}

// TestGRPCFloorServeBadFlags: the hidden child role checks its flags
// too (a negative --value-size used to panic in bytes.Repeat).
func TestGRPCFloorServeBadFlags(t *testing.T) {
	for _, args := range [][]string{{"--value-size", "-1"}, {"--entries", "0"}} {
		_, _, err := runBench(append([]string{"grpc-floor", "--serve"}, args...)...)
		if !errors.Is(err, ErrBadFlags) {
			t.Errorf("grpc-floor --serve %v: err = %v, want %v", args, err, ErrBadFlags)
		}
	}
}

// TestGRPCFloorChildWithoutAddress: a child that prints nothing is killed
// after the timeout, and one that exits is reported.
func TestGRPCFloorChildWithoutAddress(t *testing.T) {
	needProcCPU(t)
	old := floorAddrTimeout
	floorAddrTimeout = 300 * time.Millisecond
	t.Cleanup(func() { floorAddrTimeout = old })

	t.Run("silent", func(t *testing.T) {
		t.Setenv(testChildEnv, "silent")
		start := time.Now()
		_, _, err := runBench("grpc-floor", "--n", "10", "--progress", "0")
		if err == nil || !strings.Contains(err.Error(), "did not print its address within 300ms; killed it") {
			t.Fatalf("err = %v, want the address timeout", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("took %v", d)
		}
		if pid := childPid(t, err.Error()); !processGone(pid) {
			t.Errorf("child pid %d still exists", pid)
		}
	})
	t.Run("fail", func(t *testing.T) {
		t.Setenv(testChildEnv, "fail")
		_, errOut, err := runBench("grpc-floor", "--n", "10", "--progress", "0")
		if err == nil || !strings.Contains(err.Error(), "ended without printing its address (exit status 3)") {
			t.Fatalf("err = %v, want the child's early exit", err)
		}
		if !strings.Contains(errOut, "failing on purpose") {
			t.Errorf("the child's stderr was not passed on: %q", errOut)
		}
	})
}

// TestServeFloorStops runs the child's role in-process: it answers Get
// and ends on stdin EOF with its CPU time, or at its maximum lifetime.
func TestServeFloorStops(t *testing.T) {
	needProcCPU(t)
	t.Run("stdin EOF", func(t *testing.T) {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		done := make(chan error, 1)
		go func() {
			done <- serveFloor(inR, outW, floorShape{valueSize: 5, entries: 3}, time.Minute)
			_ = outW.Close()
		}()
		lines := bufio.NewScanner(outR)
		if !lines.Scan() {
			t.Fatal("no address")
		}
		cc, err := grpc.NewClient(lines.Text(), grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.ForceCodecV2(codec.Codec{})))
		if err != nil {
			t.Fatal(err)
		}
		defer cc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		svc := schema.NewImmuServiceClient(cc)
		for _, c := range []struct {
			shape floorShape
			want  error
		}{
			{floorShape{valueSize: 5, entries: 1}, nil},            // Get
			{floorShape{valueSize: 5, entries: 3}, nil},            // History of 3
			{floorShape{valueSize: 6, entries: 1}, errWrongAnswer}, // wrong value size
			{floorShape{valueSize: 6, entries: 3}, errWrongAnswer}, // in a History too
			{floorShape{valueSize: 5, entries: 4}, errWrongAnswer}, // wrong number of entries
		} {
			if err := floorCall(ctx, svc, []byte("k"), c.shape); !errors.Is(err, c.want) {
				t.Errorf("floorCall(%+v) = %v, want %v", c.shape, err, c.want)
			}
		}
		_ = inW.Close()
		if !lines.Scan() || !strings.HasPrefix(lines.Text(), floorCPULine) {
			t.Fatalf("want a %s line after EOF, got %q", floorCPULine, lines.Text())
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("serveFloor did not return after stdin EOF")
		}
	})
	t.Run("max lifetime", func(t *testing.T) {
		inR, inW := io.Pipe()
		defer inW.Close()
		done := make(chan error, 1)
		go func() {
			done <- serveFloor(inR, io.Discard, floorShape{valueSize: 5, entries: 1}, 200*time.Millisecond)
		}()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "maximum lifetime") {
				t.Fatalf("err = %v, want the maximum lifetime", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("serveFloor outlived its maximum lifetime")
		}
	})
}
