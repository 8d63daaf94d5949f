package immudb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/attestdb/attestdb/server"
)

// RunFunc starts the server with a validated Config and blocks until ctx is
// cancelled (SIGINT/SIGTERM) or the server fails.
type RunFunc func(ctx context.Context, cfg Config) error

// stopTimeout bounds the graceful stop: in-flight calls get this long to
// finish before they are cancelled; the databases are closed either way.
const stopTimeout = 30 * time.Second

// RunServer builds the server from cfg, serves until ctx ends, then stops
// gracefully so that every acknowledged transaction is flushed and closed.
func RunServer(ctx context.Context, cfg Config) error {
	srv, err := server.New(serverOptions(&cfg))
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		_ = srv.Stop(context.Background())
		return err
	}
	printBanner(&cfg, srv)
	<-ctx.Done()
	cfg.Logger.Info("shutting down")
	stopCtx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := srv.Stop(stopCtx); err != nil && !errors.Is(err, server.ErrServerClosed) {
		return fmt.Errorf("stopping the server: %w", err)
	}
	cfg.Logger.Info("server stopped")
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
	o.MaxActiveDatabases = cfg.MaxActiveDatabases
	o.Logger = cfg.Logger
	o.Version = Version
	return o
}

// printBanner tells the operator where the server listens and, while the
// superuser still has its default password, how to log in and change it.
func printBanner(cfg *Config, srv *server.Server) {
	cfg.Logger.Info("immudb is ready",
		"grpc", srv.Addr().String(), "dir", cfg.Dir, "uuid", srv.UUID())
	if cfg.Auth && cfg.AdminPassword == "" {
		cfg.Logger.Info("default superuser: immudb / immudb — log in with `immuadmin login immudb` and change the password")
	}
}
