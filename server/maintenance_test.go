package server

import (
	"context"
	"errors"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

func TestMaintenanceNeedsAuthOff(t *testing.T) {
	opts := DefaultOptions(t.TempDir())
	opts.Maintenance = true // Auth stays on, as by default
	_, err := newServer(opts, newFakeDBs(), nil)
	if !errors.Is(err, ErrAuthMustBeDisabled) {
		t.Fatalf("want %v, got %v", ErrAuthMustBeDisabled, err)
	}
}

// TestMaintenanceRefusesWrites drives the server with --maintenance and
// auth off (callers act as the superuser): reads and index work answer,
// writes to data, users and database settings do not.
func TestMaintenanceRefusesWrites(t *testing.T) {
	ts := startTestServer(t, func(o *Options) { o.Auth = false; o.Maintenance = true })
	cli := ts.cli
	refused := map[string]func(context.Context) error{
		"Set": func(ctx context.Context) error {
			_, err := cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: []byte("v")}}})
			return err
		},
		"VerifiableSet": func(ctx context.Context) error {
			_, err := cli.VerifiableSet(ctx, &schema.VerifiableSetRequest{SetRequest: &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k")}}}})
			return err
		},
		"Delete": func(ctx context.Context) error {
			_, err := cli.Delete(ctx, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte("k")}})
			return err
		},
		"ExecAll": func(ctx context.Context) error {
			_, err := cli.ExecAll(ctx, &schema.ExecAllRequest{})
			return err
		},
		"ZAdd": func(ctx context.Context) error {
			_, err := cli.ZAdd(ctx, &schema.ZAddRequest{Set: []byte("s"), Key: []byte("k")})
			return err
		},
		"SetReference": func(ctx context.Context) error {
			_, err := cli.SetReference(ctx, &schema.ReferenceRequest{Key: []byte("r"), ReferencedKey: []byte("k")})
			return err
		},
		"streamSet": func(ctx context.Context) error {
			st, err := cli.StreamSet(ctx)
			if err != nil {
				return err
			}
			_, err = st.CloseAndRecv()
			return err
		},
		"DatabaseHealth": func(ctx context.Context) error {
			_, err := cli.DatabaseHealth(ctx, &emptypb.Empty{})
			return err
		},
		"CreateDatabaseV2": func(ctx context.Context) error {
			_, err := cli.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: "db1"})
			return err
		},
		"UpdateDatabaseV2": func(ctx context.Context) error {
			_, err := cli.UpdateDatabaseV2(ctx, &schema.UpdateDatabaseRequest{Database: "defaultdb"})
			return err
		},
		"CreateUser": func(ctx context.Context) error {
			_, err := cli.CreateUser(ctx, &schema.CreateUserRequest{User: []byte("u1"), Password: []byte("Passw0rd!"), Permission: 1, Database: "defaultdb"})
			return err
		},
		"DeleteDatabase": func(ctx context.Context) error {
			_, err := cli.DeleteDatabase(ctx, &schema.DeleteDatabaseRequest{Database: "db1"})
			return err
		},
		"TruncateDatabase": func(ctx context.Context) error {
			_, err := cli.TruncateDatabase(ctx, &schema.TruncateDatabaseRequest{Database: "db1"})
			return err
		},
		"ChangePassword": func(ctx context.Context) error {
			_, err := cli.ChangePassword(ctx, &schema.ChangePasswordRequest{User: []byte("immudb"), OldPassword: []byte("immudb"), NewPassword: []byte("Passw0rd!")})
			return err
		},
	}
	for name, call := range refused {
		t.Run("refused/"+name, func(t *testing.T) {
			wantStatus(t, call(callCtx(t)), codes.InvalidArgument, "operation not allowed in maintenance mode", "")
		})
	}
	if _, err := cli.CurrentState(callCtx(t), &emptypb.Empty{}); err != nil {
		t.Fatalf("CurrentState in maintenance: %v", err)
	}
	if _, err := cli.ListUsers(callCtx(t), &emptypb.Empty{}); err != nil {
		t.Fatalf("ListUsers in maintenance: %v", err)
	}
	if _, err := cli.Health(callCtx(t), &emptypb.Empty{}); err != nil {
		t.Fatalf("Health in maintenance: %v", err)
	}
	if _, err := cli.DatabaseListV2(callCtx(t), &schema.DatabaseListRequestV2{}); err != nil {
		t.Fatalf("DatabaseListV2 in maintenance: %v", err)
	}
	// Get reaches the database (the fake answers key not found), not the
	// maintenance refusal.
	wantStatus(t, func() error {
		_, err := cli.Get(callCtx(t), &schema.KeyRequest{Key: []byte("k")})
		return err
	}(), codes.Unknown, "tbtree: key not found", "")
	if ts.dbs.dbs["defaultdb"].txs != 0 {
		t.Fatalf("a refused write reached the database")
	}
}

func TestRefusedInMaintenanceTable(t *testing.T) {
	for m, want := range map[string]bool{
		"/immudb.schema.ImmuService/Set":              true,
		"/immudb.schema.ImmuService/streamExecAll":    true,
		"/immudb.schema.ImmuService/SQLExec":          true,
		"/immudb.schema.ImmuService/SetActiveUser":    true,
		"/immudb.schema.ImmuService/CreateDatabase":   true,
		"/immudb.schema.ImmuService/DeleteDatabase":   true,
		"/immudb.schema.ImmuService/Get":              false,
		"/immudb.schema.ImmuService/streamHistory":    false,
		"/immudb.schema.ImmuService/VerifiableTxById": false,
		"/immudb.schema.ImmuService/CompactIndex":     false,
		"/immudb.schema.ImmuService/Login":            false,
		"/immudb.schema.ImmuService/UseDatabase":      false,
		"/immudb.schema.ImmuService/LoadDatabase":     false,
		"/immudb.schema.ImmuService/ListUsers":        false,
	} {
		if got := refusedInMaintenance(m); got != want {
			t.Errorf("%s: refused=%v, want %v", m, got, want)
		}
	}
}
