package compat

import (
	"sort"
	"strings"
	"testing"

	"github.com/codenotary/immudb/pkg/api/schema"
	"github.com/codenotary/immudb/pkg/client"
)

// dbNames lists the database names of a DatabaseListV2 answer, sorted.
func dbNames(l *schema.DatabaseListResponseV2) string {
	var n []string
	for _, d := range l.Databases {
		n = append(n, d.Name)
	}
	sort.Strings(n)
	return strings.Join(n, ",")
}

func TestDatabases(t *testing.T) {
	s := startServer(t, true)
	c := mustSession(t, s, "immudb", "immudb", "defaultdb", signingPub)
	ctx := ctxT(t)

	r, err := c.CreateDatabaseV2(ctx, "DB2", &schema.DatabaseNullableSettings{
		MaxKeyLen: &schema.NullableUint32{Value: 512}})
	noErr(t, "CreateDatabaseV2", err)
	if r.Name != "db2" || r.AlreadyExisted {
		t.Errorf("CreateDatabaseV2 = {name %q existed %v}, want {db2 false}", r.Name, r.AlreadyExisted)
	}
	if r.Settings.GetMaxKeyLen().GetValue() != 512 || r.Settings.GetMaxValueLen().GetValue() != 33554432 ||
		r.Settings.GetMaxTxEntries().GetValue() != 1024 {
		t.Errorf("CreateDatabaseV2 settings = %v, want maxKeyLen 512 and the defaults", r.Settings)
	}
	_, err = c.CreateDatabaseV2(ctx, "systemdb", nil)
	wantErrContains(t, "CreateDatabaseV2(systemdb)", err, "reserved")
	_, err = c.CreateDatabaseV2(ctx, "bad-name", nil)
	if err == nil {
		t.Errorf("CreateDatabaseV2(bad-name) accepted an invalid name")
	}

	l, err := c.DatabaseListV2(ctx)
	noErr(t, "DatabaseListV2", err)
	if got := dbNames(l); got != "db2,defaultdb" {
		t.Errorf("DatabaseListV2 = %q, want db2,defaultdb", got)
	}

	_, err = c.UseDatabase(ctx, &schema.Database{DatabaseName: "db2"})
	noErr(t, "UseDatabase(db2)", err)
	_, err = c.VerifiedSet(ctx, []byte("k"), []byte("in db2"))
	noErr(t, "VerifiedSet in db2", err)
	_, err = c.Set(ctx, []byte(strings.Repeat("k", 513)), []byte("v"))
	wantErr(t, "Set(513-byte key) in db2 (maxKeyLen 512)", err, errKeyTooLong)
	st, err := c.CurrentState(ctx)
	noErr(t, "CurrentState", err)
	if st.Db != "db2" || st.TxId != 1 {
		t.Errorf("CurrentState = {%s %d}, want {db2 1}", st.Db, st.TxId)
	}
	gs, err := c.GetDatabaseSettingsV2(ctx)
	noErr(t, "GetDatabaseSettingsV2", err)
	if gs.Database != "db2" || gs.Settings.GetMaxKeyLen().GetValue() != 512 {
		t.Errorf("GetDatabaseSettingsV2 = %v, want db2 with maxKeyLen 512", gs)
	}
	dh, err := c.Health(ctx)
	noErr(t, "DatabaseHealth", err)
	if dh.LastRequestCompletedAt == 0 {
		t.Errorf("DatabaseHealth.lastRequestCompletedAt = 0 after requests")
	}

	u, err := c.UpdateDatabaseV2(ctx, "db2", &schema.DatabaseNullableSettings{
		Autoload: &schema.NullableBool{Value: false}})
	noErr(t, "UpdateDatabaseV2", err)
	if u.Database != "db2" || u.Settings.GetAutoload() == nil || u.Settings.GetAutoload().GetValue() {
		t.Errorf("UpdateDatabaseV2 = %v, want db2 with autoload false", u)
	}

	// Back to defaultdb: the state of db2 must not leak into it.
	_, err = c.UseDatabase(ctx, &schema.Database{DatabaseName: "defaultdb"})
	noErr(t, "UseDatabase(defaultdb)", err)
	_, err = c.VerifiedGet(ctx, []byte("k"))
	wantErr(t, "VerifiedGet(k) in defaultdb", err, errKeyNotFound)

	_, err = c.UnloadDatabase(ctx, &schema.UnloadDatabaseRequest{Database: "db2"})
	noErr(t, "UnloadDatabase", err)
	l, err = c.DatabaseListV2(ctx)
	noErr(t, "DatabaseListV2", err)
	for _, d := range l.Databases {
		if d.Name == "db2" && d.Loaded {
			t.Errorf("db2 still loaded after UnloadDatabase")
		}
	}
	_, err = c.UseDatabase(ctx, &schema.Database{DatabaseName: "db2"})
	wantErrContains(t, "UseDatabase(unloaded db2)", err, "already closed")
	_, err = c.LoadDatabase(ctx, &schema.LoadDatabaseRequest{Database: "db2"})
	noErr(t, "LoadDatabase", err)
	_, err = c.UseDatabase(ctx, &schema.Database{DatabaseName: "db2"})
	noErr(t, "UseDatabase(reloaded db2)", err)
	e, err := c.VerifiedGet(ctx, []byte("k"))
	noErr(t, "VerifiedGet in reloaded db2", err)
	wantEntry(t, "VerifiedGet in reloaded db2", e, "k", "in db2", 1)
}

// userCase is one permission check: user u (with permission perm on db2)
// calls op; wantDenied says whether the server must refuse it.
func TestUsers(t *testing.T) {
	s := startServer(t, false)
	admin := mustSession(t, s, "immudb", "immudb", "defaultdb", nil)
	ctx := ctxT(t)
	_, err := admin.CreateDatabaseV2(ctx, "db2", nil)
	noErr(t, "CreateDatabaseV2", err)
	noErr(t, "CreateUser(alice, read)", admin.CreateUser(ctx, []byte("alice"), []byte("Alice1234!"), 1, "db2"))
	err = admin.CreateUser(ctx, []byte("bob"), []byte("Bob12345!"), 255, "db2")
	if err == nil {
		t.Errorf("CreateUser with sysadmin permission (255) accepted")
	}
	err = admin.CreateUser(ctx, []byte("bob"), []byte("Bob12345!"), 7, "db2")
	if err == nil {
		t.Errorf("CreateUser with permission 7 accepted")
	}

	ul, err := admin.ListUsers(ctx)
	noErr(t, "ListUsers", err)
	found := false
	for _, u := range ul.Users {
		if string(u.User) == "alice" {
			found = true
			if !u.Active || len(u.Permissions) != 1 || u.Permissions[0].Database != "db2" || u.Permissions[0].Permission != 1 {
				t.Errorf("ListUsers alice = %v, want active with read on db2", u)
			}
		}
	}
	if !found {
		t.Fatalf("ListUsers does not list alice")
	}

	// alice reads but cannot write.
	alice := mustSession(t, s, "alice", "Alice1234!", "db2", nil)
	_, err = alice.Get(ctx, []byte("k"))
	wantErr(t, "alice Get(missing)", err, errKeyNotFound)
	_, err = alice.Set(ctx, []byte("k"), []byte("v"))
	wantErrContains(t, "alice (read) Set", err, "permission denied")
	_, err = alice.GetAll(ctx, [][]byte{[]byte("k")})
	wantErrContains(t, "alice (read) GetAll", err, "permission denied")
	_, err = alice.ListUsers(ctx)
	wantErrContains(t, "alice (read) ListUsers", err, "permission denied")
	_, err = openSession(t, s, "alice", "Alice1234!", "defaultdb", nil, "")
	wantErrContains(t, "alice OpenSession(defaultdb)", err, "Logged in user does not have permission on this database")
	l, err := alice.DatabaseListV2(ctx)
	noErr(t, "alice DatabaseListV2", err)
	if got := dbNames(l); got != "db2" {
		t.Errorf("alice DatabaseListV2 = %q, want db2", got)
	}

	// Granting readwrite lets a new session write.
	noErr(t, "ChangePermission(readwrite)", admin.ChangePermission(ctx, schema.PermissionAction_GRANT, "alice", "db2", 2))
	alice2 := mustSession(t, s, "alice", "Alice1234!", "db2", nil)
	_, err = alice2.VerifiedSet(ctx, []byte("k"), []byte("v"))
	noErr(t, "alice (readwrite) VerifiedSet", err)

	// Password change: the old one stops working.
	noErr(t, "ChangePassword", admin.ChangePassword(ctx, []byte("alice"), []byte("Alice1234!"), []byte("Alice5678!")))
	_, err = openSession(t, s, "alice", "Alice1234!", "db2", nil, "")
	wantImmuErr(t, "OpenSession(alice, old password)", err, "invalid user name or password", "08004")
	mustSession(t, s, "alice", "Alice5678!", "db2", nil)

	// A deactivated user cannot log in.
	noErr(t, "SetActiveUser(false)", admin.SetActiveUser(ctx, &schema.SetActiveUserRequest{Username: "alice", Active: false}))
	_, err = openSession(t, s, "alice", "Alice5678!", "db2", nil, "")
	if err == nil {
		t.Errorf("deactivated alice could open a session")
	}
	noErr(t, "SetActiveUser(true)", admin.SetActiveUser(ctx, &schema.SetActiveUserRequest{Username: "alice", Active: true}))
	mustSession(t, s, "alice", "Alice5678!", "db2", nil)

	// Revoking removes access to db2.
	noErr(t, "ChangePermission(revoke)", admin.ChangePermission(ctx, schema.PermissionAction_REVOKE, "alice", "db2", 0))
	_, err = openSession(t, s, "alice", "Alice5678!", "db2", nil, "")
	wantErrContains(t, "OpenSession(alice, revoked)", err, "Logged in user does not have permission on this database")

	// The token flow sees the same users.
	tok := tokenClient(t, s, "immudb", "immudb", "db2", "")
	ul, err = tok.ListUsers(ctx)
	noErr(t, "ListUsers (token)", err)
	if len(ul.Users) < 2 {
		t.Errorf("ListUsers (token) lists %d users, want immudb and alice", len(ul.Users))
	}
	var _ client.ImmuClient = tok
}
