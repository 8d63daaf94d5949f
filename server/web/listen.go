package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ErrServe wraps a failure of the HTTP server after it started listening.
var ErrServe = errors.New("web: http server failed")

// Server is a running web front.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// Listen binds addr (":8080"; "127.0.0.1:0" in tests) and serves h in the
// background until Shutdown. With tlsConfig (holding the server's
// certificate) it serves HTTPS, HTTP/2 included; nil means plain HTTP. A
// bind error is returned at once.
func Listen(addr string, h http.Handler, tlsConfig *tls.Config) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web: listen %s: %w", addr, err)
	}
	s := &Server{
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
			err = fmt.Errorf("%w: %w", ErrServe, err)
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
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}
