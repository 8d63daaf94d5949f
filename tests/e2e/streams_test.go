package e2e

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

// Client-side framing written from API.md §7, independent of the server's.

const testChunk = 4096

func frame(msgs ...[]byte) []*schema.Chunk {
	var out []*schema.Chunk
	for _, m := range msgs {
		b := binary.BigEndian.AppendUint64(nil, uint64(len(m)))
		b = append(b, m...)
		for len(b) > 0 {
			n := min(testChunk, len(b))
			out = append(out, &schema.Chunk{Content: b[:n]})
			b = b[n:]
		}
	}
	return out
}

type chunkRecv interface {
	Recv() (*schema.Chunk, error)
}

// unframe reads every message of a server stream.
func unframe(t *testing.T, s chunkRecv) [][]byte {
	t.Helper()
	var buf []byte
	for {
		c, err := s.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Content) > 64<<10 {
			t.Fatalf("chunk of %d bytes", len(c.Content))
		}
		buf = append(buf, c.Content...)
	}
	var msgs [][]byte
	for len(buf) > 0 {
		n := binary.BigEndian.Uint64(buf)
		msgs = append(msgs, buf[8:8+n])
		buf = buf[8+n:]
	}
	return msgs
}

func TestStreams(t *testing.T) {
	e := startServer(t, nil)
	ctx := e.session(t, "immudb", "immudb", "defaultdb")
	big := bytes.Repeat([]byte("0123456789"), 20000) // 200 kB: many chunks

	ss, err := e.cli.StreamSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range frame([]byte("big"), big, []byte("small"), []byte("s")) {
		if err := ss.Send(c); err != nil {
			t.Fatal(err)
		}
	}
	hdr, err := ss.CloseAndRecv()
	if err != nil || hdr.Id != 1 || hdr.Nentries != 2 {
		t.Fatalf("streamSet %v %v", hdr, err)
	}

	gs, err := e.cli.StreamGet(ctx, &schema.KeyRequest{Key: []byte("big")})
	if err != nil {
		t.Fatal(err)
	}
	if m := unframe(t, gs); len(m) != 2 || string(m[0]) != "big" || !bytes.Equal(m[1], big) {
		t.Fatalf("streamGet: %d messages", len(m))
	}

	// Verified write and read over streams.
	vs, err := e.cli.StreamVerifiableSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range frame(binary.BigEndian.AppendUint64(nil, 1), []byte("vk"), []byte("vv")) {
		if err := vs.Send(c); err != nil {
			t.Fatal(err)
		}
	}
	vtx, err := vs.CloseAndRecv()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := checkVerifiableTx(e.pub, "defaultdb", vtx); err != nil {
		t.Fatal(err)
	}
	vg, err := e.cli.StreamVerifiableGet(ctx, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("vk")}, ProveSinceTx: 1})
	if err != nil {
		t.Fatal(err)
	}
	m := unframe(t, vg)
	if len(m) != 4 {
		t.Fatalf("streamVerifiableGet: %d messages", len(m))
	}
	ve := &schema.VerifiableEntry{Entry: &schema.Entry{}, VerifiableTx: &schema.VerifiableTx{}, InclusionProof: &schema.InclusionProof{}}
	for i, msg := range []proto.Message{ve.Entry, ve.VerifiableTx, ve.InclusionProof} {
		if err := proto.Unmarshal(m[i], msg); err != nil {
			t.Fatal(err)
		}
	}
	if ve.Entry.Value != nil || ve.Entry.Metadata != nil {
		t.Fatal("streamed entry carries a value or metadata")
	}
	ve.Entry.Value = m[3]
	if err := checkVerifiableEntry(e.pub, "defaultdb", ve); err != nil {
		t.Fatal(err)
	}

	// ExecAll with a KV and a ZAdd, then ZScan, Scan and History.
	za, _ := proto.Marshal(&schema.ZAddRequest{Set: []byte("set"), Score: -1.5, Key: []byte("small")})
	xs, err := e.cli.StreamExecAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range frame([]byte{1}, []byte("small"), []byte("s2"), []byte{2}, za) {
		if err := xs.Send(c); err != nil {
			t.Fatal(err)
		}
	}
	if hdr, err = xs.CloseAndRecv(); err != nil || hdr.Nentries != 2 {
		t.Fatalf("streamExecAll %v %v", hdr, err)
	}
	zs, err := e.cli.StreamZScan(ctx, &schema.ZScanRequest{Set: []byte("set")})
	if err != nil {
		t.Fatal(err)
	}
	m = unframe(t, zs)
	if len(m) != 5 || string(m[0]) != "set" || string(m[1]) != "small" ||
		math.Float64frombits(binary.BigEndian.Uint64(m[2])) != -1.5 || string(m[4]) != "s2" {
		t.Fatalf("streamZScan %q", m)
	}
	sc, err := e.cli.StreamScan(ctx, &schema.ScanRequest{Prefix: []byte("s")})
	if err != nil {
		t.Fatal(err)
	}
	if m = unframe(t, sc); len(m) != 2 || string(m[0]) != "small" || string(m[1]) != "s2" {
		t.Fatalf("streamScan %q", m)
	}
	hs, err := e.cli.StreamHistory(ctx, &schema.HistoryRequest{Key: []byte("small")})
	if err != nil {
		t.Fatal(err)
	}
	if m = unframe(t, hs); len(m) != 4 || string(m[1]) != "s" || string(m[3]) != "s2" {
		t.Fatalf("streamHistory %q", m)
	}

	// A stream cut inside a message is refused, and nothing is written.
	ss, err = e.cli.StreamSet(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := ss.Send(&schema.Chunk{Content: binary.BigEndian.AppendUint64(nil, 100)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ss.CloseAndRecv(); err == nil {
		t.Fatal("truncated stream accepted")
	}
}
