package immudb

import (
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"immudb": func() { os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr, nil)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"waitfor": waitFor,
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
