package server

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// Health needs no credentials; the reference build reports version "-"
// here, we report ours (clients only check status).
func (x *immuService) Health(context.Context, *emptypb.Empty) (*schema.HealthResponse, error) {
	return &schema.HealthResponse{Status: true, Version: x.s.opts.Version}, nil
}

// ServerInfo needs no credentials.
func (x *immuService) ServerInfo(context.Context, *schema.ServerInfoRequest) (*schema.ServerInfoResponse, error) {
	n := 0
	for _, d := range x.s.dbs.List() {
		if d.Loaded {
			n++
		}
	}
	return &schema.ServerInfoResponse{
		Version:           x.s.opts.Version,
		StartedAt:         x.s.startedAt.Unix(),
		NumTransactions:   int64(x.s.dbs.TxCount()),
		NumDatabases:      int32(n),
		DatabasesDiskSize: int64(x.s.dbs.DiskSize()),
	}, nil
}

func (x *immuService) DatabaseHealth(ctx context.Context, _ *emptypb.Empty) (*schema.DatabaseHealthResponse, error) {
	db, err := x.s.db(ctx)
	if err != nil {
		return nil, err
	}
	pending, last := db.Health()
	return &schema.DatabaseHealthResponse{PendingRequests: pending, LastRequestCompletedAt: last}, nil
}
