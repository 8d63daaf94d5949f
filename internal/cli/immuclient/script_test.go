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
			"tamperstate": tamperState,
			"writetoken":  writeTokenCmd,
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
			opts := server.DefaultOptions(dataDir)
			opts.Address = "127.0.0.1:0"
			opts.BcryptCost = bcrypt.MinCost
			opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			srv, err := server.New(opts)
			if err != nil {
				return err
			}
			if err := srv.Start(); err != nil {
				return err
			}
			env.Defer(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				_ = srv.Stop(ctx)
				_ = os.RemoveAll(dataDir)
			})
			_, port, err := net.SplitHostPort(srv.Addr().String())
			if err != nil {
				return err
			}
			env.Setenv("HOME", env.WorkDir)
			env.Setenv("IMMUCLIENT_IMMUDB_ADDRESS", "127.0.0.1")
			env.Setenv("IMMUCLIENT_IMMUDB_PORT", port)
			env.Setenv("SERVER_UUID", srv.UUID())
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
