package web_test

import (
	"context"
	"log"
	"net"
	"time"

	"google.golang.org/grpc"

	"github.com/attestdb/attestdb/server/metrics"
	"github.com/attestdb/attestdb/server/web"
)

// The wiring a server does: metrics interceptors first in the chain, the
// metrics endpoint on :9497, the web front on :8080 forwarding to the
// server's own gRPC port. Shutdown runs in reverse order.
func Example() {
	var stats metrics.DBStatsSource // the server's database manager
	m := metrics.New(metrics.Options{Stats: stats, NoHistograms: false})
	gs := grpc.NewServer(
		grpc.ChainUnaryInterceptor(m.UnaryInterceptor() /*, uuid, auth, ... */),
		grpc.ChainStreamInterceptor(m.StreamInterceptor() /*, ... */),
	)
	// ... register ImmuService and AuthorizationService on gs ...
	m.InitializeMethods(gs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go func() { _ = gs.Serve(ln) }()

	ready := func() bool { return true } // the server's readiness
	ms, err := metrics.Listen("127.0.0.1:0", m.Handler(metrics.HandlerOptions{Ready: ready, Pprof: false}))
	if err != nil {
		log.Fatal(err)
	}

	conn, err := web.Dial(ln.Addr().String(), nil) // TLS: credentials.NewTLS(...)
	if err != nil {
		log.Fatal(err)
	}
	h, err := web.NewHandler(context.Background(), conn)
	if err != nil {
		log.Fatal(err)
	}
	ws, err := web.Listen("127.0.0.1:0", h, nil) // TLS: the server's *tls.Config
	if err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = ws.Shutdown(ctx)
	_ = conn.Close()
	gs.GracefulStop()
	_ = ms.Shutdown(ctx)
	// Output:
}
