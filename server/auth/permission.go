package auth

import (
	"fmt"
	"strconv"
	"strings"
)

// Permission is a wire permission code (uint32 in the protos).
type Permission uint32

// The permission codes. Their numeric order is also their strength order:
// each one includes everything the smaller ones allow.
const (
	PermissionNone      Permission = 0
	PermissionRead      Permission = 1
	PermissionReadWrite Permission = 2
	PermissionAdmin     Permission = 254 // admin of one database
	PermissionSysAdmin  Permission = 255 // the `immudb` user only
)

// String returns the name the CLIs use.
func (p Permission) String() string {
	switch p {
	case PermissionNone:
		return "none"
	case PermissionRead:
		return "read"
	case PermissionReadWrite:
		return "readwrite"
	case PermissionAdmin:
		return "admin"
	case PermissionSysAdmin:
		return "sysadmin"
	}
	return "permission(" + strconv.FormatUint(uint64(p), 10) + ")"
}

// Known reports whether p is one of the five defined codes.
func (p Permission) Known() bool {
	switch p {
	case PermissionNone, PermissionRead, PermissionReadWrite, PermissionAdmin, PermissionSysAdmin:
		return true
	}
	return false
}

// Includes reports whether holding p allows what `need` allows.
func (p Permission) Includes(need Permission) bool {
	return p.Known() && need.Known() && p >= need
}

// ParsePermission maps a CLI name ("read", "readwrite", "admin") or a
// decimal code of a grantable permission to its code.
func ParsePermission(s string) (Permission, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "read", "r":
		return PermissionRead, nil
	case "readwrite", "rw":
		return PermissionReadWrite, nil
	case "admin":
		return PermissionAdmin, nil
	}
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return PermissionNone, fmt.Errorf("%w: %q", ErrInvalidPermission, s)
	}
	p := Permission(n)
	if err := ValidateGrant(p); err != nil {
		return PermissionNone, err
	}
	return p, nil
}

// ValidateGrant checks a permission given to CreateUser or
// ChangePermission: only read, readwrite and admin can be granted; 0,
// 3-253 and the sysadmin permission are refused.
func ValidateGrant(p Permission) error {
	switch p {
	case PermissionRead, PermissionReadWrite, PermissionAdmin:
		return nil
	case PermissionSysAdmin:
		return ErrSysAdminGrant
	}
	return fmt.Errorf("%w: %d", ErrInvalidPermission, uint32(p))
}
