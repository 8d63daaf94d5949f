package web

import (
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
)

// maxMsgBytes matches the server's gRPC receive limit (API.md §1), so the
// gateway can relay anything the server accepts or returns.
const maxMsgBytes = 32 << 20

// Dial opens the gateway's connection to the server's own gRPC listener at
// addr (its bound address; a wildcard host such as 0.0.0.0 or :: is dialled
// on loopback). creds are the client credentials the gRPC listener needs:
// nil for plaintext, credentials.NewTLS with a pool holding the server's
// certificate (and, under mTLS, a client certificate) otherwise. The
// connection is lazy; the caller closes it after the web server stops.
func Dial(addr string, creds credentials.TransportCredentials) (*grpc.ClientConn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("web: gRPC address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if ip != nil && ip.To4() == nil {
			host = "::1"
		}
	}
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(net.JoinHostPort(host, port),
		grpc.WithTransportCredentials(creds),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxMsgBytes), grpc.MaxCallSendMsgSize(maxMsgBytes)),
	)
	if err != nil {
		return nil, fmt.Errorf("web: dial gRPC %s: %w", addr, err)
	}
	return conn, nil
}
