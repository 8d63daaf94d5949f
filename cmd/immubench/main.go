// Command immubench measures the engine (and, later, the server).
package main

import (
	"os"

	"github.com/attestdb/attestdb/internal/cli/immubench"
)

func main() {
	if err := immubench.NewCommand().Execute(); err != nil {
		os.Exit(1)
	}
}
