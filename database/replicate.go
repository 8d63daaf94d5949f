package database

import (
	"context"
	"errors"
	"fmt"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/embedded/store"
)

// Replication errors. ErrIsNotReplica is immudb's text.
var (
	ErrIsNotReplica = errors.New("database is NOT a replica")
	// Re-exported engine errors of a refused replicated tx.
	ErrUnexpectedTxID  = store.ErrUnexpectedTxID
	ErrReplicaMismatch = store.ErrReplicaMismatch
	ErrMalformedExport = store.ErrMalformedExport
)

// ReplicateTx commits an exported tx (HASHING.md §8) as the next tx of this
// replica, with the source's header, so the Alh is the source's. Only a
// replica accepts it. Replicated txs are serialised (writeMu held alone),
// so each one sees the previous one committed. With waitForIndexing it
// returns once the index holds the tx.
func (d *DB) ReplicateTx(ctx context.Context, payload []byte, waitForIndexing bool) (*schema.TxHeader, error) {
	done, err := d.begin()
	if err != nil {
		return nil, err
	}
	defer done()
	if !d.replica.Load() {
		return nil, ErrIsNotReplica
	}
	x, err := store.DecodeExportedTx(payload)
	if err != nil {
		return nil, err
	}
	d.writeMu.Lock()
	hdr, err := d.st.ReplicateTx(ctx, x)
	d.writeMu.Unlock()
	if err != nil {
		return nil, err
	}
	if waitForIndexing {
		if err := d.st.WaitForIndexedUpTo(ctx, hdr.ID); err != nil {
			return nil, fmt.Errorf("tx %d replicated, waiting for the index: %w", hdr.ID, err)
		}
	}
	return headerToProto(hdr), nil
}
