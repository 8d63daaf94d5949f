package client

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
	"github.com/attestdb/attestdb/proof"
)

// StreamKV is a key and a value read from Value (exactly Size bytes), so
// large values need not be held in memory by the caller.
type StreamKV struct {
	Key   []byte
	Value io.Reader
	Size  int
}

func (c *Client) chunkSize() int {
	if c.opts.StreamChunkSize >= 4096 {
		return c.opts.StreamChunkSize
	}
	return DefaultStreamChunkSize
}

// StreamSet writes the pairs in one tx through the streamSet RPC.
func (c *Client) StreamSet(ctx context.Context, kvs []StreamKV) (*schema.TxHeader, error) {
	if len(kvs) == 0 {
		return nil, fmt.Errorf("%w: no key-value pairs", ErrIllegalArgument)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := c.svc.StreamSet(ctx)
	if err != nil {
		return nil, wrapRPC(err)
	}
	for _, kv := range kvs {
		if err := c.sendKV(s.Send, kv, nil); err != nil {
			return nil, abortStream(s, cancel, err)
		}
	}
	h, err := s.CloseAndRecv()
	return h, wrapRPC(err)
}

func (c *Client) sendKV(send func(*schema.Chunk) error, kv StreamKV, tee io.Writer) error {
	if err := sendBytes(send, c.chunkSize(), kv.Key); err != nil {
		return err
	}
	r := kv.Value
	if r == nil {
		r = bytesReader(nil)
	}
	if tee != nil {
		r = io.TeeReader(r, tee)
	}
	return sendMessage(send, c.chunkSize(), r, kv.Size)
}

// abortStream ends a client stream after a failed send. io.EOF from Send
// means the server closed the stream, and its status says why; any other
// failure cancels the stream so the server never commits a partial tx.
func abortStream[T any](s interface{ CloseAndRecv() (T, error) }, cancel context.CancelFunc, err error) error {
	if errors.Is(err, io.EOF) {
		if _, serr := s.CloseAndRecv(); serr != nil {
			cancel()
			return wrapRPC(serr)
		}
	}
	cancel()
	return err
}

// StreamVerifiedSet writes one pair through streamVerifiableSet and proves
// the write like VerifiedSet; the value is hashed while it is sent.
func (c *Client) StreamVerifiedSet(ctx context.Context, kv StreamKV) (*schema.TxHeader, error) {
	var hdr *schema.TxHeader
	err := c.withTrustedState(ctx, func(st *schema.ImmutableState) (*schema.ImmutableState, error) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		s, err := c.svc.StreamVerifiableSet(ctx)
		if err != nil {
			return nil, wrapRPC(err)
		}
		var since [8]byte
		binary.BigEndian.PutUint64(since[:], st.GetTxId())
		if err := sendBytes(s.Send, c.chunkSize(), since[:]); err != nil {
			return nil, abortStream(s, cancel, err)
		}
		h := sha256.New()
		h.Write([]byte{proof.ValuePlain})
		if err := c.sendKV(s.Send, kv, h); err != nil {
			return nil, abortStream(s, cancel, err)
		}
		vtx, err := s.CloseAndRecv()
		if err != nil {
			return nil, wrapRPC(err)
		}
		var hv proof.Hash
		copy(hv[:], h.Sum(nil))
		hdr = vtx.GetTx().GetHeader()
		return c.verifyWrite(ctx, st, vtx, proof.EncodeKVKey(kv.Key), hv, true)
	})
	return hdr, err
}

// StreamGet reads key through streamGet.
func (c *Client) StreamGet(ctx context.Context, key []byte, opts ...GetOption) (*schema.Entry, error) {
	s, err := c.svc.StreamGet(ctx, keyRequest(key, opts))
	if err != nil {
		return nil, wrapRPC(err)
	}
	r := &messageReader{recv: s.Recv}
	k, err := r.mustNext("key")
	if err != nil {
		return nil, err
	}
	v, err := r.mustNext("value")
	if err != nil {
		return nil, err
	}
	return &schema.Entry{Key: k, Value: v}, nil
}

// StreamVerifiedGet reads key through streamVerifiableGet and proves it
// like VerifiedGet. The stream carries the entry without its metadata, so
// (as with immudb) an entry that has metadata cannot be verified this way
// against a server that leaves it out.
func (c *Client) StreamVerifiedGet(ctx context.Context, key []byte, opts ...GetOption) (*schema.Entry, error) {
	req := keyRequest(key, opts)
	var entry *schema.Entry
	err := c.withTrustedState(ctx, func(st *schema.ImmutableState) (*schema.ImmutableState, error) {
		s, err := c.svc.StreamVerifiableGet(ctx, &schema.VerifiableGetRequest{KeyRequest: req, ProveSinceTx: st.GetTxId()})
		if err != nil {
			return nil, wrapRPC(err)
		}
		r := &messageReader{recv: s.Recv}
		ve := &schema.VerifiableEntry{Entry: &schema.Entry{}, VerifiableTx: &schema.VerifiableTx{}, InclusionProof: &schema.InclusionProof{}}
		for _, part := range []struct {
			name string
			msg  proto.Message
		}{{"entry", ve.Entry}, {"verifiable tx", ve.VerifiableTx}, {"inclusion proof", ve.InclusionProof}} {
			b, err := r.mustNext(part.name)
			if err != nil {
				return nil, err
			}
			if err := proto.Unmarshal(b, part.msg); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrMalformedStream, part.name, err)
			}
		}
		if ve.Entry.Value, err = r.mustNext("value"); err != nil {
			return nil, err
		}
		entry = ve.Entry
		return c.verifyGet(ctx, st, req, ve)
	})
	if err != nil {
		return nil, err
	}
	return entry, nil
}

// readEntries collects key, value message pairs until the stream ends.
func readEntries(r *messageReader) (*schema.Entries, error) {
	out := &schema.Entries{}
	for {
		k, err := r.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		v, err := r.mustNext("value")
		if err != nil {
			return nil, err
		}
		out.Entries = append(out.Entries, &schema.Entry{Key: k, Value: v})
	}
}

// StreamScan is Scan through streamScan (keys and values only).
func (c *Client) StreamScan(ctx context.Context, req *schema.ScanRequest) (*schema.Entries, error) {
	s, err := c.svc.StreamScan(ctx, req)
	if err != nil {
		return nil, wrapRPC(err)
	}
	return readEntries(&messageReader{recv: s.Recv})
}

// StreamHistory is History through streamHistory (keys and values only).
func (c *Client) StreamHistory(ctx context.Context, req *schema.HistoryRequest) (*schema.Entries, error) {
	s, err := c.svc.StreamHistory(ctx, req)
	if err != nil {
		return nil, wrapRPC(err)
	}
	return readEntries(&messageReader{recv: s.Recv})
}

// StreamZScan is ZScan through streamZScan: per member set, key, score,
// atTx and value.
func (c *Client) StreamZScan(ctx context.Context, req *schema.ZScanRequest) (*schema.ZEntries, error) {
	s, err := c.svc.StreamZScan(ctx, req)
	if err != nil {
		return nil, wrapRPC(err)
	}
	r := &messageReader{recv: s.Recv}
	out := &schema.ZEntries{}
	for {
		set, err := r.next()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var parts [4][]byte
		for i, name := range []string{"key", "score", "atTx", "value"} {
			if parts[i], err = r.mustNext(name); err != nil {
				return nil, err
			}
		}
		if len(parts[1]) != 8 || len(parts[2]) != 8 {
			return nil, fmt.Errorf("%w: score or atTx is not 8 bytes", ErrMalformedStream)
		}
		out.Entries = append(out.Entries, &schema.ZEntry{
			Set:   set,
			Key:   parts[0],
			Score: math.Float64frombits(binary.BigEndian.Uint64(parts[1])),
			AtTx:  binary.BigEndian.Uint64(parts[2]),
			Entry: &schema.Entry{Key: parts[0], Value: parts[3]},
		})
	}
}

// StreamOp is one operation of StreamExecAll: a key-value pair (KV) or a
// sorted-set insertion (ZAdd); exactly one is set.
type StreamOp struct {
	KV   *StreamKV
	ZAdd *schema.ZAddRequest
}

// Operation type bytes of streamExecAll (API.md §7).
const (
	streamOpKV   = 1
	streamOpZAdd = 2
)

// StreamExecAll runs the operations in one tx through streamExecAll.
func (c *Client) StreamExecAll(ctx context.Context, ops []StreamOp) (*schema.TxHeader, error) {
	if len(ops) == 0 {
		return nil, fmt.Errorf("%w: no operations", ErrIllegalArgument)
	}
	for i, op := range ops {
		if (op.KV == nil) == (op.ZAdd == nil) {
			return nil, fmt.Errorf("%w: operation %d must set exactly one of KV and ZAdd", ErrIllegalArgument, i)
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s, err := c.svc.StreamExecAll(ctx)
	if err != nil {
		return nil, wrapRPC(err)
	}
	for _, op := range ops {
		var err error
		if op.KV != nil {
			if err = sendBytes(s.Send, c.chunkSize(), []byte{streamOpKV}); err == nil {
				err = c.sendKV(s.Send, *op.KV, nil)
			}
		} else {
			var b []byte
			if b, err = proto.Marshal(op.ZAdd); err == nil {
				if err = sendBytes(s.Send, c.chunkSize(), []byte{streamOpZAdd}); err == nil {
					err = sendBytes(s.Send, c.chunkSize(), b)
				}
			}
		}
		if err != nil {
			return nil, abortStream(s, cancel, err)
		}
	}
	h, err := s.CloseAndRecv()
	return h, wrapRPC(err)
}
