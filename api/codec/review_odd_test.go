package codec

import (
	"bytes"
	"fmt"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

// Review tests: inputs a standard encoder never writes but the standard
// decoder accepts, nil and zero values on marshal, huge and truncated
// messages. The codec must agree with proto.Unmarshal / proto.Marshal.

func tagOf(num protowire.Number, typ protowire.Type) []byte {
	return protowire.AppendTag(nil, num, typ)
}

func lenField(num protowire.Number, b []byte) []byte {
	return protowire.AppendBytes(tagOf(num, protowire.BytesType), b)
}

func varintField(num protowire.Number, v uint64) []byte {
	return protowire.AppendVarint(tagOf(num, protowire.VarintType), v)
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// agreeOnUnmarshal decodes wire with the codec and proto.Unmarshal into
// fresh messages of msg's type: same acceptance, proto.Equal results, and
// the codec re-encodes its result to proto.Marshal's bytes of the standard
// result.
func agreeOnUnmarshal(t *testing.T, name string, msg proto.Message, wire []byte) {
	t.Helper()
	want := newOf(msg)
	stdErr := proto.Unmarshal(wire, want)
	got := newOf(msg)
	err := codecUnmarshal(wire, got)
	if (err == nil) != (stdErr == nil) {
		t.Fatalf("%s: codec error %v, proto.Unmarshal error %v", name, err, stdErr)
	}
	if err != nil {
		return
	}
	if !sameMessage(got, want) {
		t.Fatalf("%s: codec %v, proto.Unmarshal %v", name, got, want)
	}
	std, err := proto.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if ours := codecMarshal(t, got); !bytes.Equal(ours, std) {
		t.Fatalf("%s: re-encoded %x, proto.Marshal %x", name, ours, std)
	}
}

func TestUnmarshalUnusualButValid(t *testing.T) {
	// SQLExecResult{txs: [CommittedSQLTx{lastInsertedPKs: {entry}}]}
	pkEntry := func(entry []byte) []byte { return lenField(5, lenField(3, entry)) }
	cases := []struct {
		name string
		msg  proto.Message
		wire []byte
	}{
		{"submessage twice merges", &schema.Entry{}, join(lenField(4, varintField(1, 7)), lenField(4, lenField(2, []byte("k"))))},
		{"oneof message twice merges", &schema.Precondition{}, join(lenField(3, lenField(1, []byte("a"))), lenField(3, varintField(2, 9)))},
		{"oneof member switch", &schema.Precondition{}, join(lenField(1, lenField(1, []byte("a"))), lenField(2, lenField(1, []byte("b"))))},
		{"oneof member switch and back", &schema.Precondition{}, join(lenField(1, lenField(1, []byte("a"))), lenField(2, nil), lenField(1, nil))},
		{"oneof op twice merges", &schema.Op{}, join(lenField(1, lenField(1, []byte("k"))), lenField(1, lenField(2, []byte("v"))))},
		{"oneof zero values", &schema.SQLValue{}, varintField(2, 0)},
		{"oneof empty string", &schema.SQLValue{}, lenField(3, nil)},
		{"oneof empty bytes", &schema.SQLValue{}, lenField(5, nil)},
		{"scalars repeated, last wins, out of order", &schema.Entry{}, join(varintField(7, 3), varintField(1, 1), lenField(3, []byte("v1")), varintField(1, 2), lenField(3, []byte("v2")), varintField(6, 1), varintField(6, 0))},
		{"empty bytes present", &schema.KeyValue{}, join(lenField(1, nil), lenField(2, nil))},
		{"zero scalars present", &schema.ScanRequest{}, join(varintField(4, 0), varintField(3, 0), lenField(1, nil))},
		{"map entry without key", &schema.Chunk{}, lenField(2, lenField(2, []byte("v")))},
		{"map entry without value", &schema.Chunk{}, lenField(2, lenField(1, []byte("k")))},
		{"map entry empty", &schema.Chunk{}, lenField(2, nil)},
		{"map entries reversed, same key twice", &schema.Chunk{}, join(lenField(2, join(lenField(2, []byte("v1")), lenField(1, []byte("k")))), lenField(2, join(lenField(1, []byte("k")), lenField(2, []byte("v2")))))},
		{"map entry with an unknown field", &schema.Chunk{}, lenField(2, join(lenField(1, []byte("k")), varintField(9, 1), lenField(2, []byte("v"))))},
		{"map entry key twice", &schema.Chunk{}, lenField(2, join(lenField(1, []byte("a")), lenField(1, []byte("b")), lenField(2, []byte("v"))))},
		{"map message value missing", &schema.SQLExecResult{}, pkEntry(lenField(1, []byte("t")))},
		// proto.Unmarshal merges the two values of one entry; the generated
		// decoder kept only the last.
		{"map message value twice in one entry", &schema.SQLExecResult{}, pkEntry(join(lenField(1, []byte("t")), lenField(2, varintField(2, 5)), lenField(2, nil)))},
		{"map message value twice, unknown field second", &schema.SQLExecResult{}, pkEntry(join(lenField(1, []byte("t")), lenField(2, varintField(2, 5)), lenField(2, varintField(99, 1))))},
		{"map message value twice, first entry of two", &schema.SQLExecResult{}, join(pkEntry(join(lenField(2, varintField(4, 1)), lenField(2, lenField(3, []byte("s"))), lenField(1, []byte("a")))), pkEntry(lenField(1, []byte("b"))))},
		{"map message value with an unknown field", &schema.SQLExecResult{}, pkEntry(join(lenField(1, []byte("t")), lenField(2, varintField(99, 1))))},
		{"unknown field in a submessage", &schema.Entry{}, lenField(4, join(varintField(1, 7), varintField(50, 1)))},
		{"unknown fields merged across two submessages", &schema.Entry{}, join(lenField(4, varintField(50, 1)), lenField(4, varintField(51, 2)))},
		{"unknown fields between known ones", &schema.Entry{}, join(varintField(1, 1), lenField(200, []byte("x")), varintField(7, 2), tagOf(300, protowire.Fixed32Type), []byte{1, 2, 3, 4})},
		{"packed repeated empty", &schema.VerifiableSQLEntry{}, lenField(16, nil)},
		{"packed repeated truncated varint", &schema.VerifiableSQLEntry{}, lenField(16, []byte{0x80})},
		{"repeated bytes with an empty element", &schema.KeyListRequest{}, join(lenField(1, nil), lenField(1, []byte("a")))},
		{"bool encoded as 2", &schema.SetRequest{}, varintField(2, 2)},
		{"bool as a 10-byte varint", &schema.SetRequest{}, join(tagOf(2, protowire.VarintType), []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01})},
		{"int32 from a 41-bit varint", &schema.HistoryRequest{}, varintField(3, 1<<40|5)},
		{"negative int32 in 5 bytes", &schema.HistoryRequest{}, join(tagOf(3, protowire.VarintType), []byte{0xff, 0xff, 0xff, 0xff, 0x0f})},
		{"overlong tag of a known field", &schema.Entry{}, []byte{0x88, 0x80, 0x00, 0x05}},
		{"overlong length", &schema.KeyValue{}, []byte{0x0a, 0x81, 0x00, 'k'}},
		{"empty repeated messages", &schema.Entries{}, join(lenField(1, nil), lenField(1, nil))},
	}
	for _, c := range cases {
		agreeOnUnmarshal(t, c.name, c.msg, c.wire)
	}
}

// Every prefix of valid encodings: the codec and proto.Unmarshal accept
// and refuse the same ones, with equal results.
func TestUnmarshalTruncations(t *testing.T) {
	for _, c := range roundTripCases() {
		// (maps of several entries: both encoders pick a random order)
		if _, ok := c.msg.(vtMessage); !ok || !c.sameBytes || proto.Size(c.msg) > 3000 {
			continue
		}
		b, err := proto.Marshal(c.msg)
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < len(b); n++ {
			agreeOnUnmarshal(t, fmt.Sprintf("%s[:%d]", c.name, n), c.msg, b[:n])
		}
	}
}

// Marshal of nil and zero values where the generated code and the
// standard encoder could differ: same bytes.
func TestMarshalNilAndZeroValues(t *testing.T) {
	for _, m := range []proto.Message{
		&schema.Entries{Entries: []*schema.Entry{nil, {}, nil}},
		&schema.ZEntries{Entries: []*schema.ZEntry{nil, {Score: 1}}},
		&schema.ExecAllRequest{Operations: []*schema.Op{nil, {}, {Operation: &schema.Op_ZAdd{}}, {Operation: &schema.Op_Kv{Kv: &schema.KeyValue{}}}}},
		&schema.SQLValue{Value: &schema.SQLValue_F{F: 0}},
		&schema.SQLValue{Value: &schema.SQLValue_N{N: 0}},
		&schema.SQLValue{Value: &schema.SQLValue_S{S: ""}},
		&schema.SQLValue{Value: &schema.SQLValue_Bs{Bs: nil}},
		&schema.SQLValue{Value: &schema.SQLValue_B{B: false}},
		&schema.SQLExecResult{Txs: []*schema.CommittedSQLTx{{LastInsertedPKs: map[string]*schema.SQLValue{"a": nil}}}},
		&schema.SQLExecResult{Txs: []*schema.CommittedSQLTx{{FirstInsertedPKs: map[string]*schema.SQLValue{"": {}}}, nil}},
		&schema.Chunk{Metadata: map[string][]byte{"": nil}},
		&schema.Chunk{Metadata: map[string][]byte{"k": {}}},
		&schema.KeyListRequest{Keys: [][]byte{nil, {}, []byte("a")}},
		&schema.Entry{ReferencedBy: &schema.Reference{}, Metadata: &schema.KVMetadata{Expiration: &schema.Expiration{}}},
		&schema.HistoryRequest{Limit: -1},
	} {
		std, err := proto.Marshal(m)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if ours := codecMarshal(t, m); !bytes.Equal(ours, std) {
			t.Errorf("%T %v:\n ours %x\n std  %x", m, m, ours, std)
		}
	}
}

// Unknown fields survive a codec round trip exactly as through the
// standard pair.
func TestUnknownFieldsRoundTrip(t *testing.T) {
	wire := join(varintField(1, 3), lenField(2, []byte("k")), lenField(77, []byte("future")),
		lenField(4, join(varintField(1, 9), varintField(88, 1))), tagOf(99, protowire.Fixed64Type), make([]byte, 8))
	m := &schema.Entry{}
	if err := codecUnmarshal(wire, m); err != nil {
		t.Fatal(err)
	}
	want := &schema.Entry{}
	if err := proto.Unmarshal(wire, want); err != nil {
		t.Fatal(err)
	}
	std, _ := proto.Marshal(want)
	if ours := codecMarshal(t, m); !bytes.Equal(ours, std) {
		t.Fatalf("ours %x\nstd  %x", ours, std)
	}
}

// Large repeated fields (past the pooling threshold, many elements) keep
// the standard bytes both ways.
func TestHugeRepeated(t *testing.T) {
	keys := make([][]byte, 100000)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key-%d", i)
	}
	for _, m := range []proto.Message{
		&schema.KeyListRequest{Keys: keys, SinceTx: 1},
		entries(20000),
	} {
		std, err := proto.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		if ours := codecMarshal(t, m); !bytes.Equal(ours, std) {
			t.Fatalf("%T: %d bytes, proto.Marshal %d", m, len(ours), len(std))
		}
		agreeOnUnmarshal(t, fmt.Sprintf("%T", m), m, std)
	}
}

// Unknown groups nested around the standard decoder's recursion limit,
// at the top level and inside a submessage: same acceptance.
func TestDeepUnknownGroups(t *testing.T) {
	for _, depth := range []int{1, 100, 9999, 10000, 10001, 20000} {
		var b []byte
		for i := 0; i < depth; i++ {
			b = protowire.AppendTag(b, 100, protowire.StartGroupType)
		}
		for i := 0; i < depth; i++ {
			b = protowire.AppendTag(b, 100, protowire.EndGroupType)
		}
		agreeOnUnmarshal(t, fmt.Sprintf("groups %d deep", depth), &schema.Entry{}, b)
		agreeOnUnmarshal(t, fmt.Sprintf("groups %d deep in a submessage", depth), &schema.Entry{}, lenField(4, b))
	}
}
