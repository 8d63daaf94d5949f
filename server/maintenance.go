package server

import (
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/attestdb/attestdb/server/auth"
)

// --maintenance, as immudb v1.11 defines it: a recovery mode for an
// operator with authentication off. The server refuses to start with
// authentication on; once up, the databases answer reads (and index
// flush/compaction) but every call that would change data, users or
// database settings is refused with InvalidArgument "operation not allowed
// in maintenance mode". Session, login, database list/load/unload and
// server-level calls stay available.

var (
	// ErrNotAllowedInMaintenanceMode is immudb's status for a refused call.
	ErrNotAllowedInMaintenanceMode = status.Error(codes.InvalidArgument, "operation not allowed in maintenance mode")
	// ErrAuthMustBeDisabled: --maintenance with --auth (immudb's text).
	ErrAuthMustBeDisabled = status.Error(codes.InvalidArgument, "authentication must be disabled when restoring systemdb")
)

// maintenanceReads are the database methods immudb still serves in
// maintenance mode (its own list, in our RPC names). Any other method that
// works on a selected database is refused.
var maintenanceReads = map[string]bool{
	"Get": true, "VerifiableGet": true, "streamGet": true, "streamVerifiableGet": true,
	"GetAll": true, "ZScan": true, "streamZScan": true,
	"Scan": true, "streamScan": true, "History": true, "streamHistory": true,
	"TxById": true, "VerifiableTxById": true, "TxScan": true,
	"exportTx": true, "streamExportTx": true, "replicateTx": true,
	"Count": true, "CountAll": true, "CurrentState": true,
	"SQLQuery": true, "UnarySQLQuery": true, "ListTables": true, "DescribeTable": true, "VerifiableSQLGet": true,
	"ListUsers": true, "FlushIndex": true, "CompactIndex": true,
}

// maintenanceWrites are the methods outside the database group that immudb
// refuses in maintenance mode: user and database administration.
// DeleteDatabase and TruncateDatabase destroy data: immudb refuses them
// whenever authentication is off, which maintenance mode requires (with
// "authentication must be on"); here they get the maintenance refusal.
var maintenanceWrites = map[string]bool{
	"CreateUser": true, "ChangePassword": true, "ChangePermission": true,
	"SetActiveUser": true, "ChangeSQLPrivileges": true,
	"CreateDatabase": true, "CreateDatabaseWith": true, "CreateDatabaseV2": true,
	"UpdateDatabase": true, "UpdateDatabaseV2": true,
	"DeleteDatabase": true, "TruncateDatabase": true,
}

// refusedInMaintenance reports whether fullMethod is refused while the
// server runs with --maintenance.
func refusedInMaintenance(fullMethod string) bool {
	name := auth.ShortName(fullMethod)
	if maintenanceWrites[name] {
		return true
	}
	r, ok := auth.RuleFor(fullMethod)
	return ok && r.Access == auth.AccessDatabase && !maintenanceReads[name]
}
