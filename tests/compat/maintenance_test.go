package compat

import (
	"testing"

	"github.com/codenotary/immudb/pkg/api/schema"
)

// TestMaintenanceMode: with --maintenance (and --auth=false, which immudb
// requires with it) writes are refused with immudb's status, reads answer,
// and nothing is written. The official schema stubs see the raw status.
func TestMaintenanceMode(t *testing.T) {
	s := startServer(t, false, "--maintenance", "--auth=false")
	sc := rawService(t, s)
	ctx := ctxT(t)
	const refused = "rpc error: code = InvalidArgument desc = operation not allowed in maintenance mode"
	_, err := sc.Set(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: []byte("v")}}})
	wantErr(t, "Set", err, refused)
	_, err = sc.VerifiableSet(ctx, &schema.VerifiableSetRequest{SetRequest: &schema.SetRequest{KVs: []*schema.KeyValue{{Key: []byte("k"), Value: []byte("v")}}}})
	wantErr(t, "VerifiableSet", err, refused)
	_, err = sc.ZAdd(ctx, &schema.ZAddRequest{Set: []byte("s"), Score: 1, Key: []byte("k")})
	wantErr(t, "ZAdd", err, refused)
	_, err = sc.Delete(ctx, &schema.DeleteKeysRequest{Keys: [][]byte{[]byte("k")}})
	wantErr(t, "Delete", err, refused)
	_, err = sc.CreateDatabaseV2(ctx, &schema.CreateDatabaseRequest{Name: "db1"})
	wantErr(t, "CreateDatabaseV2", err, refused)

	_, err = sc.Get(ctx, &schema.KeyRequest{Key: []byte("k")})
	wantErr(t, "Get", err, "rpc error: code = Unknown desc = tbtree: key not found")
	st, err := sc.CurrentState(ctx, nil)
	noErr(t, "CurrentState", err)
	if st.TxId != 0 {
		t.Errorf("CurrentState tx %d after refused writes, want 0", st.TxId)
	}
	_, err = sc.ListUsers(ctx, nil)
	noErr(t, "ListUsers", err)
}
