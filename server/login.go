package server

import (
	"context"
	"strings"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/database"
	"github.com/attestdb/attestdb/server/auth"
)

// openSession authenticates and creates a session on database (lower-cased;
// "" means defaultdb). Shared by both services' OpenSession.
func (s *Server) openSession(username, password, database string) (string, error) {
	if !s.opts.Auth {
		return "", auth.ErrAuthDisabled
	}
	u, _, err := s.users.Authenticate(username, password)
	if err != nil {
		return "", err
	}
	db := strings.ToLower(database)
	if db == "" {
		db = auth.DefaultDatabase
	}
	if !s.dbs.Exists(db) {
		return "", ErrDatabaseNotExist
	}
	if err := u.CanUseDatabase(db); err != nil {
		return "", err
	}
	info, err := s.sessions.Open(u.Username, db)
	if err != nil {
		return "", err
	}
	return info.ID, nil
}

func (s *Server) keepAlive(ctx context.Context) error {
	c := callerFrom(ctx)
	if c.sessionID == "" {
		return auth.ErrNotLoggedIn
	}
	return s.sessions.KeepAlive(c.sessionID)
}

func (s *Server) closeSession(ctx context.Context) error {
	if !s.opts.Auth {
		return auth.ErrAuthDisabled
	}
	c := callerFrom(ctx)
	if c.sessionID == "" {
		return auth.ErrNotLoggedIn
	}
	return s.sessions.CloseSession(c.sessionID)
}

func (x *immuService) OpenSession(_ context.Context, req *schema.OpenSessionRequest) (*schema.OpenSessionResponse, error) {
	id, err := x.s.openSession(string(req.Username), string(req.Password), req.DatabaseName)
	if err != nil {
		return nil, err
	}
	return &schema.OpenSessionResponse{SessionID: id, ServerUUID: x.s.uuidStr}, nil
}

func (x *immuService) KeepAlive(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, x.s.keepAlive(ctx)
}

func (x *immuService) CloseSession(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	return &emptypb.Empty{}, x.s.closeSession(ctx)
}

// authService is immudb.model.AuthorizationService (REST v2, document SDKs).
type authService struct {
	authorization.UnimplementedAuthorizationServiceServer
	s *Server
}

func (a *authService) OpenSession(_ context.Context, req *authorization.OpenSessionRequest) (*authorization.OpenSessionResponse, error) {
	id, err := a.s.openSession(req.Username, req.Password, req.Database)
	if err != nil {
		return nil, err
	}
	resp := &authorization.OpenSessionResponse{SessionID: id, ServerUUID: a.s.uuidStr}
	if info, err := a.s.sessions.Get(id); err == nil {
		if a.s.opts.MaxSessionAge > 0 {
			resp.ExpirationTimestamp = int32(info.CreatedAt.Add(a.s.opts.MaxSessionAge).Unix())
		}
		resp.InactivityTimestamp = int32(info.LastActivity.Add(a.s.opts.SessionTimeout).Unix())
	}
	return resp, nil
}

func (a *authService) KeepAlive(ctx context.Context, _ *authorization.KeepAliveRequest) (*authorization.KeepAliveResponse, error) {
	return &authorization.KeepAliveResponse{}, a.s.keepAlive(ctx)
}

func (a *authService) CloseSession(ctx context.Context, _ *authorization.CloseSessionRequest) (*authorization.CloseSessionResponse, error) {
	return &authorization.CloseSessionResponse{}, a.s.closeSession(ctx)
}

// Login starts the legacy token flow. The token selects no database; in
// single-db mode the interceptor maps that to defaultdb per call.
func (x *immuService) Login(_ context.Context, req *schema.LoginRequest) (*schema.LoginResponse, error) {
	u, warning, err := x.s.users.Authenticate(string(req.User), string(req.Password))
	if err != nil {
		return nil, err
	}
	tok, _, err := x.s.tokens.Issue(u.Username, "")
	if err != nil {
		return nil, err
	}
	resp := &schema.LoginResponse{Token: tok}
	if warning != "" {
		resp.Warning = []byte(warning)
	}
	return resp, nil
}

func (x *immuService) Logout(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	c := callerFrom(ctx)
	switch {
	case c.token != "":
		if !x.s.tokens.Revoke(c.token) {
			return nil, auth.ErrNotLoggedIn
		}
	case c.sessionID != "":
		if err := x.s.sessions.CloseSession(c.sessionID); err != nil {
			return nil, err
		}
	default:
		return nil, auth.ErrNotLoggedIn
	}
	return &emptypb.Empty{}, nil
}

// UseDatabase selects a database: it switches the session's database, and
// returns a token bound to it (which is what selects it in the token flow).
func (x *immuService) UseDatabase(ctx context.Context, req *schema.Database) (*schema.UseDatabaseReply, error) {
	c := callerFrom(ctx)
	name, err := database.NormalizeName(req.DatabaseName)
	if err != nil || !x.s.dbs.Exists(name) {
		return nil, errDoesNotExist{name: req.DatabaseName}
	}
	if _, err := x.s.dbs.Get(name); err != nil {
		return nil, err
	}
	if err := c.user.CanUseDatabase(name); err != nil {
		return nil, err
	}
	if c.sessionID != "" {
		if err := x.s.sessions.SetDatabase(c.sessionID, name); err != nil {
			return nil, err
		}
	}
	tok, _, err := x.s.tokens.Issue(c.user.Username, name)
	if err != nil {
		return nil, err
	}
	return &schema.UseDatabaseReply{Token: tok}, nil
}
