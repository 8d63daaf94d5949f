package auth

import (
	"errors"
	"strings"
	"testing"
)

func method(name string) string { return ImmuServicePrefix + name }

// API.md §2.1: which permission can call which RPC.
var (
	readMethods = []string{"Get", "VerifiableGet", "Scan", "ZScan", "History", "TxById",
		"VerifiableTxById", "TxScan", "Count", "CountAll", "CurrentState", "DatabaseHealth",
		"SQLQuery", "ListTables", "DescribeTable", "VerifiableSQLGet",
		"streamGet", "streamVerifiableGet", "streamScan", "streamZScan", "streamHistory"}
	rwMethods = []string{"Set", "VerifiableSet", "Delete", "GetAll", "ExecAll", "SetReference",
		"VerifiableSetReference", "ZAdd", "VerifiableZAdd", "SQLExec",
		"streamSet", "streamVerifiableSet", "streamExecAll"}
	adminMethods    = []string{"FlushIndex", "CompactIndex", "exportTx", "replicateTx"}
	sysadminMethods = []string{"CreateDatabase", "CreateDatabaseWith", "CreateDatabaseV2", "UpdateDatabase",
		"UpdateDatabaseV2", "LoadDatabase", "UnloadDatabase", "DeleteDatabase"}
	publicMethods = []string{"Health", "ServerInfo", "Login", "OpenSession"}
)

func userWith(perm Permission, db string) *User {
	u := &User{Username: "u", Active: true}
	if perm == PermissionSysAdmin {
		u.Username, u.SysAdmin = SysAdminUsername, true
	} else if perm != PermissionNone {
		u.setPermission(db, perm)
	}
	return u
}

func TestPermissionTable(t *testing.T) {
	levels := []Permission{PermissionNone, PermissionRead, PermissionReadWrite, PermissionAdmin, PermissionSysAdmin}
	groups := []struct {
		methods []string
		need    Permission
	}{
		{readMethods, PermissionRead},
		{rwMethods, PermissionReadWrite},
		{adminMethods, PermissionAdmin},
	}
	for _, g := range groups {
		for _, m := range g.methods {
			for _, have := range levels {
				err := Authorize(method(m), Caller{User: userWith(have, "db1"), Database: "db1"})
				allowed := have >= g.need
				if allowed && err != nil || !allowed && !errors.Is(err, ErrPermissionDenied) {
					t.Errorf("%s with %v: err = %v, allowed should be %v", m, have, err, allowed)
				}
			}
		}
	}
	for _, m := range sysadminMethods {
		for _, have := range levels {
			err := Authorize(method(m), Caller{User: userWith(have, "db1"), Database: "db1"})
			if have == PermissionSysAdmin && err != nil || have != PermissionSysAdmin && !errors.Is(err, ErrPermissionDenied) {
				t.Errorf("%s with %v: %v", m, have, err)
			}
		}
	}
}

func TestGetAllNeedsReadWrite(t *testing.T) {
	err := Authorize(method("GetAll"), Caller{User: userWith(PermissionRead, "db1"), Database: "db1"})
	if !errors.Is(err, ErrPermissionDenied) {
		t.Fatalf("GetAll with read: %v", err)
	}
}

func TestPublicMethodsNeedNoCredentials(t *testing.T) {
	for _, m := range publicMethods {
		if err := Authorize(method(m), Caller{}); err != nil {
			t.Errorf("%s: %v", m, err)
		}
		if !IsPublic(method(m)) {
			t.Errorf("%s not public", m)
		}
	}
	if err := Authorize(AuthorizationServicePrefix+"OpenSession", Caller{}); err != nil {
		t.Error(err)
	}
}

func TestEverythingElseNeedsLogin(t *testing.T) {
	for _, m := range Methods() {
		if IsPublic(m) {
			continue
		}
		if err := Authorize(m, Caller{}); !errors.Is(err, ErrNotLoggedIn) {
			t.Errorf("%s without credentials: %v", m, err)
		}
	}
}

func TestUnknownMethodDenied(t *testing.T) {
	for _, m := range []string{"", "/immudb.schema.ImmuService/Nope", "/other.Service/Get", "Get"} {
		err := Authorize(m, Caller{User: userWith(PermissionSysAdmin, ""), Database: "defaultdb"})
		if !errors.Is(err, ErrPermissionDenied) {
			t.Errorf("%q: %v", m, err)
		}
	}
}

func TestNoDatabaseSelected(t *testing.T) {
	u := userWith(PermissionSysAdmin, "")
	if err := Authorize(method("Get"), Caller{User: u}); !errors.Is(err, ErrNoDatabaseSelected) {
		t.Fatalf("Get without db: %v", err)
	}
	for _, m := range []string{"UseDatabase", "Logout", "DatabaseList", "DatabaseListV2", "ChangePassword", "KeepAlive", "CloseSession"} {
		if err := Authorize(method(m), Caller{User: userWith(PermissionRead, "db1")}); err != nil {
			t.Errorf("%s without db: %v", m, err)
		}
	}
	if err := Authorize(method("CreateDatabaseV2"), Caller{User: u}); err != nil {
		t.Errorf("CreateDatabaseV2 without db: %v", err)
	}
}

func TestSystemDBIsReadOnlyAndSysAdminOnly(t *testing.T) {
	sys := Caller{User: userWith(PermissionSysAdmin, ""), Database: SystemDatabase}
	for _, m := range []string{"Get", "Scan", "History", "TxById", "CurrentState", "SQLQuery", "VerifiableGet", "GetAll", "FlushIndex"} {
		if err := Authorize(method(m), sys); err != nil {
			t.Errorf("sysadmin %s on systemdb: %v", m, err)
		}
	}
	for _, m := range append(append([]string{}, rwMethods[:]...), "DatabaseHealth", "NewTx", "TxSQLExec") {
		if m == "GetAll" {
			continue
		}
		if err := Authorize(method(m), sys); !errors.Is(err, ErrPermissionDenied) {
			t.Errorf("sysadmin %s on systemdb: %v", m, err)
		}
	}
	// A user holding a (bogus) grant on systemdb still cannot read it.
	u := &User{Username: "u", Active: true, Permissions: []DatabasePermission{{SystemDatabase, PermissionAdmin}}}
	if err := Authorize(method("Get"), Caller{User: u, Database: SystemDatabase}); !errors.Is(err, ErrPermissionDenied) {
		t.Errorf("non-sysadmin read of systemdb: %v", err)
	}
}

func TestUserAdminMethods(t *testing.T) {
	for _, m := range []string{"ListUsers", "CreateUser", "ChangePermission", "SetActiveUser"} {
		if err := Authorize(method(m), Caller{User: userWith(PermissionAdmin, "db1")}); err != nil {
			t.Errorf("admin %s: %v", m, err)
		}
		if err := Authorize(method(m), Caller{User: userWith(PermissionReadWrite, "db1"), Database: "db1"}); !errors.Is(err, ErrPermissionDenied) {
			t.Errorf("readwrite %s: %v", m, err)
		}
	}
}

func TestInactiveUserDenied(t *testing.T) {
	u := userWith(PermissionReadWrite, "db1")
	u.Active = false
	if err := Authorize(method("Get"), Caller{User: u, Database: "db1"}); !errors.Is(err, ErrPermissionDenied) {
		t.Fatal(err)
	}
}

func TestPermissionOnOtherDatabaseDoesNotCount(t *testing.T) {
	u := userWith(PermissionAdmin, "db1")
	if err := Authorize(method("Get"), Caller{User: u, Database: "db2"}); !errors.Is(err, ErrPermissionDenied) {
		t.Fatal(err)
	}
}

func TestTableCoversProto(t *testing.T) {
	// Every ImmuService RPC of immudb v1.11 (API.md §9) has a rule.
	all := strings.Fields(`ListUsers CreateUser ChangePassword ChangePermission SetActiveUser
		UpdateAuthConfig UpdateMTLSConfig OpenSession CloseSession KeepAlive NewTx Commit Rollback
		TxSQLExec TxSQLQuery Login Logout Set VerifiableSet Get VerifiableGet Delete GetAll ExecAll
		Scan Count CountAll TxById VerifiableTxById TxScan History ServerInfo Health DatabaseHealth
		CurrentState SetReference VerifiableSetReference ZAdd VerifiableZAdd ZScan CreateDatabase
		CreateDatabaseWith CreateDatabaseV2 LoadDatabase UnloadDatabase DeleteDatabase DatabaseList
		DatabaseListV2 UseDatabase UpdateDatabase UpdateDatabaseV2 GetDatabaseSettings
		GetDatabaseSettingsV2 FlushIndex CompactIndex streamGet streamSet streamVerifiableGet
		streamVerifiableSet streamScan streamZScan streamHistory streamExecAll exportTx
		replicateTx streamExportTx SQLExec UnarySQLQuery SQLQuery ListTables DescribeTable
		VerifiableSQLGet TruncateDatabase ChangeSQLPrivileges`)
	for _, m := range all {
		if _, ok := RuleFor(method(m)); !ok {
			t.Errorf("no rule for %s", m)
		}
	}
	if ShortName(method("Get")) != "Get" {
		t.Error("ShortName")
	}
}
