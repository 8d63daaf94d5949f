package immudb

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"google.golang.org/grpc"

	"github.com/attestdb/attestdb/server"
	"github.com/attestdb/attestdb/server/metrics"
	"github.com/attestdb/attestdb/server/web"
)

// fronts are the HTTP servers beside the gRPC port: metrics and health
// (--metrics-server, :9497) and the REST gateway with its docs
// (--web-server, :8080).
type fronts struct {
	metrics *metrics.Server
	web     *web.Server
	webConn *grpc.ClientConn
	log     func(msg string, args ...any)
}

func startFronts(ctx context.Context, cfg *Config, srv *server.Server, m *metrics.Metrics) (*fronts, error) {
	f := &fronts{log: cfg.Logger.Warn}
	if m != nil {
		h := m.Handler(metrics.HandlerOptions{
			Ready:   func() bool { return true }, // started only once gRPC serves
			Pprof:   cfg.Pprof,
			Version: &metrics.VersionInfo{Component: "immudb", Version: Version, BuildTime: BuildDate},
		})
		ms, err := metrics.Listen(hostPort(cfg, cfg.MetricsServerPort), h)
		if err != nil {
			return nil, fmt.Errorf("metrics server: %w", err)
		}
		f.metrics = ms
	}
	if cfg.WebServer {
		if err := f.startWeb(ctx, cfg, srv); err != nil {
			f.stopMetrics(context.Background())
			return nil, err
		}
	}
	return f, nil
}

// startWeb connects the REST gateway to our gRPC server in-process, so REST
// calls pass through the same interceptors, authentication and metrics as
// gRPC calls, with or without TLS and mTLS (the gateway holds no client
// certificate; under --mtls the HTTPS front checks the REST caller's).
func (f *fronts) startWeb(ctx context.Context, cfg *Config, srv *server.Server) error {
	conn, err := srv.DialInProcess()
	if err != nil {
		return fmt.Errorf("web server: %w", err)
	}
	h, err := web.NewHandler(ctx, conn)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("web server: %w", err)
	}
	tc, err := tlsConfigFor(cfg)
	if err != nil {
		_ = conn.Close()
		return err
	}
	ws, err := web.Listen(hostPort(cfg, cfg.WebServerPort), h, tc)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("web server: %w", err)
	}
	f.web, f.webConn = ws, conn
	return nil
}

// tlsConfigFor is the HTTPS configuration of the REST front: the gRPC
// port's certificate and, under --mtls, the same demand for a client
// certificate signed by --clientcas.
func tlsConfigFor(cfg *Config) (*tls.Config, error) {
	if cfg.Certificate == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.Certificate, cfg.Pkey)
	if err != nil {
		return nil, fmt.Errorf("loading the web server certificate: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if cfg.MTLS {
		pem, err := os.ReadFile(cfg.ClientCAs)
		if err != nil {
			return nil, fmt.Errorf("reading the web server client CAs: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("web server: no certificate in %s", cfg.ClientCAs)
		}
		tc.ClientCAs, tc.ClientAuth = pool, tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

func (f *fronts) stopWeb(ctx context.Context) {
	if f.web != nil {
		if err := f.web.Shutdown(ctx); err != nil {
			f.log("stopping the web server", "err", err)
		}
	}
	if f.webConn != nil {
		_ = f.webConn.Close()
	}
}

func (f *fronts) stopMetrics(ctx context.Context) {
	if f.metrics != nil {
		if err := f.metrics.Shutdown(ctx); err != nil {
			f.log("stopping the metrics server", "err", err)
		}
	}
}
