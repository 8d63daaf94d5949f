package torture

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Errors of the process helpers.
var (
	// ErrNotReady means the server did not log its ready line in time.
	ErrNotReady = errors.New("torture: server not ready")
	// ErrExited means the server process ended before it was ready.
	ErrExited = errors.New("torture: server exited")
)

// ReadyTimeout bounds how long Start waits for the ready line.
var ReadyTimeout = 30 * time.Second

// BuildImmudb compiles cmd/immudb of this module into dir and returns the
// binary's path.
func BuildImmudb(dir string) (string, error) {
	bin := filepath.Join(dir, "immudb")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/attestdb/attestdb/cmd/immudb")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("torture: build immudb: %w\n%s", err, out)
	}
	return bin, nil
}

// Server is one running immudb process.
type Server struct {
	cmd     *exec.Cmd
	done    chan struct{} // closed when the process has been reaped
	waitErr error
	// Host and Port are the gRPC listener from the ready line.
	Host string
	Port int
	// LogPath is the process log file.
	LogPath string
}

// Start runs bin on dataDir (loopback, random port, no metrics and web
// listeners, log in logPath) plus extra flags, and waits for its ready line.
func Start(bin, dataDir, logPath string, extra ...string) (*Server, error) {
	if err := os.Remove(logPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	args := []string{"--dir", dataDir, "--address", "127.0.0.1", "--port", "0",
		"--metrics-server=false", "--web-server=false", "--logfile", logPath}
	args = append(args, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dataDir}
	cmd.Dir = dataDir
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("torture: start immudb: %w", err)
	}
	s := &Server{cmd: cmd, done: make(chan struct{}), LogPath: logPath}
	go func() { s.waitErr = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(ReadyTimeout)
	for time.Now().Before(deadline) {
		if addr, ok := readyAddr(logPath); ok {
			host, port, err := splitHostPort(addr)
			if err != nil {
				s.Kill()
				return nil, err
			}
			s.Host, s.Port = host, port
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%w: %v; log:\n%s", ErrExited, s.waitErr, tail(logPath))
		case <-time.After(5 * time.Millisecond):
		}
	}
	s.Kill()
	return nil, fmt.Errorf("%w after %v; log:\n%s", ErrNotReady, ReadyTimeout, tail(logPath))
}

// readyAddr finds "immudb is ready … grpc=ADDR" in the log.
func readyAddr(path string) (string, bool) {
	f, err := os.Open(path)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "immudb is ready") {
			continue
		}
		for _, field := range strings.Fields(line) {
			if a, ok := strings.CutPrefix(field, "grpc="); ok {
				return strings.Trim(a, `"`), true
			}
		}
	}
	return "", false
}

func splitHostPort(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("torture: bad listen address %q", addr)
	}
	p, err := strconv.Atoi(addr[i+1:])
	if err != nil {
		return "", 0, fmt.Errorf("torture: bad listen address %q: %w", addr, err)
	}
	return addr[:i], p, nil
}

// tail returns the end of a log file for error messages.
func tail(path string) string {
	b, _ := os.ReadFile(path)
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Kill sends SIGKILL and waits for the process to be reaped.
func (s *Server) Kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// Stop sends SIGTERM and waits up to timeout for a clean exit, then kills.
// It returns the exit error of a process that did not stop cleanly.
func (s *Server) Stop(timeout time.Duration) error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return s.waitErr
	case <-time.After(timeout):
		s.Kill()
		return fmt.Errorf("torture: server did not stop within %v", timeout)
	}
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// PID is the server's process id (for /proc sampling by the soak test).
func (s *Server) PID() int { return s.cmd.Process.Pid }

// LogField returns the value of key=VALUE on the server's ready line (for
// example "metrics" for the metrics listener), or "" if absent.
func (s *Server) LogField(key string) string {
	b, err := os.ReadFile(s.LogPath)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.Contains(line, "immudb is ready") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, key+"="); ok {
				return strings.Trim(v, `"`)
			}
		}
	}
	return ""
}
