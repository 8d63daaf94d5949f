// Package schema is the generated Go binding of immudb.schema, the protobuf
// package of immudb's ImmuService: messages, the gRPC client and server
// interfaces (ImmuServiceClient, ImmuServiceServer with
// UnimplementedImmuServiceServer to embed) and the grpc-gateway REST handlers
// (RegisterImmuServiceHandlerServer / RegisterImmuServiceHandler).
//
// Everything except this file and the tests is generated from the .proto
// files here by `make proto`; see package api for the compatibility rules.
package schema
