package server

import (
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/attestdb/attestdb/api/schema"
)

func TestDeprecatedConfigRPCsNotSupported(t *testing.T) {
	ts := startTestServer(t, nil)
	ctx := withSession(callCtx(t), openSession(t, ts, "immudb", "immudb", "defaultdb"))
	_, err := ts.cli.UpdateAuthConfig(ctx, &schema.AuthConfig{Kind: 1})
	wantStatus(t, err, codes.Unknown, "operation not supported", "")
	_, err = ts.cli.UpdateMTLSConfig(ctx, &schema.MTLSConfig{Enabled: true})
	wantStatus(t, err, codes.Unknown, "operation not supported", "")
}

func TestChangeSQLPrivileges(t *testing.T) {
	ts := startTestServer(t, nil)
	ctx := withSession(callCtx(t), openSession(t, ts, "immudb", "immudb", "defaultdb"))
	grant := schema.PermissionAction_GRANT
	for _, tc := range []struct {
		name string
		req  *schema.ChangeSQLPrivilegesRequest
		code codes.Code
		msg  string
	}{
		{"no user", &schema.ChangeSQLPrivilegesRequest{Database: "defaultdb", Action: grant}, codes.InvalidArgument, "username can not be empty"},
		{"unknown db", &schema.ChangeSQLPrivilegesRequest{Username: "u", Database: "nope", Action: grant}, codes.InvalidArgument, "database does not exist"},
		{"bad action", &schema.ChangeSQLPrivilegesRequest{Username: "u", Database: "defaultdb", Action: 7}, codes.InvalidArgument, "action not recognized"},
		{"bad privilege", &schema.ChangeSQLPrivilegesRequest{Username: "u", Database: "defaultdb", Action: grant, Privileges: []string{"SELECT", "TRUNCATE"}}, codes.InvalidArgument, "SQL privilege not recognized"},
		{"own", &schema.ChangeSQLPrivilegesRequest{Username: "immudb", Database: "defaultdb", Action: grant}, codes.InvalidArgument, "changing your own privileges is not allowed"},
		{"valid", &schema.ChangeSQLPrivilegesRequest{Username: "u", Database: "defaultdb", Action: grant, Privileges: []string{"SELECT"}}, codes.Unknown, "operation not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ts.cli.ChangeSQLPrivileges(ctx, tc.req)
			wantStatus(t, err, tc.code, tc.msg, "")
		})
	}
}
