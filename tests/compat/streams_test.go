package compat

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/codenotary/immudb/pkg/api/schema"
	"github.com/codenotary/immudb/pkg/client"
	"github.com/codenotary/immudb/pkg/stream"
)

// kv builds a stream.KeyValue from strings.
func kv(k string, v []byte) *stream.KeyValue {
	return &stream.KeyValue{
		Key:   &stream.ValueSize{Content: bytes.NewReader([]byte(k)), Size: len(k)},
		Value: &stream.ValueSize{Content: bytes.NewReader(v), Size: len(v)},
	}
}

// runStreams drives every stream helper of the SDK; big values span many
// chunks, so the framing of API.md §7 is exercised both ways.
func runStreams(t *testing.T, c client.ImmuClient) {
	ctx := ctxT(t)
	big := bytes.Repeat([]byte("0123456789abcdef"), 20000) // 320 KB, > 4 chunks of 64 KiB

	h, err := c.StreamSet(ctx, []*stream.KeyValue{kv("s1", []byte("one")), kv("s2", big)})
	noErr(t, "StreamSet", err)
	if h.Nentries != 2 {
		t.Errorf("StreamSet nentries %d, want 2", h.Nentries)
	}
	e, err := c.StreamGet(ctx, &schema.KeyRequest{Key: []byte("s2")})
	noErr(t, "StreamGet", err)
	if string(e.Key) != "s2" || !bytes.Equal(e.Value, big) {
		t.Errorf("StreamGet(s2) = key %q, %d value bytes; want s2 and the %d bytes written", e.Key, len(e.Value), len(big))
	}

	h, err = c.StreamVerifiedSet(ctx, []*stream.KeyValue{kv("s3", []byte("three"))})
	noErr(t, "StreamVerifiedSet", err)
	s3tx := h.Id
	h, err = c.StreamVerifiedSet(ctx, []*stream.KeyValue{kv("s4", big)})
	noErr(t, "StreamVerifiedSet(big)", err)
	// Unlike VerifiedGet, the SDK's StreamVerifiedGet proves from the
	// client's state without setting proveSinceTx itself: the caller must
	// pass the tx its local state is at (here: the last verified write).
	e, err = c.StreamVerifiedGet(ctx, &schema.VerifiableGetRequest{
		KeyRequest: &schema.KeyRequest{Key: []byte("s3")}, ProveSinceTx: h.Id})
	noErr(t, "StreamVerifiedGet", err)
	wantEntry(t, "StreamVerifiedGet(s3)", e, "s3", "three", s3tx)
	e, err = c.StreamVerifiedGet(ctx, &schema.VerifiableGetRequest{
		KeyRequest: &schema.KeyRequest{Key: []byte("s4")}, ProveSinceTx: h.Id})
	noErr(t, "StreamVerifiedGet(big)", err)
	if !bytes.Equal(e.Value, big) || e.Tx != h.Id {
		t.Errorf("StreamVerifiedGet(s4) = tx %d, %d bytes; want tx %d, %d bytes", e.Tx, len(e.Value), h.Id, len(big))
	}
	_, err = c.StreamVerifiedGet(ctx, &schema.VerifiableGetRequest{KeyRequest: &schema.KeyRequest{Key: []byte("nope")}})
	wantErrContains(t, "StreamVerifiedGet(missing)", err, "key not found")

	es, err := c.StreamScan(ctx, &schema.ScanRequest{Prefix: []byte("s")})
	noErr(t, "StreamScan", err)
	if got := keys(es.Entries); got != "s1,s2,s3,s4" {
		t.Errorf("StreamScan(s) = %q, want s1,s2,s3,s4", got)
	}
	if len(es.Entries) == 4 && !bytes.Equal(es.Entries[1].Value, big) {
		t.Errorf("StreamScan s2 value has %d bytes, want %d", len(es.Entries[1].Value), len(big))
	}
	es, err = c.StreamScan(ctx, &schema.ScanRequest{Prefix: []byte("s"), Desc: true, Limit: 2})
	noErr(t, "StreamScan(desc)", err)
	if got := keys(es.Entries); got != "s4,s3" {
		t.Errorf("StreamScan(s, desc, limit 2) = %q, want s4,s3", got)
	}

	_, err = c.StreamSet(ctx, []*stream.KeyValue{kv("s1", []byte("one-2"))})
	noErr(t, "StreamSet(s1 again)", err)
	es, err = c.StreamHistory(ctx, &schema.HistoryRequest{Key: []byte("s1")})
	noErr(t, "StreamHistory", err)
	var vals []string
	for _, e := range es.Entries {
		vals = append(vals, string(e.Value))
	}
	if strings.Join(vals, ",") != "one,one-2" {
		t.Errorf("StreamHistory(s1) = %v, want one,one-2", vals)
	}

	_, err = c.ZAdd(ctx, []byte("zs"), -1.25, []byte("s1"))
	noErr(t, "ZAdd", err)
	_, err = c.ZAdd(ctx, []byte("zs"), 7, []byte("s3"))
	noErr(t, "ZAdd", err)
	zs, err := c.StreamZScan(ctx, &schema.ZScanRequest{Set: []byte("zs")})
	noErr(t, "StreamZScan", err)
	var got []string
	for _, z := range zs.Entries {
		got = append(got, fmt.Sprintf("%s:%g:%s", z.Key, z.Score, z.Entry.GetValue()))
	}
	// Raw IEEE-754 order: the negative score sorts after the positive one.
	if want := "s3:7:three,s1:-1.25:one-2"; strings.Join(got, ",") != want {
		t.Errorf("StreamZScan = %q, want %q", strings.Join(got, ","), want)
	}

	h, err = c.StreamExecAll(ctx, &stream.ExecAllRequest{Operations: []*stream.Op{
		{Operation: &stream.Op_KeyValue{KeyValue: kv("s5", []byte("five"))}},
		{Operation: &stream.Op_ZAdd{ZAdd: &schema.ZAddRequest{Set: []byte("zs"), Score: 3, Key: []byte("s3")}}},
	}})
	noErr(t, "StreamExecAll", err)
	if h.Nentries != 2 {
		t.Errorf("StreamExecAll nentries %d, want 2", h.Nentries)
	}
	e, err = c.VerifiedGet(ctx, []byte("s5"))
	noErr(t, "VerifiedGet(s5)", err)
	wantEntry(t, "VerifiedGet(s5)", e, "s5", "five", h.Id)
	zs, err = c.ZScan(ctx, &schema.ZScanRequest{Set: []byte("zs"), MinScore: &schema.Score{Score: 2}, MaxScore: &schema.Score{Score: 4}})
	noErr(t, "ZScan", err)
	if len(zs.Entries) != 1 || string(zs.Entries[0].Key) != "s3" {
		t.Errorf("ZScan(2..4) after StreamExecAll = %v, want s3", zs.Entries)
	}
}

func TestStreamsSession(t *testing.T) {
	s := startServer(t, true)
	runStreams(t, mustSession(t, s, "immudb", "immudb", "defaultdb", signingPub))
}

func TestStreamsToken(t *testing.T) {
	s := startServer(t, true)
	runStreams(t, tokenClient(t, s, "immudb", "immudb", "", signingPubFile))
}
