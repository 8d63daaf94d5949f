package auth

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure a user registry.
type Options struct {
	// AdminPassword is the superuser's password at first start (already
	// decoded from "enc:" form; see DecodeAdminPassword). Empty means
	// DefaultAdminPassword.
	AdminPassword string
	// ForceAdminPassword resets the superuser's password to AdminPassword
	// at every start, even when it was changed since.
	ForceAdminPassword bool
	// BcryptCost overrides BcryptCost (tests use bcrypt.MinCost).
	BcryptCost int
	// Now overrides time.Now.
	Now func() time.Time
}

// Users is the user registry: an in-memory copy of the store, written
// through on every change. Safe for concurrent use.
type Users struct {
	store UserStore
	cost  int
	now   func() time.Time

	// dummyHash is compared against when the user does not exist, so that
	// unknown and known users take the same time to reject.
	dummyHash []byte

	mu    sync.RWMutex
	users map[string]User
}

// OpenResult says what OpenUsers did to the superuser.
type OpenResult struct {
	Created bool // first start: the superuser was created
	Reset   bool // --force-admin-password reset its password
}

// OpenUsers loads every user from store and makes sure the superuser
// exists. At first start it is created with opts.AdminPassword. Afterwards
// its stored password is kept unless opts.ForceAdminPassword is set, in which
// case it is reset to opts.AdminPassword (and the user re-activated).
func OpenUsers(store UserStore, opts Options) (*Users, OpenResult, error) {
	r := &Users{store: store, cost: opts.BcryptCost, now: opts.Now, users: map[string]User{}}
	if r.cost == 0 {
		r.cost = BcryptCost
	}
	if r.now == nil {
		r.now = time.Now
	}
	adminPW := opts.AdminPassword
	if adminPW == "" {
		adminPW = DefaultAdminPassword
	}
	var res OpenResult
	loaded, err := store.LoadUsers()
	if err != nil {
		return nil, res, fmt.Errorf("loading users: %w", err)
	}
	for _, u := range loaded {
		if err := u.validate(); err != nil {
			return nil, res, err
		}
		if _, dup := r.users[u.Username]; dup {
			return nil, res, fmt.Errorf("%w: duplicate user %s", ErrCorruptedUser, u.Username)
		}
		r.users[u.Username] = u.clone()
	}
	if r.dummyHash, err = HashPassword("not a password", r.cost); err != nil {
		return nil, res, err
	}
	admin, ok := r.users[SysAdminUsername]
	switch {
	case !ok:
		h, err := HashPassword(adminPW, r.cost)
		if err != nil {
			return nil, res, fmt.Errorf("admin password: %w", err)
		}
		admin = User{Username: SysAdminUsername, PasswordHash: string(h), Active: true, SysAdmin: true, CreatedAt: r.now().UTC()}
		res.Created = true
	case opts.ForceAdminPassword:
		h, err := HashPassword(adminPW, r.cost)
		if err != nil {
			return nil, res, fmt.Errorf("admin password: %w", err)
		}
		admin.PasswordHash = string(h)
		admin.Active = true
		res.Reset = true
	default:
		return r, res, nil
	}
	if err := store.SaveUser(admin); err != nil {
		return nil, res, fmt.Errorf("saving %s user: %w", SysAdminUsername, err)
	}
	r.users[SysAdminUsername] = admin
	return r, res, nil
}

// Authenticate checks a user name and password (Login, OpenSession). It
// returns the user and the warning for LoginResponse.warning: the
// default-password text when the superuser logged in with `immudb`.
// Unknown users, wrong passwords and inactive users all give
// ErrInvalidCredentials, so a caller cannot probe which names exist.
func (r *Users) Authenticate(username, password string) (User, string, error) {
	r.mu.RLock()
	u, ok := r.users[username]
	r.mu.RUnlock()
	if !ok {
		_, _ = CheckPassword(r.dummyHash, password)
		return User{}, "", ErrInvalidCredentials
	}
	match, err := CheckPassword([]byte(u.PasswordHash), password)
	if err != nil {
		return User{}, "", err
	}
	if !match || !u.Active {
		return User{}, "", ErrInvalidCredentials
	}
	warning := ""
	if u.SysAdmin && password == DefaultAdminPassword {
		warning = DefaultPasswordWarning
	}
	return u.clone(), warning, nil
}

// Get returns a copy of the named user.
func (r *Users) Get(username string) (User, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	u, ok := r.users[username]
	return u.clone(), ok
}

// List returns every user sorted by name.
func (r *Users) List() []User {
	r.mu.RLock()
	out := make([]User, 0, len(r.users))
	for _, u := range r.users {
		out = append(out, u.clone())
	}
	r.mu.RUnlock()
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Username, b.Username) })
	return out
}

// Count returns the number of users, the superuser included.
func (r *Users) Count() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.users)
}

// canAdminister reports whether actor may manage grants on database db:
// the sysadmin everywhere, an admin on the databases it administers.
func canAdminister(actor *User, db string) bool {
	return actor.SysAdmin || actor.PermissionOn(db) == PermissionAdmin
}

// canManage reports whether actor may change target's password or status:
// the sysadmin always; an admin when target has a grant on one of the
// databases the actor administers. Nobody but the sysadmin touches the
// sysadmin.
func canManage(actor, target *User) bool {
	if actor.SysAdmin {
		return true
	}
	if target.SysAdmin {
		return false
	}
	for _, p := range target.Permissions {
		if actor.PermissionOn(p.Database) == PermissionAdmin {
			return true
		}
	}
	return false
}

// Create adds a user with a grant on one database (CreateUser). The actor
// must be the sysadmin or an admin of database; the database's existence is
// checked by the caller.
func (r *Users) Create(actor User, username, password string, perm Permission, database string) error {
	if err := ValidateUsername(username); err != nil {
		return err
	}
	if err := ValidateGrant(perm); err != nil {
		return err
	}
	if err := ValidateDatabaseName(database); err != nil {
		return err
	}
	if database == SystemDatabase {
		return fmt.Errorf("%w: no grants on %s", ErrPermissionDenied, SystemDatabase)
	}
	if !canAdminister(&actor, database) {
		return ErrPermissionDenied
	}
	if err := ValidateStrongPassword(password); err != nil {
		return err
	}
	if _, exists := r.Get(username); exists {
		return fmt.Errorf("%w: %s", ErrUserExists, username)
	}
	h, err := HashPassword(password, r.cost)
	if err != nil {
		return err
	}
	u := User{Username: username, PasswordHash: string(h), Active: true, CreatedBy: actor.Username, CreatedAt: r.now().UTC()}
	u.setPermission(database, perm)

	r.mu.Lock()
	defer r.mu.Unlock()
	if _, exists := r.users[username]; exists { // created while we hashed
		return fmt.Errorf("%w: %s", ErrUserExists, username)
	}
	return r.commitLocked(u)
}

// ChangePassword sets a new password (ChangePassword). A user changing its
// own password must give the old one; the sysadmin and admins managing the
// target (canManage) need not. New passwords must be strong.
func (r *Users) ChangePassword(actor User, username, oldPassword, newPassword string) error {
	target, ok := r.Get(username)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUserNotFound, username)
	}
	if actor.Username == username {
		match, err := CheckPassword([]byte(target.PasswordHash), oldPassword)
		if err != nil {
			return err
		}
		if !match {
			return ErrWrongOldPassword
		}
	} else if !canManage(&actor, &target) {
		if target.SysAdmin {
			return ErrSysAdminProtected
		}
		return ErrPermissionDenied
	}
	if err := ValidateStrongPassword(newPassword); err != nil {
		return err
	}
	h, err := HashPassword(newPassword, r.cost)
	if err != nil {
		return err
	}
	return r.update(username, func(u *User) error {
		u.PasswordHash = string(h)
		return nil
	})
}

// SetPermission grants (perm != PermissionNone) or revokes (PermissionNone)
// a user's permission on one database (ChangePermission). The actor must
// administer database and cannot change itself or the sysadmin.
func (r *Users) SetPermission(actor User, username, database string, perm Permission) error {
	if perm != PermissionNone {
		if err := ValidateGrant(perm); err != nil {
			return err
		}
	}
	if err := ValidateDatabaseName(database); err != nil {
		return err
	}
	if database == SystemDatabase {
		return fmt.Errorf("%w: no grants on %s", ErrPermissionDenied, SystemDatabase)
	}
	if actor.Username == username {
		return ErrChangeOwnPermissions
	}
	if !canAdminister(&actor, database) {
		return ErrPermissionDenied
	}
	return r.update(username, func(u *User) error {
		if u.SysAdmin {
			return ErrSysAdminProtected
		}
		u.setPermission(database, perm)
		return nil
	})
}

// SetActive activates or deactivates a user (SetActiveUser). Inactive users
// cannot log in; callers should also drop their sessions and tokens.
func (r *Users) SetActive(actor User, username string, active bool) error {
	if actor.Username == username {
		return ErrChangeOwnActive
	}
	target, ok := r.Get(username)
	if !ok {
		return fmt.Errorf("%w: %s", ErrUserNotFound, username)
	}
	if target.SysAdmin {
		return ErrSysAdminProtected
	}
	if !canManage(&actor, &target) {
		return ErrPermissionDenied
	}
	return r.update(username, func(u *User) error {
		u.Active = active
		return nil
	})
}

// update applies fn to a copy of the user and commits it.
func (r *Users) update(username string, fn func(*User) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.users[username]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUserNotFound, username)
	}
	u = u.clone()
	if err := fn(&u); err != nil {
		return err
	}
	return r.commitLocked(u)
}

// commitLocked writes u to the store, then to memory, so memory never holds
// a change the store refused. r.mu must be held for writing.
func (r *Users) commitLocked(u User) error {
	if err := r.store.SaveUser(u); err != nil {
		return fmt.Errorf("saving user %s: %w", u.Username, err)
	}
	r.users[u.Username] = u
	return nil
}
