package schema_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/attestdb/attestdb/api/schema"
)

// messageFor returns a new generated message of the given full name; it fails
// when the name is not registered by our packages.
func messageFor(t *testing.T, name protoreflect.FullName) proto.Message {
	t.Helper()
	mt, err := protoregistry.GlobalTypes.FindMessageByName(name)
	if err != nil {
		t.Fatalf("message %s: %v", name, err)
	}
	return mt.New().Interface()
}

// methodTypes maps "/immudb.schema.ImmuService/Get" to the rpc's request and
// response message names, taken from our service descriptor.
func methodTypes(t *testing.T, fullMethod string) (in, out protoreflect.FullName) {
	t.Helper()
	parts := strings.Split(strings.TrimPrefix(fullMethod, "/"), "/")
	if len(parts) != 2 {
		t.Fatalf("bad method %q", fullMethod)
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(parts[0]))
	if err != nil {
		t.Fatalf("service of %q: %v", fullMethod, err)
	}
	md := d.(protoreflect.ServiceDescriptor).Methods().ByName(protoreflect.Name(parts[1]))
	if md == nil {
		t.Fatalf("method %q not in our service", fullMethod)
	}
	return md.Input().FullName(), md.Output().FullName()
}

// decodeStrict unmarshals b64 into m and fails on any unknown field.
func decodeStrict(t *testing.T, what, b64 string, m proto.Message) {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatalf("%s: base64: %v", what, err)
	}
	if err := proto.Unmarshal(raw, m); err != nil {
		t.Fatalf("%s: unmarshal: %v", what, err)
	}
	if bad := unknownFields(m.ProtoReflect(), string(m.ProtoReflect().Descriptor().Name())); len(bad) > 0 {
		t.Fatalf("%s: unknown fields at %v", what, bad)
	}
	// Re-encoding must give the same bytes: nothing was dropped or reordered
	// (Go's encoder and immudb's both write fields in number order).
	again, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatalf("%s: marshal: %v", what, err)
	}
	if string(again) != string(raw) {
		t.Errorf("%s: re-encoded bytes differ from the recorded ones", what)
	}
}

// sameJSON compares recorded protobuf-JSON with protojson of m, as parsed JSON.
func sameJSON(t *testing.T, what string, want json.RawMessage, m proto.Message) {
	t.Helper()
	got, err := protojson.Marshal(m)
	if err != nil {
		t.Fatalf("%s: protojson: %v", what, err)
	}
	var a, b any
	if err := json.Unmarshal(want, &a); err != nil {
		t.Fatalf("%s: recorded json: %v", what, err)
	}
	if err := json.Unmarshal(got, &b); err != nil {
		t.Fatalf("%s: our json: %v", what, err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s: json differs\nrecorded: %s\nours:     %s", what, want, got)
	}
}

func TestLiveSessionDecodesExactly(t *testing.T) {
	var s liveSession
	readJSON(t, "live_session.json", &s)
	if len(s.Calls) == 0 {
		t.Fatal("no calls in live_session.json")
	}
	var requests, responses int
	for i, c := range s.Calls {
		in, out := methodTypes(t, c.Method)
		name := fmt.Sprintf("call %d %s", i, c.Method)
		if c.RequestProtobufBase64 != nil {
			req := messageFor(t, in)
			decodeStrict(t, name+" request", *c.RequestProtobufBase64, req)
			sameJSON(t, name+" request", c.Request, req)
			requests++
		}
		if c.ResponseProtobufBase64 != nil {
			resp := messageFor(t, out)
			decodeStrict(t, name+" response", *c.ResponseProtobufBase64, resp)
			sameJSON(t, name+" response", c.Response, resp)
			responses++
		}
	}
	t.Logf("decoded %d requests and %d responses", requests, responses)
	if requests != len(s.Calls) || responses == 0 {
		t.Errorf("decoded %d requests and %d responses of %d calls", requests, responses, len(s.Calls))
	}
}

func TestDualProofVectorsDecodeExactly(t *testing.T) {
	var d dualProofs
	readJSON(t, "dual_proofs.json", &d)
	sets := []struct {
		name  string
		cases []dualCase
		new   func() proto.Message
	}{
		{"verifiableTxById", d.VerifiableTxByID, func() proto.Message { return &schema.VerifiableTx{} }},
		{"verifiableWrites", d.VerifiableWrites, func() proto.Message { return &schema.VerifiableTx{} }},
		{"verifiableGet", d.VerifiableGet, func() proto.Message { return &schema.VerifiableEntry{} }},
	}
	for _, set := range sets {
		if len(set.cases) == 0 {
			t.Fatalf("%s: no cases", set.name)
		}
		for i, c := range set.cases {
			what := fmt.Sprintf("%s[%d] %s", set.name, i, c.Name)
			m := set.new()
			decodeStrict(t, what, c.ResponseProtobufBase64, m)
			matchHexJSON(t, what, m.ProtoReflect(), c.Response)
		}
	}
}

func TestSignedStateDecodesExactly(t *testing.T) {
	var s signedState
	readJSON(t, "signed_state.json", &s)
	if len(s.Examples) == 0 {
		t.Fatal("no examples")
	}
	for i, ex := range s.Examples {
		var st schema.ImmutableState
		decodeStrict(t, fmt.Sprintf("example %d", i), ex.CurrentStateResponseProtobufBase, &st)
		if st.GetSignature() == nil || len(st.GetSignature().GetSignature()) == 0 {
			t.Errorf("example %d: no signature decoded", i)
		}
		matchHexJSON(t, fmt.Sprintf("example %d state", i), st.ProtoReflect(), ex.State)
	}
}

// matchHexJSON checks a message against the hex-bytes JSON of dual_proofs.json
// and signed_state.json: every key must name a field of ours (by proto name)
// with the same value. Keys absent from the JSON are not checked.
func matchHexJSON(t *testing.T, path string, m protoreflect.Message, obj map[string]any) {
	t.Helper()
	fields := m.Descriptor().Fields()
	for k, v := range obj {
		fd := fields.ByName(protoreflect.Name(k))
		if fd == nil {
			t.Errorf("%s.%s: no such field in %s", path, k, m.Descriptor().FullName())
			continue
		}
		p := path + "." + k
		if fd.IsList() {
			arr, _ := v.([]any)
			l := m.Get(fd).List()
			if l.Len() != len(arr) {
				t.Errorf("%s: %d items, want %d", p, l.Len(), len(arr))
				continue
			}
			for i := range arr {
				matchHexValue(t, fmt.Sprintf("%s[%d]", p, i), fd, l.Get(i), arr[i])
			}
			continue
		}
		if fd.Kind() == protoreflect.MessageKind && v == nil {
			if m.Has(fd) {
				t.Errorf("%s: set, want absent", p)
			}
			continue
		}
		matchHexValue(t, p, fd, m.Get(fd), v)
	}
}

func matchHexValue(t *testing.T, path string, fd protoreflect.FieldDescriptor, got protoreflect.Value, want any) {
	t.Helper()
	switch fd.Kind() {
	case protoreflect.MessageKind:
		obj, ok := want.(map[string]any)
		if !ok {
			t.Errorf("%s: want %T, field is a message", path, want)
			return
		}
		matchHexJSON(t, path, got.Message(), obj)
	case protoreflect.BytesKind:
		s, _ := want.(string)
		if hex.EncodeToString(got.Bytes()) != strings.ToLower(s) {
			t.Errorf("%s: %x, want %s", path, got.Bytes(), s)
		}
	case protoreflect.BoolKind:
		if got.Bool() != want {
			t.Errorf("%s: %v, want %v", path, got.Bool(), want)
		}
	case protoreflect.StringKind:
		if got.String() != want {
			t.Errorf("%s: %q, want %v", path, got.String(), want)
		}
	default:
		f, ok := want.(float64)
		if !ok {
			t.Errorf("%s: want %T for a number", path, want)
			return
		}
		var g float64
		switch fd.Kind() {
		case protoreflect.Uint64Kind, protoreflect.Uint32Kind, protoreflect.Fixed64Kind, protoreflect.Fixed32Kind:
			g = float64(got.Uint())
		case protoreflect.DoubleKind, protoreflect.FloatKind:
			g = got.Float()
		case protoreflect.EnumKind:
			g = float64(got.Enum())
		default:
			g = float64(got.Int())
		}
		if math.Abs(g-f) > 0 {
			t.Errorf("%s: %v, want %v", path, g, f)
		}
	}
}

// TestLiveSessionErrorDetails parses the recorded status details strictly
// (unknown JSON names fail) into ErrorInfo and RetryInfo.
func TestLiveSessionErrorDetails(t *testing.T) {
	var s liveSession
	readJSON(t, "live_session.json", &s)
	seen := 0
	for i, c := range s.Calls {
		if len(c.StatusDetails) == 0 {
			continue
		}
		if len(c.StatusDetails) != 2 {
			t.Errorf("call %d: %d details, want ErrorInfo and RetryInfo", i, len(c.StatusDetails))
			continue
		}
		var ei schema.ErrorInfo
		if err := protojson.Unmarshal(c.StatusDetails[0], &ei); err != nil {
			t.Errorf("call %d: ErrorInfo: %v", i, err)
		}
		if ei.Code == "" || ei.Cause == "" {
			t.Errorf("call %d: empty ErrorInfo from %s", i, c.StatusDetails[0])
		}
		var ri schema.RetryInfo
		if err := protojson.Unmarshal(c.StatusDetails[1], &ri); err != nil {
			t.Errorf("call %d: RetryInfo: %v", i, err)
		}
		seen++
	}
	if seen == 0 {
		t.Fatal("no call with status details")
	}
}
