package server

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/grpc"

	"github.com/attestdb/attestdb/server/auth"
	"github.com/attestdb/attestdb/server/session"
)

// Defaults of the immudb flags that concern the server.
const (
	DefaultAddress            = "0.0.0.0:3322"
	DefaultMaxRecvMsgSize     = 32 << 20 // --max-recv-msg-size
	DefaultMaxActiveDatabases = 100
	// Version is what Health and ServerInfo report unless Options.Version
	// is set.
	Version = "1.11.1"
)

// ErrBadOptions is returned by New for inconsistent options.
var ErrBadOptions = errors.New("invalid server options")

// Options mirror the immudb flags that concern the gRPC server. Start from
// DefaultOptions: the zero value has authentication and reflection off.
type Options struct {
	Dir     string // --dir: data directory (identity, users, databases)
	Address string // "host:port" for Start; Serve takes its own listener

	Auth               bool   // --auth
	AdminPassword      string // --admin-password (plain or "enc:" base64)
	ForceAdminPassword bool   // --force-admin-password
	DevMode            bool   // --devmode: accept remote calls with auth off
	Maintenance        bool   // --maintenance: needs Auth off; writes refused (maintenance.go)

	TLSCertFile   string // --certificate
	TLSKeyFile    string // --pkey
	MTLS          bool   // --mtls
	ClientCAsFile string // --clientcas

	MaxRecvMsgSize int // --max-recv-msg-size, bytes

	MaxSessions          int           // --max-sessions
	SessionTimeout       time.Duration // --session-timeout
	MaxSessionInactivity time.Duration // --max-session-inactivity-time
	MaxSessionAge        time.Duration // --max-session-age-time (0 = none)

	SigningKeyPath string        // --signingKey: PEM EC private key
	Synced         bool          // --synced
	TokenExpiry    time.Duration // --token-expiry-time
	GRPCReflection bool          // --grpc-reflection

	MaxActiveDatabases int // --max-active-databases

	ConsistencyCheck    bool          // --consistency-check: periodic re-verification
	ConsistencyInterval time.Duration // 0 means DefaultConsistencyInterval

	// UnaryInterceptors and StreamInterceptors run before the server's own
	// (outermost first), so they see every call, refused ones included:
	// e.g. the metrics interceptors of server/metrics.
	UnaryInterceptors  []grpc.UnaryServerInterceptor
	StreamInterceptors []grpc.StreamServerInterceptor

	Logger  *slog.Logger // nil: slog.Default()
	Version string       // "" means Version

	// BcryptCost overrides the password hashing cost (tests).
	BcryptCost int
}

// DefaultOptions returns immudb's defaults for a server on dir.
func DefaultOptions(dir string) Options {
	so := session.DefaultOptions()
	return Options{
		Dir:                  dir,
		Address:              DefaultAddress,
		Auth:                 true,
		MaxRecvMsgSize:       DefaultMaxRecvMsgSize,
		MaxSessions:          so.MaxSessions,
		SessionTimeout:       so.Timeout,
		MaxSessionInactivity: so.MaxInactivityTime,
		MaxSessionAge:        so.MaxAge,
		Synced:               true,
		TokenExpiry:          auth.DefaultTokenExpiry,
		GRPCReflection:       true,
		MaxActiveDatabases:   DefaultMaxActiveDatabases,
		ConsistencyCheck:     true,
		ConsistencyInterval:  DefaultConsistencyInterval,
	}
}

func (o *Options) validate() error {
	switch {
	case o.Dir == "":
		return fmt.Errorf("%w: empty data dir", ErrBadOptions)
	case (o.TLSCertFile == "") != (o.TLSKeyFile == ""):
		return fmt.Errorf("%w: --certificate and --pkey go together", ErrBadOptions)
	case o.MTLS && (o.TLSCertFile == "" || o.ClientCAsFile == ""):
		return fmt.Errorf("%w: --mtls needs --certificate, --pkey and --clientcas", ErrBadOptions)
	case o.Maintenance && o.Auth:
		// immudb's startup check, with its text.
		return ErrAuthMustBeDisabled
	case o.MaxRecvMsgSize < 0, o.MaxSessions < 0, o.MaxActiveDatabases < 0:
		return fmt.Errorf("%w: negative limit", ErrBadOptions)
	}
	if o.MaxRecvMsgSize == 0 {
		o.MaxRecvMsgSize = DefaultMaxRecvMsgSize
	}
	if o.MaxSessions == 0 {
		o.MaxSessions = session.DefaultOptions().MaxSessions
	}
	if o.SessionTimeout == 0 {
		o.SessionTimeout = session.DefaultOptions().Timeout
	}
	if o.MaxActiveDatabases == 0 {
		o.MaxActiveDatabases = DefaultMaxActiveDatabases
	}
	if o.ConsistencyInterval <= 0 {
		o.ConsistencyInterval = DefaultConsistencyInterval
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Version == "" {
		o.Version = Version
	}
	return nil
}
