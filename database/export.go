package database

import (
	"context"

	"github.com/attestdb/attestdb/proof"
)

// ExportTx returns tx id in immudb's exported form (HASHING.md §8), the
// payload of exportTx and streamExportTx, with the last committed tx id and
// Alh at the time of the read (the export metadata of API.md §7).
func (d *DB) ExportTx(ctx context.Context, id uint64) (payload []byte, lastID uint64, lastAlh proof.Hash, err error) {
	done, err := d.begin()
	if err != nil {
		return nil, 0, proof.Hash{}, err
	}
	defer done()
	if id == 0 {
		return nil, 0, proof.Hash{}, ErrIllegalArguments
	}
	lastID, lastAlh = d.st.LastCommitted()
	if id > lastID {
		return nil, lastID, lastAlh, ErrTxNotFound
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, proof.Hash{}, err
	}
	payload, err = d.st.ExportTx(id)
	return payload, lastID, lastAlh, err
}
