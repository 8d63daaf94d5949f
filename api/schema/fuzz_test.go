package schema_test

import (
	"bytes"
	"encoding/base64"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/attestdb/attestdb/api/schema"
)

// FuzzDecodeVerifiable feeds arbitrary bytes to the decoders of the replies a
// client verifies. Decoding may fail but must not panic, and whatever decodes
// must survive a marshal/unmarshal round trip unchanged.
func FuzzDecodeVerifiable(f *testing.F) {
	var d dualProofs
	readJSON(f, "dual_proofs.json", &d)
	for _, set := range [][]dualCase{d.VerifiableTxByID, d.VerifiableGet, d.VerifiableWrites} {
		for _, c := range set {
			if b, err := base64.StdEncoding.DecodeString(c.ResponseProtobufBase64); err == nil {
				f.Add(b)
			}
		}
	}
	var s signedState
	readJSON(f, "signed_state.json", &s)
	for _, ex := range s.Examples {
		if b, err := base64.StdEncoding.DecodeString(ex.CurrentStateResponseProtobufBase); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, m := range []proto.Message{&schema.VerifiableTx{}, &schema.VerifiableEntry{}, &schema.ImmutableState{}, &schema.Tx{}} {
			if err := proto.Unmarshal(data, m); err != nil {
				continue
			}
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
			if err != nil {
				t.Fatalf("%T: marshal after decode: %v", m, err)
			}
			again := m.ProtoReflect().New().Interface()
			if err := proto.Unmarshal(b, again); err != nil {
				t.Fatalf("%T: re-decode: %v", m, err)
			}
			// Compared as bytes: proto.Equal would reject a NaN score.
			b2, err := proto.MarshalOptions{Deterministic: true}.Marshal(again)
			if err != nil {
				t.Fatalf("%T: marshal after re-decode: %v", m, err)
			}
			if !bytes.Equal(b, b2) {
				t.Fatalf("%T: round trip changed the message", m)
			}
		}
	})
}
