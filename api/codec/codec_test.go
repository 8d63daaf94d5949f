package codec

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/schema"
)

// roundTripCases are the messages of TestRoundTrip. vt says the message must
// take the generated path (so a regeneration that loses the VT methods
// fails here); sameBytes that our bytes must equal proto.Marshal's (false
// only where a map with several entries makes both orders random).
type roundTripCase struct {
	name      string
	msg       proto.Message
	vt        bool
	sameBytes bool
}

func roundTripCases() []roundTripCase {
	rows := &schema.SQLQueryResult{
		Columns: []*schema.Column{{Name: "id", Type: "INTEGER"}, {Name: "name", Type: "VARCHAR"}},
		Rows:    []*schema.Row{{Columns: []string{"id", "name"}, Values: sqlValues()}},
	}
	return []roundTripCase{
		{"empty SetRequest", &schema.SetRequest{}, true, true},
		{"SetRequest 3 KVs and preconditions", setRequest(3), true, true},
		{"SetRequest 1000 KVs (pooled buffer)", setRequest(1000), true, true},
		// A set oneof holding a nil message: proto.Marshal writes an empty
		// message for it. The generated SizeVT counts 3 bytes for it where
		// 2 are written, so marshalVT's length check sends the message to
		// proto.Marshal; the bytes must still be the standard ones.
		{"SetRequest with a nil precondition", &schema.SetRequest{Preconditions: []*schema.Precondition{
			{Precondition: &schema.Precondition_KeyMustExist{}},
		}}, true, true},
		{"Entries 100", entries(100), true, true},
		{"VerifiableTx with DualProof", verifiableTx(), true, true},
		{"ExecAllRequest", &schema.ExecAllRequest{
			Operations: []*schema.Op{
				{Operation: &schema.Op_Kv{Kv: &schema.KeyValue{Key: []byte("k"), Value: []byte("v")}}},
				{Operation: &schema.Op_ZAdd{ZAdd: &schema.ZAddRequest{Set: []byte("s"), Score: -1.5, Key: []byte("k"), AtTx: 3, BoundRef: true}}},
				{Operation: &schema.Op_Ref{Ref: &schema.ReferenceRequest{Key: []byte("r"), ReferencedKey: []byte("k"), AtTx: 4}}},
				{Operation: &schema.Op_Kv{}},
			},
			Preconditions: setRequest(0).Preconditions,
		}, true, true},
		{"Chunk with one metadata entry", &schema.Chunk{Content: []byte("c"), Metadata: map[string][]byte{"size": {1, 2}}}, true, true},
		{"Chunk with several metadata entries", &schema.Chunk{Metadata: map[string][]byte{"a": {1}, "b": nil, "": {3}}}, true, false},
		{"SQLValue null (google.protobuf.NullValue)", sqlValues()[0], true, true},
		{"SQLQueryResult", rows, true, true},
		{"SQLExecResult with maps", &schema.SQLExecResult{
			Txs: []*schema.CommittedSQLTx{{
				Header:          txHeader(3),
				UpdatedRows:     2,
				LastInsertedPKs: map[string]*schema.SQLValue{"t": sqlValues()[1]},
			}},
			OngoingTx: true,
		}, true, true},
		{"User with strings", &schema.User{User: []byte("u"), Permissions: []*schema.Permission{{Database: "defaultdb", Permission: 254}}, Createdby: "immudb", Createdat: "2026-12-07", Active: true}, true, true},
		{"UpdateDatabaseRequest with nullable settings", &schema.UpdateDatabaseRequest{
			Database: "db1",
			Settings: &schema.DatabaseNullableSettings{
				ReplicationSettings: &schema.ReplicationNullableSettings{
					Replica:         &schema.NullableBool{Value: true},
					PrimaryDatabase: &schema.NullableString{Value: "primary"},
					PrimaryPort:     &schema.NullableUint32{Value: 3322},
				},
				MaxKeyLen: &schema.NullableUint32{Value: 1024},
			},
		}, true, true},
		{"authorization OpenSessionRequest", &authorization.OpenSessionRequest{Username: "immudb", Password: "pw", Database: "defaultdb"}, true, true},
		{"authorization OpenSessionResponse", &authorization.OpenSessionResponse{SessionID: "s", ServerUUID: "u", ExpirationTimestamp: 1, InactivityTimestamp: -1}, true, true},
		// Types without VT methods take the standard path.
		{"google.protobuf.Empty", &emptypb.Empty{}, false, true},
		{"google.protobuf.Struct", mustStruct(map[string]any{"a": 1.5}), false, true},
		{"google.protobuf.StringValue", wrapperspb.String("x"), false, true},
		{"grpc health", &grpc_health_v1.HealthCheckResponse{Status: grpc_health_v1.HealthCheckResponse_SERVING}, false, true},
	}
}

func mustStruct(m map[string]any) *structpb.Struct {
	s, err := structpb.NewStruct(m)
	if err != nil {
		panic(err)
	}
	return s
}

func codecMarshal(t testing.TB, m any) []byte {
	t.Helper()
	bs, err := Codec{}.Marshal(m)
	if err != nil {
		t.Fatalf("codec marshal %T: %v", m, err)
	}
	defer bs.Free()
	return bs.Materialize()
}

func codecUnmarshal(b []byte, m any) error {
	return Codec{}.Unmarshal(mem.BufferSlice{mem.SliceBuffer(b)}, m)
}

func newOf(m proto.Message) proto.Message { return m.ProtoReflect().New().Interface() }

func TestRoundTrip(t *testing.T) {
	for _, c := range roundTripCases() {
		t.Run(c.name, func(t *testing.T) {
			if _, ok := c.msg.(vtMessage); ok != c.vt {
				t.Fatalf("%T has VT methods: %v, want %v", c.msg, ok, c.vt)
			}
			ours := codecMarshal(t, c.msg)
			std, err := proto.Marshal(c.msg)
			if err != nil {
				t.Fatal(err)
			}
			if c.sameBytes && !bytes.Equal(ours, std) {
				t.Fatalf("codec bytes differ from proto.Marshal:\n ours %x\n std  %x", ours, std)
			}
			if len(ours) != len(std) {
				t.Fatalf("codec wrote %d bytes, proto.Marshal %d", len(ours), len(std))
			}
			// Our bytes through the standard decoder.
			got := newOf(c.msg)
			if err := proto.Unmarshal(ours, got); err != nil {
				t.Fatalf("proto.Unmarshal of codec bytes: %v", err)
			}
			if !proto.Equal(got, c.msg) {
				t.Fatalf("proto.Unmarshal of codec bytes: got %v, want %v", got, c.msg)
			}
			// Standard bytes, and our own, through the codec.
			for what, b := range map[string][]byte{"proto.Marshal": std, "codec": ours} {
				got := newOf(c.msg)
				if err := codecUnmarshal(b, got); err != nil {
					t.Fatalf("codec unmarshal of %s bytes: %v", what, err)
				}
				if !proto.Equal(got, c.msg) {
					t.Fatalf("codec unmarshal of %s bytes: got %v, want %v", what, got, c.msg)
				}
			}
		})
	}
}

// TestRecordedAnswers decodes answers recorded from immudb v1.11.1 with the
// codec and writes them back: the bytes must be exactly immudb's.
func TestRecordedAnswers(t *testing.T) {
	for _, r := range recordedAnswers(t) {
		got := newOf(r.msg)
		if err := codecUnmarshal(r.wire, got); err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		want := newOf(r.msg)
		if err := proto.Unmarshal(r.wire, want); err != nil {
			t.Fatalf("%s: proto.Unmarshal: %v", r.name, err)
		}
		if !proto.Equal(got, want) {
			t.Fatalf("%s: codec and proto.Unmarshal disagree", r.name)
		}
		if len(got.ProtoReflect().GetUnknown()) != 0 {
			t.Fatalf("%s: unknown fields after decoding", r.name)
		}
		if b := codecMarshal(t, got); !bytes.Equal(b, r.wire) {
			t.Fatalf("%s: re-encoded bytes differ from immudb's", r.name)
		}
	}
}

// TestUnmarshalAgreesOnOddInput covers the corners where the generated
// decoder alone would differ from proto.Unmarshal.
func TestUnmarshalAgreesOnOddInput(t *testing.T) {
	tag := func(num protowire.Number, typ protowire.Type) []byte { return protowire.AppendTag(nil, num, typ) }
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	cases := []struct {
		name   string
		msg    proto.Message
		wire   []byte
		accept bool
	}{
		{"known field with another wire type is an unknown field", &schema.Entry{},
			cat(tag(1, protowire.BytesType), []byte{1, 'x'}, tag(7, protowire.VarintType), []byte{5}), true},
		{"unknown fields kept", &schema.KeyValue{},
			cat(tag(99, protowire.Fixed64Type), make([]byte, 8), tag(100, protowire.StartGroupType), tag(100, protowire.EndGroupType)), true},
		// proto.Unmarshal keeps such a field with its tag re-encoded short.
		{"unknown field with an overlong tag", &schema.SQLExecResult{},
			cat([]byte{0x89, 0x00}, make([]byte, 8)), true},
		{"packed and unpacked repeated uint32", &schema.VerifiableSQLEntry{},
			cat(tag(16, protowire.BytesType), []byte{3, 1, 0x80, 1}, tag(16, protowire.VarintType), []byte{9}), true},
		{"varint overflowing 64 bits", &schema.Entry{},
			cat(tag(1, protowire.VarintType), bytes.Repeat([]byte{0xff}, 9), []byte{0x7f}), false},
		// 2^32+1 would be field 1 to a decoder keeping 32 bits of it.
		{"field number above the maximum", &schema.Entry{},
			cat(protowire.AppendVarint(nil, (uint64(1)<<32|1)<<3), []byte{5}), false},
		{"field number zero", &schema.Entry{}, []byte{0x00, 0x01}, false},
		{"unmatched end of group", &schema.KeyValue{},
			cat(tag(100, protowire.StartGroupType), tag(101, protowire.EndGroupType)), false},
		{"truncated length", &schema.KeyValue{}, cat(tag(1, protowire.BytesType), []byte{5, 'a'}), false},
		{"invalid UTF-8 in a string", &schema.NullableString{}, cat(tag(1, protowire.BytesType), []byte{2, 0xff, 0xfe}), false},
		{"invalid UTF-8 in a database name", &schema.UpdateDatabaseRequest{},
			cat(tag(1, protowire.BytesType), []byte{1, 0xc3}), false},
		{"invalid UTF-8 in a map key", &schema.Chunk{},
			cat(tag(2, protowire.BytesType), []byte{4}, tag(1, protowire.BytesType), []byte{2, 0xe2, 0x28}), false},
		{"invalid UTF-8 in bytes is fine", &schema.KeyValue{}, cat(tag(1, protowire.BytesType), []byte{2, 0xff, 0xfe}), true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := newOf(c.msg)
			stdErr := proto.Unmarshal(c.wire, want)
			if (stdErr == nil) != c.accept {
				t.Fatalf("test premise: proto.Unmarshal error %v, want accept=%v", stdErr, c.accept)
			}
			got := newOf(c.msg)
			err := codecUnmarshal(c.wire, got)
			if (err == nil) != c.accept {
				t.Fatalf("codec error %v, want accept=%v", err, c.accept)
			}
			if c.accept && !proto.Equal(got, want) {
				t.Fatalf("codec %v, proto.Unmarshal %v", got, want)
			}
		})
	}
}

// Unmarshal must reset the target like proto.Unmarshal, not merge into it.
func TestUnmarshalResets(t *testing.T) {
	m := setRequest(3)
	if err := codecUnmarshal(codecMarshal(t, &schema.SetRequest{NoWait: true}), m); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(m, &schema.SetRequest{NoWait: true}) {
		t.Fatalf("target not reset: %v", m)
	}
}

// Invalid UTF-8 in a string field fails the marshal exactly as proto.Marshal
// does, instead of sending bytes an official SDK would refuse.
func TestMarshalInvalidUTF8(t *testing.T) {
	for _, m := range []proto.Message{
		&schema.NullableString{Value: "\xff"},
		&schema.UpdateDatabaseRequest{Settings: &schema.DatabaseNullableSettings{ReplicationSettings: &schema.ReplicationNullableSettings{PrimaryHost: &schema.NullableString{Value: "a\xc3"}}}},
		&authorization.OpenSessionRequest{Username: "\xfe"},
	} {
		_, stdErr := proto.Marshal(m)
		if stdErr == nil {
			t.Fatalf("test premise: proto.Marshal accepted %T", m)
		}
		if _, err := (Codec{}).Marshal(m); err == nil || err.Error() != stdErr.Error() {
			t.Fatalf("%T: codec error %v, want %v", m, err, stdErr)
		}
	}
}

func TestNotAMessage(t *testing.T) {
	if _, err := (Codec{}).Marshal("text"); err == nil || !strings.Contains(err.Error(), "want proto.Message") {
		t.Fatalf("marshal of a string: %v", err)
	}
	var s string
	if err := codecUnmarshal(nil, &s); err == nil {
		t.Fatal("unmarshal into a string accepted")
	}
}

// The codec is opt-in: importing it must not replace grpc's registered
// codec.
func TestNotRegistered(t *testing.T) {
	if _, ours := encoding.GetCodecV2(Name).(Codec); ours {
		t.Fatal("codec registered globally")
	}
	if (Codec{}).Name() != "proto" {
		t.Fatal("name")
	}
}

// Calls from many goroutines share the lazily built scanner tables (run
// with -race). TxList and ZEntries appear in no other test, so their tables
// are built here, concurrently.
func TestConcurrentUse(t *testing.T) {
	msgs := []proto.Message{
		&schema.TxList{Txs: []*schema.Tx{verifiableTx().Tx}},
		&schema.ZEntries{Entries: []*schema.ZEntry{{Set: []byte("s"), Key: []byte("k"), Entry: entries(1).Entries[0], Score: 1}}},
		&schema.User{Createdby: "u"},
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(msgs))
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := msgs[g%len(msgs)]
			bs, err := Codec{}.Marshal(m)
			if err != nil {
				errs <- err
				return
			}
			got := newOf(m)
			if err := (Codec{}).Unmarshal(bs, got); err != nil {
				errs <- err
				return
			}
			if !proto.Equal(got, m) {
				errs <- fmt.Errorf("%T: got %v", m, got)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
