package client

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// Database and user management (sysadmin or database admin calls).

// CreateDatabaseV2 creates a database with optional settings.
func (c *Client) CreateDatabaseV2(ctx context.Context, name string, settings *schema.DatabaseNullableSettings) (*schema.CreateDatabaseResponse, error) {
	r, err := c.svc.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: name, Settings: settings})
	return r, wrapRPC(err)
}

// DatabaseListV2 lists the databases the user can see.
func (c *Client) DatabaseListV2(ctx context.Context) (*schema.DatabaseListResponseV2, error) {
	r, err := c.svc.DatabaseListV2(ctx, &schema.DatabaseListRequestV2{})
	return r, wrapRPC(err)
}

// LoadDatabase opens a database.
func (c *Client) LoadDatabase(ctx context.Context, name string) (*schema.LoadDatabaseResponse, error) {
	r, err := c.svc.LoadDatabase(ctx, &schema.LoadDatabaseRequest{Database: name})
	return r, wrapRPC(err)
}

// UnloadDatabase closes a database.
func (c *Client) UnloadDatabase(ctx context.Context, name string) (*schema.UnloadDatabaseResponse, error) {
	r, err := c.svc.UnloadDatabase(ctx, &schema.UnloadDatabaseRequest{Database: name})
	return r, wrapRPC(err)
}

// DeleteDatabase removes an unloaded database.
func (c *Client) DeleteDatabase(ctx context.Context, name string) (*schema.DeleteDatabaseResponse, error) {
	r, err := c.svc.DeleteDatabase(ctx, &schema.DeleteDatabaseRequest{Database: name})
	return r, wrapRPC(err)
}

// UpdateDatabaseV2 changes the settings of a database.
func (c *Client) UpdateDatabaseV2(ctx context.Context, name string, settings *schema.DatabaseNullableSettings) (*schema.UpdateDatabaseResponse, error) {
	r, err := c.svc.UpdateDatabaseV2(ctx, &schema.UpdateDatabaseRequest{Database: name, Settings: settings})
	return r, wrapRPC(err)
}

// GetDatabaseSettingsV2 returns the settings of the current database.
func (c *Client) GetDatabaseSettingsV2(ctx context.Context) (*schema.DatabaseSettingsResponse, error) {
	r, err := c.svc.GetDatabaseSettingsV2(ctx, &schema.DatabaseSettingsRequest{})
	return r, wrapRPC(err)
}

// FlushIndex flushes the key index (cleanupPercentage of the index files
// may be reclaimed; synced forces an fsync).
func (c *Client) FlushIndex(ctx context.Context, cleanupPercentage float32, synced bool) (*schema.FlushIndexResponse, error) {
	r, err := c.svc.FlushIndex(ctx, &schema.FlushIndexRequest{CleanupPercentage: cleanupPercentage, Synced: synced})
	return r, wrapRPC(err)
}

// CompactIndex compacts the key index.
func (c *Client) CompactIndex(ctx context.Context) error {
	_, err := c.svc.CompactIndex(ctx, &emptypb.Empty{})
	return wrapRPC(err)
}

// ListUsers lists the users.
func (c *Client) ListUsers(ctx context.Context) (*schema.UserList, error) {
	r, err := c.svc.ListUsers(ctx, &emptypb.Empty{})
	return r, wrapRPC(err)
}

// CreateUser creates a user with permission on database.
func (c *Client) CreateUser(ctx context.Context, user, password []byte, permission uint32, database string) error {
	_, err := c.svc.CreateUser(ctx, &schema.CreateUserRequest{User: user, Password: password, Permission: permission, Database: database})
	return wrapRPC(err)
}

// ChangePassword changes a user's password.
func (c *Client) ChangePassword(ctx context.Context, user, oldPassword, newPassword []byte) error {
	_, err := c.svc.ChangePassword(ctx, &schema.ChangePasswordRequest{User: user, OldPassword: oldPassword, NewPassword: newPassword})
	return wrapRPC(err)
}

// ChangePermission grants or revokes a permission on a database.
func (c *Client) ChangePermission(ctx context.Context, action schema.PermissionAction, user, database string, permission uint32) error {
	_, err := c.svc.ChangePermission(ctx, &schema.ChangePermissionRequest{Action: action, Username: user, Database: database, Permission: permission})
	return wrapRPC(err)
}

// SetActiveUser activates or deactivates a user.
func (c *Client) SetActiveUser(ctx context.Context, user string, active bool) error {
	_, err := c.svc.SetActiveUser(ctx, &schema.SetActiveUserRequest{Username: user, Active: active})
	return wrapRPC(err)
}
