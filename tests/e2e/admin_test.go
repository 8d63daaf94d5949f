package e2e

import (
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/database"
)

// Database management rpcs, V2 and the deprecated ones the CLIs call.
func TestDatabaseAdministration(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")

	r, err := e.cli.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: "Sales", Settings: &schema.DatabaseNullableSettings{
		MaxKeyLen: &schema.NullableUint32{Value: 64}}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "sales" || r.Settings.GetMaxKeyLen().GetValue() != 64 || r.Settings.GetMaxValueLen().GetValue() != 33554432 {
		t.Fatalf("create reply %v", r)
	}
	_, err = e.cli.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: "sales"})
	wantErr(t, err, codes.Unknown, "database already exists")
	_, err = e.cli.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: "systemdb"})
	wantErr(t, err, codes.Unknown, "database is reserved")
	if _, err = e.cli.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: "../etc"}); err == nil {
		t.Fatal("path characters accepted in a database name")
	}
	if _, err := e.cli.CreateDatabaseWith(ctx, &schema.DatabaseSettings{DatabaseName: "legacy", MaxKeyLen: 128}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.CreateDatabase(ctx, &schema.Database{DatabaseName: "older"}); err != nil {
		t.Fatal(err)
	}

	l, err := e.cli.DatabaseListV2(ctx, &schema.DatabaseListRequestV2{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range l.Databases {
		names = append(names, d.Name)
		if d.Name == "sales" && (d.CreatedBy != "immudb" || d.CreatedAt == 0 || !d.Loaded) {
			t.Fatalf("info %v", d)
		}
	}
	if len(names) != 4 || names[0] != "defaultdb" {
		t.Fatalf("list %v", names)
	}
	old, err := e.cli.DatabaseList(ctx, &emptypb.Empty{})
	if err != nil || len(old.Databases) != 4 {
		t.Fatalf("deprecated list %v %v", old, err)
	}

	// Settings of the selected database, both shapes.
	if _, err := e.cli.UseDatabase(ctx, &schema.Database{DatabaseName: "legacy"}); err != nil {
		t.Fatal(err)
	}
	gs, err := e.cli.GetDatabaseSettingsV2(ctx, &schema.DatabaseSettingsRequest{})
	if err != nil || gs.Database != "legacy" || gs.Settings.GetMaxKeyLen().GetValue() != 128 {
		t.Fatalf("settings v2 %v %v", gs, err)
	}
	g1, err := e.cli.GetDatabaseSettings(ctx, &emptypb.Empty{})
	if err != nil || g1.DatabaseName != "legacy" || g1.MaxKeyLen != 128 {
		t.Fatalf("settings v1 %v %v", g1, err)
	}
	if _, err := e.cli.FlushIndex(ctx, &schema.FlushIndexRequest{CleanupPercentage: 0, Synced: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.CompactIndex(ctx, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}

	// Update, replica mode refuses writes, and back.
	up, err := e.cli.UpdateDatabaseV2(ctx, &schema.UpdateDatabaseRequest{Database: "legacy", Settings: &schema.DatabaseNullableSettings{
		ReplicationSettings: &schema.ReplicationNullableSettings{Replica: &schema.NullableBool{Value: true}}}})
	if err != nil || !up.Settings.GetReplicationSettings().GetReplica().GetValue() {
		t.Fatalf("update %v %v", up, err)
	}
	_, err = e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}})
	wantErr(t, err, codes.Unknown, "database is read-only because it's a replica")
	if _, err := e.cli.UpdateDatabase(ctx, &schema.DatabaseSettings{DatabaseName: "legacy", Replica: false}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}}); err != nil {
		t.Fatal(err)
	}

	// Unload, load, delete.
	_, err = e.cli.UnloadDatabase(ctx, &schema.UnloadDatabaseRequest{Database: "defaultdb"})
	wantErr(t, err, codes.Unknown, "database is reserved")
	if _, err := e.cli.UnloadDatabase(ctx, &schema.UnloadDatabaseRequest{Database: "older"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.UseDatabase(ctx, &schema.Database{DatabaseName: "older"}); err == nil {
		t.Fatal("an unloaded database was selected")
	}
	if _, err := e.cli.LoadDatabase(ctx, &schema.LoadDatabaseRequest{Database: "older"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.DeleteDatabase(ctx, &schema.DeleteDatabaseRequest{Database: "older"})
	wantErr(t, err, codes.Unknown, database.ErrDatabaseLoaded.Error())
	if _, err := e.cli.UnloadDatabase(ctx, &schema.UnloadDatabaseRequest{Database: "older"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.DeleteDatabase(ctx, &schema.DeleteDatabaseRequest{Database: "older"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.UseDatabase(ctx, &schema.Database{DatabaseName: "older"})
	wantErr(t, err, codes.NotFound, "'older' does not exist")

	// systemdb is read-only from outside, even for the sysadmin.
	if _, err := e.cli.UseDatabase(ctx, &schema.Database{DatabaseName: "systemdb"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.CurrentState(ctx, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{kv("user:immudb", "x")}})
	wantErr(t, err, codes.PermissionDenied, "permission denied")
}

// User management: create, list, grant/revoke, password change,
// deactivation, and what an admin of one database may do.
func TestUserAdministration(t *testing.T) {
	e := startServer(t, nil)
	root := e.session(t, "immudb", "immudb", "defaultdb")
	if _, err := e.cli.CreateDatabaseV2(root, &schema.CreateDatabaseRequest{Name: "db1"}); err != nil {
		t.Fatal(err)
	}
	_, err := e.cli.CreateUser(root, &schema.CreateUserRequest{User: []byte("weak"), Password: []byte("short"), Permission: 1, Database: "db1"})
	if err == nil {
		t.Fatal("weak password accepted")
	}
	_, err = e.cli.CreateUser(root, &schema.CreateUserRequest{User: []byte("x"), Password: []byte("Str0ng!pw"), Permission: 255, Database: "db1"})
	if err == nil {
		t.Fatal("sysadmin granted")
	}
	for _, u := range []struct {
		name string
		perm uint32
	}{{"dbadmin", 254}, {"writer", 2}, {"reader", 1}} {
		if _, err := e.cli.CreateUser(root, &schema.CreateUserRequest{User: []byte(u.name), Password: []byte("Str0ng!pw"), Permission: u.perm, Database: "db1"}); err != nil {
			t.Fatalf("create %s: %v", u.name, err)
		}
	}
	ul, err := e.cli.ListUsers(root, &emptypb.Empty{})
	if err != nil || len(ul.Users) != 4 {
		t.Fatalf("list %v %v", ul, err)
	}

	// The reader reads db1 but cannot write it, nor select defaultdb.
	reader := e.session(t, "reader", "Str0ng!pw", "db1")
	if _, err := e.cli.CurrentState(reader, &emptypb.Empty{}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.Set(reader, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}})
	wantErr(t, err, codes.PermissionDenied, "permission denied")
	_, err = e.cli.UseDatabase(reader, &schema.Database{DatabaseName: "defaultdb"})
	wantErr(t, err, codes.PermissionDenied, "Logged in user does not have permission on this database")
	_, err = e.cli.OpenSession(callCtx(t), &schema.OpenSessionRequest{Username: []byte("reader"), Password: []byte("Str0ng!pw"), DatabaseName: "defaultdb"})
	wantErr(t, err, codes.PermissionDenied, "Logged in user does not have permission on this database")
	_, err = e.cli.ListUsers(reader, &emptypb.Empty{})
	wantErr(t, err, codes.PermissionDenied, "permission denied")

	// The db1 admin upgrades the reader, who can then write.
	admin := e.session(t, "dbadmin", "Str0ng!pw", "db1")
	if _, err := e.cli.ChangePermission(admin, &schema.ChangePermissionRequest{Action: schema.PermissionAction_GRANT, Username: "reader", Database: "db1", Permission: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.Set(reader, &schema.SetRequest{KVs: []*schema.KeyValue{kv("k", "v")}}); err != nil {
		t.Fatalf("write after grant: %v", err)
	}
	if _, err := e.cli.ChangePermission(admin, &schema.ChangePermissionRequest{Action: schema.PermissionAction_REVOKE, Username: "reader", Database: "db1"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.cli.CurrentState(reader, &emptypb.Empty{}); err == nil {
		t.Fatal("read after revoke")
	}
	// The db1 admin cannot create databases (sysadmin only).
	_, err = e.cli.CreateDatabaseV2(admin, &schema.CreateDatabaseRequest{Name: "mine"})
	wantErr(t, err, codes.PermissionDenied, "permission denied")

	// Password change: old password needed for oneself.
	writer := e.session(t, "writer", "Str0ng!pw", "db1")
	if _, err := e.cli.ChangePassword(writer, &schema.ChangePasswordRequest{User: []byte("writer"), OldPassword: []byte("wrong"), NewPassword: []byte("N3w!passw")}); err == nil {
		t.Fatal("password changed without the old one")
	}
	if _, err := e.cli.ChangePassword(writer, &schema.ChangePasswordRequest{User: []byte("writer"), OldPassword: []byte("Str0ng!pw"), NewPassword: []byte("N3w!passw")}); err != nil {
		t.Fatal(err)
	}
	e.session(t, "writer", "N3w!passw", "db1")

	// Deactivation logs the user out and refuses new logins.
	if _, err := e.cli.SetActiveUser(root, &schema.SetActiveUserRequest{Username: "writer", Active: false}); err != nil {
		t.Fatal(err)
	}
	_, err = e.cli.CurrentState(writer, &emptypb.Empty{})
	wantErr(t, err, codes.PermissionDenied, "session not found")
	_, err = e.cli.Login(callCtx(t), &schema.LoginRequest{User: []byte("writer"), Password: []byte("N3w!passw")})
	wantErr(t, err, codes.Unknown, "invalid user name or password")
}
