package immudb

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/attestdb/attestdb/server"
	"github.com/attestdb/attestdb/server/metrics"
)

// RunFunc starts the server with a validated Config and blocks until ctx is
// cancelled (SIGINT/SIGTERM) or the server fails.
type RunFunc func(ctx context.Context, cfg Config) error

// stopTimeout bounds the graceful stop: in-flight calls get this long to
// finish before they are cancelled; the databases are closed either way.
const stopTimeout = 30 * time.Second

// RunServer builds the gRPC server and, when enabled, the metrics (:9497)
// and REST (:8080) fronts; serves until ctx ends; then stops everything,
// the gRPC server last but one so that every acknowledged transaction is
// flushed and the databases are closed.
func RunServer(ctx context.Context, cfg Config) error {
	opts := serverOptions(&cfg)
	var (
		m     *metrics.Metrics
		stats lateStats
	)
	if cfg.MetricsServer {
		m = metrics.New(metrics.Options{NoHistograms: cfg.NoHistograms, Stats: &stats, Start: time.Now()})
		// First in the chain, so refused calls are counted too.
		opts.UnaryInterceptors = append([]grpc.UnaryServerInterceptor{m.UnaryInterceptor()}, opts.UnaryInterceptors...)
		opts.StreamInterceptors = append([]grpc.StreamServerInterceptor{m.StreamInterceptor()}, opts.StreamInterceptors...)
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	stats.srv.Store(srv)
	if m != nil {
		m.InitializeMethods(srv.GRPCServer())
	}
	if err := srv.Start(); err != nil {
		_ = srv.Stop(context.Background())
		return err
	}
	fronts, err := startFronts(ctx, &cfg, srv, m)
	if err != nil {
		_ = srv.Stop(context.Background())
		return err
	}
	printBanner(&cfg, srv, fronts)
	<-ctx.Done()

	cfg.Logger.Info("shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	fronts.stopWeb(stopCtx)
	stopErr := srv.Stop(stopCtx)
	fronts.stopMetrics(stopCtx)
	if stopErr != nil && !errors.Is(stopErr, server.ErrServerClosed) {
		return fmt.Errorf("stopping the server: %w", stopErr)
	}
	cfg.Logger.Info("server stopped")
	return nil
}

// lateStats lets the metrics be built before the server whose databases
// they describe (the interceptors must exist when the server is created).
type lateStats struct{ srv atomic.Pointer[server.Server] }

func (l *lateStats) DatabaseStats() []metrics.DBStats {
	if s := l.srv.Load(); s != nil {
		return s.DatabaseStats()
	}
	return nil
}

// serverOptions maps the program's configuration onto the server's options.
func serverOptions(cfg *Config) server.Options {
	o := server.DefaultOptions(cfg.Dir)
	o.Address = cfg.ListenAddress()
	o.Auth = cfg.Auth
	o.AdminPassword = cfg.AdminPassword // decoded ("enc:") once, by the server
	o.ForceAdminPassword = cfg.ForceAdminPassword
	o.DevMode = cfg.DevMode
	o.Maintenance = cfg.Maintenance
	o.TLSCertFile = cfg.Certificate
	o.TLSKeyFile = cfg.Pkey
	o.MTLS = cfg.MTLS
	o.ClientCAsFile = cfg.ClientCAs
	o.MaxRecvMsgSize = cfg.MaxRecvMsgSize
	o.MaxSessions = cfg.MaxSessions
	o.SessionTimeout = cfg.SessionTimeout
	o.MaxSessionInactivity = cfg.MaxSessionInactivityTime
	o.MaxSessionAge = cfg.MaxSessionAgeTime
	o.SigningKeyPath = cfg.SigningKey
	o.Synced = cfg.Synced
	o.TokenExpiry = cfg.TokenExpiry
	o.GRPCReflection = cfg.GRPCReflection
	o.ConsistencyCheck = cfg.ConsistencyCheck
	o.MaxActiveDatabases = cfg.MaxActiveDatabases
	o.Logger = cfg.Logger
	o.Version = Version
	return o
}

// hostPort joins the configured address with one of the side ports.
func hostPort(cfg *Config, port int) string {
	return net.JoinHostPort(cfg.Address, strconv.Itoa(port))
}

// printBanner tells the operator where the server listens and, while the
// superuser still has its default password, how to log in and change it.
func printBanner(cfg *Config, srv *server.Server, f *fronts) {
	attrs := []any{"grpc", srv.Addr().String(), "dir", cfg.Dir, "uuid", srv.UUID()}
	if f.metrics != nil {
		attrs = append(attrs, "metrics", f.metrics.Addr().String())
	}
	if f.web != nil {
		attrs = append(attrs, "web", f.web.Addr().String())
	}
	if cfg.Maintenance {
		attrs = append(attrs, "maintenance", true)
	}
	cfg.Logger.Info("immudb is ready", attrs...)
	if cfg.Auth && cfg.AdminPassword == "" {
		cfg.Logger.Info("default superuser: immudb / immudb — log in with `immuadmin login immudb` and change the password")
	}
}
