package auth

import "strings"

// Full gRPC method name prefixes.
const (
	ImmuServicePrefix          = "/immudb.schema.ImmuService/"
	AuthorizationServicePrefix = "/immudb.model.AuthorizationService/"
)

// Access says how a method is authorized.
type Access uint8

const (
	// AccessPublic needs no credentials (API.md §2.5).
	AccessPublic Access = iota + 1
	// AccessLoggedIn needs a valid session or token; the handler checks the
	// rest (e.g. ChangePassword on oneself, DatabaseList filtering).
	AccessLoggedIn
	// AccessUserAdmin needs the sysadmin or an admin of some database; the
	// Users methods then check the target database.
	AccessUserAdmin
	// AccessDatabase needs a selected database and Rule.Need on it.
	AccessDatabase
	// AccessSysAdmin needs the sysadmin.
	AccessSysAdmin
)

// Rule is the authorization rule of one method.
type Rule struct {
	Access Access
	// Need is the minimum permission on the selected database
	// (AccessDatabase only).
	Need Permission
	// SystemDB allows the method while systemdb is selected (read-style
	// methods only; systemdb is read-only from outside, and only the
	// sysadmin reads it).
	SystemDB bool
}

// rules is keyed by full method name. It covers every ImmuService RPC of
// immudb v1.11 and AuthorizationService; anything else is denied.
var rules = map[string]Rule{}

func init() {
	pub := Rule{Access: AccessPublic}
	logged := Rule{Access: AccessLoggedIn}
	userAdmin := Rule{Access: AccessUserAdmin}
	sys := Rule{Access: AccessSysAdmin}
	read := Rule{Access: AccessDatabase, Need: PermissionRead}
	readSys := Rule{Access: AccessDatabase, Need: PermissionRead, SystemDB: true}
	rw := Rule{Access: AccessDatabase, Need: PermissionReadWrite}
	rwSys := Rule{Access: AccessDatabase, Need: PermissionReadWrite, SystemDB: true}
	admin := Rule{Access: AccessDatabase, Need: PermissionAdmin}
	adminSys := Rule{Access: AccessDatabase, Need: PermissionAdmin, SystemDB: true}

	immu := map[string]Rule{
		// no credentials
		"Health": pub, "ServerInfo": pub, "Login": pub, "OpenSession": pub,

		// any logged-in user
		"Logout": logged, "CloseSession": logged, "KeepAlive": logged,
		"UseDatabase": logged, "ChangePassword": logged,
		"DatabaseList": logged, "DatabaseListV2": logged,

		// user management: handler checks the target database
		"ListUsers": userAdmin, "CreateUser": userAdmin, "ChangePermission": userAdmin,
		"SetActiveUser": userAdmin, "ChangeSQLPrivileges": userAdmin,

		// read
		"Get": readSys, "VerifiableGet": readSys, "streamGet": readSys, "streamVerifiableGet": readSys,
		"Scan": readSys, "streamScan": readSys, "ZScan": readSys, "streamZScan": readSys,
		"History": readSys, "streamHistory": readSys,
		"TxById": readSys, "VerifiableTxById": readSys, "TxScan": readSys,
		"Count": readSys, "CountAll": readSys, "CurrentState": readSys,
		"SQLQuery": readSys, "UnarySQLQuery": readSys, "ListTables": readSys,
		"DescribeTable": readSys, "VerifiableSQLGet": readSys,
		"DatabaseHealth": read, "GetDatabaseSettings": read, "GetDatabaseSettingsV2": read,
		"NewTx": read, "TxSQLQuery": read, "Commit": read, "Rollback": read,

		// readwrite (GetAll is a read, but immudb requires readwrite)
		"GetAll": rwSys,
		"Set":    rw, "VerifiableSet": rw, "streamSet": rw, "streamVerifiableSet": rw,
		"Delete": rw, "ExecAll": rw, "streamExecAll": rw,
		"SetReference": rw, "VerifiableSetReference": rw,
		"ZAdd": rw, "VerifiableZAdd": rw, "SQLExec": rw, "TxSQLExec": rw,

		// admin of the selected database
		"FlushIndex": adminSys, "CompactIndex": adminSys,
		"exportTx": adminSys, "streamExportTx": adminSys, "replicateTx": adminSys,
		"Dump": admin,

		// sysadmin
		"CreateDatabase": sys, "CreateDatabaseWith": sys, "CreateDatabaseV2": sys,
		"UpdateDatabase": sys, "UpdateDatabaseV2": sys,
		"LoadDatabase": sys, "UnloadDatabase": sys, "DeleteDatabase": sys,
		"TruncateDatabase": sys,
		"UpdateAuthConfig": sys, "UpdateMTLSConfig": sys,
	}
	for name, r := range immu {
		rules[ImmuServicePrefix+name] = r
	}
	rules[AuthorizationServicePrefix+"OpenSession"] = pub
	rules[AuthorizationServicePrefix+"KeepAlive"] = logged
	rules[AuthorizationServicePrefix+"CloseSession"] = logged
	// gRPC server reflection is public, as in immudb.
	rules["/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"] = pub
	rules["/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"] = pub
}

// RuleFor returns the rule of a full method name such as
// "/immudb.schema.ImmuService/Get".
func RuleFor(fullMethod string) (Rule, bool) {
	r, ok := rules[fullMethod]
	return r, ok
}

// IsPublic reports whether fullMethod needs no credentials.
func IsPublic(fullMethod string) bool {
	r, ok := rules[fullMethod]
	return ok && r.Access == AccessPublic
}

// Methods returns every method in the table (for tests and docs).
func Methods() []string {
	out := make([]string, 0, len(rules))
	for m := range rules {
		out = append(out, m)
	}
	return out
}

// ShortName strips the service prefix: "/immudb.schema.ImmuService/Get" →
// "Get".
func ShortName(fullMethod string) string {
	if i := strings.LastIndexByte(fullMethod, '/'); i >= 0 {
		return fullMethod[i+1:]
	}
	return fullMethod
}
