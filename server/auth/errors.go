package auth

import "errors"

// Errors with texts that clients match on (API.md §2). Do not reword them.
var (
	ErrPermissionDenied       = errors.New("permission denied")
	ErrNotLoggedIn            = errors.New("not logged in")
	ErrNoDatabaseSelected     = errors.New("please select a database first")
	ErrTokenExpired           = errors.New("token has expired")
	ErrInvalidCredentials     = errors.New("invalid user name or password")
	ErrNoPermissionOnDatabase = errors.New("Logged in user does not have permission on this database")
	ErrAuthDisabled           = errors.New("server is running with authentication disabled, please enable authentication to login")
	ErrLocalConnectionsOnly   = errors.New("server has authentication disabled: only local connections are accepted")
)

// Errors of our own wording.
var (
	ErrInvalidToken         = errors.New("invalid token")
	ErrTooManyTokens        = errors.New("too many active login tokens")
	ErrUserExists           = errors.New("user already exists")
	ErrUserNotFound         = errors.New("user not found")
	ErrUserInactive         = errors.New("user is not active")
	ErrInvalidUsername      = errors.New("invalid user name: use 1 to 63 letters, digits or underscores")
	ErrWeakPassword         = errors.New("password must have between 8 and 32 letters, digits and special characters of which at least 1 uppercase letter, 1 digit and 1 special character")
	ErrPasswordTooLong      = errors.New("password is longer than 72 bytes")
	ErrEmptyPassword        = errors.New("password is empty")
	ErrWrongOldPassword     = errors.New("old password is incorrect")
	ErrInvalidPermission    = errors.New("invalid permission: use read (1), readwrite (2) or admin (254)")
	ErrSysAdminGrant        = errors.New("the sysadmin permission cannot be granted")
	ErrChangeOwnPermissions = errors.New("changing your own permissions is not allowed")
	ErrChangeOwnActive      = errors.New("changing your own status is not allowed")
	ErrSysAdminProtected    = errors.New("the sysadmin user cannot be changed by other users")
	ErrInvalidDatabaseName  = errors.New("invalid database name")
	ErrCorruptedUser        = errors.New("corrupted user record")
	ErrBadAdminPassword     = errors.New("invalid admin password")
)
