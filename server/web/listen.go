package web

import (
	"crypto/tls"
	"errors"
	"net/http"

	"github.com/attestdb/attestdb/server/internal/httpserve"
)

// ErrServe wraps a failure of the HTTP server after it started listening.
var ErrServe = errors.New("web: http server failed")

// Server is a running web front (Addr, Shutdown).
type Server = httpserve.Server

// Listen binds addr (":8080"; "127.0.0.1:0" in tests) and serves h in the
// background until Shutdown. With tlsConfig (holding the server's
// certificate) it serves HTTPS, HTTP/2 included; nil means plain HTTP. A
// bind error is returned at once.
func Listen(addr string, h http.Handler, tlsConfig *tls.Config) (*Server, error) {
	return httpserve.Listen("web", ErrServe, addr, h, tlsConfig)
}
