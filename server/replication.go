package server

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strconv"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// Export and replication rpcs (API.md §7, HASHING.md §8): exportTx and
// streamExportTx send one framed message per tx, the tx in immudb's
// exported form; replicateTx reads one such message and commits it on a
// replica database with the source's header. immuadmin's hot-backup,
// hot-restore, backup, restore and dump are built on them.

// replicationDB is what these rpcs need from a database (database.DB).
// It is kept apart from Database so test backends need not implement it.
type replicationDB interface {
	ExportTx(ctx context.Context, id uint64) ([]byte, uint64, proof.Hash, error)
	ReplicateTx(ctx context.Context, payload []byte, waitForIndexing bool) (*schema.TxHeader, error)
}

// Metadata keys of the export stream and of replicateTx (immudb's names).
const (
	mdCommittedTxID     = "committed-txid-bin"
	mdMayCommitUpToTxID = "may-commit-up-to-txid-bin"
	mdMayCommitUpToAlh  = "may-commit-up-to-alh-bin"
	mdSkipIntegrity     = "skip-integrity-check"
	mdWaitForIndexing   = "wait-for-indexing"
)

// maxExportedTx bounds one replicated tx message: MaxTxEntries keys and
// values of the largest allowed sizes fit many times over.
const maxExportedTx = 256 << 20

func (s *Server) replicationDB(ctx context.Context) (replicationDB, error) {
	db, err := s.db(ctx)
	if err != nil {
		return nil, err
	}
	r, ok := db.(replicationDB)
	if !ok {
		return nil, fmt.Errorf("%w: export and replication on this database", ErrNotImplemented)
	}
	return r, nil
}

// exportOne reads tx req.Tx and returns its payload with the export
// metadata.
func (s *Server) exportOne(ctx context.Context, req *schema.ExportTxRequest) ([]byte, map[string][]byte, error) {
	db, err := s.replicationDB(ctx)
	if err != nil {
		return nil, nil, err
	}
	payload, lastID, lastAlh, err := db.ExportTx(ctx, req.GetTx())
	if err != nil {
		return nil, nil, err
	}
	md := map[string][]byte{mdCommittedTxID: u64Bytes(lastID)}
	if req.GetReplicaState() != nil {
		// We have no synchronous replication: everything committed may be
		// committed by the replica.
		md[mdMayCommitUpToTxID] = u64Bytes(lastID)
		md[mdMayCommitUpToAlh] = append([]byte(nil), lastAlh[:]...)
	}
	return payload, md, nil
}

// sendExported frames payload (API.md §7) with md on its first chunk.
func (s *Server) sendExported(dst chunkSender, payload []byte, md map[string][]byte) error {
	size := s.chunkSize()
	first := make([]byte, msgLenSize, min(size, msgLenSize+len(payload)))
	binary.BigEndian.PutUint64(first, uint64(len(payload)))
	n := cap(first) - msgLenSize
	first = append(first, payload[:n]...)
	if err := dst.Send(&schema.Chunk{Content: first, Metadata: md}); err != nil {
		return err
	}
	for rest := payload[n:]; len(rest) > 0; {
		k := min(size, len(rest))
		if err := dst.Send(&schema.Chunk{Content: rest[:k]}); err != nil {
			return err
		}
		rest = rest[k:]
	}
	return nil
}

func (x *immuService) ExportTx(req *schema.ExportTxRequest, stream grpc.ServerStreamingServer[schema.Chunk]) error {
	payload, md, err := x.s.exportOne(stream.Context(), req)
	if err != nil {
		return err
	}
	trailer := metadata.MD{}
	for k, v := range md {
		trailer.Set(k, string(v))
	}
	stream.SetTrailer(trailer)
	return x.s.sendExported(stream, payload, md)
}

func (x *immuService) StreamExportTx(stream grpc.BidiStreamingServer[schema.ExportTxRequest, schema.Chunk]) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			if isEOF(err) {
				return nil
			}
			return err
		}
		payload, md, err := x.s.exportOne(stream.Context(), req)
		if err != nil {
			return err
		}
		if err := x.s.sendExported(stream, payload, md); err != nil {
			return err
		}
	}
}

func (x *immuService) ReplicateTx(stream grpc.ClientStreamingServer[schema.Chunk, schema.TxHeader]) error {
	ctx := stream.Context()
	db, err := x.s.replicationDB(ctx)
	if err != nil {
		return err
	}
	r := newMsgReader(stream, maxExportedTx)
	payload, err := r.mustNext("exported tx")
	if err != nil {
		return err
	}
	if _, err := r.next(); !isEOF(err) {
		if err == nil {
			return fmt.Errorf("%w: more than one tx in one replicateTx call", ErrStreamBadMessage)
		}
		return err
	}
	// skip-integrity-check is accepted and ignored: the engine always
	// checks that the tx reproduces its header.
	hdr, err := db.ReplicateTx(ctx, payload, mdBool(ctx, mdWaitForIndexing))
	if err != nil {
		return err
	}
	return stream.SendAndClose(hdr)
}

func isEOF(err error) bool { return errors.Is(err, io.EOF) }

// mdBool reads a boolean request metadata value ("true", "1", …).
func mdBool(ctx context.Context, key string) bool {
	md, _ := metadata.FromIncomingContext(ctx)
	vs := md.Get(key)
	if len(vs) == 0 {
		return false
	}
	b, err := strconv.ParseBool(vs[0])
	return err == nil && b
}
