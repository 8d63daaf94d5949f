package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

// The stream rpcs (API.md §7) are the unary calls with framed payloads:
// they parse the stream into the unary request, call the same database
// method, and frame the reply.

// Op types of streamExecAll.
const (
	streamOpKV        = 1
	streamOpZAdd      = 2
	streamOpReference = 4
)

func (s *Server) chunkSize() int { return DefaultChunkSize }

// sendAll frames each message in order.
func (s *Server) sendAll(dst chunkSender, msgs ...[]byte) error {
	for _, m := range msgs {
		if err := sendMsg(dst, m, s.chunkSize()); err != nil {
			return err
		}
	}
	return nil
}

// readKVs reads key, value message pairs until the end of the stream,
// bounding the total size of the values.
func (s *Server) readKVs(r *msgReader) ([]*schema.KeyValue, error) {
	var kvs []*schema.KeyValue
	total := 0
	for {
		k, err := r.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return kvs, nil
			}
			return nil, err
		}
		v, err := r.mustNext("value")
		if err != nil {
			return nil, err
		}
		if total += len(v); total > s.opts.MaxRecvMsgSize {
			return nil, fmt.Errorf("%w: values over %d bytes in one tx", ErrStreamMessageTooLarge, s.opts.MaxRecvMsgSize)
		}
		kvs = append(kvs, &schema.KeyValue{Key: k, Value: v})
	}
}

func (x *immuService) StreamGet(req *schema.KeyRequest, stream grpc.ServerStreamingServer[schema.Chunk]) error {
	ctx := stream.Context()
	e, err := call(ctx, x.s, req, Database.Get)
	if err != nil {
		return err
	}
	return x.s.sendAll(stream, e.Key, e.Value)
}

func (x *immuService) StreamSet(stream grpc.ClientStreamingServer[schema.Chunk, schema.TxHeader]) error {
	ctx := stream.Context()
	kvs, err := x.s.readKVs(newMsgReader(stream, x.s.opts.MaxRecvMsgSize))
	if err != nil {
		return err
	}
	hdr, err := call(ctx, x.s, &schema.SetRequest{KVs: kvs}, Database.Set)
	if err != nil {
		return err
	}
	return stream.SendAndClose(hdr)
}

func (x *immuService) StreamVerifiableGet(req *schema.VerifiableGetRequest, stream grpc.ServerStreamingServer[schema.Chunk]) error {
	ve, err := x.VerifiableGet(stream.Context(), req)
	if err != nil {
		return err
	}
	// The entry travels without value and metadata; the value comes last,
	// raw.
	head, err := proto.Marshal(&schema.Entry{Tx: ve.Entry.GetTx(), Key: ve.Entry.GetKey(), ReferencedBy: ve.Entry.GetReferencedBy()})
	if err != nil {
		return err
	}
	vtx, err := proto.Marshal(ve.VerifiableTx)
	if err != nil {
		return err
	}
	incl, err := proto.Marshal(ve.InclusionProof)
	if err != nil {
		return err
	}
	return x.s.sendAll(stream, head, vtx, incl, ve.Entry.GetValue())
}

func (x *immuService) StreamVerifiableSet(stream grpc.ClientStreamingServer[schema.Chunk, schema.VerifiableTx]) error {
	r := newMsgReader(stream, x.s.opts.MaxRecvMsgSize)
	since, err := r.mustNext("proveSinceTx")
	if err != nil {
		return err
	}
	if len(since) != 8 {
		return fmt.Errorf("%w: proveSinceTx of %d bytes", ErrStreamBadMessage, len(since))
	}
	kvs, err := x.s.readKVs(r)
	if err != nil {
		return err
	}
	vtx, err := x.VerifiableSet(stream.Context(), &schema.VerifiableSetRequest{
		SetRequest: &schema.SetRequest{KVs: kvs}, ProveSinceTx: binary.BigEndian.Uint64(since)})
	if err != nil {
		return err
	}
	return stream.SendAndClose(vtx)
}

// sendEntries streams key, value per entry (streamScan, streamHistory).
func (s *Server) sendEntries(stream chunkSender, es *schema.Entries) error {
	for _, e := range es.GetEntries() {
		if err := s.sendAll(stream, e.Key, e.Value); err != nil {
			return err
		}
	}
	return nil
}

func (x *immuService) StreamScan(req *schema.ScanRequest, stream grpc.ServerStreamingServer[schema.Chunk]) error {
	es, err := call(stream.Context(), x.s, req, Database.Scan)
	if err != nil {
		return err
	}
	return x.s.sendEntries(stream, es)
}

func (x *immuService) StreamHistory(req *schema.HistoryRequest, stream grpc.ServerStreamingServer[schema.Chunk]) error {
	es, err := call(stream.Context(), x.s, req, Database.History)
	if err != nil {
		return err
	}
	return x.s.sendEntries(stream, es)
}

func (x *immuService) StreamZScan(req *schema.ZScanRequest, stream grpc.ServerStreamingServer[schema.Chunk]) error {
	zs, err := call(stream.Context(), x.s, req, Database.ZScan)
	if err != nil {
		return err
	}
	for _, z := range zs.GetEntries() {
		if err := x.s.sendAll(stream, z.Set, z.Key, u64Bytes(math.Float64bits(z.Score)), u64Bytes(z.AtTx), z.GetEntry().GetValue()); err != nil {
			return err
		}
	}
	return nil
}

func (x *immuService) StreamExecAll(stream grpc.ClientStreamingServer[schema.Chunk, schema.TxHeader]) error {
	req, err := x.s.readExecAll(newMsgReader(stream, x.s.opts.MaxRecvMsgSize))
	if err != nil {
		return err
	}
	hdr, err := call(stream.Context(), x.s, req, Database.ExecAll)
	if err != nil {
		return err
	}
	return stream.SendAndClose(hdr)
}

// readExecAll parses the ops of streamExecAll: a one-byte type message,
// then key and value (KV) or a proto ZAddRequest (ZAdd).
func (s *Server) readExecAll(r *msgReader) (*schema.ExecAllRequest, error) {
	req := &schema.ExecAllRequest{}
	total := 0
	for {
		t, err := r.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return req, nil
			}
			return nil, err
		}
		if len(t) != 1 {
			return nil, fmt.Errorf("%w: op type of %d bytes", ErrStreamBadMessage, len(t))
		}
		switch t[0] {
		case streamOpKV:
			k, err := r.mustNext("key")
			if err != nil {
				return nil, err
			}
			v, err := r.mustNext("value")
			if err != nil {
				return nil, err
			}
			if total += len(v); total > s.opts.MaxRecvMsgSize {
				return nil, fmt.Errorf("%w: values over %d bytes in one tx", ErrStreamMessageTooLarge, s.opts.MaxRecvMsgSize)
			}
			req.Operations = append(req.Operations, &schema.Op{Operation: &schema.Op_Kv{Kv: &schema.KeyValue{Key: k, Value: v}}})
		case streamOpZAdd:
			b, err := r.mustNext("zAdd")
			if err != nil {
				return nil, err
			}
			z := &schema.ZAddRequest{}
			if err := proto.Unmarshal(b, z); err != nil {
				return nil, fmt.Errorf("%w: zAdd: %v", ErrStreamBadMessage, err)
			}
			req.Operations = append(req.Operations, &schema.Op{Operation: &schema.Op_ZAdd{ZAdd: z}})
		case streamOpReference:
			return nil, fmt.Errorf("%w: references in streamExecAll", ErrNotImplemented)
		default:
			return nil, fmt.Errorf("%w: unknown op type %d", ErrStreamBadMessage, t[0])
		}
	}
}
