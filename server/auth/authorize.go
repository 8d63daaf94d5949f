package auth

import "fmt"

// Caller is who makes a call, as resolved from a session or token.
type Caller struct {
	// User is nil when the call carries no credentials.
	User *User
	// Database is the selected database, "" when none is selected yet
	// (a legacy token before UseDatabase).
	Database string
}

// Authorize decides whether caller may call fullMethod, per the table in
// methods.go. It returns nil or one of ErrNotLoggedIn, ErrPermissionDenied,
// ErrNoDatabaseSelected (possibly wrapped; match with errors.Is).
func Authorize(fullMethod string, c Caller) error {
	r, ok := rules[fullMethod]
	if !ok {
		return fmt.Errorf("%w: unknown method %s", ErrPermissionDenied, fullMethod)
	}
	if r.Access == AccessPublic {
		return nil
	}
	u := c.User
	if u == nil {
		return ErrNotLoggedIn
	}
	if !u.Active {
		return ErrPermissionDenied
	}
	switch r.Access {
	case AccessLoggedIn:
		return nil
	case AccessUserAdmin:
		if u.IsAdminOfAny() {
			return nil
		}
		return ErrPermissionDenied
	case AccessSysAdmin:
		if u.SysAdmin {
			return nil
		}
		return ErrPermissionDenied
	case AccessDatabase:
		if c.Database == "" {
			return ErrNoDatabaseSelected
		}
		if c.Database == SystemDatabase && !(r.SystemDB && u.SysAdmin) {
			return ErrPermissionDenied
		}
		if !u.PermissionOn(c.Database).Includes(r.Need) {
			return ErrPermissionDenied
		}
		return nil
	}
	return ErrPermissionDenied
}
