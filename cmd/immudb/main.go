// Command immudb is the database server; see internal/cli/immudb.
package main

import (
	"os"

	"github.com/attestdb/attestdb/internal/cli/immudb"
)

func main() {
	os.Exit(immudb.Main(os.Args[1:], os.Stdout, os.Stderr, immudb.RunServer))
}
