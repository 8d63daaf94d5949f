// Package api is the home of attestdb's wire interface: our own .proto files
// for the immudb v1.11 gRPC protocol and the Go code generated from them.
// This package itself holds only documentation; the code lives in:
//
//   - api/schema: package immudb.schema, the ImmuService every immudb client
//     calls (key-value, proofs, state, users, databases, streams, replication,
//     SQL). The .proto files are split by topic (users, kv, tx, database,
//     sql, service) but form one protobuf package.
//   - api/authorization: package immudb.model, the AuthorizationService
//     (OpenSession / KeepAlive / CloseSession with string fields) that REST v2
//     and the document SDKs use.
//   - api/openapi: the generated OpenAPI v2 documents, embedded for serving.
//   - api/codec: the gRPC codec (same wire bytes as grpc's protobuf codec)
//     that uses the generated VT methods; the server and client opt in to it.
//   - api/gateway: a grpc-gateway v2 ServeMux that behaves like immudb's
//     grpc-gateway v1 one (proto field names, defaults omitted, v1 error
//     bodies, sessionid and Authorization forwarded), both services registered.
//
// # Invariant: wire compatibility
//
// Every service, rpc (name, request/response type, streaming kind), message,
// enum, field name, field number, type and JSON name is exactly immudb
// v1.11.1's, so that the official SDKs and CLIs talk to our server unchanged.
// Only comments and file layout are ours. Tests in api/schema decode every
// protobuf message recorded from the reference server
// (testdata/vectors/live_session.json, dual_proofs.json, signed_state.json)
// and fail on any unknown field at any depth or any difference in the
// protobuf JSON mapping; they also pin the full rpc table and the REST routes.
// Changing a number or a name here breaks real clients: don't.
//
// REST bindings are not annotations in the .proto files: they live in
// api/schema/http.yaml and api/authorization/http.yaml (grpc-gateway's
// external configuration) with immudb's paths and verbs; the server mounts
// the gateway under /api and /api/v2. One deliberate difference: immudb binds
// both UnarySQLQuery and SQLQuery to POST /db/sqlquery (the streaming
// SQLQuery answers); grpc-gateway v2 refuses duplicates, so only SQLQuery is
// bound.
//
// # Regenerating
//
// The generated *.pb.go, *_grpc.pb.go, *_vtproto.pb.go, *.pb.gw.go and
// api/openapi/*.json are
// committed. After editing a .proto or http.yaml, run
//
//	make proto
//
// which runs scripts/genproto.sh: protoc from Debian's protobuf-compiler
// (3.21.12 here; installed with apt-get if missing) and plugins built with
// `go install` at pinned versions into bin/tools:
//
//   - protoc-gen-go v1.36.12 (google.golang.org/protobuf, as in go.mod)
//   - protoc-gen-go-grpc v1.6.2 (code for grpc v1.64+; go.mod has v1.85)
//   - protoc-gen-grpc-gateway and protoc-gen-openapiv2 v2.33.0 (as in go.mod)
//   - protoc-gen-go-vtproto v0.6.1-0.20240319094008-0393e58bdf10
//     (github.com/planetscale/vtprotobuf, the version grpc v1.85 already
//     requires, so go.mod selects it; its generated code calls that module's
//     protohelpers). Features marshal+unmarshal+size only: the
//     *_vtproto.pb.go files add MarshalVT/UnmarshalVT/SizeVT, which api/codec
//     uses on the gRPC path. This version, not v0.6.0, because v0.6.0 drops
//     a oneof holding a nil message that proto.Marshal writes as empty.
//
// Running it twice gives no diff. CI does not regenerate (it would need
// protoc); review generated diffs with the .proto change that caused them.
//
// # Locking
//
// None: generated messages are plain values, not safe for concurrent
// mutation, like all protobuf-go messages.
package api
