package client

import (
	"context"
	"testing"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// TestOperationRequests checks that each wrapper calls the right RPC with
// the request its arguments describe.
func TestOperationRequests(t *testing.T) {
	var gotMethod string
	var gotReq proto.Message
	f := newFakeServer(t, "u", func(m string, _ metadata.MD, req proto.Message) (proto.Message, error) {
		gotMethod, gotReq = m, req
		sd, _ := protoregistry.GlobalFiles.FindDescriptorByName("immudb.schema.ImmuService")
		out := sd.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(m)).Output()
		mt, err := protoregistry.GlobalTypes.FindMessageByName(out.FullName())
		if err != nil {
			return nil, err
		}
		return mt.New().Interface(), nil
	})
	c := testClient(t, f, nil)
	k, v := []byte("k"), []byte("v")
	settings := &schema.DatabaseNullableSettings{}
	cases := []struct {
		method string
		req    proto.Message
		call   func(context.Context) error
	}{
		{"Set", &schema.SetRequest{KVs: []*schema.KeyValue{{Key: k, Value: v}}}, func(ctx context.Context) error { _, err := c.Set(ctx, k, v); return err }},
		{"Get", &schema.KeyRequest{Key: k, AtTx: 4}, func(ctx context.Context) error { _, err := c.GetAt(ctx, k, 4); return err }},
		{"Get", &schema.KeyRequest{Key: k, SinceTx: 4}, func(ctx context.Context) error { _, err := c.GetSince(ctx, k, 4); return err }},
		{"Get", &schema.KeyRequest{Key: k, AtRevision: -1}, func(ctx context.Context) error { _, err := c.GetAtRevision(ctx, k, -1); return err }},
		{"Get", &schema.KeyRequest{Key: k, NoWait: true}, func(ctx context.Context) error { _, err := c.Get(ctx, k, NoWait(true)); return err }},
		{"GetAll", &schema.KeyListRequest{Keys: [][]byte{k, v}}, func(ctx context.Context) error { _, err := c.GetAll(ctx, [][]byte{k, v}); return err }},
		{"Delete", &schema.DeleteKeysRequest{Keys: [][]byte{k}}, func(ctx context.Context) error {
			_, err := c.Delete(ctx, &schema.DeleteKeysRequest{Keys: [][]byte{k}})
			return err
		}},
		{"ExecAll", &schema.ExecAllRequest{}, func(ctx context.Context) error { _, err := c.ExecAll(ctx, &schema.ExecAllRequest{}); return err }},
		{"Count", &schema.KeyPrefix{Prefix: k}, func(ctx context.Context) error { _, err := c.Count(ctx, k); return err }},
		{"CountAll", &emptypb.Empty{}, func(ctx context.Context) error { _, err := c.CountAll(ctx); return err }},
		{"SetReference", &schema.ReferenceRequest{Key: k, ReferencedKey: v, AtTx: 2, BoundRef: true}, func(ctx context.Context) error {
			_, err := c.SetReference(ctx, k, v, 2)
			return err
		}},
		{"ZAdd", &schema.ZAddRequest{Set: v, Score: 1.5, Key: k}, func(ctx context.Context) error { _, err := c.ZAdd(ctx, v, 1.5, k, 0); return err }},
		{"TxById", &schema.TxRequest{Tx: 3}, func(ctx context.Context) error { _, err := c.TxByID(ctx, 3); return err }},
		{"TxScan", &schema.TxScanRequest{InitialTx: 2}, func(ctx context.Context) error {
			_, err := c.TxScan(ctx, &schema.TxScanRequest{InitialTx: 2})
			return err
		}},
		{"DatabaseHealth", &emptypb.Empty{}, func(ctx context.Context) error { _, err := c.DatabaseHealth(ctx); return err }},
		{"CreateDatabaseV2", &schema.CreateDatabaseRequest{Name: "d", Settings: settings}, func(ctx context.Context) error {
			_, err := c.CreateDatabaseV2(ctx, "d", settings)
			return err
		}},
		{"LoadDatabase", &schema.LoadDatabaseRequest{Database: "d"}, func(ctx context.Context) error { _, err := c.LoadDatabase(ctx, "d"); return err }},
		{"UnloadDatabase", &schema.UnloadDatabaseRequest{Database: "d"}, func(ctx context.Context) error { _, err := c.UnloadDatabase(ctx, "d"); return err }},
		{"DeleteDatabase", &schema.DeleteDatabaseRequest{Database: "d"}, func(ctx context.Context) error { _, err := c.DeleteDatabase(ctx, "d"); return err }},
		{"UpdateDatabaseV2", &schema.UpdateDatabaseRequest{Database: "d", Settings: settings}, func(ctx context.Context) error {
			_, err := c.UpdateDatabaseV2(ctx, "d", settings)
			return err
		}},
		{"GetDatabaseSettingsV2", &schema.DatabaseSettingsRequest{}, func(ctx context.Context) error { _, err := c.GetDatabaseSettingsV2(ctx); return err }},
		{"FlushIndex", &schema.FlushIndexRequest{CleanupPercentage: 10, Synced: true}, func(ctx context.Context) error {
			_, err := c.FlushIndex(ctx, 10, true)
			return err
		}},
		{"CompactIndex", &emptypb.Empty{}, func(ctx context.Context) error { return c.CompactIndex(ctx) }},
		{"ListUsers", &emptypb.Empty{}, func(ctx context.Context) error { _, err := c.ListUsers(ctx); return err }},
		{"CreateUser", &schema.CreateUserRequest{User: k, Password: v, Permission: 2, Database: "d"}, func(ctx context.Context) error {
			return c.CreateUser(ctx, k, v, 2, "d")
		}},
		{"ChangePassword", &schema.ChangePasswordRequest{User: k, OldPassword: v, NewPassword: k}, func(ctx context.Context) error {
			return c.ChangePassword(ctx, k, v, k)
		}},
		{"ChangePermission", &schema.ChangePermissionRequest{Action: schema.PermissionAction_REVOKE, Username: "u", Database: "d", Permission: 1}, func(ctx context.Context) error {
			return c.ChangePermission(ctx, schema.PermissionAction_REVOKE, "u", "d", 1)
		}},
		{"SetActiveUser", &schema.SetActiveUserRequest{Username: "u", Active: true}, func(ctx context.Context) error {
			return c.SetActiveUser(ctx, "u", true)
		}},
	}
	ctx := testCtx(t)
	for _, tc := range cases {
		gotMethod, gotReq = "", nil
		if err := tc.call(ctx); err != nil {
			t.Errorf("%s: %v", tc.method, err)
			continue
		}
		if gotMethod != tc.method || !proto.Equal(gotReq, tc.req) {
			t.Errorf("%s: server got %s %v, want %v", tc.method, gotMethod, gotReq, tc.req)
		}
	}
}
