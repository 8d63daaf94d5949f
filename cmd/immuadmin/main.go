// Command immuadmin is the admin command line client; see internal/cli/immuadmin.
package main

import (
	"os"

	"github.com/attestdb/attestdb/internal/cli/immuadmin"
)

func main() {
	os.Exit(immuadmin.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
