package immudb

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

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

// startWeb connects the REST gateway to our own gRPC listener, so REST
// calls pass through the same interceptors, authentication and metrics.
func (f *fronts) startWeb(ctx context.Context, cfg *Config, srv *server.Server) error {
	if cfg.MTLS {
		// The gateway would need a client certificate the server trusts;
		// say so rather than serve a front that fails every call.
		cfg.Logger.Warn("web server disabled: the REST front does not support --mtls yet")
		return nil
	}
	creds, err := loopbackCreds(cfg)
	if err != nil {
		return err
	}
	conn, err := web.Dial(srv.Addr().String(), creds)
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

// loopbackCreds are the credentials the gateway uses to reach our own TLS
// port: the server certificate is pinned by its exact bytes (the
// certificate may not name the loopback address, and no CA is involved).
func loopbackCreds(cfg *Config) (credentials.TransportCredentials, error) {
	if cfg.Certificate == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(cfg.Certificate, cfg.Pkey)
	if err != nil || len(cert.Certificate) == 0 {
		return nil, fmt.Errorf("loading the server certificate for the web gateway: %w", err)
	}
	own := cert.Certificate[0]
	return credentials.NewTLS(&tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the exact pin below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], own) {
				return errors.New("web gateway: the gRPC port presented another certificate")
			}
			return nil
		},
	}), nil
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
