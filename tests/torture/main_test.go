package torture

import (
	"fmt"
	"os"
	"testing"
)

// immudbBin is the server binary built once for the whole package.
var immudbBin string

func TestMain(m *testing.M) {
	if arg := os.Getenv(childEnv); arg != "" {
		runEngineChild(arg)
		os.Exit(0)
	}
	dir, err := os.MkdirTemp("", "torture-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	immudbBin, err = BuildImmudb(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
