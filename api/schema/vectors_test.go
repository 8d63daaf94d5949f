package schema_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// vectorsDir holds the JSON recorded from the reference immudb v1.11.1.
var vectorsDir = filepath.Join("..", "..", "testdata", "vectors")

// liveCall is one recorded gRPC call of live_session.json.
type liveCall struct {
	Method                 string          `json:"method"`
	Request                json.RawMessage `json:"request"`
	RequestProtobufBase64  *string         `json:"requestProtobufBase64"`
	Response               json.RawMessage `json:"response"`
	ResponseProtobufBase64 *string         `json:"responseProtobufBase64"`
	StatusCode             string          `json:"statusCode"`
	// StatusDetails are the error details in protobuf JSON: ErrorInfo, then
	// RetryInfo (empty when the delay is 0).
	StatusDetails []json.RawMessage `json:"statusDetails"`
}

type liveSession struct {
	Calls []liveCall `json:"calls"`
}

// dualCase is one entry of dual_proofs.json; response is written with hex
// bytes and plain numbers, not the protobuf JSON mapping.
type dualCase struct {
	Name                   string         `json:"name"`
	Response               map[string]any `json:"response"`
	ResponseProtobufBase64 string         `json:"response_protobuf_base64"`
}

type dualProofs struct {
	VerifiableTxByID []dualCase `json:"verifiableTxById"`
	VerifiableGet    []dualCase `json:"verifiableGet"`
	VerifiableWrites []dualCase `json:"verifiableWrites"`
}

type signedState struct {
	Examples []struct {
		State                            map[string]any `json:"state"`
		CurrentStateResponseProtobufBase string         `json:"currentStateResponse_protobuf_base64"`
	} `json:"examples"`
}

func readJSON(t testing.TB, name string, v any) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, name))
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("parse %s: %v", name, err)
	}
}

// unknownFields lists the paths of every message, at any depth, that kept
// bytes the generated types did not recognise. An empty list proves that
// every field number on the wire is one our .proto declares.
func unknownFields(m protoreflect.Message, path string) []string {
	var bad []string
	if len(m.GetUnknown()) > 0 {
		bad = append(bad, path)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		p := path + "." + string(fd.Name())
		switch {
		case fd.IsMap():
			if fd.MapValue().Kind() == protoreflect.MessageKind {
				v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
					bad = append(bad, unknownFields(mv.Message(), p+"["+k.String()+"]")...)
					return true
				})
			}
		case fd.IsList():
			if fd.Kind() == protoreflect.MessageKind {
				l := v.List()
				for i := 0; i < l.Len(); i++ {
					bad = append(bad, unknownFields(l.Get(i).Message(), p)...)
				}
			}
		case fd.Kind() == protoreflect.MessageKind:
			bad = append(bad, unknownFields(v.Message(), p)...)
		}
		return true
	})
	return bad
}
