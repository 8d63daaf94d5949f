package immudb

import (
	"context"
	"errors"
)

// ErrServerNotBuilt is returned by the RunServer placeholder.
var ErrServerNotBuilt = errors.New("server not built yet")

// RunFunc starts the server with a validated Config and blocks until ctx is
// cancelled (SIGINT/SIGTERM) or the server fails.
type RunFunc func(ctx context.Context, cfg Config) error

// RunServer is a PLACEHOLDER until the server package exists: it always
// returns ErrServerNotBuilt. The lead replaces its body with the call into
// the real server (or passes another RunFunc to Main).
func RunServer(ctx context.Context, cfg Config) error {
	return ErrServerNotBuilt
}
