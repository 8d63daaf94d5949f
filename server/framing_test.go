package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/attestdb/attestdb/api/schema"
)

// chunks is an in-memory chunk stream (both directions).
type chunks struct{ list []*schema.Chunk }

func (c *chunks) Send(ch *schema.Chunk) error { c.list = append(c.list, ch); return nil }

func (c *chunks) Recv() (*schema.Chunk, error) {
	if len(c.list) == 0 {
		return nil, io.EOF
	}
	ch := c.list[0]
	c.list = c.list[1:]
	return ch, nil
}

func TestFramingRoundTrip(t *testing.T) {
	payloads := [][]byte{{}, []byte("k"), bytes.Repeat([]byte("v"), 4096-8), bytes.Repeat([]byte("w"), 4096-7), bytes.Repeat([]byte("x"), 3*4096+5)}
	var c chunks
	for _, p := range payloads {
		if err := sendMsg(&c, p, 4096); err != nil {
			t.Fatal(err)
		}
	}
	for _, ch := range c.list {
		if len(ch.Content) > 4096 {
			t.Fatalf("chunk of %d bytes", len(ch.Content))
		}
	}
	if got := len(c.list); got != 1+1+1+2+4 {
		t.Fatalf("%d chunks", got)
	}
	r := newMsgReader(&c, 1<<20)
	for i, p := range payloads {
		got, err := r.next()
		if err != nil || !bytes.Equal(got, p) {
			t.Fatalf("message %d: %d bytes, %v", i, len(got), err)
		}
	}
	if _, err := r.next(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last message: %v", err)
	}
}

func TestFramingReaderAcceptsAnyChunking(t *testing.T) {
	var all []byte
	for _, p := range []string{"key", "value", ""} {
		all = binary.BigEndian.AppendUint64(all, uint64(len(p)))
		all = append(all, p...)
	}
	// One byte per chunk, then everything in one chunk.
	for _, size := range []int{1, len(all)} {
		var c chunks
		for i := 0; i < len(all); i += size {
			c.list = append(c.list, &schema.Chunk{Content: all[i:min(i+size, len(all))]})
		}
		r := newMsgReader(&c, 100)
		for _, want := range []string{"key", "value", ""} {
			got, err := r.next()
			if err != nil || string(got) != want {
				t.Fatalf("size %d: %q %v", size, got, err)
			}
		}
	}
}

func TestFramingReaderErrors(t *testing.T) {
	cases := map[string]struct {
		content []byte
		want    error
	}{
		"truncated length": {[]byte{0, 0, 0}, ErrStreamTruncated},
		"truncated body":   {append(binary.BigEndian.AppendUint64(nil, 10), "abc"...), ErrStreamTruncated},
		"too large":        {binary.BigEndian.AppendUint64(nil, 1<<40), ErrStreamMessageTooLarge},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := newMsgReader(&chunks{list: []*schema.Chunk{{Content: c.content}}}, 1<<20)
			if _, err := r.next(); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestReadExecAllRejectsBadOps(t *testing.T) {
	s := &Server{opts: Options{MaxRecvMsgSize: 1 << 20}}
	frame := func(msgs ...[]byte) *msgReader {
		var c chunks
		for _, m := range msgs {
			if err := sendMsg(&c, m, DefaultChunkSize); err != nil {
				t.Fatal(err)
			}
		}
		return newMsgReader(&c, 1<<20)
	}
	if _, err := s.readExecAll(frame([]byte{9})); !errors.Is(err, ErrStreamBadMessage) {
		t.Fatalf("unknown op: %v", err)
	}
	if _, err := s.readExecAll(frame([]byte{streamOpKV}, []byte("k"))); !errors.Is(err, ErrStreamTruncated) {
		t.Fatalf("missing value: %v", err)
	}
	if _, err := s.readExecAll(frame([]byte{streamOpZAdd}, []byte{0xff, 0xff})); !errors.Is(err, ErrStreamBadMessage) {
		t.Fatalf("bad zAdd: %v", err)
	}
	if _, err := s.readExecAll(frame([]byte{streamOpReference})); !errors.Is(err, ErrNotImplemented) {
		t.Fatalf("reference: %v", err)
	}
	req, err := s.readExecAll(frame([]byte{streamOpKV}, []byte("k"), []byte("v")))
	if err != nil || len(req.Operations) != 1 || string(req.Operations[0].GetKv().Value) != "v" {
		t.Fatalf("kv op: %v %v", req, err)
	}
}

// FuzzMsgReader: any byte stream, cut into any chunks, yields messages or
// a precise error, never a panic, and never a message over the limit.
func FuzzMsgReader(f *testing.F) {
	f.Add(append(binary.BigEndian.AppendUint64(nil, 3), "abc"...), uint8(2))
	f.Add(binary.BigEndian.AppendUint64(nil, 1<<62), uint8(1))
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0}, uint8(7))
	f.Fuzz(func(t *testing.T, data []byte, cut uint8) {
		size := int(cut)%16 + 1
		var c chunks
		for i := 0; i < len(data); i += size {
			c.list = append(c.list, &schema.Chunk{Content: data[i:min(i+size, len(data))]})
		}
		r := newMsgReader(&c, 1024)
		for {
			m, err := r.next()
			if err != nil {
				return
			}
			if len(m) > 1024 {
				t.Fatalf("message of %d bytes over the limit", len(m))
			}
		}
	})
}
