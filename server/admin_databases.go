package server

import (
	"cmp"
	"context"
	"slices"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/database"
	"github.com/attestdb/attestdb/server/auth"
)

// createDatabase creates a database (sysadmin only, checked by the
// interceptor) recording its creator. The database layer lower-cases the
// name and checks its rules; ifNotExists turns an existing name, the
// reserved defaultdb included, into alreadyExisted.
func (s *Server) createDatabase(ctx context.Context, name string, settings *schema.DatabaseNullableSettings, ifNotExists bool) (string, *schema.DatabaseNullableSettings, bool, error) {
	n, err := database.NormalizeName(name)
	if err != nil {
		return name, nil, false, err
	}
	if ifNotExists && n != auth.SystemDatabase && s.dbs.Exists(n) {
		st, err := s.dbs.Settings(n)
		return n, st, true, err
	}
	createdBy := ""
	if u := callerFrom(ctx).user; u != nil {
		createdBy = u.Username
	}
	st, err := s.dbs.Create(n, createdBy, settings)
	if err != nil {
		return n, nil, false, err
	}
	// Any user database ends single-db mode (API.md §2.3).
	s.singleDB.Store(false)
	s.log.Info("database created", "db", n, "by", createdBy)
	return n, st, false, nil
}

func (x *immuService) CreateDatabaseV2(ctx context.Context, req *schema.CreateDatabaseRequest) (*schema.CreateDatabaseResponse, error) {
	name, st, existed, err := x.s.createDatabase(ctx, req.Name, req.Settings, req.IfNotExists)
	if err != nil {
		return nil, err
	}
	return &schema.CreateDatabaseResponse{Name: name, Settings: st, AlreadyExisted: existed}, nil
}

// CreateDatabase (deprecated) creates with default settings.
func (x *immuService) CreateDatabase(ctx context.Context, req *schema.Database) (*emptypb.Empty, error) {
	_, _, _, err := x.s.createDatabase(ctx, req.DatabaseName, nil, false)
	return &emptypb.Empty{}, err
}

// CreateDatabaseWith (deprecated; the Go client's CreateDatabase) takes the
// flat v1 settings.
func (x *immuService) CreateDatabaseWith(ctx context.Context, req *schema.DatabaseSettings) (*emptypb.Empty, error) {
	_, _, _, err := x.s.createDatabase(ctx, req.DatabaseName, nullableFromFlat(req), false)
	return &emptypb.Empty{}, err
}

func (x *immuService) UpdateDatabaseV2(_ context.Context, req *schema.UpdateDatabaseRequest) (*schema.UpdateDatabaseResponse, error) {
	st, err := x.s.dbs.Update(req.Database, req.Settings)
	if err != nil {
		return nil, err
	}
	return &schema.UpdateDatabaseResponse{Database: req.Database, Settings: st}, nil
}

func (x *immuService) UpdateDatabase(_ context.Context, req *schema.DatabaseSettings) (*emptypb.Empty, error) {
	_, err := x.s.dbs.Update(req.DatabaseName, nullableFromFlat(req))
	return &emptypb.Empty{}, err
}

func (x *immuService) GetDatabaseSettingsV2(ctx context.Context, _ *schema.DatabaseSettingsRequest) (*schema.DatabaseSettingsResponse, error) {
	db, err := x.s.db(ctx)
	if err != nil {
		return nil, err
	}
	st, err := x.s.dbs.Settings(db.Name())
	if err != nil {
		return nil, err
	}
	return &schema.DatabaseSettingsResponse{Database: db.Name(), Settings: st}, nil
}

func (x *immuService) GetDatabaseSettings(ctx context.Context, _ *emptypb.Empty) (*schema.DatabaseSettings, error) {
	db, err := x.s.db(ctx)
	if err != nil {
		return nil, err
	}
	st, err := x.s.dbs.Settings(db.Name())
	if err != nil {
		return nil, err
	}
	return flatFromNullable(db.Name(), st), nil
}

func (x *immuService) LoadDatabase(_ context.Context, req *schema.LoadDatabaseRequest) (*schema.LoadDatabaseResponse, error) {
	if err := x.s.dbs.Load(req.Database); err != nil {
		return nil, err
	}
	return &schema.LoadDatabaseResponse{Database: req.Database}, nil
}

func (x *immuService) UnloadDatabase(_ context.Context, req *schema.UnloadDatabaseRequest) (*schema.UnloadDatabaseResponse, error) {
	if req.Database == auth.DefaultDatabase || req.Database == auth.SystemDatabase {
		return nil, ErrDatabaseReserved
	}
	if err := x.s.dbs.Unload(req.Database); err != nil {
		return nil, err
	}
	return &schema.UnloadDatabaseResponse{Database: req.Database}, nil
}

func (x *immuService) DeleteDatabase(_ context.Context, req *schema.DeleteDatabaseRequest) (*schema.DeleteDatabaseResponse, error) {
	if req.Database == auth.DefaultDatabase || req.Database == auth.SystemDatabase {
		return nil, ErrDatabaseReserved
	}
	if err := x.s.dbs.Delete(req.Database); err != nil {
		return nil, err
	}
	return &schema.DeleteDatabaseResponse{Database: req.Database}, nil
}

// visibleDatabases lists what the caller may see: everything for the
// sysadmin, otherwise the databases it has a permission on. The order is
// immudb's: defaultdb, then the others as they were created.
func (s *Server) visibleDatabases(ctx context.Context) []DatabaseInfo {
	u := callerFrom(ctx).user
	var out []DatabaseInfo
	for _, d := range s.dbs.List() {
		if d.Name == auth.SystemDatabase {
			continue
		}
		if u != nil && (u.SysAdmin || u.PermissionOn(d.Name) != auth.PermissionNone) {
			out = append(out, d)
		}
	}
	slices.SortStableFunc(out, func(a, b DatabaseInfo) int {
		if a.Name == auth.DefaultDatabase || b.Name == auth.DefaultDatabase {
			return cmp.Compare(boolRank(a.Name != auth.DefaultDatabase), boolRank(b.Name != auth.DefaultDatabase))
		}
		return a.CreatedAt.Compare(b.CreatedAt)
	})
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (x *immuService) DatabaseList(ctx context.Context, _ *emptypb.Empty) (*schema.DatabaseListResponse, error) {
	resp := &schema.DatabaseListResponse{}
	for _, d := range x.s.visibleDatabases(ctx) {
		resp.Databases = append(resp.Databases, &schema.Database{DatabaseName: d.Name})
	}
	return resp, nil
}

func (x *immuService) DatabaseListV2(ctx context.Context, _ *schema.DatabaseListRequestV2) (*schema.DatabaseListResponseV2, error) {
	resp := &schema.DatabaseListResponseV2{}
	for _, d := range x.s.visibleDatabases(ctx) {
		resp.Databases = append(resp.Databases, &schema.DatabaseInfo{
			Name: d.Name, Settings: d.Settings, Loaded: d.Loaded, DiskSize: d.DiskSize, NumTransactions: d.NumTx,
			CreatedAt: uint64(max(d.CreatedAt.Unix(), 0)), CreatedBy: d.CreatedBy,
		})
	}
	return resp, nil
}

func (x *immuService) FlushIndex(ctx context.Context, req *schema.FlushIndexRequest) (*schema.FlushIndexResponse, error) {
	db, err := x.s.db(ctx)
	if err != nil {
		return nil, err
	}
	if err := db.FlushIndex(ctx, req); err != nil {
		return nil, err
	}
	return &schema.FlushIndexResponse{Database: db.Name()}, nil
}

func (x *immuService) CompactIndex(ctx context.Context, _ *emptypb.Empty) (*emptypb.Empty, error) {
	db, err := x.s.db(ctx)
	if err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, db.CompactIndex(ctx)
}

// nullableFromFlat converts the v1 settings of the deprecated rpcs; zero
// numbers mean "default" there, so they stay unset.
func nullableFromFlat(f *schema.DatabaseSettings) *schema.DatabaseNullableSettings {
	n := &schema.DatabaseNullableSettings{
		ReplicationSettings: &schema.ReplicationNullableSettings{
			Replica:         &schema.NullableBool{Value: f.Replica},
			PrimaryDatabase: &schema.NullableString{Value: f.PrimaryDatabase},
			PrimaryHost:     &schema.NullableString{Value: f.PrimaryHost},
			PrimaryPort:     &schema.NullableUint32{Value: f.PrimaryPort},
			PrimaryUsername: &schema.NullableString{Value: f.PrimaryUsername},
			PrimaryPassword: &schema.NullableString{Value: f.PrimaryPassword},
		},
		ExcludeCommitTime: &schema.NullableBool{Value: f.ExcludeCommitTime},
	}
	if f.FileSize > 0 {
		n.FileSize = &schema.NullableUint32{Value: f.FileSize}
	}
	if f.MaxKeyLen > 0 {
		n.MaxKeyLen = &schema.NullableUint32{Value: f.MaxKeyLen}
	}
	if f.MaxValueLen > 0 {
		n.MaxValueLen = &schema.NullableUint32{Value: f.MaxValueLen}
	}
	if f.MaxTxEntries > 0 {
		n.MaxTxEntries = &schema.NullableUint32{Value: f.MaxTxEntries}
	}
	return n
}

func flatFromNullable(name string, n *schema.DatabaseNullableSettings) *schema.DatabaseSettings {
	f := &schema.DatabaseSettings{DatabaseName: name}
	if n == nil {
		return f
	}
	if r := n.ReplicationSettings; r != nil {
		f.Replica = r.GetReplica().GetValue()
		f.PrimaryDatabase = r.GetPrimaryDatabase().GetValue()
		f.PrimaryHost = r.GetPrimaryHost().GetValue()
		f.PrimaryPort = r.GetPrimaryPort().GetValue()
		f.PrimaryUsername = r.GetPrimaryUsername().GetValue()
		// The password is never sent back.
	}
	f.FileSize = n.GetFileSize().GetValue()
	f.MaxKeyLen = n.GetMaxKeyLen().GetValue()
	f.MaxValueLen = n.GetMaxValueLen().GetValue()
	f.MaxTxEntries = n.GetMaxTxEntries().GetValue()
	f.ExcludeCommitTime = n.GetExcludeCommitTime().GetValue()
	return f
}
