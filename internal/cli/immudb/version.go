package immudb

import (
	"fmt"
	"io"
	"runtime"
)

// Build information, set with
//
//	-ldflags "-X github.com/attestdb/attestdb/internal/cli/immudb.Version=1.2.3 \
//	          -X github.com/attestdb/attestdb/internal/cli/immudb.Commit=abc123 \
//	          -X github.com/attestdb/attestdb/internal/cli/immudb.BuildDate=2026-01-01T00:00:00Z"
var (
	Version   = "1.11.1-attestdb"
	Commit    = "unknown"
	BuildDate = "unknown"
)

func printVersion(w io.Writer) error {
	_, err := fmt.Fprintf(w, "immudb %s\nCommit  : %s\nBuilt at: %s\nGo      : %s %s/%s\n",
		Version, Commit, BuildDate, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return err
}
