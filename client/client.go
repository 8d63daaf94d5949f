package client

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/codec"
	"github.com/attestdb/attestdb/api/schema"
)

// Metadata keys of the immudb protocol (API.md §2, §4).
const (
	MetaSessionID     = "sessionid"
	MetaAuthorization = "authorization"
	MetaServerUUID    = "immudb-uuid"
)

// Client is a connection to an immudb-compatible server. All methods are
// safe for concurrent use.
type Client struct {
	opts  Options
	conn  *grpc.ClientConn
	svc   schema.ImmuServiceClient
	store StateStore

	// sessMu serialises the calls that change the auth mode (OpenSession,
	// CloseSession, Login, Logout, Close); it is taken before mu.
	sessMu sync.Mutex

	// out caches the outgoing metadata of the last (sessionID, token) seen
	// by a call (outgoing); it is checked against them on every call.
	out atomic.Pointer[outgoingMD]

	mu         sync.RWMutex // guards the fields below
	sessionID  string
	token      string
	db         string
	serverUUID string
	closed     bool
	kaStop     chan struct{} // closed to stop the keep-alive goroutine
	kaDone     chan struct{} // closed when it has stopped
}

// New prepares a client. The connection is made lazily, on the first call.
func New(opts Options) (*Client, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	store := opts.StateStore
	if store == nil {
		fs, err := NewFileStateStore(opts.Dir)
		if err != nil {
			return nil, err
		}
		store = fs
	}
	c := &Client{opts: opts, store: store}
	cc := opts.Conn
	if cc == nil {
		conn, err := dial(opts)
		if err != nil {
			return nil, err
		}
		c.conn, cc = conn, conn
	}
	// The connection carries no client's interceptors, whether it is this
	// client's own or shared: the client runs its own around each of its
	// calls (clientConn), so both cases take one path.
	c.svc = schema.NewImmuServiceClient(&clientConn{cc: cc, c: c})
	return c, nil
}

// Dial opens a connection with the transport options of opts (address,
// TLS, message size, DialOptions) for several clients to share through
// Options.Conn: their sessions are multiplexed over it, and the frames of
// their calls leave in fewer writes. The caller closes it after the
// clients.
func Dial(opts Options) (*grpc.ClientConn, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return dial(opts)
}

func dial(opts Options) (*grpc.ClientConn, error) {
	creds := insecure.NewCredentials()
	if opts.MTLs || opts.TLSConfig != nil {
		cfg, err := opts.tlsConfig()
		if err != nil {
			return nil, err
		}
		creds = credentials.NewTLS(cfg)
	}
	d := []grpc.DialOption{
		grpc.WithTransportCredentials(creds),
		// api/codec: generated marshalling, the same bytes as grpc's codec.
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(opts.MaxRecvMsgSize), grpc.ForceCodecV2(codec.Codec{})),
	}
	d = append(d, opts.DialOptions...)
	conn, err := grpc.NewClient(opts.Target(), d...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", opts.Target(), err)
	}
	return conn, nil
}

// clientConn runs a client's interceptors around the calls it makes on its
// connection, its own or one shared with other clients (Options.Conn).
type clientConn struct {
	cc *grpc.ClientConn
	c  *Client
}

func (s *clientConn) Invoke(ctx context.Context, method string, req, reply any, opts ...grpc.CallOption) error {
	return s.c.unaryInterceptor(ctx, method, req, reply, s.cc, invokeOn, opts...)
}

func (s *clientConn) NewStream(ctx context.Context, desc *grpc.StreamDesc, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return s.c.streamInterceptor(ctx, desc, s.cc, method, streamOn, opts...)
}

func invokeOn(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
	return cc.Invoke(ctx, method, req, reply, opts...)
}

func streamOn(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return cc.NewStream(ctx, desc, method, opts...)
}

// Service gives direct access to the generated gRPC client; calls made
// through it carry the client's credentials too.
func (c *Client) Service() schema.ImmuServiceClient { return c.svc }

// Options returns the options the client was built with.
func (c *Client) Options() Options { return c.opts }

// StateStore returns the store of trusted states.
func (c *Client) StateStore() StateStore { return c.store }

// ServerUUID is the server identity learnt from OpenSession or from the
// immudb-uuid response header ("" until known).
func (c *Client) ServerUUID() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.serverUUID
}

// CurrentDatabase is the database the client's states are kept under.
func (c *Client) CurrentDatabase() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.db
}

// IsConnected reports whether a session is open or a token is held.
func (c *Client) IsConnected() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sessionID != "" || c.token != ""
}

// Token returns the login token of the legacy flow ("" in session mode).
func (c *Client) Token() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.token
}

// SetToken installs a token obtained earlier (immuclient keeps it in a
// file) and the database it selects.
func (c *Client) SetToken(token, db string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.token, c.db = token, db
}

// credentials returns the outgoing metadata of the current auth mode.
func (c *Client) outgoing(ctx context.Context) (context.Context, error) {
	c.mu.RLock()
	sid, tok, closed := c.sessionID, c.token, c.closed
	c.mu.RUnlock()
	if closed {
		return nil, ErrClosed
	}
	// The metadata is built once per (session, token) and shared by the
	// calls: it is never modified after it is published, and grpc only reads
	// it. A context that carries the caller's own metadata gets ours
	// appended instead.
	out := c.out.Load()
	if out == nil || out.sid != sid || out.tok != tok {
		out = newOutgoingMD(sid, tok)
		c.out.Store(out)
	}
	if _, has := metadata.FromOutgoingContext(ctx); !has {
		return metadata.NewOutgoingContext(ctx, out.md), nil
	}
	return metadata.AppendToOutgoingContext(ctx, out.kv...), nil
}

// outgoingMD is the metadata every call of one auth state sends.
type outgoingMD struct {
	sid, tok string
	kv       []string
	md       metadata.MD
}

func newOutgoingMD(sid, tok string) *outgoingMD {
	// immudb's client always sends the authorization header, empty in session
	// mode; the server decides the mode from sessionid.
	kv := []string{MetaAuthorization, "Bearer " + tok}
	if sid != "" {
		kv = append(kv, MetaSessionID, sid)
	}
	return &outgoingMD{sid: sid, tok: tok, kv: kv, md: metadata.Pairs(kv...)}
}

// observeUUID adopts the first server UUID seen and rejects a change.
func (c *Client) observeUUID(h metadata.MD) error {
	v := h.Get(MetaServerUUID)
	if len(v) == 0 || v[0] == "" {
		return nil
	}
	// Every answer carries the UUID: check it under the shared lock, so the
	// workers of one client do not serialise here.
	c.mu.RLock()
	known := c.serverUUID
	c.mu.RUnlock()
	if known == v[0] {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.serverUUID == "" {
		c.serverUUID = v[0]
		return nil
	}
	if c.serverUUID != v[0] {
		return identityError(c.opts.Target(), c.serverUUID, v[0], "")
	}
	return nil
}

func (c *Client) unaryInterceptor(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	ctx, err := c.outgoing(ctx)
	if err != nil {
		return err
	}
	var hdr metadata.MD
	opts = append(opts, grpc.Header(&hdr))
	err = invoker(ctx, method, req, reply, cc, opts...)
	if uerr := c.observeUUID(hdr); uerr != nil {
		return uerr
	}
	return err
}

func (c *Client) streamInterceptor(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	ctx, err := c.outgoing(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, err
	}
	return &uuidCheckedStream{ClientStream: cs, c: c}, nil
}

// uuidCheckedStream applies the server identity check of unary calls to
// streams: before the first message is handed out.
type uuidCheckedStream struct {
	grpc.ClientStream
	c       *Client
	checked bool
}

func (s *uuidCheckedStream) RecvMsg(m any) error {
	if !s.checked {
		s.checked = true
		if h, err := s.ClientStream.Header(); err == nil {
			if err := s.c.observeUUID(h); err != nil {
				return err
			}
		}
	}
	return s.ClientStream.RecvMsg(m)
}

// OpenSession opens a session on db (lower-cased, like the server does) and
// starts the keep-alive goroutine.
func (c *Client) OpenSession(ctx context.Context, user, password []byte, db string) error {
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	c.mu.RLock()
	busy := c.sessionID != "" || c.token != ""
	c.mu.RUnlock()
	if busy {
		return ErrSessionAlreadyOpen
	}
	if db == "" {
		db = c.opts.Database
	}
	db = strings.ToLower(db)
	resp, err := c.svc.OpenSession(ctx, &schema.OpenSessionRequest{Username: user, Password: password, DatabaseName: db})
	if err != nil {
		return wrapRPC(err)
	}
	if resp.GetServerUUID() == "" {
		// Without a UUID no state can be keyed: immudb refuses the same way.
		_, _ = c.closeSessionRPC(resp.GetSessionID())
		return ErrNoServerUUID
	}
	c.mu.Lock()
	if c.serverUUID != "" && c.serverUUID != resp.GetServerUUID() {
		pinned := c.serverUUID
		c.mu.Unlock()
		_, _ = c.closeSessionRPC(resp.GetSessionID())
		return identityError(c.opts.Target(), pinned, resp.GetServerUUID(), "")
	}
	c.sessionID, c.serverUUID, c.db = resp.GetSessionID(), resp.GetServerUUID(), db
	c.mu.Unlock()
	c.startKeepAlive()
	return nil
}

// closeSessionRPC closes a session given by id, for sessions the client
// refuses to adopt.
func (c *Client) closeSessionRPC(id string) (*emptypb.Empty, error) {
	ctx, cancel := context.WithTimeout(context.Background(), DefaultKeepAliveTimeout)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, MetaSessionID, id)
	return c.svc.CloseSession(ctx, &emptypb.Empty{})
}

// CloseSession ends the session. The client forgets it even when the server
// call fails (the session then expires on the server).
func (c *Client) CloseSession(ctx context.Context) error {
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	return c.closeSession(ctx)
}

func (c *Client) closeSession(ctx context.Context) error {
	c.mu.RLock()
	open := c.sessionID != ""
	c.mu.RUnlock()
	if !open {
		return ErrNoSession
	}
	c.stopKeepAlive()
	_, err := c.svc.CloseSession(ctx, &emptypb.Empty{})
	c.mu.Lock()
	c.sessionID = ""
	c.mu.Unlock()
	return wrapRPC(err)
}

func (c *Client) startKeepAlive() {
	if c.opts.KeepAliveInterval <= 0 {
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	c.mu.Lock()
	c.kaStop, c.kaDone = stop, done
	c.mu.Unlock()
	go func() {
		defer close(done)
		t := time.NewTicker(c.opts.KeepAliveInterval)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), DefaultKeepAliveTimeout)
				// A failed keep-alive is not fatal: the next call reports
				// "session not found" if the session really expired.
				_, _ = c.svc.KeepAlive(ctx, &emptypb.Empty{})
				cancel()
			}
		}
	}()
}

func (c *Client) stopKeepAlive() {
	c.mu.Lock()
	stop, done := c.kaStop, c.kaDone
	c.kaStop, c.kaDone = nil, nil
	c.mu.Unlock()
	if stop != nil {
		close(stop)
		<-done
	}
}

// Login is the legacy token flow: it learns the server UUID with a Health
// call when still unknown, then logs in and keeps the token. The current
// database is "" until UseDatabase (as in immuclient).
func (c *Client) Login(ctx context.Context, user, password []byte) (*schema.LoginResponse, error) {
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	c.mu.RLock()
	busy, known := c.sessionID != "", c.serverUUID != ""
	c.mu.RUnlock()
	if busy {
		return nil, ErrSessionAlreadyOpen
	}
	if !known {
		if _, err := c.Health(ctx); err != nil {
			return nil, err
		}
	}
	resp, err := c.svc.Login(ctx, &schema.LoginRequest{User: user, Password: password})
	if err != nil {
		return nil, wrapRPC(err)
	}
	c.mu.Lock()
	c.token, c.db = string(resp.GetToken()), ""
	c.mu.Unlock()
	return resp, nil
}

// Logout ends a token login.
func (c *Client) Logout(ctx context.Context) error {
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	_, err := c.svc.Logout(ctx, &emptypb.Empty{})
	c.mu.Lock()
	c.token = ""
	c.mu.Unlock()
	return wrapRPC(err)
}

// UseDatabase selects db: the session switches database, and in token mode
// the returned token replaces the old one.
func (c *Client) UseDatabase(ctx context.Context, db string) (*schema.UseDatabaseReply, error) {
	resp, err := c.svc.UseDatabase(ctx, &schema.Database{DatabaseName: db})
	if err != nil {
		return nil, wrapRPC(err)
	}
	c.mu.Lock()
	if c.sessionID == "" {
		c.token = resp.GetToken()
	}
	c.db = db
	c.mu.Unlock()
	return resp, nil
}

// Close stops the keep-alive, closes an open session (best effort) and the
// connection, unless it is shared (Options.Conn). Later calls fail with
// ErrClosed.
func (c *Client) Close() error {
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	c.mu.RLock()
	open, closed := c.sessionID != "", c.closed
	c.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if open {
		ctx, cancel := context.WithTimeout(context.Background(), DefaultKeepAliveTimeout)
		_ = c.closeSession(ctx)
		cancel()
	}
	c.stopKeepAlive()
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	if c.conn == nil {
		return nil // shared: its owner closes it
	}
	return c.conn.Close()
}
