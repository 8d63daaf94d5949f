package auth

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

const strongPW = "Str0ng!pw"

func openTest(t *testing.T, store UserStore, o Options) (*Users, OpenResult) {
	t.Helper()
	o.BcryptCost = bcrypt.MinCost
	r, res, err := OpenUsers(store, o)
	if err != nil {
		t.Fatal(err)
	}
	return r, res
}

func sysadmin(t *testing.T, r *Users) User {
	u, ok := r.Get(SysAdminUsername)
	if !ok {
		t.Fatal("no superuser")
	}
	return u
}

func TestFirstStartCreatesSuperuserWithDefaultPassword(t *testing.T) {
	store := NewMemStore()
	r, res := openTest(t, store, Options{})
	if !res.Created || res.Reset {
		t.Fatalf("result %+v", res)
	}
	u, warning, err := r.Authenticate("immudb", "immudb")
	if err != nil {
		t.Fatal(err)
	}
	if !u.SysAdmin || !u.Active || u.PermissionOn("anydb") != PermissionSysAdmin {
		t.Fatalf("superuser %+v", u)
	}
	if warning != DefaultPasswordWarning {
		t.Fatalf("warning %q", warning)
	}
	stored, _ := store.LoadUsers()
	if len(stored) != 1 || stored[0].Username != "immudb" {
		t.Fatalf("store holds %+v", stored)
	}
}

func TestAdminPasswordSemantics(t *testing.T) {
	store := NewMemStore()
	// First start with --admin-password.
	openTest(t, store, Options{AdminPassword: "First1!pw"})
	// A later start with another --admin-password keeps the stored one.
	r, res := openTest(t, store, Options{AdminPassword: "Second2!pw"})
	if res.Created || res.Reset {
		t.Fatalf("result %+v", res)
	}
	if _, _, err := r.Authenticate("immudb", "Second2!pw"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatal("admin-password without force must not change an existing password")
	}
	if _, w, err := r.Authenticate("immudb", "First1!pw"); err != nil || w != "" {
		t.Fatalf("stored password: %v, warning %q", err, w)
	}
	// --force-admin-password resets it.
	r, res = openTest(t, store, Options{AdminPassword: "Second2!pw", ForceAdminPassword: true})
	if !res.Reset {
		t.Fatal("force did not reset")
	}
	if _, _, err := r.Authenticate("immudb", "Second2!pw"); err != nil {
		t.Fatal(err)
	}
	// Forcing back to the default brings the warning back.
	r, _ = openTest(t, store, Options{ForceAdminPassword: true})
	if _, w, err := r.Authenticate("immudb", "immudb"); err != nil || w != DefaultPasswordWarning {
		t.Fatalf("%v %q", err, w)
	}
}

func TestAuthenticateFailures(t *testing.T) {
	r, _ := openTest(t, NewMemStore(), Options{})
	admin := sysadmin(t, r)
	if err := r.Create(admin, "alice", strongPW, PermissionRead, "defaultdb"); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ user, pw string }{
		{"immudb", "wrong"}, {"nobody", "immudb"}, {"alice", "immudb"}, {"", ""},
	}
	for _, c := range cases {
		if _, _, err := r.Authenticate(c.user, c.pw); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%s/%s: %v", c.user, c.pw, err)
		}
	}
	if err := r.SetActive(admin, "alice", false); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Authenticate("alice", strongPW); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("inactive user logged in: %v", err)
	}
	if err := r.SetActive(admin, "alice", true); err != nil {
		t.Fatal(err)
	}
	if u, w, err := r.Authenticate("alice", strongPW); err != nil || w != "" || u.PermissionOn("defaultdb") != PermissionRead {
		t.Fatalf("reactivated: %+v %q %v", u, w, err)
	}
}

func TestCreateRules(t *testing.T) {
	r, _ := openTest(t, NewMemStore(), Options{})
	admin := sysadmin(t, r)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.Create(admin, "dbadmin", strongPW, PermissionAdmin, "db1"))
	must(r.Create(admin, "reader", strongPW, PermissionRead, "db1"))
	dbadmin, _ := r.Get("dbadmin")
	reader, _ := r.Get("reader")

	cases := []struct {
		name  string
		actor User
		user  string
		pw    string
		perm  Permission
		db    string
		want  error
	}{
		{"exists", admin, "reader", strongPW, PermissionRead, "db1", ErrUserExists},
		{"bad name", admin, "a-b", strongPW, PermissionRead, "db1", ErrInvalidUsername},
		{"weak", admin, "bob", "weak", PermissionRead, "db1", ErrWeakPassword},
		{"perm 0", admin, "bob", strongPW, 0, "db1", ErrInvalidPermission},
		{"perm 3", admin, "bob", strongPW, 3, "db1", ErrInvalidPermission},
		{"sysadmin", admin, "bob", strongPW, PermissionSysAdmin, "db1", ErrSysAdminGrant},
		{"systemdb", admin, "bob", strongPW, PermissionRead, "systemdb", ErrPermissionDenied},
		{"bad db", admin, "bob", strongPW, PermissionRead, "Db/1", ErrInvalidDatabaseName},
		{"reader cannot", reader, "bob", strongPW, PermissionRead, "db1", ErrPermissionDenied},
		{"admin elsewhere", dbadmin, "bob", strongPW, PermissionRead, "db2", ErrPermissionDenied},
		{"admin own db", dbadmin, "bob", strongPW, PermissionReadWrite, "db1", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := r.Create(c.actor, c.user, c.pw, c.perm, c.db)
			if c.want == nil && err != nil || c.want != nil && !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
	bob, ok := r.Get("bob")
	if !ok || bob.CreatedBy != "dbadmin" || bob.PermissionOn("db1") != PermissionReadWrite || bob.PermissionOn("db2") != PermissionNone {
		t.Fatalf("bob = %+v", bob)
	}
}

func TestChangePasswordRules(t *testing.T) {
	r, _ := openTest(t, NewMemStore(), Options{})
	admin := sysadmin(t, r)
	for _, c := range []struct {
		name string
		perm Permission
		db   string
	}{{"dbadmin", PermissionAdmin, "db1"}, {"alice", PermissionRead, "db1"}, {"carol", PermissionRead, "db2"}} {
		if err := r.Create(admin, c.name, strongPW, c.perm, c.db); err != nil {
			t.Fatal(err)
		}
	}
	dbadmin, _ := r.Get("dbadmin")
	alice, _ := r.Get("alice")

	if err := r.ChangePassword(alice, "alice", "wrong", "N3w!pass"); !errors.Is(err, ErrWrongOldPassword) {
		t.Fatalf("wrong old: %v", err)
	}
	if err := r.ChangePassword(alice, "alice", strongPW, "weak"); !errors.Is(err, ErrWeakPassword) {
		t.Fatalf("weak new: %v", err)
	}
	if err := r.ChangePassword(alice, "alice", strongPW, "N3w!pass"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.Authenticate("alice", "N3w!pass"); err != nil {
		t.Fatal(err)
	}
	if err := r.ChangePassword(alice, "carol", "", "N3w!pass"); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("reader changing other: %v", err)
	}
	if err := r.ChangePassword(dbadmin, "carol", "", "N3w!pass"); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("admin of another db: %v", err)
	}
	if err := r.ChangePassword(dbadmin, "alice", "", "Ot4er!pw"); err != nil {
		t.Fatalf("admin of alice's db: %v", err)
	}
	if err := r.ChangePassword(dbadmin, "immudb", "", "Ot4er!pw"); !errors.Is(err, ErrSysAdminProtected) {
		t.Fatalf("admin changing sysadmin: %v", err)
	}
	if err := r.ChangePassword(admin, "nobody", "", "Ot4er!pw"); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	// The superuser changing its own default password (immuadmin login flow).
	if err := r.ChangePassword(admin, "immudb", "immudb", "Adm1n!pw"); err != nil {
		t.Fatal(err)
	}
	if _, w, err := r.Authenticate("immudb", "Adm1n!pw"); err != nil || w != "" {
		t.Fatalf("%v %q", err, w)
	}
}

func TestSetPermissionAndActiveRules(t *testing.T) {
	r, _ := openTest(t, NewMemStore(), Options{})
	admin := sysadmin(t, r)
	for _, n := range []string{"dbadmin", "alice"} {
		perm := PermissionRead
		if n == "dbadmin" {
			perm = PermissionAdmin
		}
		if err := r.Create(admin, n, strongPW, perm, "db1"); err != nil {
			t.Fatal(err)
		}
	}
	dbadmin, _ := r.Get("dbadmin")

	if err := r.SetPermission(dbadmin, "alice", "db1", PermissionReadWrite); err != nil {
		t.Fatal(err)
	}
	if err := r.SetPermission(dbadmin, "alice", "db2", PermissionRead); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("grant on foreign db: %v", err)
	}
	if err := r.SetPermission(admin, "alice", "db2", PermissionAdmin); err != nil {
		t.Fatal(err)
	}
	if err := r.SetPermission(dbadmin, "dbadmin", "db1", PermissionRead); !errors.Is(err, ErrChangeOwnPermissions) {
		t.Fatalf("own: %v", err)
	}
	if err := r.SetPermission(admin, "immudb", "db1", PermissionRead); !errors.Is(err, ErrChangeOwnPermissions) {
		t.Fatalf("sysadmin own: %v", err)
	}
	if err := r.SetPermission(dbadmin, "immudb", "db1", PermissionRead); !errors.Is(err, ErrSysAdminProtected) {
		t.Fatalf("on sysadmin: %v", err)
	}
	if err := r.SetPermission(admin, "alice", "db1", PermissionSysAdmin); !errors.Is(err, ErrSysAdminGrant) {
		t.Fatalf("grant sysadmin: %v", err)
	}
	if err := r.SetPermission(admin, "nobody", "db1", PermissionRead); !errors.Is(err, ErrUserNotFound) {
		t.Fatalf("unknown: %v", err)
	}
	alice, _ := r.Get("alice")
	if alice.PermissionOn("db1") != PermissionReadWrite || alice.PermissionOn("db2") != PermissionAdmin {
		t.Fatalf("alice %+v", alice)
	}
	// Revoke.
	if err := r.SetPermission(admin, "alice", "db2", PermissionNone); err != nil {
		t.Fatal(err)
	}
	alice, _ = r.Get("alice")
	if len(alice.Permissions) != 1 || alice.PermissionOn("db2") != PermissionNone {
		t.Fatalf("after revoke %+v", alice)
	}

	if err := r.SetActive(dbadmin, "dbadmin", false); !errors.Is(err, ErrChangeOwnActive) {
		t.Fatalf("own: %v", err)
	}
	if err := r.SetActive(dbadmin, "immudb", false); !errors.Is(err, ErrSysAdminProtected) {
		t.Fatalf("sysadmin: %v", err)
	}
	alice, _ = r.Get("alice")
	if err := r.SetActive(alice, "dbadmin", false); !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("reader: %v", err)
	}
	if err := r.SetActive(dbadmin, "alice", false); err != nil {
		t.Fatal(err)
	}
	if u, _ := r.Get("alice"); u.Active {
		t.Fatal("still active")
	}
}

func TestCanUseDatabase(t *testing.T) {
	r, _ := openTest(t, NewMemStore(), Options{})
	admin := sysadmin(t, r)
	if err := r.Create(admin, "alice", strongPW, PermissionRead, "db1"); err != nil {
		t.Fatal(err)
	}
	alice, _ := r.Get("alice")
	if err := alice.CanUseDatabase("db1"); err != nil {
		t.Fatal(err)
	}
	for _, db := range []string{"db2", "systemdb", "defaultdb"} {
		if err := alice.CanUseDatabase(db); !errors.Is(err, ErrNoPermissionOnDatabase) {
			t.Errorf("%s: %v", db, err)
		}
	}
	for _, db := range []string{"db2", "systemdb", "defaultdb"} {
		if err := admin.CanUseDatabase(db); err != nil {
			t.Errorf("sysadmin %s: %v", db, err)
		}
	}
}

func TestStoreFailureLeavesMemoryUnchanged(t *testing.T) {
	store := NewMemStore()
	r, _ := openTest(t, store, Options{})
	admin := sysadmin(t, r)
	boom := errors.New("disk full")
	store.FailSave = boom
	if err := r.Create(admin, "alice", strongPW, PermissionRead, "db1"); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, ok := r.Get("alice"); ok {
		t.Fatal("user visible although the store refused it")
	}
	if err := r.ChangePassword(admin, "immudb", "immudb", "N3w!pass"); !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if _, _, err := r.Authenticate("immudb", "immudb"); err != nil {
		t.Fatal("password changed in memory although the store refused it")
	}
}

func TestCorruptStoreIsAnError(t *testing.T) {
	store := NewMemStore()
	_ = store.SaveUser(User{Username: "bad name", PasswordHash: "x", Active: true})
	if _, _, err := OpenUsers(store, Options{BcryptCost: bcrypt.MinCost}); !errors.Is(err, ErrCorruptedUser) {
		t.Fatalf("err = %v", err)
	}
	store = NewMemStore()
	_ = store.SaveUser(User{Username: "mallory", PasswordHash: "x", Active: true, SysAdmin: true})
	if _, _, err := OpenUsers(store, Options{BcryptCost: bcrypt.MinCost}); !errors.Is(err, ErrCorruptedUser) {
		t.Fatalf("second sysadmin: err = %v", err)
	}
}

func TestConcurrentUsers(t *testing.T) {
	r, _ := openTest(t, NewFileStore(t.TempDir()), Options{Now: func() time.Time { return time.Unix(0, 0) }})
	admin := sysadmin(t, r)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("user%d", i)
			if err := r.Create(admin, name, strongPW, PermissionRead, "db1"); err != nil {
				t.Error(err)
				return
			}
			if _, _, err := r.Authenticate(name, strongPW); err != nil {
				t.Error(err)
			}
			if err := r.SetPermission(admin, name, "db2", PermissionReadWrite); err != nil {
				t.Error(err)
			}
			_ = r.List()
		}()
	}
	wg.Wait()
	if r.Count() != 9 {
		t.Fatalf("count %d", r.Count())
	}
}
