// Package authorization is the generated Go binding of immudb.model's
// AuthorizationService (OpenSession / KeepAlive / CloseSession with string
// fields, used by REST v2 and the document SDKs): messages, gRPC client and
// server interfaces, and grpc-gateway REST handlers.
//
// Everything except this file and the tests is generated from
// authorization.proto by `make proto`; see package api.
package authorization
