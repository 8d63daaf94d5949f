package compat

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// randReader feeds ecdsa.GenerateKey.
type randReader struct{}

func (randReader) Read(p []byte) (int, error) { return rand.Read(p) }

const (
	startTimeout = 30 * time.Second // until "immudb is ready"
	stopTimeout  = 20 * time.Second // SIGTERM grace before SIGKILL
)

// readyRE finds the gRPC address in the server's ready line.
var readyRE = regexp.MustCompile(`immudb is ready.*grpc=(127\.0\.0\.1:(\d+)).*uuid=(\S+)`)

// server is one running cmd/immudb process.
type server struct {
	t     testing.TB
	dir   string   // --dir, kept across restarts
	extra []string // flags besides the fixed ones
	cmd   *exec.Cmd
	done  chan struct{} // closed when the process has exited
	port  int
	addr  string
	uuid  string
	log   *lockedBuf
}

// lockedBuf collects the server's output for failure reports.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServer runs our server in a fresh temp dir; signed adds
// --signingKey with the test key. The process is stopped at test cleanup,
// and its output is logged when the test failed.
func startServer(t testing.TB, signed bool, extra ...string) *server {
	t.Helper()
	s := &server{t: t, dir: t.TempDir(), log: &lockedBuf{}}
	if signed {
		s.extra = append(s.extra, "--signingKey", signingKeyFile)
	}
	s.extra = append(s.extra, extra...)
	t.Cleanup(func() {
		s.stop()
		if t.Failed() {
			t.Logf("server output:\n%s", tail(s.log.String(), 4000))
		}
	})
	s.start()
	return s
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// start launches the process on a free port (--port 0) and waits for the
// ready line.
func (s *server) start() {
	s.t.Helper()
	// A restart reuses the port the first start got, so clients keep
	// talking to the same "host:port" identity.
	args := []string{
		"--dir", s.dir, "--address", "127.0.0.1", "--port", strconv.Itoa(s.port),
		"--metrics-server=false", "--web-server=false",
	}
	args = append(args, s.extra...)
	cmd := exec.Command(serverBin, args...)
	cmd.Dir = s.dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting server: %v", err)
	}
	s.cmd = cmd
	s.done = make(chan struct{})
	ready := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.log, line)
			if !found {
				if m := readyRE.FindStringSubmatch(line); m != nil {
					found = true
					ready <- m
				}
			}
		}
		_, _ = io.Copy(s.log, stdout)
		_ = cmd.Wait()
		close(s.done)
	}()
	select {
	case m := <-ready:
		s.addr = m[1]
		s.port, _ = strconv.Atoi(m[2])
		s.uuid = strings.Trim(m[3], `"`)
	case <-s.done:
		s.t.Fatalf("server exited before it was ready:\n%s", s.log.String())
	case <-time.After(startTimeout):
		s.stop()
		s.t.Fatalf("server not ready after %v:\n%s", startTimeout, s.log.String())
	}
}

// stop sends SIGTERM and waits, killing the process after stopTimeout.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(stopTimeout):
		s.t.Errorf("server did not stop within %v after SIGTERM; killing it", stopTimeout)
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// restart stops the server and starts it again on the same dir (the port
// may change).
func (s *server) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}
