// Package codec is the gRPC codec of our server and Go client: protobuf on
// the wire, byte for byte what google.golang.org/grpc/encoding/proto sends,
// but marshalled and unmarshalled by the reflection-free MarshalVT/UnmarshalVT
// /SizeVT methods that `make proto` generates (the *_vtproto.pb.go files in
// api/schema and api/authorization, from planetscale/vtprotobuf).
//
// It owns one thing: the choice of the encoder for one message, and the rule
// that this choice never changes what is accepted or produced:
//
//   - A message without the VT methods (grpc health, reflection, types of
//     other modules) goes through google.golang.org/protobuf exactly as
//     grpc's default codec does.
//   - The generated unmarshaller is more lenient than the standard one in a
//     few corners (overlong varints, out-of-range field numbers, unmatched
//     groups, invalid UTF-8 in proto3 strings, overlong tags of unknown
//     fields kept as they came) and stricter in one (a known
//     field with an unexpected wire type, which the standard decoder keeps as
//     an unknown field). So every input is first checked by a small wire
//     scanner (check.go) built from the message's descriptor; whatever it or
//     UnmarshalVT refuses is decoded again by proto.Unmarshal, whose answer
//     (message or error) is the codec's. The fuzz target FuzzCodecUnmarshal
//     holds the codec to "accepted by one ⇔ accepted by the other, with equal
//     messages".
//   - On marshal, a message type that can hold strings has its output
//     scanned too; invalid UTF-8 makes it fall back to proto.Marshal, which
//     reports the standard error.
//
// The codec is never registered globally: programs opt in with
// grpc.ForceServerCodecV2(codec.Codec{}) and
// grpc.WithDefaultCallOptions(grpc.ForceCodecV2(codec.Codec{})), so a program
// embedding our packages keeps grpc's defaults for its own connections.
//
// Locking: none. Codec is stateless; the per-type scanner tables are built
// once and shared through a sync.Map.
package codec
