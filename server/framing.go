package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/attestdb/attestdb/api/schema"
)

// Stream framing (API.md §7): a logical message travels as
// u64-big-endian(length) ‖ bytes, cut into Chunk.content pieces of at most
// the chunk size.
const (
	DefaultChunkSize = 64 << 10
	msgLenSize       = 8
)

var (
	// ErrStreamMessageTooLarge: a streamed message (or a streamed tx)
	// beyond the server's limit.
	ErrStreamMessageTooLarge = errors.New("stream message is too large")
	// ErrStreamTruncated: the stream ended inside a message.
	ErrStreamTruncated = errors.New("stream ended in the middle of a message")
	// ErrStreamBadMessage: a message that does not parse as expected.
	ErrStreamBadMessage = errors.New("malformed stream message")
)

// chunkReceiver is the receiving side of a client stream of Chunks.
type chunkReceiver interface {
	Recv() (*schema.Chunk, error)
}

// chunkSender is the sending side of a server stream of Chunks.
type chunkSender interface {
	Send(*schema.Chunk) error
}

// msgReader reassembles framed messages from chunks. It accepts messages
// spanning chunks and several messages in one chunk.
type msgReader struct {
	src    chunkReceiver
	buf    []byte
	maxMsg uint64
	eof    bool
}

func newMsgReader(src chunkReceiver, maxMsg int) *msgReader {
	return &msgReader{src: src, maxMsg: uint64(maxMsg)}
}

// fill reads chunks until buf holds at least n bytes. It returns io.EOF
// when the stream ended with buf empty, ErrStreamTruncated when it ended
// with a partial message.
func (r *msgReader) fill(n int) error {
	for len(r.buf) < n {
		if r.eof {
			if len(r.buf) == 0 {
				return io.EOF
			}
			return ErrStreamTruncated
		}
		c, err := r.src.Recv()
		if errors.Is(err, io.EOF) {
			r.eof = true
			continue
		}
		if err != nil {
			return err
		}
		r.buf = append(r.buf, c.GetContent()...)
	}
	return nil
}

// next returns the next message, io.EOF after the last one.
func (r *msgReader) next() ([]byte, error) {
	if err := r.fill(msgLenSize); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint64(r.buf)
	if n > r.maxMsg {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrStreamMessageTooLarge, n, r.maxMsg)
	}
	if err := r.fill(msgLenSize + int(n)); err != nil {
		if errors.Is(err, io.EOF) {
			err = ErrStreamTruncated
		}
		return nil, err
	}
	msg := make([]byte, n)
	copy(msg, r.buf[msgLenSize:])
	r.buf = r.buf[msgLenSize+int(n):]
	return msg, nil
}

// mustNext is next where the end of the stream is an error.
func (r *msgReader) mustNext(what string) ([]byte, error) {
	b, err := r.next()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: missing %s", ErrStreamTruncated, what)
	}
	return b, err
}

// sendMsg frames payload and sends it in chunks of at most chunkSize bytes
// (the length prefix counts against the first chunk).
func sendMsg(dst chunkSender, payload []byte, chunkSize int) error {
	first := make([]byte, msgLenSize, min(chunkSize, msgLenSize+len(payload)))
	binary.BigEndian.PutUint64(first, uint64(len(payload)))
	n := cap(first) - msgLenSize
	first = append(first, payload[:n]...)
	if err := dst.Send(&schema.Chunk{Content: first}); err != nil {
		return err
	}
	for rest := payload[n:]; len(rest) > 0; {
		k := min(chunkSize, len(rest))
		if err := dst.Send(&schema.Chunk{Content: rest[:k]}); err != nil {
			return err
		}
		rest = rest[k:]
	}
	return nil
}

func u64Bytes(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}
