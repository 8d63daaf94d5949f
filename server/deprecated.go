package server

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/server/auth"
)

// ErrNotSupported is immudb's answer to RPCs it keeps only for old
// clients; clients see it as Unknown "operation not supported".
var ErrNotSupported = errors.New("operation not supported")

// UpdateAuthConfig is deprecated in immudb v1.11, which answers
// ErrNotSupported (immuadmin `set auth` prints that error); so do we.
func (x *immuService) UpdateAuthConfig(context.Context, *schema.AuthConfig) (*emptypb.Empty, error) {
	return nil, ErrNotSupported
}

// UpdateMTLSConfig: as UpdateAuthConfig (immuadmin `set mtls`).
func (x *immuService) UpdateMTLSConfig(context.Context, *schema.MTLSConfig) (*emptypb.Empty, error) {
	return nil, ErrNotSupported
}

// sqlPrivileges are the privilege names immudb accepts.
var sqlPrivileges = map[string]bool{
	"SELECT": true, "CREATE": true, "INSERT": true, "UPDATE": true,
	"DELETE": true, "DROP": true, "ALTER": true,
}

// ChangeSQLPrivileges checks the request as immudb does, with immudb's
// texts, but we have no SQL engine, so there are no table privileges to
// change: a valid request ends in ErrNotSupported instead of a grant that
// would mean nothing.
func (x *immuService) ChangeSQLPrivileges(ctx context.Context, req *schema.ChangeSQLPrivilegesRequest) (*schema.ChangeSQLPrivilegesResponse, error) {
	switch {
	case req.Username == "":
		return nil, status.Error(codes.InvalidArgument, "username can not be empty")
	case !x.s.dbs.Exists(req.Database):
		return nil, status.Error(codes.InvalidArgument, ErrDatabaseNotExist.Error())
	case req.Action != schema.PermissionAction_GRANT && req.Action != schema.PermissionAction_REVOKE:
		return nil, status.Error(codes.InvalidArgument, "action not recognized")
	}
	for _, p := range req.Privileges {
		if !sqlPrivileges[p] {
			return nil, status.Error(codes.InvalidArgument, "SQL privilege not recognized")
		}
	}
	actor := callerFrom(ctx).user
	switch {
	case actor != nil && req.Username == actor.Username:
		return nil, status.Error(codes.InvalidArgument, "changing your own privileges is not allowed")
	case req.Username == auth.SysAdminUsername:
		return nil, status.Error(codes.InvalidArgument, "changing sysadmin privileges is not allowed")
	}
	return nil, ErrNotSupported
}
