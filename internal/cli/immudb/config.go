package immudb

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/attestdb/attestdb/server/auth"
)

// ErrInvalidConfig wraps every validation error.
var ErrInvalidConfig = errors.New("invalid configuration")

// Config is the validated, typed configuration of the server.
type Config struct {
	Dir            string
	Address        string
	Port           int
	ConfigFile     string // the config file that was read, "" if none
	Pidfile        string
	Logfile        string
	LogFormat      string // "text" or "json"
	MTLS           bool
	Auth           bool
	MaxRecvMsgSize int
	NoHistograms   bool
	Detached       bool
	Certificate    string
	Pkey           string
	ClientCAs      string
	DevMode        bool
	// AdminPassword is the --admin-password value as given: plain text or
	// "enc:"+base64 (auth.DecodeAdminPassword decodes it; Validate checks
	// that it decodes). Kept raw so it is decoded exactly once, by the
	// server.
	AdminPassword      string
	ForceAdminPassword bool
	Maintenance        bool
	SigningKey         string
	Synced             bool
	TokenExpiry        time.Duration // --token-expiry-time, given in minutes
	MetricsServer      bool
	MetricsServerPort  int
	Pprof              bool // net/http/pprof under /debug/pprof/ of the metrics server
	WebServer          bool
	WebServerPort      int
	SwaggerUI          bool
	MaxSessions        int
	// Session timing (see server/session).
	MaxSessionInactivityTime   time.Duration
	MaxSessionAgeTime          time.Duration
	SessionTimeout             time.Duration
	SessionsGuardCheckInterval time.Duration
	GRPCReflection             bool
	ConsistencyCheck           bool
	MaxActiveDatabases         int

	// Logger is set by the command before RunServer is called.
	Logger *slog.Logger
}

// DefaultConfig returns the configuration with every default applied.
func DefaultConfig() Config {
	return Config{
		Dir:                        DefaultDir,
		Address:                    DefaultAddress,
		Port:                       DefaultPort,
		LogFormat:                  "text",
		Auth:                       true,
		MaxRecvMsgSize:             DefaultMaxRecvMsgSize,
		AdminPassword:              auth.DefaultAdminPassword,
		Synced:                     true,
		TokenExpiry:                DefaultTokenExpiryMin * time.Minute,
		MetricsServer:              true,
		MetricsServerPort:          DefaultMetricsPort,
		WebServer:                  true,
		WebServerPort:              DefaultWebServerPort,
		SwaggerUI:                  true,
		MaxSessions:                DefaultMaxSessions,
		MaxSessionInactivityTime:   DefaultMaxInactivityTime,
		SessionTimeout:             DefaultSessionTimeout,
		SessionsGuardCheckInterval: DefaultGuardInterval,
		GRPCReflection:             true,
		ConsistencyCheck:           true,
		MaxActiveDatabases:         DefaultMaxActiveDBs,
	}
}

// ListenAddress returns host:port for the gRPC listener.
func (c *Config) ListenAddress() string {
	if strings.Contains(c.Address, ":") { // IPv6 literal
		return fmt.Sprintf("[%s]:%d", c.Address, c.Port)
	}
	return fmt.Sprintf("%s:%d", c.Address, c.Port)
}

// TLSEnabled reports whether the gRPC port serves TLS.
func (c *Config) TLSEnabled() bool { return c.Certificate != "" }

// Validate checks the configuration and returns every problem found,
// joined, each wrapping ErrInvalidConfig.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrInvalidConfig}, args...)...))
	}
	if strings.TrimSpace(c.Dir) == "" {
		bad("dir must not be empty")
	}
	if strings.TrimSpace(c.Address) == "" || strings.ContainsAny(c.Address, " \t/") {
		bad("address %q is not a host name or IP address", c.Address)
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"port", c.Port}, {"metrics-server-port", c.MetricsServerPort}, {"web-server-port", c.WebServerPort}} {
		// 0 asks the OS for a free port (handy for tests).
		if p.v < 0 || p.v > 65535 {
			bad("%s %d is out of range 0-65535", p.name, p.v)
		}
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("logformat %q: use text or json", c.LogFormat)
	}
	if c.Certificate != "" && c.Pkey == "" {
		bad("certificate is set but pkey is missing")
	}
	if c.Pkey != "" && c.Certificate == "" {
		bad("pkey is set but certificate is missing")
	}
	if c.MTLS {
		if c.Certificate == "" || c.Pkey == "" {
			bad("mtls needs certificate and pkey")
		}
		if c.ClientCAs == "" {
			bad("mtls needs clientcas")
		}
	}
	if c.MaxRecvMsgSize <= 0 {
		bad("max-recv-msg-size must be positive, got %d", c.MaxRecvMsgSize)
	}
	if c.TokenExpiry <= 0 {
		bad("token-expiry-time must be a positive number of minutes")
	}
	if c.MaxSessions <= 0 {
		bad("max-sessions must be positive, got %d", c.MaxSessions)
	}
	if c.MaxActiveDatabases <= 0 {
		bad("max-active-databases must be positive, got %d", c.MaxActiveDatabases)
	}
	for _, d := range []struct {
		name    string
		v       time.Duration
		zeroOK  bool
		meaning string
	}{
		{"session-timeout", c.SessionTimeout, true, "no timeout"},
		{"max-session-inactivity-time", c.MaxSessionInactivityTime, true, "never inactive"},
		{"max-session-age-time", c.MaxSessionAgeTime, true, "no limit"},
		{"sessions-guard-check-interval", c.SessionsGuardCheckInterval, false, ""},
	} {
		switch {
		case d.v < 0:
			bad("%s must not be negative, got %v", d.name, d.v)
		case d.v == 0 && !d.zeroOK:
			bad("%s must be positive", d.name)
		case d.v > 0 && d.v < time.Millisecond:
			// A bare number in a config file is read as nanoseconds.
			bad("%s %v is too small: give a unit, e.g. 2m or 90s", d.name, d.v)
		}
	}
	if _, err := auth.DecodeAdminPassword(c.AdminPassword); err != nil {
		bad("admin-password: %v", err)
	}
	return errors.Join(errs...)
}
