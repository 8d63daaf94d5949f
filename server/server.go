package server

import (
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/codec"
	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/database"
	"github.com/attestdb/attestdb/proof"
	"github.com/attestdb/attestdb/server/auth"
	"github.com/attestdb/attestdb/server/identity"
	"github.com/attestdb/attestdb/server/session"
)

// ErrServerClosed is returned by Serve/Start after Stop, and by a second
// Serve.
var ErrServerClosed = errors.New("server closed")

// Server is the immudb-compatible gRPC server. Create it with New, run it
// with Start or Serve, and stop it with Stop.
type Server struct {
	opts      Options
	log       *slog.Logger
	uuid      identity.ID
	uuidStr   string
	uuidMD    metadata.MD // the immudb-uuid header of every answer
	startedAt time.Time

	users    *auth.Users
	tokens   *auth.Tokens
	sessions *session.Manager
	dbs      Databases
	signer   *ecdsa.PrivateKey
	monitor  *consistencyMonitor // nil when the backend cannot verify

	// singleDB: only defaultdb and the superuser existed at start and no
	// database or user was created since; a Login token then selects
	// defaultdb by itself (API.md §2.3).
	singleDB atomic.Bool

	grpc   *grpc.Server
	inproc *pipeListener // the REST gateway's listener (inprocess.go), nil until used

	mu       sync.Mutex
	lis      net.Listener
	serving  bool
	stopped  bool
	stopOnce sync.Once
	stopErr  error
}

// New opens everything the server needs in opts.Dir (identity, signing
// key, databases, users in systemdb) without listening yet.
func New(opts Options) (*Server, error) {
	return newServer(opts, nil, nil)
}

// newServer is New with the database layer and the user store replaced
// when not nil (tests).
func newServer(opts Options, dbs Databases, users auth.UserStore) (s *Server, err error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating data dir: %w", err)
	}
	s = &Server{opts: opts, log: opts.Logger, startedAt: time.Now()}

	if s.uuid, _, err = identity.LoadOrCreate(opts.Dir); err != nil {
		return nil, fmt.Errorf("server identity: %w", err)
	}
	s.uuidStr = s.uuid.String()
	s.uuidMD = metadata.Pairs(mdUUID, s.uuidStr)

	if opts.SigningKeyPath != "" {
		pem, err := os.ReadFile(opts.SigningKeyPath)
		if err != nil {
			return nil, fmt.Errorf("reading signing key: %w", err)
		}
		if s.signer, err = proof.ParseSigningKeyPEM(pem); err != nil {
			return nil, fmt.Errorf("signing key %s: %w", opts.SigningKeyPath, err)
		}
	}

	if dbs == nil {
		var signer database.Signer
		if s.signer != nil {
			signer = stateSigner{key: s.signer}
		}
		m, err := openDatabases(&opts, signer)
		if err != nil {
			return nil, err
		}
		dbs = m
		if users == nil {
			if users, err = newSystemUsers(m); err != nil {
				_ = m.Close()
				return nil, err
			}
		}
	}
	defer func() {
		if err != nil {
			_ = dbs.Close()
		}
	}()
	if users == nil {
		users = auth.NewFileStore(opts.Dir)
	}
	adminPW := opts.AdminPassword
	if adminPW != "" {
		if adminPW, err = auth.DecodeAdminPassword(adminPW); err != nil {
			return nil, err
		}
	}
	var res auth.OpenResult
	s.users, res, err = auth.OpenUsers(users, auth.Options{
		AdminPassword: adminPW, ForceAdminPassword: opts.ForceAdminPassword, BcryptCost: opts.BcryptCost,
	})
	if err != nil {
		return nil, err
	}
	if res.Reset {
		s.log.Info("superuser password reset by --force-admin-password", "user", auth.SysAdminUsername)
	}
	s.tokens = auth.NewTokens(auth.TokenOptions{Expiry: opts.TokenExpiry})

	so := session.DefaultOptions()
	so.MaxSessions = opts.MaxSessions
	so.Timeout = opts.SessionTimeout
	if opts.MaxSessionInactivity > 0 {
		so.MaxInactivityTime = opts.MaxSessionInactivity
	}
	so.MaxAge = opts.MaxSessionAge
	so.OnExpire = func(i session.Info) { s.log.Debug("session expired", "user", i.Username) }
	if s.sessions, err = session.NewManager(so); err != nil {
		return nil, err
	}

	s.dbs = dbs
	s.singleDB.Store(len(dbs.List()) <= 1 && s.users.Count() <= 1)

	if c, ok := dbs.(integrityChecker); ok {
		s.monitor = newConsistencyMonitor(s, c, opts.ConsistencyInterval)
	}
	if s.grpc, err = s.newGRPC(); err != nil {
		return nil, err
	}
	return s, nil
}

// newGRPC builds the grpc.Server with our interceptors and services.
func (s *Server) newGRPC() (*grpc.Server, error) {
	unary := append(append([]grpc.UnaryServerInterceptor(nil), s.opts.UnaryInterceptors...), s.unaryInterceptor)
	stream := append(append([]grpc.StreamServerInterceptor(nil), s.opts.StreamInterceptors...), s.streamInterceptor)
	gopts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(s.opts.MaxRecvMsgSize),
		grpc.ChainUnaryInterceptor(unary...),
		grpc.ChainStreamInterceptor(stream...),
		// Reused stream goroutines keep their grown stacks: without them
		// every call starts a fresh goroutine whose stack is copied as it
		// grows (about a tenth of the CPU of a Get in profiles).
		grpc.NumStreamWorkers(streamWorkers()),
		// Fewer WINDOW_UPDATE frames for large answers (scans, history).
		grpc.InitialWindowSize(1 << 20),
		grpc.InitialConnWindowSize(8 << 20),
		// Generated marshalling, same bytes (api/codec); for every connection
		// of this server only, not registered globally.
		grpc.ForceServerCodecV2(codec.Codec{}),
	}
	if s.opts.TLSCertFile != "" {
		tc, err := s.tlsConfig()
		if err != nil {
			return nil, err
		}
		gopts = append(gopts, grpc.Creds(inProcessCreds{credentials.NewTLS(tc)}))
	}
	g := grpc.NewServer(gopts...)
	schema.RegisterImmuServiceServer(g, &immuService{s: s})
	authorization.RegisterAuthorizationServiceServer(g, &authService{s: s})
	if s.opts.GRPCReflection {
		reflection.Register(g)
	}
	return g, nil
}

// streamWorkers is the number of goroutines kept to run calls; busier
// moments still get a goroutine per call. Writes wait for an fsync while
// they hold their worker, so the pool must cover the calls in flight, not
// the cores: with 16 workers, 128 concurrent Sets spent 9% of the server's
// CPU growing fresh goroutine stacks, with 128 per core under 1%. An idle
// worker costs only its stack.
func streamWorkers() uint32 { return uint32(128 * runtime.GOMAXPROCS(0)) }

func (s *Server) tlsConfig() (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(s.opts.TLSCertFile, s.opts.TLSKeyFile)
	if err != nil {
		return nil, fmt.Errorf("loading TLS certificate: %w", err)
	}
	tc := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if s.opts.MTLS {
		pem, err := os.ReadFile(s.opts.ClientCAsFile)
		if err != nil {
			return nil, fmt.Errorf("reading client CAs: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: no certificate in %s", ErrBadOptions, s.opts.ClientCAsFile)
		}
		tc.ClientCAs = pool
		tc.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return tc, nil
}

// GRPCServer returns the underlying grpc.Server, e.g. to initialise
// per-method metrics. Do not register services or stop it directly.
func (s *Server) GRPCServer() *grpc.Server { return s.grpc }

// UUID returns the server identity sent as the immudb-uuid header.
func (s *Server) UUID() string { return s.uuidStr }

// Addr returns the listening address, nil before Start/Serve.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lis == nil {
		return nil
	}
	return s.lis.Addr()
}

// Start listens on Options.Address and serves in the background. It returns
// once the listener is open, so Addr is valid.
func (s *Server) Start() error {
	lis, err := net.Listen("tcp", s.opts.Address)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", s.opts.Address, err)
	}
	if err := s.attach(lis); err != nil {
		_ = lis.Close()
		return err
	}
	go func() {
		if err := s.grpc.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			s.log.Error("grpc server stopped", "err", err)
		}
	}()
	return nil
}

// Serve serves on lis until Stop; it returns nil after a Stop.
func (s *Server) Serve(lis net.Listener) error {
	if err := s.attach(lis); err != nil {
		return err
	}
	err := s.grpc.Serve(lis)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

func (s *Server) attach(lis net.Listener) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped || s.serving {
		return ErrServerClosed
	}
	s.lis, s.serving = lis, true
	s.sessions.Start()
	if s.monitor != nil && s.opts.ConsistencyCheck {
		s.monitor.started = true
		go s.monitor.run()
	}
	s.log.Info("immudb server listening", "address", lis.Addr().String(), "uuid", s.uuidStr,
		"tls", s.opts.TLSCertFile != "", "auth", s.opts.Auth)
	if u, ok := s.users.Get(auth.SysAdminUsername); ok && s.opts.Auth {
		if match, _ := auth.CheckPassword([]byte(u.PasswordHash), auth.DefaultAdminPassword); match {
			s.log.Warn("superuser has the default password: please change it", "user", auth.SysAdminUsername)
		}
	}
	return nil
}

// Stop stops gracefully: no new connections or calls, in-flight calls
// finish, then sessions and databases are closed (so every acknowledged tx
// is flushed). When ctx ends first, remaining calls are cancelled and the
// databases are still closed. Stop is idempotent.
func (s *Server) Stop(ctx context.Context) error {
	s.stopOnce.Do(func() {
		s.mu.Lock()
		s.stopped = true
		s.mu.Unlock()

		done := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(done)
		}()
		select {
		case <-done:
		case <-ctx.Done():
			s.grpc.Stop()
			<-done
		}
		s.sessions.Close()
		if s.monitor != nil {
			s.mu.Lock()
			s.monitor.close()
			s.mu.Unlock()
		}
		if err := s.dbs.Close(); err != nil {
			s.stopErr = fmt.Errorf("closing databases: %w", err)
		}
		s.log.Info("immudb server stopped")
	})
	return s.stopErr
}
