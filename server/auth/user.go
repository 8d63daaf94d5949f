package auth

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// DatabasePermission is one grant of a user.
type DatabasePermission struct {
	Database   string     `json:"database"`
	Permission Permission `json:"permission"`
}

// User is a stored user. Values are copies: changing one does not change the
// registry.
type User struct {
	Username     string               `json:"username"`
	PasswordHash string               `json:"passwordHash"` // bcrypt, ASCII
	Active       bool                 `json:"active"`
	SysAdmin     bool                 `json:"sysadmin,omitempty"`
	Permissions  []DatabasePermission `json:"permissions,omitempty"` // sorted by database, one per database
	CreatedBy    string               `json:"createdBy,omitempty"`
	CreatedAt    time.Time            `json:"createdAt"`
}

// PermissionOn returns the user's permission on database db: sysadmin on
// every database for the superuser, the grant for others, none otherwise.
func (u *User) PermissionOn(db string) Permission {
	if u.SysAdmin {
		return PermissionSysAdmin
	}
	for _, p := range u.Permissions {
		if p.Database == db {
			return p.Permission
		}
	}
	return PermissionNone
}

// IsAdminOfAny reports whether the user administers at least one database.
func (u *User) IsAdminOfAny() bool {
	if u.SysAdmin {
		return true
	}
	for _, p := range u.Permissions {
		if p.Permission == PermissionAdmin {
			return true
		}
	}
	return false
}

// CanUseDatabase returns nil when the user may select db (any of read,
// readwrite, admin, or sysadmin), else ErrNoPermissionOnDatabase. Only the
// sysadmin may select systemdb.
func (u *User) CanUseDatabase(db string) error {
	if db == SystemDatabase && !u.SysAdmin {
		return ErrNoPermissionOnDatabase
	}
	if u.PermissionOn(db) == PermissionNone {
		return ErrNoPermissionOnDatabase
	}
	return nil
}

// clone returns a deep copy.
func (u User) clone() User {
	u.Permissions = slices.Clone(u.Permissions)
	return u
}

// setPermission grants p on db (p == PermissionNone revokes), keeping the
// list sorted and unique.
func (u *User) setPermission(db string, p Permission) {
	i, found := slices.BinarySearchFunc(u.Permissions, db, func(e DatabasePermission, t string) int {
		return strings.Compare(e.Database, t)
	})
	switch {
	case p == PermissionNone && found:
		u.Permissions = slices.Delete(u.Permissions, i, i+1)
	case p == PermissionNone:
	case found:
		u.Permissions[i].Permission = p
	default:
		u.Permissions = slices.Insert(u.Permissions, i, DatabasePermission{Database: db, Permission: p})
	}
}

// validate checks a record read from a store.
func (u *User) validate() error {
	if err := ValidateUsername(u.Username); err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptedUser, err)
	}
	if u.PasswordHash == "" {
		return fmt.Errorf("%w: %s: no password hash", ErrCorruptedUser, u.Username)
	}
	if u.SysAdmin != (u.Username == SysAdminUsername) {
		return fmt.Errorf("%w: %s: only %s is sysadmin", ErrCorruptedUser, u.Username, SysAdminUsername)
	}
	seen := map[string]bool{}
	for _, p := range u.Permissions {
		if err := ValidateDatabaseName(p.Database); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrCorruptedUser, u.Username, err)
		}
		if ValidateGrant(p.Permission) != nil || seen[p.Database] {
			return fmt.Errorf("%w: %s: bad permission %d on %s", ErrCorruptedUser, u.Username, p.Permission, p.Database)
		}
		seen[p.Database] = true
	}
	slices.SortFunc(u.Permissions, func(a, b DatabasePermission) int { return strings.Compare(a.Database, b.Database) })
	return nil
}
