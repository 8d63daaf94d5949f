package immuclient

import (
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"golang.org/x/crypto/bcrypt"

	"github.com/attestdb/attestdb/client"
	"github.com/attestdb/attestdb/server"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"immuclient": func() { os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs testdata/script/*.txtar, each against its own real server
// started in this process on 127.0.0.1:0 with a temporary data directory.
// The scripts see:
//
//	$HOME               the work dir (the token file lands there)
//	IMMUCLIENT_IMMUDB_* the server's address and port
//	$UNUSED_PORT        a port nothing listens on
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"tamperstate":   tamperState,
			"writetoken":    writeTokenCmd,
			"restartserver": restartServer,
			"freeport":      freePortCmd,
			"forkserver":    forkServerCmd,
			"scrape":        scrapeCmd,
			"notifyserver":  notifyServerCmd,
		},
		Setup: func(env *testscript.Env) error {
			for _, kv := range os.Environ() {
				if strings.HasPrefix(kv, "IMMUCLIENT_") {
					env.Setenv(kv[:strings.IndexByte(kv, '=')], "")
				}
			}
			dataDir, err := os.MkdirTemp("", "immuclient-srv-")
			if err != nil {
				return err
			}
			ts := &testServer{dir: dataDir}
			if err := ts.start(); err != nil {
				return err
			}
			env.Values[testServerKey{}] = ts
			env.Defer(func() {
				ts.stop()
				_ = os.RemoveAll(dataDir)
			})
			env.Setenv("IMMUCLIENT_IMMUDB_PORT", ts.port)
			env.Setenv("SERVER_UUID", ts.srv.UUID())
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("IMMUCLIENT_IMMUDB_ADDRESS", "127.0.0.1")
			env.Setenv("UNUSED_PORT", strconv.Itoa(unusedPort(env.T())))
			return nil
		},
	})
}

// unusedPort returns a port that was free a moment ago.
func unusedPort(t testscript.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// tamperState MODE rewrites the .state-$SERVER_UUID file of the work dir:
// "garble" breaks its encoding, "hash" keeps it well-formed but changes the
// trusted tx hash of every database, as an attacker editing the file would.
func tamperState(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: tamperstate garble|hash")
	}
	path := filepath.Join(ts.Getenv("WORK"), ".state-"+ts.Getenv("SERVER_UUID"))
	b, err := os.ReadFile(path)
	ts.Check(err)
	switch args[0] {
	case "garble":
		ts.Check(os.WriteFile(path, append([]byte("x"), b...), 0o600))
	case "hash":
		states, err := client.DecodeStateFile(b)
		ts.Check(err)
		for _, st := range states {
			st.TxHash[0] ^= 0xff
		}
		out, err := client.EncodeStateFile(states)
		ts.Check(err)
		ts.Check(os.WriteFile(path, out, 0o600))
	default:
		ts.Fatalf("unknown mode %q", args[0])
	}
}

// writeTokenCmd FILE DB TOKEN writes a token file, e.g. with a dead token.
func writeTokenCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 3 {
		ts.Fatalf("usage: writetoken file db token")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), EncodeToken(args[1], args[2]), 0o600))
}

type testServerKey struct{}

// testServer is the in-process server of one script; it can be restarted
// on the same data directory.
type testServer struct {
	dir  string
	srv  *server.Server
	port string
}

func (s *testServer) start() error {
	opts := server.DefaultOptions(s.dir)
	opts.Address = "127.0.0.1:0"
	if s.port != "" {
		opts.Address = "127.0.0.1:" + s.port
	}
	opts.BcryptCost = bcrypt.MinCost
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	_, port, err := net.SplitHostPort(srv.Addr().String())
	if err != nil {
		return err
	}
	s.srv, s.port = srv, port
	return nil
}

func (s *testServer) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = s.srv.Stop(ctx)
}

// restartServer stops the script's server and starts it again on the same
// data directory and port: tokens issued before are no longer valid.
func restartServer(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: restartserver")
	}
	s := ts.Value(testServerKey{}).(*testServer)
	s.stop()
	ts.Check(s.start())
}
