package immuadmin

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"
	"google.golang.org/grpc"

	"github.com/attestdb/attestdb/server"
	"github.com/attestdb/attestdb/server/metrics"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"immuadmin": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar, each against its own real
// server started in this process on 127.0.0.1:0 with a temporary data
// directory, plus its metrics endpoint on 127.0.0.1:0. The scripts see:
//
//	$HOME                the work dir (token_admin lands there)
//	IMMUADMIN_IMMUDB_*   the server's address and port
//	$METRICS_PORT        the metrics endpoint's port
//	$UNUSED_PORT         a port nothing listens on
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"writetoken": writeTokenCmd,
			"writetxs":   writeTxsCmd,
			"damage":     corruptCmd,
		},
		Setup: func(env *testscript.Env) error {
			for _, kv := range os.Environ() {
				if strings.HasPrefix(kv, "IMMUADMIN_") {
					env.Setenv(kv[:strings.IndexByte(kv, '=')], "")
				}
			}
			dir, err := os.MkdirTemp("", "immuadmin-srv-")
			if err != nil {
				return err
			}
			ts, err := startTestServer(dir)
			if err != nil {
				_ = os.RemoveAll(dir)
				return err
			}
			env.Defer(func() {
				ts.stop()
				_ = os.RemoveAll(dir)
			})
			env.Setenv("IMMUADMIN_IMMUDB_ADDRESS", "127.0.0.1")
			env.Setenv("IMMUADMIN_IMMUDB_PORT", ts.port)
			env.Setenv("METRICS_PORT", ts.metricsPort)
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("UNUSED_PORT", strconv.Itoa(unusedPort(env.T())))
			// port.toml points at this script's server.
			return os.WriteFile(filepath.Join(env.WorkDir, "port.toml"),
				[]byte("immudb-address = \"127.0.0.1\"\nimmudb-port = "+ts.port+"\n"), 0o600)
		},
	})
}

// writeTokenCmd writes a well-formed token_admin holding a token the
// server never issued.
func writeTokenCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: writetoken")
	}
	ts.Check(os.WriteFile(ts.MkAbs("token_admin"), EncodeToken("defaultdb", "v2.public.bm90LWEtdG9rZW4"), 0o600))
}

func unusedPort(t testscript.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// testServer is a server wired as the immudb program wires it: metrics
// interceptors first, per-database numbers read at scrape time.
type testServer struct {
	srv         *server.Server
	ms          *metrics.Server
	port        string
	metricsPort string
}

type srvStats struct{ srv atomic.Pointer[server.Server] }

func (s *srvStats) DatabaseStats() []metrics.DBStats {
	if srv := s.srv.Load(); srv != nil {
		return srv.DatabaseStats()
	}
	return nil
}

func startTestServer(dir string) (*testServer, error) {
	var stats srvStats
	m := metrics.New(metrics.Options{Stats: &stats, Start: time.Now()})
	opts := server.DefaultOptions(dir)
	opts.Address = "127.0.0.1:0"
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.UnaryInterceptors = []grpc.UnaryServerInterceptor{m.UnaryInterceptor()}
	opts.StreamInterceptors = []grpc.StreamServerInterceptor{m.StreamInterceptor()}
	srv, err := server.New(opts)
	if err != nil {
		return nil, err
	}
	stats.srv.Store(srv)
	if err := srv.Start(); err != nil {
		_ = srv.Stop(context.Background())
		return nil, err
	}
	ms, err := metrics.Listen("127.0.0.1:0", m.Handler(metrics.HandlerOptions{}))
	if err != nil {
		_ = srv.Stop(context.Background())
		return nil, err
	}
	_, port, _ := net.SplitHostPort(srv.Addr().String())
	_, mport, _ := net.SplitHostPort(ms.Addr().String())
	return &testServer{srv: srv, ms: ms, port: port, metricsPort: mport}, nil
}

func (s *testServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = s.srv.Stop(ctx)
	_ = s.ms.Shutdown(ctx)
}
