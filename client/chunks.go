package client

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/attestdb/attestdb/api/schema"
)

// Chunk framing of the stream RPCs (API.md §7): a message is sent as
// chunks; the first carries u64(totalLen) (big-endian) and the first bytes,
// the next ones the following bytes until totalLen bytes have arrived.
// Every message starts a new chunk.

// ErrMalformedStream reports chunks that do not frame messages.
var ErrMalformedStream = errors.New("malformed stream")

// MaxStreamMessage bounds one received stream message (a key or a value):
// the server's 32 MiB value limit plus room for proto messages.
const MaxStreamMessage = 32<<20 + 1<<20

const msgLenSize = 8

// sendMessage sends size bytes read from r as one message in chunks of at
// most chunkSize bytes (the 8-byte length counts against the first).
func sendMessage(send func(*schema.Chunk) error, chunkSize int, r io.Reader, size int) error {
	if size < 0 {
		return fmt.Errorf("%w: negative message size", ErrIllegalArgument)
	}
	if chunkSize < 4096 {
		chunkSize = DefaultStreamChunkSize
	}
	first := make([]byte, msgLenSize, min(chunkSize, msgLenSize+size))
	binary.BigEndian.PutUint64(first, uint64(size))
	buf := first
	left := size
	for {
		n := min(cap(buf)-len(buf), left)
		if n > 0 {
			if _, err := io.ReadFull(r, buf[len(buf):len(buf)+n]); err != nil {
				// %v: a short reader must not look like the stream's io.EOF.
				return fmt.Errorf("%w: value shorter than its size: %v", ErrIllegalArgument, err)
			}
			buf = buf[:len(buf)+n]
			left -= n
		}
		if err := send(&schema.Chunk{Content: buf}); err != nil {
			return err
		}
		if left == 0 {
			return nil
		}
		buf = make([]byte, 0, min(chunkSize, left))
	}
}

// sendBytes sends b as one message.
func sendBytes(send func(*schema.Chunk) error, chunkSize int, b []byte) error {
	return sendMessage(send, chunkSize, bytesReader(b), len(b))
}

type byteSliceReader struct{ b []byte }

func bytesReader(b []byte) *byteSliceReader { return &byteSliceReader{b} }

func (r *byteSliceReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

// messageReader reassembles messages from received chunks.
type messageReader struct {
	recv func() (*schema.Chunk, error)
	max  uint64
}

// next returns the next message; io.EOF only when the stream ended cleanly
// between two messages.
func (r *messageReader) next() ([]byte, error) {
	ch, err := r.recv()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, wrapRPC(err)
	}
	c := ch.GetContent()
	if len(c) < msgLenSize {
		return nil, fmt.Errorf("%w: first chunk of %d bytes has no length", ErrMalformedStream, len(c))
	}
	n := binary.BigEndian.Uint64(c)
	limit := r.max
	if limit == 0 {
		limit = MaxStreamMessage
	}
	if n > limit {
		return nil, fmt.Errorf("%w: message of %d bytes exceeds %d", ErrMalformedStream, n, limit)
	}
	c = c[msgLenSize:]
	if uint64(len(c)) > n {
		return nil, fmt.Errorf("%w: chunk longer than its message", ErrMalformedStream)
	}
	msg := make([]byte, 0, n)
	msg = append(msg, c...)
	for uint64(len(msg)) < n {
		ch, err := r.recv()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%w: stream ended inside a message", ErrMalformedStream)
			}
			return nil, wrapRPC(err)
		}
		c := ch.GetContent()
		if len(c) == 0 || uint64(len(msg)+len(c)) > n {
			return nil, fmt.Errorf("%w: chunk does not fit its message", ErrMalformedStream)
		}
		msg = append(msg, c...)
	}
	return msg, nil
}

// mustNext is next where the end of the stream is an error.
func (r *messageReader) mustNext(what string) ([]byte, error) {
	b, err := r.next()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: stream ended before the %s", ErrMalformedStream, what)
	}
	return b, err
}
