package metrics

import (
	"errors"
	"net/http"

	"github.com/attestdb/attestdb/server/internal/httpserve"
)

// ErrServe wraps a failure of the HTTP server after it started listening.
var ErrServe = errors.New("metrics: http server failed")

// Server is a running metrics HTTP server (Addr, Shutdown).
type Server = httpserve.Server

// Listen binds addr (e.g. ":9497", or "127.0.0.1:0" in tests) and serves h
// in the background until Shutdown. A bind error is returned at once, so the
// caller can refuse to start.
func Listen(addr string, h http.Handler) (*Server, error) {
	return httpserve.Listen("metrics", ErrServe, addr, h, nil)
}
