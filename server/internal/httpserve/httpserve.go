// Package httpserve runs the server's side HTTP listeners (metrics on :9497,
// the REST front on :8080) the same way: bind first so a busy port is an
// error at start-up, serve in the background, and shut down gracefully.
//
// Locking: a Server is used by its owner only; Shutdown is called once.
package httpserve

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// Server is a running HTTP listener.
type Server struct {
	name    string
	errKind error
	srv     *http.Server
	ln      net.Listener
	done    chan error
}

// Listen binds addr and serves h in the background until Shutdown. With
// tlsConfig it serves HTTPS (HTTP/2 included); nil means plain HTTP. name
// prefixes errors; a failure after start is wrapped in errKind.
func Listen(name string, errKind error, addr string, h http.Handler, tlsConfig *tls.Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen %s: %w", name, addr, err)
	}
	s := &Server{
		name:    name,
		errKind: errKind,
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 10 * time.Second,
			IdleTimeout:       2 * time.Minute,
		},
		ln:   ln,
		done: make(chan error, 1),
	}
	if tlsConfig != nil {
		s.srv.TLSConfig = tlsConfig.Clone()
	}
	go func() {
		var err error
		if tlsConfig != nil {
			err = s.srv.ServeTLS(ln, "", "")
		} else {
			err = s.srv.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		} else if err != nil {
			err = fmt.Errorf("%w: %w", s.errKind, err)
		}
		s.done <- err
	}()
	return s, nil
}

// Addr is the bound address (with the real port when ":0" was asked).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Shutdown stops accepting, waits for in-flight requests until ctx ends,
// then closes what is left. It returns the serve error, if any.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	if err != nil {
		_ = s.srv.Close()
	}
	if serr := <-s.done; serr != nil {
		return serr
	}
	if err != nil {
		return fmt.Errorf("%s: shutdown: %w", s.name, err)
	}
	return nil
}
