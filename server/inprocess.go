package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/attestdb/attestdb/api/codec"
)

// DialInProcess connects to this server without a socket: the REST gateway
// uses it, so its calls pass through the same interceptors (credentials,
// permissions, metrics) as any gRPC call, whatever the TLS setup. Under
// --mtls the gateway has no client certificate the server would trust; the
// in-process connection needs none, and the HTTPS front checks the REST
// caller's certificate instead. Such connections cannot come from outside
// the process. The caller closes the connection.
func (s *Server) DialInProcess() (*grpc.ClientConn, error) {
	lis, err := s.inProcessListener()
	if err != nil {
		return nil, err
	}
	return grpc.NewClient("passthrough:///in-process",
		grpc.WithContextDialer(lis.dial),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		// The gateway's calls marshal with api/codec too, as our client's do.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(s.opts.MaxRecvMsgSize), grpc.MaxCallSendMsgSize(s.opts.MaxRecvMsgSize),
			grpc.ForceCodecV2(codec.Codec{})),
	)
}

// inProcessListener starts serving on the in-memory listener once.
func (s *Server) inProcessListener() (*pipeListener, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil, ErrServerClosed
	}
	if s.inproc == nil {
		s.inproc = newPipeListener()
		go func(l *pipeListener) {
			if err := s.grpc.Serve(l); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
				s.log.Error("in-process grpc listener stopped", "err", err)
			}
		}(s.inproc)
	}
	return s.inproc, nil
}

// loopback is the address both ends of an in-process connection report,
// so that the server treats the gateway as the local caller it is.
var loopback = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)}

// pipeConn is one end of an in-process connection.
type pipeConn struct{ net.Conn }

func (pipeConn) LocalAddr() net.Addr  { return loopback }
func (pipeConn) RemoteAddr() net.Addr { return loopback }

// pipeListener hands the server ends of net.Pipe pairs to grpc.Serve.
type pipeListener struct {
	conns     chan net.Conn
	done      chan struct{}
	closeOnce sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return nil
}

func (l *pipeListener) Addr() net.Addr { return loopback }

func (l *pipeListener) dial(ctx context.Context, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- pipeConn{server}:
		return pipeConn{client}, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, fmt.Errorf("in-process dial: %w", net.ErrClosed)
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

// inProcessCreds are the server's TLS credentials, except that connections
// from the in-process listener skip the handshake: they never left the
// process.
type inProcessCreds struct {
	credentials.TransportCredentials
}

// inProcessAuth is the AuthInfo of an in-process connection.
type inProcessAuth struct{ credentials.CommonAuthInfo }

func (inProcessAuth) AuthType() string { return "in-process" }

func (c inProcessCreds) ServerHandshake(conn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	if _, ok := conn.(pipeConn); ok {
		return conn, inProcessAuth{credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}, nil
	}
	return c.TransportCredentials.ServerHandshake(conn)
}

func (c inProcessCreds) Clone() credentials.TransportCredentials {
	return inProcessCreds{c.TransportCredentials.Clone()}
}
