package immudb

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		// The real program, with the real RunServer.
		"immudb": func() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr, nil)) },
		// The program with a stand-in server, to test the CLI's own
		// behaviour (signals, pidfile, detaching) whatever RunServer does.
		"immudb-fake": func() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr, fakeServer)) },
	})
}

// fakeServer logs that it runs, then fails with $IMMUDB_TEST_FAIL if set,
// or waits for the shutdown signal.
func fakeServer(ctx context.Context, cfg Config) error {
	cfg.Logger.Info("fake server listening", "addr", cfg.ListenAddress(), "dir", cfg.Dir)
	if msg := os.Getenv("IMMUDB_TEST_FAIL"); msg != "" {
		return errors.New(msg)
	}
	<-ctx.Done()
	cfg.Logger.Info("fake server stopped cleanly")
	return ctx.Err()
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Condition:           serviceCondition,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfor":  waitFor,
			"waitgone": waitGone,
			"sigterm":  sigterm,
		},
		Setup: func(env *testscript.Env) error {
			// The scripts must not see the developer's own settings.
			for _, kv := range os.Environ() {
				if len(kv) > 7 && kv[:7] == "IMMUDB_" {
					for i := range kv {
						if kv[i] == '=' {
							env.Setenv(kv[:i], "")
							break
						}
					}
				}
			}
			return nil
		},
	})
}

// waitFor FILE REGEXP waits until FILE matches REGEXP: the background child
// of a detached start reports only through its log file. The deadline only
// guards against a hang; the test asserts on content, not on timing.
func waitFor(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: waitfor file regexp")
	}
	re, err := regexp.Compile(args[1])
	ts.Check(err)
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(time.Minute)
	for {
		if b, err := os.ReadFile(path); err == nil && re.Match(b) {
			return
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(path)
			ts.Fatalf("%s does not match %q after 1m; content:\n%s", args[0], args[1], b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitGone FILE waits until FILE no longer exists.
func waitGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitgone file")
	}
	path := ts.MkAbs(args[0])
	deadline := time.Now().Add(time.Minute)
	for {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return
		}
		if time.Now().After(deadline) {
			ts.Fatalf("%s still exists after 1m", args[0])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sigterm PIDFILE sends SIGTERM to the process named in PIDFILE.
func sigterm(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sigterm pidfile")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	ts.Check(err)
	ts.Check(syscall.Kill(pid, syscall.SIGTERM))
}
