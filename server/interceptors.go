package server

import (
	"context"
	"fmt"
	"net"
	"runtime/debug"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/attestdb/attestdb/server/auth"
	"github.com/attestdb/attestdb/server/session"
)

// Metadata keys of the immudb wire protocol.
const (
	mdUUID          = "immudb-uuid"
	mdSessionID     = "sessionid"
	mdAuthorization = "authorization"
)

// caller is who makes the current call, resolved once by the interceptor.
type caller struct {
	user      *auth.User // nil without credentials
	database  string     // selected database, "" = none
	sessionID string     // set in the session flow
	token     string     // set in the token flow
}

type callerKey struct{}

func callerFrom(ctx context.Context) *caller {
	c, _ := ctx.Value(callerKey{}).(*caller)
	if c == nil {
		return &caller{}
	}
	return c
}

func (s *Server) unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (resp any, err error) {
	defer s.recoverCall(info.FullMethod, &err)
	ctx, err = s.admit(ctx, info.FullMethod, func(md metadata.MD) error { return grpc.SetHeader(ctx, md) })
	if err != nil {
		return nil, ToStatus(err)
	}
	resp, err = h(ctx, req)
	return resp, ToStatus(err)
}

func (s *Server) streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) (err error) {
	defer s.recoverCall(info.FullMethod, &err)
	ctx, err := s.admit(ss.Context(), info.FullMethod, ss.SetHeader)
	if err != nil {
		return ToStatus(err)
	}
	return ToStatus(h(srv, &ctxStream{ServerStream: ss, ctx: ctx}))
}

// recoverCall turns a handler panic into an Internal error: the server
// stays up and the stack goes to the log, not to the client.
func (s *Server) recoverCall(method string, err *error) {
	if r := recover(); r != nil {
		s.log.Error("panic in handler", "method", method, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		*err = ToStatus(ErrInternal)
	}
}

type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (c *ctxStream) Context() context.Context { return c.ctx }

// admit sets the immudb-uuid header, resolves the caller and checks the
// permission table. The header goes out first so that refused calls carry
// it too (API.md §4), except when the sessionid header is empty.
func (s *Server) admit(ctx context.Context, method string, setHeader func(metadata.MD) error) (context.Context, error) {
	// ValueFromIncomingContext reads the one key without copying the
	// whole metadata map, as FromIncomingContext would on every call.
	sids := metadata.ValueFromIncomingContext(ctx, mdSessionID)
	if len(sids) == 0 || sids[0] != "" {
		_ = setHeader(s.uuidMD) // read-only: SetHeader copies it
	}
	if !s.opts.Auth && !s.opts.DevMode && !isLocal(ctx) {
		return ctx, auth.ErrLocalConnectionsOnly
	}
	c, credErr := s.resolve(ctx, sids)
	if auth.IsPublic(method) {
		// Public calls work with stale or no credentials.
		if credErr != nil {
			c = &caller{}
		}
		return context.WithValue(ctx, callerKey{}, c), nil
	}
	if credErr != nil {
		return ctx, credErr
	}
	if err := auth.Authorize(method, auth.Caller{User: c.user, Database: c.database}); err != nil {
		if c.user != nil {
			s.log.Debug("call refused", "method", method, "user", c.user.Username, "db", c.database, "err", err)
		}
		return ctx, err
	}
	if s.opts.Maintenance && refusedInMaintenance(method) {
		return ctx, ErrNotAllowedInMaintenanceMode
	}
	return context.WithValue(ctx, callerKey{}, c), nil
}

// resolve finds the caller from the sessionid or authorization metadata.
// A sessionid decides the mode: the Go client's empty "Bearer " next to it
// is ignored (API.md §2.2). With auth off, a call without credentials acts
// as the superuser on defaultdb.
func (s *Server) resolve(ctx context.Context, sids []string) (*caller, error) {
	c := &caller{}
	switch {
	case len(sids) > 0:
		info, err := s.sessions.Get(sids[0])
		if err != nil {
			return c, err
		}
		u, ok := s.users.Get(info.Username)
		if !ok || !u.Active {
			// The user was deactivated: its sessions are dead.
			return c, session.ErrSessionNotFound
		}
		c.user, c.database, c.sessionID = &u, info.Database, info.ID
		return c, nil
	default:
		tok := bearer(metadata.ValueFromIncomingContext(ctx, mdAuthorization))
		if tok == "" {
			if !s.opts.Auth {
				u, _ := s.users.Get(auth.SysAdminUsername)
				c.user, c.database = &u, auth.DefaultDatabase
				return c, nil
			}
			return c, nil
		}
		ti, err := s.tokens.Verify(tok)
		if err != nil {
			return c, err
		}
		u, ok := s.users.Get(ti.Username)
		if !ok || !u.Active {
			return c, auth.ErrTokenExpired
		}
		c.user, c.database, c.token = &u, ti.Database, tok
		if c.database == "" && s.singleDB.Load() {
			c.database = auth.DefaultDatabase
		}
		return c, nil
	}
}

// bearer extracts the token of "authorization: Bearer <token>".
func bearer(values []string) string {
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) >= 6 && strings.EqualFold(v[:6], "bearer") {
			v = strings.TrimSpace(v[6:])
		}
		if v != "" {
			return v
		}
	}
	return ""
}

// isLocal reports whether the call comes over loopback or a unix socket.
func isLocal(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	if !ok || p.Addr == nil {
		return false
	}
	switch a := p.Addr.(type) {
	case *net.TCPAddr:
		return a.IP.IsLoopback()
	case *net.UnixAddr:
		return true
	}
	host, _, err := net.SplitHostPort(p.Addr.String())
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
