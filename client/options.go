package client

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	"google.golang.org/grpc"

	"github.com/attestdb/attestdb/proof"
)

// Defaults, as in immudb's Go client.
const (
	DefaultAddress           = "127.0.0.1"
	DefaultPort              = 3322
	DefaultMaxRecvMsgSize    = 4 << 20 // 4 MiB
	DefaultKeepAliveInterval = 60 * time.Second
	DefaultKeepAliveTimeout  = 3 * time.Second
	DefaultDir               = "."
	DefaultStreamChunkSize   = 64 << 10
)

// MTLSOptions configures TLS with a client certificate. When Certificate
// and Pkey are empty only the server is authenticated (plain TLS).
type MTLSOptions struct {
	ServerName  string // expected server name in its certificate
	Certificate string // PEM file of the client certificate
	Pkey        string // PEM file of the client private key
	ClientCAs   string // PEM file of the CA that signed the server certificate
}

// Options configures a Client. Start from DefaultOptions and change fields.
type Options struct {
	Address string
	Port    int

	// Dir holds the local state and identity files (FileStateStore).
	Dir string
	// StateStore overrides the store built from Dir (e.g. NewMemStateStore()).
	StateStore StateStore

	// MTLs turns on TLS with MTLSOptions; TLSConfig, when set, is used as is.
	MTLs        bool
	MTLsOptions MTLSOptions
	TLSConfig   *tls.Config

	// DialOptions are added after the client's own (credentials, message
	// size); use them for a custom dialer or extra interceptors, which run
	// inside the client's own (its credentials are already in the context).
	DialOptions []grpc.DialOption

	// Conn, when set, is a connection shared with other clients (see Dial):
	// the client makes its calls on it instead of dialing, and its Close
	// leaves it open. TLS, DialOptions and MaxRecvMsgSize are then the
	// connection's (those given to Dial), but Address and Port must still
	// name its server: they key the identity file that pins the server's
	// UUID (FileStateStore.CheckIdentity) and appear in identity errors.
	Conn *grpc.ClientConn

	// MaxRecvMsgSize bounds one received message (bytes).
	MaxRecvMsgSize int

	// ServerSigningPubKey, when set, is checked against every state the
	// client is about to trust.
	ServerSigningPubKey *ecdsa.PublicKey

	// KeepAliveInterval is the session KeepAlive period; 0 disables it.
	KeepAliveInterval time.Duration

	// Database is the database selected by OpenSession.
	Database string

	// StreamChunkSize is the size of chunks sent on streams.
	StreamChunkSize int
}

// DefaultOptions returns the options immudb's client starts from.
func DefaultOptions() Options {
	return Options{
		Address:           DefaultAddress,
		Port:              DefaultPort,
		Dir:               DefaultDir,
		MaxRecvMsgSize:    DefaultMaxRecvMsgSize,
		KeepAliveInterval: DefaultKeepAliveInterval,
		Database:          "defaultdb",
		StreamChunkSize:   DefaultStreamChunkSize,
	}
}

// WithAddress returns o with the server address.
func (o Options) WithAddress(a string) Options { o.Address = a; return o }

// WithPort returns o with the server port.
func (o Options) WithPort(p int) Options { o.Port = p; return o }

// WithDir returns o with the state directory.
func (o Options) WithDir(d string) Options { o.Dir = d; return o }

// WithStateStore returns o with an explicit state store.
func (o Options) WithStateStore(s StateStore) Options { o.StateStore = s; return o }

// WithMTLs returns o with TLS on or off.
func (o Options) WithMTLs(on bool) Options { o.MTLs = on; return o }

// WithMTLsOptions returns o with the TLS files.
func (o Options) WithMTLsOptions(m MTLSOptions) Options { o.MTLsOptions = m; return o }

// WithConn returns o with a shared connection (see Options.Conn).
func (o Options) WithConn(cc *grpc.ClientConn) Options { o.Conn = cc; return o }

// WithDialOptions returns o with extra dial options.
func (o Options) WithDialOptions(d ...grpc.DialOption) Options { o.DialOptions = d; return o }

// WithMaxRecvMsgSize returns o with the receive limit.
func (o Options) WithMaxRecvMsgSize(n int) Options { o.MaxRecvMsgSize = n; return o }

// WithServerSigningPubKey returns o with the key that signs server states.
func (o Options) WithServerSigningPubKey(k *ecdsa.PublicKey) Options {
	o.ServerSigningPubKey = k
	return o
}

// WithKeepAliveInterval returns o with the session keep-alive period.
func (o Options) WithKeepAliveInterval(d time.Duration) Options {
	o.KeepAliveInterval = d
	return o
}

// WithDatabase returns o with the database OpenSession selects.
func (o Options) WithDatabase(db string) Options { o.Database = db; return o }

// LoadServerSigningPubKey reads a PEM "PUBLIC KEY" file (the file given to
// immuclient's --server-signing-pub-key).
func LoadServerSigningPubKey(path string) (*ecdsa.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read server signing public key: %w", err)
	}
	k, err := proof.ParsePublicKeyPEM(b)
	if err != nil {
		return nil, fmt.Errorf("parse server signing public key %s: %w", path, err)
	}
	return k, nil
}

// Target is "address:port", the form used for dialing.
func (o Options) Target() string {
	return net.JoinHostPort(o.Address, strconv.Itoa(o.Port))
}

// identityAddress is "address:port" written as immudb's client writes it
// (no brackets around IPv6), the key of the identity file.
func (o Options) identityAddress() string {
	return o.Address + ":" + strconv.Itoa(o.Port)
}

// Validate reports options that cannot work.
func (o Options) Validate() error {
	switch {
	case o.Address == "":
		return fmt.Errorf("%w: empty address", ErrIllegalArgument)
	case o.Port <= 0 || o.Port > 65535:
		return fmt.Errorf("%w: port %d out of range", ErrIllegalArgument, o.Port)
	case o.MaxRecvMsgSize <= 0:
		return fmt.Errorf("%w: MaxRecvMsgSize must be positive", ErrIllegalArgument)
	case o.KeepAliveInterval < 0:
		return fmt.Errorf("%w: negative KeepAliveInterval", ErrIllegalArgument)
	case o.StreamChunkSize != 0 && o.StreamChunkSize < 4096:
		return fmt.Errorf("%w: StreamChunkSize must be at least 4096", ErrIllegalArgument)
	case o.StateStore == nil && o.Dir == "":
		return fmt.Errorf("%w: no state directory and no state store", ErrIllegalArgument)
	}
	return nil
}

// tlsConfig builds the TLS configuration of the MTLs options.
func (o Options) tlsConfig() (*tls.Config, error) {
	if o.TLSConfig != nil {
		return o.TLSConfig.Clone(), nil
	}
	m := o.MTLsOptions
	cfg := &tls.Config{ServerName: m.ServerName, MinVersion: tls.VersionTLS12}
	if m.Certificate != "" || m.Pkey != "" {
		cert, err := tls.LoadX509KeyPair(m.Certificate, m.Pkey)
		if err != nil {
			return nil, fmt.Errorf("load client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	if m.ClientCAs != "" {
		pem, err := os.ReadFile(m.ClientCAs)
		if err != nil {
			return nil, fmt.Errorf("read CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: no certificate in CA file %s", ErrIllegalArgument, m.ClientCAs)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
