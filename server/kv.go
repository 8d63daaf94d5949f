package server

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/server/auth"
)

// immuService implements immudb.schema.ImmuService. Every rpc we do not
// implement answers Unimplemented through the embedded type. Handlers are
// thin: the interceptor has authorized the call, they pick the database
// and call it.
type immuService struct {
	schema.UnimplementedImmuServiceServer
	s *Server
}

// db returns the database the caller selected.
func (s *Server) db(ctx context.Context) (Database, error) {
	c := callerFrom(ctx)
	if c.database == "" {
		return nil, auth.ErrNoDatabaseSelected
	}
	return s.dbs.Get(c.database)
}

// call runs fn on the caller's database.
func call[Req, Resp any](ctx context.Context, s *Server, req Req, fn func(Database, context.Context, Req) (Resp, error)) (Resp, error) {
	db, err := s.db(ctx)
	if err != nil {
		var zero Resp
		return zero, err
	}
	return fn(db, ctx, req)
}

// verifiable runs a Verifiable* write or read and signs its target state.
func verifiable[Req any](ctx context.Context, s *Server, req Req, fn func(Database, context.Context, Req) (*schema.VerifiableTx, error)) (*schema.VerifiableTx, error) {
	db, err := s.db(ctx)
	if err != nil {
		return nil, err
	}
	vtx, err := fn(db, ctx, req)
	if err != nil {
		return nil, err
	}
	if err := s.signVerifiableTx(db.Name(), vtx); err != nil {
		return nil, err
	}
	return vtx, nil
}

func (x *immuService) Set(ctx context.Context, req *schema.SetRequest) (*schema.TxHeader, error) {
	return call(ctx, x.s, req, Database.Set)
}

func (x *immuService) VerifiableSet(ctx context.Context, req *schema.VerifiableSetRequest) (*schema.VerifiableTx, error) {
	return verifiable(ctx, x.s, req, Database.VerifiableSet)
}

func (x *immuService) Get(ctx context.Context, req *schema.KeyRequest) (*schema.Entry, error) {
	return call(ctx, x.s, req, Database.Get)
}

func (x *immuService) VerifiableGet(ctx context.Context, req *schema.VerifiableGetRequest) (*schema.VerifiableEntry, error) {
	db, err := x.s.db(ctx)
	if err != nil {
		return nil, err
	}
	ve, err := db.VerifiableGet(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := x.s.signVerifiableTx(db.Name(), ve.VerifiableTx); err != nil {
		return nil, err
	}
	return ve, nil
}

func (x *immuService) GetAll(ctx context.Context, req *schema.KeyListRequest) (*schema.Entries, error) {
	return call(ctx, x.s, req, Database.GetAll)
}

func (x *immuService) Delete(ctx context.Context, req *schema.DeleteKeysRequest) (*schema.TxHeader, error) {
	return call(ctx, x.s, req, Database.Delete)
}

func (x *immuService) ExecAll(ctx context.Context, req *schema.ExecAllRequest) (*schema.TxHeader, error) {
	return call(ctx, x.s, req, Database.ExecAll)
}

func (x *immuService) Scan(ctx context.Context, req *schema.ScanRequest) (*schema.Entries, error) {
	return call(ctx, x.s, req, Database.Scan)
}

func (x *immuService) History(ctx context.Context, req *schema.HistoryRequest) (*schema.Entries, error) {
	return call(ctx, x.s, req, Database.History)
}

func (x *immuService) Count(ctx context.Context, req *schema.KeyPrefix) (*schema.EntryCount, error) {
	return call(ctx, x.s, req, Database.Count)
}

func (x *immuService) CountAll(ctx context.Context, _ *emptypb.Empty) (*schema.EntryCount, error) {
	db, err := x.s.db(ctx)
	if err != nil {
		return nil, err
	}
	return db.CountAll(ctx)
}

func (x *immuService) SetReference(ctx context.Context, req *schema.ReferenceRequest) (*schema.TxHeader, error) {
	return call(ctx, x.s, req, Database.SetReference)
}

func (x *immuService) VerifiableSetReference(ctx context.Context, req *schema.VerifiableReferenceRequest) (*schema.VerifiableTx, error) {
	return verifiable(ctx, x.s, req, Database.VerifiableSetReference)
}

func (x *immuService) ZAdd(ctx context.Context, req *schema.ZAddRequest) (*schema.TxHeader, error) {
	return call(ctx, x.s, req, Database.ZAdd)
}

func (x *immuService) VerifiableZAdd(ctx context.Context, req *schema.VerifiableZAddRequest) (*schema.VerifiableTx, error) {
	return verifiable(ctx, x.s, req, Database.VerifiableZAdd)
}

func (x *immuService) ZScan(ctx context.Context, req *schema.ZScanRequest) (*schema.ZEntries, error) {
	return call(ctx, x.s, req, Database.ZScan)
}

func (x *immuService) TxById(ctx context.Context, req *schema.TxRequest) (*schema.Tx, error) {
	return call(ctx, x.s, req, Database.TxByID)
}

func (x *immuService) VerifiableTxById(ctx context.Context, req *schema.VerifiableTxRequest) (*schema.VerifiableTx, error) {
	return verifiable(ctx, x.s, req, Database.VerifiableTxByID)
}

func (x *immuService) TxScan(ctx context.Context, req *schema.TxScanRequest) (*schema.TxList, error) {
	return call(ctx, x.s, req, Database.TxScan)
}

// CurrentState returns the selected database's last committed state,
// signed when the server has a key.
func (x *immuService) CurrentState(ctx context.Context, _ *emptypb.Empty) (*schema.ImmutableState, error) {
	db, err := x.s.db(ctx)
	if err != nil {
		return nil, err
	}
	st, err := db.CurrentState(ctx)
	if err != nil {
		return nil, err
	}
	st.Db = db.Name()
	// Nothing is pre-committed without replication: the pre-committed
	// state is the committed one, which immudb sends too.
	if st.PrecommittedTxId == 0 && len(st.PrecommittedTxHash) == 0 {
		st.PrecommittedTxId, st.PrecommittedTxHash = st.TxId, st.TxHash
	}
	if err := x.s.signState(st); err != nil {
		return nil, err
	}
	return st, nil
}
