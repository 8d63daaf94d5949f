package codec

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/schema"
)

// fuzzTypes are the message types FuzzCodecUnmarshal decodes every input
// into: the large answers and requests, and types with strings, maps,
// oneofs and packed fields.
func fuzzTypes() []proto.Message {
	return []proto.Message{
		&schema.Entries{},
		&schema.SetRequest{},
		&schema.VerifiableTx{},
		&schema.ExecAllRequest{},
		&schema.VerifiableSQLEntry{},
		&schema.SQLExecResult{},
		&schema.UpdateDatabaseRequest{},
		&authorization.OpenSessionRequest{},
	}
}

// sameMessage is proto.Equal, except that a NaN (which proto.Equal finds
// unequal to itself) is equal when both encodings agree byte for byte.
func sameMessage(a, b proto.Message) bool {
	if proto.Equal(a, b) {
		return true
	}
	det := proto.MarshalOptions{Deterministic: true}
	ab, errA := det.Marshal(a)
	bb, errB := det.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ab, bb)
}

// FuzzCodecUnmarshal holds the codec to the standard decoder on arbitrary
// bytes: never a panic, and for each type the codec accepts exactly what
// proto.Unmarshal accepts, with an equal message.
func FuzzCodecUnmarshal(f *testing.F) {
	for _, c := range roundTripCases() {
		if _, ok := c.msg.(vtMessage); !ok || proto.Size(c.msg) > 4096 {
			continue
		}
		b, err := proto.Marshal(c.msg)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, r := range recordedAnswers(f)[:4] {
		f.Add(r.wire)
	}
	f.Add([]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}) // varint overflow
	f.Add([]byte{0x0a, 0x02, 0xff, 0xfe})                                           // bytes or a bad string
	f.Add([]byte{0xa3, 0x06, 0xac, 0x06})                                           // unmatched group
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, typ := range fuzzTypes() {
			want := newOf(typ)
			stdErr := proto.Unmarshal(data, want)
			got := newOf(typ)
			err := codecUnmarshal(data, got)
			switch {
			case (err == nil) != (stdErr == nil):
				t.Fatalf("%T: codec error %v, proto.Unmarshal error %v", typ, err, stdErr)
			case err == nil && !sameMessage(got, want):
				t.Fatalf("%T: codec %v, proto.Unmarshal %v", typ, got, want)
			}
		}
	})
}
