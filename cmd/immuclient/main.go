// Command immuclient is the command line client; see internal/cli/immuclient.
package main

import (
	"os"

	"github.com/attestdb/attestdb/internal/cli/immuclient"
)

func main() {
	os.Exit(immuclient.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
