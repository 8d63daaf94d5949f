package client

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/attestdb/attestdb/api/schema"
)

// Plain (unverified) key-value operations: thin wrappers that fill the
// request and convert errors.

// Set writes key=value in a new tx.
func (c *Client) Set(ctx context.Context, key, value []byte) (*schema.TxHeader, error) {
	return c.SetAll(ctx, &schema.SetRequest{KVs: []*schema.KeyValue{{Key: key, Value: value}}})
}

// SetAll writes the pairs of req in one tx.
func (c *Client) SetAll(ctx context.Context, req *schema.SetRequest) (*schema.TxHeader, error) {
	h, err := c.svc.Set(ctx, req)
	return h, wrapRPC(err)
}

// Get reads key.
func (c *Client) Get(ctx context.Context, key []byte, opts ...GetOption) (*schema.Entry, error) {
	e, err := c.svc.Get(ctx, keyRequest(key, opts))
	return e, wrapRPC(err)
}

// GetAt reads key as written by tx.
func (c *Client) GetAt(ctx context.Context, key []byte, tx uint64) (*schema.Entry, error) {
	return c.Get(ctx, key, AtTx(tx))
}

// GetSince reads key once the index covers tx.
func (c *Client) GetSince(ctx context.Context, key []byte, tx uint64) (*schema.Entry, error) {
	return c.Get(ctx, key, SinceTx(tx))
}

// GetAtRevision reads a revision of key.
func (c *Client) GetAtRevision(ctx context.Context, key []byte, rev int64) (*schema.Entry, error) {
	return c.Get(ctx, key, AtRevision(rev))
}

// GetAll reads several keys (missing ones are left out).
func (c *Client) GetAll(ctx context.Context, keys [][]byte) (*schema.Entries, error) {
	e, err := c.svc.GetAll(ctx, &schema.KeyListRequest{Keys: keys})
	return e, wrapRPC(err)
}

// Delete marks keys deleted in a new tx.
func (c *Client) Delete(ctx context.Context, req *schema.DeleteKeysRequest) (*schema.TxHeader, error) {
	h, err := c.svc.Delete(ctx, req)
	return h, wrapRPC(err)
}

// ExecAll runs KV, reference and ZAdd operations in one tx.
func (c *Client) ExecAll(ctx context.Context, req *schema.ExecAllRequest) (*schema.TxHeader, error) {
	h, err := c.svc.ExecAll(ctx, req)
	return h, wrapRPC(err)
}

// History lists the versions of a key.
func (c *Client) History(ctx context.Context, req *schema.HistoryRequest) (*schema.Entries, error) {
	e, err := c.svc.History(ctx, req)
	return e, wrapRPC(err)
}

// Scan lists keys by prefix or range.
func (c *Client) Scan(ctx context.Context, req *schema.ScanRequest) (*schema.Entries, error) {
	e, err := c.svc.Scan(ctx, req)
	return e, wrapRPC(err)
}

// Count counts the indexed keys under prefix.
func (c *Client) Count(ctx context.Context, prefix []byte) (*schema.EntryCount, error) {
	n, err := c.svc.Count(ctx, &schema.KeyPrefix{Prefix: prefix})
	return n, wrapRPC(err)
}

// CountAll counts all indexed keys.
func (c *Client) CountAll(ctx context.Context) (*schema.EntryCount, error) {
	n, err := c.svc.CountAll(ctx, &emptypb.Empty{})
	return n, wrapRPC(err)
}

// SetReference makes key a reference to refKey (bound to atTx if > 0).
func (c *Client) SetReference(ctx context.Context, key, refKey []byte, atTx uint64) (*schema.TxHeader, error) {
	h, err := c.svc.SetReference(ctx, &schema.ReferenceRequest{Key: key, ReferencedKey: refKey, AtTx: atTx, BoundRef: atTx > 0})
	return h, wrapRPC(err)
}

// ZAdd adds key with score to set (bound to atTx if > 0).
func (c *Client) ZAdd(ctx context.Context, set []byte, score float64, key []byte, atTx uint64) (*schema.TxHeader, error) {
	h, err := c.svc.ZAdd(ctx, &schema.ZAddRequest{Set: set, Score: score, Key: key, AtTx: atTx, BoundRef: atTx > 0})
	return h, wrapRPC(err)
}

// ZScan lists the members of a sorted set.
func (c *Client) ZScan(ctx context.Context, req *schema.ZScanRequest) (*schema.ZEntries, error) {
	z, err := c.svc.ZScan(ctx, req)
	return z, wrapRPC(err)
}

// TxByID reads a tx (raw entries, keys without the key-space byte).
func (c *Client) TxByID(ctx context.Context, tx uint64) (*schema.Tx, error) {
	t, err := c.svc.TxById(ctx, &schema.TxRequest{Tx: tx})
	if err != nil {
		return nil, wrapRPC(err)
	}
	stripKeyPrefix(t)
	return t, nil
}

// TxScan lists txs from req.InitialTx.
func (c *Client) TxScan(ctx context.Context, req *schema.TxScanRequest) (*schema.TxList, error) {
	l, err := c.svc.TxScan(ctx, req)
	return l, wrapRPC(err)
}

// Health reports the server status; it needs no login.
func (c *Client) Health(ctx context.Context) (*schema.HealthResponse, error) {
	h, err := c.svc.Health(ctx, &emptypb.Empty{})
	return h, wrapRPC(err)
}

// ServerInfo reports the server version; it needs no login.
func (c *Client) ServerInfo(ctx context.Context) (*schema.ServerInfoResponse, error) {
	s, err := c.svc.ServerInfo(ctx, &schema.ServerInfoRequest{})
	return s, wrapRPC(err)
}

// DatabaseHealth reports the current database's pending requests.
func (c *Client) DatabaseHealth(ctx context.Context) (*schema.DatabaseHealthResponse, error) {
	h, err := c.svc.DatabaseHealth(ctx, &emptypb.Empty{})
	return h, wrapRPC(err)
}
