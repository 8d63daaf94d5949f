package codec

import (
	"bytes"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/attestdb/attestdb/api/authorization"
	"github.com/attestdb/attestdb/api/schema"
)

// populate sets every field of m to a non-default value: two elements per
// list, one entry per map, member variant%n of each oneof, submessages down
// to depth. (Float fields get non-zero values: -0.0 is another matter.)
func populate(m protoreflect.Message, variant, depth int) {
	fds := m.Descriptor().Fields()
	for i := 0; i < fds.Len(); i++ {
		fd := fds.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			if od.Fields().Get(variant%od.Fields().Len()) != fd {
				continue
			}
		}
		switch {
		case fd.IsMap():
			mp := m.Mutable(fd).Map()
			mp.Set(scalarOf(fd.MapKey(), variant).MapKey(), valueOf(m, fd.MapValue(), mp.NewValue, variant, depth))
		case fd.IsList():
			l := m.Mutable(fd).List()
			for j := 0; j < 2; j++ {
				l.Append(valueOf(m, fd, l.NewElement, variant+j, depth))
			}
		case fd.Message() != nil:
			if depth > 0 {
				populate(m.Mutable(fd).Message(), variant, depth-1)
			} else {
				m.Mutable(fd) // present, empty
			}
		default:
			m.Set(fd, scalarOf(fd, variant))
		}
	}
}

func valueOf(parent protoreflect.Message, fd protoreflect.FieldDescriptor, newValue func() protoreflect.Value, variant, depth int) protoreflect.Value {
	if fd.Message() == nil {
		return scalarOf(fd, variant)
	}
	v := newValue()
	if depth > 0 {
		populate(v.Message(), variant, depth-1)
	}
	return v
}

func scalarOf(fd protoreflect.FieldDescriptor, variant int) protoreflect.Value {
	n := int64(variant%5) + 1
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return protoreflect.ValueOfBool(true)
	case protoreflect.EnumKind:
		vals := fd.Enum().Values()
		return protoreflect.ValueOfEnum(vals.Get(vals.Len() - 1).Number())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		return protoreflect.ValueOfInt32(int32(-n * 1000003))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return protoreflect.ValueOfInt64(-n << 40)
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		return protoreflect.ValueOfUint32(uint32(n) << 28)
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return protoreflect.ValueOfUint64(uint64(n) << 60)
	case protoreflect.FloatKind:
		return protoreflect.ValueOfFloat32(float32(n) * -1.5)
	case protoreflect.DoubleKind:
		return protoreflect.ValueOfFloat64(float64(n) * -2.25)
	case protoreflect.StringKind:
		return protoreflect.ValueOfString("sé" + string(rune('a'+n)))
	case protoreflect.BytesKind:
		return protoreflect.ValueOfBytes([]byte{0, byte(n), 0xff})
	}
	panic(fd.Kind())
}

// TestEveryMessageEveryField: for every message type of our API, with
// every field set (each oneof member in turn), the codec writes
// proto.Marshal's bytes and decodes them to an equal message.
func TestEveryMessageEveryField(t *testing.T) {
	_ = schema.File_api_schema_service_proto
	_ = authorization.File_api_authorization_authorization_proto
	n := 0
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		name := string(mt.Descriptor().FullName())
		if mt.Descriptor().ParentFile().Package() != "immudb.schema" && mt.Descriptor().ParentFile().Package() != "immudb.model" {
			return true
		}
		if _, ok := mt.New().Interface().(vtMessage); !ok {
			t.Errorf("%s has no VT methods", name)
			return true
		}
		for variant := 0; variant < 8; variant++ {
			m := mt.New()
			populate(m, variant, 3)
			msg := m.Interface()
			// Maps of one entry only: the order question does not arise.
			std, err := proto.Marshal(msg)
			if err != nil {
				t.Errorf("%s: proto.Marshal: %v", name, err)
				return true
			}
			if ours := codecMarshal(t, msg); !bytes.Equal(ours, std) {
				t.Errorf("%s variant %d:\n ours %x\n std  %x", name, variant, ours, std)
				return true
			}
			got := mt.New().Interface()
			if err := codecUnmarshal(std, got); err != nil || !sameMessage(got, msg) {
				t.Errorf("%s variant %d: codec unmarshal %v, %v", name, variant, got, err)
				return true
			}
			n++
		}
		return true
	})
	if n < 100 {
		t.Fatalf("only %d messages checked: descriptors not registered?", n)
	}
	t.Logf("%d populated messages checked", n)
}

// TestConcatenatedEncodings: two encodings of one type concatenated are a
// valid encoding of their merge (submessages and oneof messages merged,
// lists appended, scalars and map keys replaced). The codec must decode
// every such pair as proto.Unmarshal does.
func TestConcatenatedEncodings(t *testing.T) {
	_ = schema.File_api_schema_service_proto
	_ = authorization.File_api_authorization_authorization_proto
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		pkg := mt.Descriptor().ParentFile().Package()
		if pkg != "immudb.schema" && pkg != "immudb.model" {
			return true
		}
		var encs [][]byte
		for variant := 0; variant < 4; variant++ {
			for _, depth := range []int{0, 2} {
				m := mt.New()
				populate(m, variant, depth)
				b, err := proto.Marshal(m.Interface())
				if err != nil {
					t.Fatal(err)
				}
				encs = append(encs, b)
			}
		}
		encs = append(encs, nil)
		for _, a := range encs {
			for _, b := range encs {
				wire := join(a, b)
				want := mt.New().Interface()
				if err := proto.Unmarshal(wire, want); err != nil {
					t.Fatalf("%s: proto.Unmarshal: %v", mt.Descriptor().FullName(), err)
				}
				got := mt.New().Interface()
				if err := codecUnmarshal(wire, got); err != nil || !sameMessage(got, want) {
					t.Fatalf("%s: codec %v, %v; proto.Unmarshal %v", mt.Descriptor().FullName(), got, err, want)
				}
			}
		}
		return true
	})
}
