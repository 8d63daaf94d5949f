package codec

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/protoadapt"
)

// Name is the codec's name: the same as grpc's protobuf codec, so the
// content-subtype it implies is the standard "proto".
const Name = "proto"

// Codec is a grpc encoding.CodecV2 for protobuf messages that uses the
// generated VT methods when a message has them. The zero value is ready.
type Codec struct{}

var _ encoding.CodecV2 = Codec{}

// vtMessage is what the generated *_vtproto.pb.go files add to a message
// (features marshal, unmarshal and size), plus what every generated message
// has.
type vtMessage interface {
	proto.Message
	Reset()
	SizeVT() int
	MarshalToSizedBufferVT(dAtA []byte) (int, error)
	UnmarshalVT(dAtA []byte) error
}

// Name returns "proto".
func (Codec) Name() string { return Name }

// Marshal encodes v into a buffer from grpc's default pool when it is large
// enough to be worth pooling, as grpc's own codec does.
func (Codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(vtMessage)
	if !ok {
		return marshalStandard(v)
	}
	size := m.SizeVT()
	if mem.IsBelowBufferPoolingThreshold(size) {
		// Most calls' messages are small: two allocations, the bytes and
		// one smallOut, instead of one each for the bytes, their slice
		// header, the boxed SliceBuffer and the one-element BufferSlice.
		o := &smallOut{b: make([]byte, size)}
		if err := marshalVT(m, o.b); err != nil {
			// The standard encoder decides: it either reports its own
			// error (invalid UTF-8) or agrees on bytes we failed to produce.
			return marshalStandard(v)
		}
		o.bs[0] = &o.b
		return o.bs[:], nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(size)
	if err := marshalVT(m, (*buf)[:size]); err != nil {
		pool.Put(buf)
		return marshalStandard(v)
	}
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

// smallOut holds a small marshalled message and the BufferSlice that hands
// it to grpc, in one allocation: *mem.SliceBuffer is a mem.Buffer that fits
// the interface without boxing, and bs is the slice's backing array. Like
// grpc's own SliceBuffer, it is not pooled (Free does nothing).
type smallOut struct {
	b  mem.SliceBuffer
	bs [1]mem.Buffer
}

// marshalVT fills b, which is exactly m.SizeVT() long, and refuses what
// proto.Marshal would refuse (invalid UTF-8 in a proto3 string).
func marshalVT(m vtMessage, b []byte) error {
	n, err := m.MarshalToSizedBufferVT(b)
	if err != nil {
		return err
	}
	if n != len(b) {
		// A message mutated between SizeVT and marshal; never leave a gap.
		return fmt.Errorf("codec: %T: size %d, marshalled %d", m, len(b), n)
	}
	t := tableOf(m.ProtoReflect().Descriptor())
	if t.strings && !t.valid(b, 0) {
		return fmt.Errorf("codec: %T: output refused by the wire check", m)
	}
	if t.negZero && proto.Size(m) != len(b) {
		// A -0.0 the generated code dropped (see table.negZero).
		return fmt.Errorf("codec: %T: size differs from proto.Size", m)
	}
	return nil
}

// Unmarshal decodes the whole of data into v (which it resets first, like
// proto.Unmarshal).
func (Codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(vtMessage)
	if !ok {
		return unmarshalStandard(data, v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	// UnmarshalVT copies bytes fields (the "unsafe" variant that aliases
	// the input is not generated), so freeing buf afterwards is safe.
	return unmarshalBytes(buf.ReadOnlyData(), m)
}

// unmarshalBytes is Unmarshal on plain bytes (the tests and the fuzz target
// drive it directly too).
func unmarshalBytes(b []byte, m vtMessage) error {
	if tableOf(m.ProtoReflect().Descriptor()).valid(b, 0) {
		m.Reset()
		if err := m.UnmarshalVT(b); err == nil {
			return nil
		}
	}
	// Refused by the scanner or by UnmarshalVT: the standard decoder gives
	// the answer (it resets m itself).
	return proto.Unmarshal(b, m)
}

// marshalStandard is grpc's default protobuf codec, kept here instead of
// looked up in grpc's registry so that a program registering this codec
// globally cannot make the fallback call itself.
func marshalStandard(v any) (mem.BufferSlice, error) {
	m := messageV2Of(v)
	if m == nil {
		return nil, fmt.Errorf("proto: failed to marshal, message is %T, want proto.Message", v)
	}
	// Size first, so UseCachedSize below reuses it.
	size := proto.Size(m)
	opts := proto.MarshalOptions{UseCachedSize: true}
	if mem.IsBelowBufferPoolingThreshold(size) {
		b, err := opts.Marshal(m)
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(size)
	if _, err := opts.MarshalAppend((*buf)[:0], m); err != nil {
		pool.Put(buf)
		return nil, err
	}
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func unmarshalStandard(data mem.BufferSlice, v any) error {
	m := messageV2Of(v)
	if m == nil {
		return fmt.Errorf("failed to unmarshal, message is %T, want proto.Message", v)
	}
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	return proto.Unmarshal(buf.ReadOnlyData(), m)
}

// messageV2Of accepts the old github.com/golang/protobuf messages too, as
// grpc's codec does.
func messageV2Of(v any) proto.Message {
	switch v := v.(type) {
	case protoadapt.MessageV1:
		return protoadapt.MessageV2Of(v)
	case protoadapt.MessageV2:
		return v
	}
	return nil
}
