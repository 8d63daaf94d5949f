package database

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
	"github.com/attestdb/attestdb/proof"
)

// MaxResultSize is the largest page of Scan, ZScan, History and TxScan; a
// request limit of 0 means this, a larger one is an error.
const MaxResultSize = 2500

// Signer signs a state (db, txID, txHash) for Verifiable* responses and
// CurrentState (HASHING.md §10). The server owns the key.
type Signer interface {
	SignState(db string, txID uint64, txHash []byte) (*schema.Signature, error)
}

// Options configure Open.
type Options struct {
	// Store are the engine options; nil means store.DefaultOptions().
	Store *store.Options
	// Replica refuses every write with ErrIsReplica.
	Replica bool
	// Signer, when set, signs CurrentState and every VerifiableTx.
	Signer Signer
	// LogRequestMetadata attaches the caller (see WithRequestMetadata) as tx
	// metadata to the txs written by Set and Delete, as immudb's
	// --log-request-metadata does.
	LogRequestMetadata bool
}

// DB is one database over one store. It is safe for concurrent use.
type DB struct {
	name string
	st   *store.Store
	opts Options
	// replica mirrors opts.Replica; the Manager flips it on UpdateDatabase.
	replica atomic.Bool

	proven provenTxs // proto form of recently proven large txs (txcache.go)

	// closeMu: every call holds it for reading, Close for writing, so a
	// store is never closed under a running call.
	closeMu sync.RWMutex
	closed  bool

	// writeMu: ordinary commits share it; a commit that must know its own tx id
	// (ExecAll boundRef with atTx 0) holds it alone.
	writeMu sync.RWMutex

	// now is the engine's clock (unix seconds), used for expiry so reads
	// and the engine agree on what has expired.
	now func() int64

	pending       atomic.Int32
	lastCompleted atomic.Int64 // unix ms
}

// Open opens (or creates) the database name stored in dir.
func Open(name, dir string, opts *Options) (*DB, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	so := store.DefaultOptions()
	if o.Store != nil {
		so = *o.Store
	}
	st, err := store.Open(dir, &so)
	if err != nil {
		return nil, fmt.Errorf("opening database %q: %w", name, err)
	}
	now := so.Clock
	if now == nil {
		now = func() int64 { return time.Now().Unix() }
	}
	d := &DB{name: name, st: st, opts: o, now: now}
	d.replica.Store(o.Replica)
	return d, nil
}

// Name is the database name.
func (d *DB) Name() string { return d.name }

// Store exposes the engine (for maintenance and tests).
func (d *DB) Store() *store.Store { return d.st }

// IsReplica reports whether writes are refused.
func (d *DB) IsReplica() bool { return d.replica.Load() }

// SetReplica switches writes off (true) or on.
func (d *DB) SetReplica(v bool) { d.replica.Store(v) }

// Close closes the store once every running call has finished.
func (d *DB) Close() error {
	d.closeMu.Lock()
	defer d.closeMu.Unlock()
	if d.closed {
		return nil
	}
	d.closed = true
	return d.st.Close()
}

// begin marks a call running (for DatabaseHealth) and keeps Close out
// until the returned function runs.
func (d *DB) begin() (func(), error) {
	d.closeMu.RLock()
	if d.closed {
		d.closeMu.RUnlock()
		return nil, ErrDBClosed
	}
	d.pending.Add(1)
	return func() {
		d.pending.Add(-1)
		d.lastCompleted.Store(time.Now().UnixMilli())
		d.closeMu.RUnlock()
	}, nil
}

// Health returns the calls in flight and when the last one finished (unix
// ms, 0 if none yet): DatabaseHealth.
func (d *DB) Health() (pending uint32, lastCompletedUnixMs int64) {
	return uint32(d.pending.Load()), d.lastCompleted.Load()
}

// TxCount is the number of committed txs.
func (d *DB) TxCount() uint64 {
	id, _ := d.st.LastCommitted()
	return id
}

// CurrentState is (db, last committed tx, its Alh); an empty database gives
// tx 0 and H("").
func (d *DB) CurrentState(ctx context.Context) (*schema.ImmutableState, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	id, alh := d.st.LastCommitted()
	s := &schema.ImmutableState{Db: d.name, TxId: id, TxHash: hashBytes(alh)}
	if d.opts.Signer != nil {
		sig, err := d.opts.Signer.SignState(d.name, id, s.TxHash)
		if err != nil {
			return nil, fmt.Errorf("signing state: %w", err)
		}
		s.Signature = sig
	}
	return s, nil
}

// sign fills vtx.Signature over the dual proof's target when a Signer is set.
func (d *DB) sign(vtx *schema.VerifiableTx, target *proof.TxHeader) error {
	if d.opts.Signer == nil {
		return nil
	}
	alh, err := target.Alh()
	if err != nil {
		return err
	}
	sig, err := d.opts.Signer.SignState(d.name, target.ID, alh[:])
	if err != nil {
		return fmt.Errorf("signing state: %w", err)
	}
	vtx.Signature = sig
	return nil
}

// checkSinceTx refuses a sinceTx beyond the last committed tx.
func (d *DB) checkSinceTx(sinceTx uint64) (last uint64, err error) {
	last, _ = d.st.LastCommitted()
	if sinceTx > last {
		return last, fmt.Errorf("%w: %s", ErrIllegalArguments, errSinceTxTooLarge)
	}
	return last, nil
}

// waitIndexed waits until the index holds sinceTx, or everything committed
// so far when sinceTx is 0 (API.md §5).
func (d *DB) waitIndexed(ctx context.Context, sinceTx uint64) error {
	last, err := d.checkSinceTx(sinceTx)
	if err != nil {
		return err
	}
	if sinceTx == 0 {
		sinceTx = last
	}
	if sinceTx == 0 {
		return nil
	}
	return d.st.WaitForIndexedUpTo(ctx, sinceTx)
}

// FlushIndex waits until the index has every committed tx: our index is
// applied continuously, so flushing means catching up.
func (d *DB) FlushIndex(ctx context.Context, req *schema.FlushIndexRequest) error {
	done, err := d.begin()
	if err != nil {
		return err
	}
	defer done()
	return d.waitIndexed(ctx, 0)
}

// CompactIndex runs a full compaction of the key index (Pebble compacts in
// the background anyway; this settles it at once, as after a bulk load).
func (d *DB) CompactIndex(ctx context.Context) error {
	done, err := d.begin()
	if err != nil {
		return err
	}
	defer done()
	return d.st.CompactIndex()
}

// requestMetadataKey carries the caller identity in a context.
type requestMetadataKey struct{}

type requestMetadata struct{ user, ip string }

// WithRequestMetadata returns ctx carrying the caller's user name and
// address, which Set and Delete attach as tx metadata when the database was
// opened with LogRequestMetadata.
func WithRequestMetadata(ctx context.Context, user, ip string) context.Context {
	return context.WithValue(ctx, requestMetadataKey{}, requestMetadata{user: user, ip: ip})
}

// requestTxMetadata builds the tx metadata extra of HASHING.md §1.4 (b):
// per attribute u8(len(k)-1) ‖ u8(len(v)-1) ‖ k ‖ v, "usr" then "ip".
func (d *DB) requestTxMetadata(ctx context.Context) proof.TxMetadata {
	if !d.opts.LogRequestMetadata {
		return proof.TxMetadata{}
	}
	rm, ok := ctx.Value(requestMetadataKey{}).(requestMetadata)
	if !ok {
		return proof.TxMetadata{}
	}
	var extra []byte
	add := func(k, v string) {
		if len(v) == 0 || len(v) > 256 || len(extra)+2+len(k)+len(v) > 256 {
			return
		}
		extra = append(extra, byte(len(k)-1), byte(len(v)-1))
		extra = append(extra, k...)
		extra = append(extra, v...)
	}
	add("usr", rm.user)
	add("ip", rm.ip)
	return proof.TxMetadata{Extra: extra}
}
