package codec

import (
	"testing"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the standard codec
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/proto"
)

// The codec against grpc's standard protobuf codec on the answers and
// requests that dominate profiles:
//
//	go test -run '^$' -bench . -benchmem ./api/codec/
func BenchmarkCodec(b *testing.B) {
	msgs := []struct {
		name string
		msg  proto.Message
	}{
		{"SetRequest1", setRequest(1)},
		{"Entries100", entries(100)},
		{"SetRequest1000", setRequest(1000)},
	}
	codecs := []struct {
		name  string
		codec encoding.CodecV2
	}{
		{"standard", encoding.GetCodecV2(Name)},
		{"vt", Codec{}},
	}
	for _, m := range msgs {
		for _, c := range codecs {
			b.Run(m.name+"/marshal/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					bs, err := c.codec.Marshal(m.msg)
					if err != nil {
						b.Fatal(err)
					}
					bs.Free()
				}
			})
			wire, err := proto.Marshal(m.msg)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(m.name+"/unmarshal/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(len(wire)))
				for b.Loop() {
					out := newOf(m.msg)
					if err := c.codec.Unmarshal(mem.BufferSlice{mem.SliceBuffer(wire)}, out); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
