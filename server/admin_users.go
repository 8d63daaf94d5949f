package server

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/server/auth"
)

// ListUsers shows every user to the sysadmin; an admin sees itself and the
// users holding a grant on a database it administers.
func (x *immuService) ListUsers(ctx context.Context, _ *emptypb.Empty) (*schema.UserList, error) {
	actor := callerFrom(ctx).user
	resp := &schema.UserList{}
	for _, u := range x.s.users.List() {
		if !actor.SysAdmin && u.Username != actor.Username && !sharesAdminDB(actor, &u) {
			continue
		}
		su := &schema.User{
			User:      []byte(u.Username),
			Createdby: u.CreatedBy,
			Createdat: u.CreatedAt.String(),
			Active:    u.Active,
		}
		if u.SysAdmin {
			su.Permissions = []*schema.Permission{{Database: "*", Permission: uint32(auth.PermissionSysAdmin)}}
		}
		for _, p := range u.Permissions {
			su.Permissions = append(su.Permissions, &schema.Permission{Database: p.Database, Permission: uint32(p.Permission)})
		}
		resp.Users = append(resp.Users, su)
	}
	return resp, nil
}

func sharesAdminDB(actor, u *auth.User) bool {
	for _, p := range u.Permissions {
		if actor.PermissionOn(p.Database) == auth.PermissionAdmin {
			return true
		}
	}
	return false
}

func (x *immuService) CreateUser(ctx context.Context, req *schema.CreateUserRequest) (*emptypb.Empty, error) {
	actor := callerFrom(ctx).user
	if req.Database != "" && !x.s.dbs.Exists(req.Database) {
		return nil, errDoesNotExist{name: req.Database}
	}
	err := x.s.users.Create(*actor, string(req.User), string(req.Password), auth.Permission(req.Permission), req.Database)
	if err != nil {
		return nil, err
	}
	// A second user ends single-db mode (API.md §2.3).
	x.s.singleDB.Store(false)
	return &emptypb.Empty{}, nil
}

func (x *immuService) ChangePassword(ctx context.Context, req *schema.ChangePasswordRequest) (*emptypb.Empty, error) {
	actor := callerFrom(ctx).user
	name := string(req.User)
	if err := x.s.users.ChangePassword(*actor, name, string(req.OldPassword), string(req.NewPassword)); err != nil {
		return nil, err
	}
	if name != actor.Username {
		// Someone else's password changed: their logins end.
		x.s.tokens.RevokeUser(name)
		x.s.sessions.CloseUser(name)
	}
	return &emptypb.Empty{}, nil
}

func (x *immuService) ChangePermission(ctx context.Context, req *schema.ChangePermissionRequest) (*emptypb.Empty, error) {
	actor := callerFrom(ctx).user
	perm := auth.Permission(req.Permission)
	switch req.Action {
	case schema.PermissionAction_GRANT:
	case schema.PermissionAction_REVOKE:
		perm = auth.PermissionNone
	default:
		return nil, ErrIllegalArguments
	}
	if !x.s.dbs.Exists(req.Database) {
		return nil, errDoesNotExist{name: req.Database}
	}
	if err := x.s.users.SetPermission(*actor, req.Username, req.Database, perm); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (x *immuService) SetActiveUser(ctx context.Context, req *schema.SetActiveUserRequest) (*emptypb.Empty, error) {
	actor := callerFrom(ctx).user
	if err := x.s.users.SetActive(*actor, req.Username, req.Active); err != nil {
		return nil, err
	}
	if !req.Active {
		x.s.tokens.RevokeUser(req.Username)
		x.s.sessions.CloseUser(req.Username)
	}
	return &emptypb.Empty{}, nil
}
